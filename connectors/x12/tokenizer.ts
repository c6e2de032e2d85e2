import type { Readable } from 'node:stream';
import { InputError } from '../../core/errors.js';
import { ISA_LENGTH, readDelimiters, type Delimiters } from './delimiters.js';

export interface Segment {
  /** Segment id, e.g. `CLP`. */
  id: string;
  /** elements[0] is the first element after the id, raw: components and repetitions still joined. */
  elements: string[];
  /** 1-based segment number in the file. */
  index: number;
  /** Byte offset of the segment's first byte in the file. */
  offset: number;
  /** The delimiters of the interchange the segment belongs to (one shared object per ISA). */
  delimiters: Delimiters;
}

/**
 * A segment as the tokenizer delivers it. Its elements are split from the raw text the first time
 * they are read: most segments of a large file are only looked at by id, and splitting every one
 * of them eagerly costs more than finding them.
 */
class TokenizedSegment implements Segment {
  #raw: string;
  #fixUtf8: boolean;
  #elements: string[] | undefined;

  constructor(
    readonly id: string,
    raw: string,
    readonly index: number,
    readonly offset: number,
    readonly delimiters: Delimiters,
    fixUtf8: boolean,
  ) {
    this.#raw = raw;
    this.#fixUtf8 = fixUtf8;
  }

  get elements(): string[] {
    let elements = this.#elements;
    if (elements === undefined) {
      elements = this.#raw === '' ? [] : this.#raw.split(this.delimiters.element);
      if (this.#fixUtf8) {
        for (let i = 0; i < elements.length; i++) {
          const value = elements[i]!;
          if (HIGH_BYTES.test(value)) elements[i] = Buffer.from(value, 'latin1').toString('utf8');
        }
      }
      this.#elements = elements;
    }
    return elements;
  }

  set elements(value: string[]) {
    this.#elements = value;
  }

  toJSON(): { id: string; elements: string[]; index: number; offset: number } {
    return { id: this.id, elements: this.elements, index: this.index, offset: this.offset };
  }
}

export type SegmentSource = AsyncIterable<Uint8Array | string> | Readable;

const HIGH_BYTES = /[\x80-\xff]/;
const BATCH_BYTES = 64 * 1024;
const NON_ASCII = /[^\x00-\x7f]/;
const CR = 13;
const LF = 10;

/**
 * Cuts text into segments, keeping whatever is left of a segment split across chunks. Text is held
 * as latin1 (one character per byte) so that offsets are byte offsets; UTF-8 is restored per element
 * only in chunks that carry bytes above 0x7F.
 */
export class SegmentScanner {
  private carry = '';
  /** Byte offset of carry[0]. */
  private base = 0;
  private count = 0;
  private current: Delimiters | undefined;
  private started = false;
  private readonly ids = new Map<number, string>();

  /** The delimiters of the interchange being read; undefined before its ISA has been seen. */
  get delimiters(): Delimiters | undefined {
    return this.current;
  }

  /** Segments read so far. */
  get segmentCount(): number {
    return this.count;
  }

  /** Bytes consumed so far (the offset just past the last complete segment). */
  get bytesRead(): number {
    return this.base;
  }

  /** Feeds a chunk of latin1 text (one character per byte); complete segments are pushed to `out`. */
  feedLatin1(chunk: string, final: boolean, out: Segment[]): void {
    let text = this.carry.length === 0 ? chunk : this.carry + chunk;
    let pos = 0;
    if (!this.started) {
      if (text.length < 3 + 3 && !final) {
        this.carry = text;
        return;
      }
      // A UTF-8 byte order mark and leading blank lines are framing, not content.
      if (text.startsWith('\xef\xbb\xbf')) pos = 3;
      pos = skipBlanks(text, pos);
      if (!text.startsWith('ISA', pos)) {
        if (pos >= text.length) {
          if (final) throw new InputError('not an X12 interchange: the file is empty', [{ path: '/', message: 'empty file' }]);
          this.carry = '';
          this.base += pos;
          return;
        }
        readDelimiters(text.slice(pos, pos + 3));
      }
      this.started = true;
    }
    // A chunk may end between a terminator and its line break.
    pos = skipBlanks(text, pos);
    const fixUtf8 = HIGH_BYTES.test(text);
    let delimiters = this.current;
    let term = delimiters?.segment ?? '~';
    let element = delimiters?.element ?? '*';
    const length = text.length;
    while (pos < length) {
      if (text.charCodeAt(pos) === 73 && text.charCodeAt(pos + 1) === 83 && text.charCodeAt(pos + 2) === 65) {
        if (length - pos < ISA_LENGTH + 2 && !final) break;
        delimiters = readDelimiters(text.slice(pos, pos + ISA_LENGTH + 2), {
          segmentIndex: this.count + 1,
          offset: this.base + pos,
        });
        this.current = delimiters;
        term = delimiters.segment;
        element = delimiters.element;
      }
      if (delimiters === undefined) readDelimiters(text.slice(pos, pos + 3));
      let end = text.indexOf(term, pos);
      let next: number;
      if (end === -1) {
        if (!final) break;
        end = length;
        next = length;
      } else {
        next = end + 1;
      }
      let stop = end;
      if (term === '\n' && stop > pos && text.charCodeAt(stop - 1) === CR) stop--;
      if (stop > pos) this.emit(text, pos, stop, element, delimiters!, fixUtf8, out);
      pos = skipBlanks(text, next);
    }
    this.base += pos;
    this.carry = pos === 0 ? text : text.slice(pos);
    if (final && this.carry.length > 0) {
      // Only blanks can remain here; anything else was emitted as an unterminated last segment.
      this.base += this.carry.length;
      this.carry = '';
    }
    if (!final && this.carry.length > 64 * 1024 * 1024) {
      throw new InputError(
        `segment ${this.count + 1} at byte ${this.base}: no segment terminator within 64 MiB (wrong delimiters or not X12)`,
        [{ path: `/segments/${this.count + 1}`, message: 'segment too long' }],
      );
    }
  }

