import { InputError } from '../errors.js';
import { HttpProblem } from './errors.js';

const JSON_MEDIA_TYPE = /^application\/(?:json|[a-z0-9!#$&^_.-]+\+json)\s*(?:;.*)?$/i;

/** `application/json` or a structured `application/*+json`, parameters such as charset allowed. */
export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_MEDIA_TYPE.test(contentType.trim());
}

export function tooLarge(maxBytes: number): HttpProblem {
  return new HttpProblem(413, 'payload_too_large', `the body exceeds the limit of ${maxBytes} bytes`);
}

/**
 * Reads a request body, stopping as soon as it passes `maxBytes`. Content-Length is checked first
 * to refuse early, but the count of bytes actually read decides: a sender may omit the header
 * (chunked encoding) or understate it.
 */
export async function readBodyCapped(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (declared !== null && /^\d+$/.test(declared)) {
    // Node's HTTP parser never hands over more than Content-Length bytes, so a declared length within
    // the limit bounds the read; buffering it whole skips the costly web-stream wrapper.
    const body = new Uint8Array(await request.arrayBuffer());
    if (body.byteLength > maxBytes) throw tooLarge(maxBytes);
    return body;
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

// ignoreBOM keeps the bytes as sent, so a signature computed over them still matches.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** JSON travels as UTF-8 (RFC 8259 §8.1); anything else is refused rather than guessed. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw new InputError('body is not valid UTF-8', [{ path: '/', message: 'body is not valid UTF-8' }], { cause: error });
  }
}
