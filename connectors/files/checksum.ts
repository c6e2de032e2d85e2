import { createHash } from 'node:crypto';

/** Hex SHA-256 of bytes (or of a string's UTF-8 bytes): the identity a file ledger keys on. */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hex SHA-256 of a stream, read chunk by chunk so a large file never sits in memory. */
export async function sha256Stream(stream: AsyncIterable<Uint8Array | string>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('hex');
}