  /** Feeds a Buffer/Uint8Array chunk. */
  feedBytes(chunk: Uint8Array, final: boolean, out: Segment[]): void {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.feedLatin1(buffer.toString('latin1'), final, out);
  }

  /** Feeds a JavaScript (UTF-16) string chunk. */
  feedText(chunk: string, final: boolean, out: Segment[]): void {
    this.feedLatin1(NON_ASCII.test(chunk) ? Buffer.from(chunk, 'utf8').toString('latin1') : chunk, final, out);
  }

  /** Ends the input: a last segment without its terminator is still delivered. */
  finish(out: Segment[]): void {
    this.feedLatin1('', true, out);
  }

  private emit(text: string, start: number, stop: number, element: string, delimiters: Delimiters, fixUtf8: boolean, out: Segment[]): void {
    const separator = text.indexOf(element, start);
    let id: string;
    let raw: string;
    const end = separator === -1 || separator > stop ? stop : separator;
    const length = end - start;
    if (length === 2 || length === 3) {
      // Ids repeat endlessly; reusing one string per id saves an allocation per segment.
      const key = (text.charCodeAt(start) << 16) | (text.charCodeAt(start + 1) << 8) | (length === 3 ? text.charCodeAt(start + 2) : 0);
      let cached = this.ids.get(key);
      if (cached === undefined) {
        cached = text.slice(start, end);
        if (this.ids.size < 4096) this.ids.set(key, cached);
      }
      id = cached;
    } else {
      id = text.slice(start, end);
    }
    raw = end === stop ? '' : text.slice(end + 1, stop);
    out.push(new TokenizedSegment(id, raw, ++this.count, this.base + start, delimiters, fixUtf8));
  }
}

function skipBlanks(text: string, pos: number): number {
  let code = text.charCodeAt(pos);
  while (code === LF || code === CR) code = text.charCodeAt(++pos);
  return pos;
}

/**
 * Reads segments from a stream or any async iterable of chunks in bounded memory: only the
 * unfinished tail of the latest chunk is kept. Yields one array of segments per chunk, the cheapest
 * way through a large file.
 */
export async function* readSegmentBatches(source: SegmentSource): AsyncGenerator<Segment[]> {
  const scanner = new SegmentScanner();
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    if (typeof chunk === 'string') {
      const out: Segment[] = [];
      scanner.feedText(chunk, false, out);
      if (out.length > 0) yield out;
      continue;
    }
    // Batches of a few thousand segments die young; a megabyte's worth outlives the nursery and
    // makes the garbage collector the bottleneck.
    for (let start = 0; start < chunk.byteLength; start += BATCH_BYTES) {
      const out: Segment[] = [];
      scanner.feedBytes(chunk.subarray(start, start + BATCH_BYTES), false, out);
      if (out.length > 0) yield out;
    }
  }
  const out: Segment[] = [];
  scanner.finish(out);
  if (out.length > 0) yield out;
}

/** Reads segments one by one from a stream or any async iterable of chunks, in bounded memory. */
export async function* readSegments(source: SegmentSource): AsyncGenerator<Segment> {
  for await (const batch of readSegmentBatches(source)) yield* batch;
}

/** Parses a whole interchange held in memory. */
export function parseSegments(text: string | Uint8Array): Segment[] {
  const scanner = new SegmentScanner();
  const out: Segment[] = [];
  if (typeof text === 'string') scanner.feedText(text, true, out);
  else scanner.feedBytes(text, true, out);
  scanner.finish(out);
  return out;
}

/** The components of a composite element (`HC:99213:25` → `['HC', '99213', '25']`). */
export function components(element: string | undefined, delimiters: Delimiters): string[] {
  if (element === undefined || element === '') return [];
  return element.indexOf(delimiters.component) === -1 ? [element] : element.split(delimiters.component);
}

/** The repetitions of a repeating element (`30^42^45` → `['30', '42', '45']`). */
export function repetitions(element: string | undefined, delimiters: Delimiters): string[] {
  if (element === undefined || element === '') return [];
  if (delimiters.repetition === undefined || element.indexOf(delimiters.repetition) === -1) return [element];
  return element.split(delimiters.repetition);
}

/** An element by its X12 position (1-based, as in `CLP04`); '' when absent. */
export function element(segment: Segment, position: number): string {
  return segment.elements[position - 1] ?? '';
}
