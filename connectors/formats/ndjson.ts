import type { Readable } from 'node:stream';
import { ConfigurationError } from '../../core/errors.js';

export interface NdjsonReadOptions {
  /** A line longer than this yields an error instead of being held in memory. @defaultValue 10 MiB */
  maxLineBytes?: number;
}

/** One line of an NDJSON file: its 1-based line number and either the parsed value or why it failed. */
export interface NdjsonRecord {
  line: number;
  value?: unknown;
  error?: string;
}

const DEFAULT_MAX_LINE_BYTES = 10 * 1024 * 1024;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Reads newline-delimited JSON (FHIR bulk export, JSON Lines) one line at a time, holding at most
 * one line in memory. A bad line yields `{ line, error }` and reading goes on, so one broken record
 * never costs the rest of the file. Blank lines are skipped; CRLF and a leading BOM are accepted.
 *
 * @throws ConfigurationError when maxLineBytes is not a positive integer.
 */
export async function* readNdjson(
  stream: Readable | AsyncIterable<Uint8Array | string>,
  options: NdjsonReadOptions = {},
): AsyncGenerator<NdjsonRecord, void, undefined> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isInteger(maxLineBytes) || maxLineBytes <= 0) {
    throw new ConfigurationError('readNdjson: maxLineBytes must be a positive integer', [
      { path: 'maxLineBytes', message: 'must be a positive integer' },
    ]);
  }

  const decoder = new TextDecoder('utf-8', { ignoreBOM: false });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let oversized = false;
  let lineNumber = 0;

  const finishLine = (): NdjsonRecord | undefined => {
    lineNumber++;
    if (oversized) {
      oversized = false;
      return { line: lineNumber, error: `line is longer than ${maxLineBytes} bytes` };
    }
    let bytes = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN) bytes = bytes.subarray(0, -1);
    // One decoder for all lines would carry state across them; a line is complete bytes, so decode it alone.
    const text = lineNumber === 1 ? decoder.decode(bytes) : bytes.toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return { line: lineNumber, value: JSON.parse(text) };
    } catch (error) {
      return { line: lineNumber, error: describeJsonError(error) };
    }
  };

  const append = (bytes: Buffer): void => {
    if (oversized || bytes.length === 0) return;
    if (pendingBytes + bytes.length > maxLineBytes) {
      // Drop what we have and ignore the rest of this line: memory stays bounded by maxLineBytes.
      oversized = true;
      pending = [];
      pendingBytes = 0;
      return;
    }
    pending.push(bytes);
    pendingBytes += bytes.length;
  };

  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let newline = buffer.indexOf(NEWLINE, start); newline !== -1; newline = buffer.indexOf(NEWLINE, start)) {
      append(buffer.subarray(start, newline));
      start = newline + 1;
      const record = finishLine();
      if (record) yield record;
    }
    // Copied: a slice would pin the whole chunk for as long as the unfinished line waits.
    if (start < buffer.length) append(Buffer.from(buffer.subarray(start)));
  }
  if (pendingBytes > 0 || oversized) {
    const record = finishLine();
    if (record) yield record;
  }
}

/**
 * V8 quotes the offending text in some parse messages (`"Smith" is not valid JSON`); a line of a
 * patient file may be PHI, so only the position survives into the reason.
 */
export function describeJsonError(error: unknown): string {
  const position = /position (\d+)/.exec(error instanceof Error ? error.message : String(error))?.[1];
  return position === undefined ? 'not valid JSON' : `not valid JSON (at character ${Number(position) + 1})`;
}
