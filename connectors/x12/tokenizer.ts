import { isAscii } from 'node:buffer';
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

// Set by TokenizedSegment's static block, which runs as the class is defined (hence declared
// before it): functions outside a class cannot read its private fields.
let sourceOf: (segment: TokenizedSegment) => string | string[];
let idEndOf: (segment: TokenizedSegment) => number;
let repoint: (segment: TokenizedSegment, id: string, index: number, offset: number, delimiters: Delimiters, text: string, idEnd: number) => void;

/**
 * A segment as the tokenizer delivers it. It keeps the text it was cut from and where its elements
 * lie there, nothing more: most segments of a large file are only looked at by id, and a mapper
 * reads a few elements of the rest. `elements` splits them all on first read; `element(segment, i)`
 * decodes just the one asked for. Objects are kept small on purpose: a large file makes millions.
 */
class TokenizedSegment implements Segment {
  static {
    sourceOf = (segment) => segment.#source;
    idEndOf = (segment) => segment.#idEnd;
    repoint = (segment, id, index, offset, delimiters, text, idEnd) => {
      const fields = segment as { id: string; index: number; offset: number; delimiters: Delimiters };
      fields.id = id;
      fields.index = index;
      fields.offset = offset;
      fields.delimiters = delimiters;
      segment.#source = text;
      segment.#idEnd = idEnd;
      if (scanned === segment) scanned = undefined;
    };
  }

  // Declared, not class fields: a field is first defined as undefined and then assigned, two
  // stores where one will do, for each of the millions of segments a large file makes.
  declare readonly id: string;
  declare readonly index: number;
  declare readonly offset: number;
  declare readonly delimiters: Delimiters;
  /** The chunk of latin1 text the segment lies in (shared by a chunk's segments), until `elements` splits it. */
  #source: string | string[];
  /**
   * Where the id ends in the text: at the element separator, or at the end of a segment without
   * elements. Where the segment ends is found again from here when its elements are read, rather
   * than kept in one more field of millions of objects.
   */
  #idEnd: number;

  constructor(id: string, index: number, offset: number, delimiters: Delimiters, text: string, idEnd: number) {
    this.id = id;
    this.index = index;
    this.offset = offset;
    this.delimiters = delimiters;
    this.#source = text;
    this.#idEnd = idEnd;
  }

  get elements(): string[] {
    const source = this.#source;
    if (typeof source !== 'string') return source;
    if (scanned !== this) this.#scan(source);
    const elements = new Array<string>(scannedCount);
    for (let k = 0; k < scannedCount; k++) elements[k] = this.decode(source, bounds[k]!, bounds[k + 1]! - 1);
    this.#source = elements;
    return elements;
  }

  set elements(value: string[]) {
    this.#source = value;
  }

  /** The element at an X12 position (1-based), '' when absent, decoding only that one. */
  elementAt(position: number): string {
    const source = this.#source;
    if (typeof source !== 'string') return source[position - 1] ?? '';
    if (scanned !== this) this.#scan(source);
    if (!(position >= 1 && position <= scannedCount) || position % 1 !== 0) return '';
    return this.decode(source, bounds[position - 1]!, bounds[position]! - 1);
  }

  /** How many elements the segment has (trailing empty ones included), without decoding any. */
  get elementCount(): number {
    const source = this.#source;
    if (typeof source !== 'string') return source.length;
    if (scanned !== this) this.#scan(source);
    return scannedCount;
  }

  /**
   * The element at an X12 position read as a plain decimal (`-?digits[.digits]`, up to 15 digits)
   * straight from the text; NaN when it is not one, for the caller to read it the slow way.
   */
  decimalAt(position: number): number {
    const source = this.#source;
    if (typeof source !== 'string') return Number.NaN;
    if (scanned !== this) this.#scan(source);
    if (!(position >= 1 && position <= scannedCount) || position % 1 !== 0) return Number.NaN;
    return plainDecimal(source, bounds[position - 1]!, bounds[position]! - 1);
  }

  toJSON(): { id: string; elements: string[]; index: number; offset: number } {
    return { id: this.id, elements: this.elements, index: this.index, offset: this.offset };
  }

  /** The text between two positions: ASCII here, so short values (codes, qualifiers, dates) are shared. */
  protected decode(text: string, from: number, to: number): string {
    return to - from <= INTERN_MAX_LENGTH ? intern(text, from, to) : copy(text, from, to);
  }

  /**
   * Finds where each element starts (into `bounds`) in one pass over the segment's text: the
   * segment ends at its terminator (before a CR, when the terminator is a newline) or at the end of
   * the text, and its elements start after each element separator from the one closing the id.
   */
  #scan(text: string): void {
    const separator = this.delimiters.element.charCodeAt(0);
    const terminator = this.delimiters.segment.charCodeAt(0);
    const length = text.length;
    let count = 0;
    let at = this.#idEnd;
    for (; at < length; at++) {
      const code = text.charCodeAt(at);
      if (code === terminator) break;
      if (code === separator) {
        if (count + 2 > bounds.length) bounds = grown(bounds);
        bounds[count++] = at + 1;
      }
    }
    const stop = terminator === LF && text.charCodeAt(at - 1) === CR ? at - 1 : at;
    // `LX*~`: a separator with nothing after it leaves the segment without elements.
    if (count === 1 && bounds[0]! >= stop) count = 0;
    // One past the end of the last element, so that element k always ends at bounds[k + 1] - 1.
    bounds[count] = stop + 1;
    scannedCount = count;
    scanned = this;
  }
}

/** A segment from a chunk with bytes above 0x7F: elements holding any are decoded back from UTF-8. */
class Utf8Segment extends TokenizedSegment {
  protected override decode(text: string, from: number, to: number): string {
    const value = copy(text, from, to);
    return HIGH_BYTES.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
  }
}

/**
 * The text a segment was cut from, while its elements are still unsplit; undefined for any other
 * segment. For HeldSegments, which copies segments back out of their text rather than rewriting them.
 */
export function segmentText(segment: Segment): string | undefined {
  if (!(segment instanceof TokenizedSegment)) return undefined;
  const source = sourceOf(segment);
  return typeof source === 'string' ? source : undefined;
}

/** Where a segment from `segmentText` starts in that text. */
export function segmentStart(segment: Segment): number {
  return idEndOf(segment as TokenizedSegment) - segment.id.length;
}

/** Whether the tokenizer decodes the segment's elements from UTF-8 (its chunk had bytes above 0x7F). */
export function decodesUtf8(segment: Segment): boolean {
  return segment instanceof Utf8Segment;
}

/**
 * Ids repeat endlessly: one string per id, found by its characters, saves an allocation per
 * segment. Shared by every scanner (a file uses a few dozen ids, and they are the same from file
 * to file); two-way: an id colliding with both of its slots' ids replaces the one in its first.
 */
const ID_SHIFT = 22;
const idKeys = new Int32Array(2 ** (32 - ID_SHIFT));
const idStrings: string[] = new Array<string>(2 ** (32 - ID_SHIFT)).fill('');

/**
 * Element starts of the segment `element` read last (bounds[k] is where element k + 1 starts):
 * mappers read several elements of one segment in a row, and finding them once is the saving.
 * Only that one segment (and the chunk it lies in) is kept alive by this.
 */
let scanned: TokenizedSegment | undefined;
let scannedCount = 0;
let bounds = new Int32Array(64);

function grown(array: Int32Array): Int32Array<ArrayBuffer> {
  const larger = new Int32Array(array.length * 2);
  larger.set(array);
  return larger;
}

/**
 * The text between two positions as a string of its own. V8 makes a slice of 13 characters or more
 * a view that keeps the whole text alive; element values end up in records that outlive the chunk
 * they came from by far (a remittance's thousands of claims are handed over together, and stored),
 * so long values are copied out instead, which lets each chunk go as soon as its segments are read.
 * Joining two halves is the cheapest way to a copy that JavaScript has.
 */
function copy(text: string, from: number, to: number): string {
  if (to - from < 13) return text.slice(from, to);
  const middle = (from + to) >> 1;
  return [text.slice(from, middle), text.slice(middle, to)].join('');
}

/**
 * A plain decimal between two positions of latin1 text, exactly as Number() reads it: an integer of
 * at most 15 digits is exact in a double, and so is a power of ten, so their quotient is the double
 * nearest the decimal, which is what Number() returns. NaN for anything else (signs other than a
 * leading '-', exponents, blanks, empty, too many digits).
 */
function plainDecimal(text: string, from: number, to: number): number {
  let k = from;
  const negative = text.charCodeAt(k) === 45;
  if (negative) k++;
  let digits = 0;
  let value = 0;
  let scale = 1;
  let point = false;
  for (; k < to; k++) {
    const code = text.charCodeAt(k);
    if (code >= 48 && code <= 57) {
      value = value * 10 + (code - 48);
      digits++;
      if (point) scale *= 10;
    } else if (code === 46 && !point) {
      point = true;
    } else {
      return Number.NaN;
    }
  }
  if (digits === 0 || digits > 15) return Number.NaN;
  return negative ? -(value / scale) : value / scale;
}

/**
 * Short element values repeat endlessly (qualifiers, codes, dates, amounts): one string per value,
 * found by its characters, saves an allocation per element read, and records built from a file
 * share those strings rather than each holding a copy. Direct-mapped: a colliding value simply
 * replaces the one cached before it.
 */
const INTERN_MAX_LENGTH = 10;
const INTERN_BITS = 12;
const INTERN_SLOTS = 2 ** INTERN_BITS;
const interned: string[] = new Array<string>(INTERN_SLOTS).fill('');

function intern(text: string, from: number, to: number): string {
  const length = to - from;
  if (length === 0) return '';
  // Length and three characters pick the slot (the full comparison below decides).
  const last = to - 1;
  const hash = Math.imul((length << 24) ^ (text.charCodeAt(from) << 16) ^ (text.charCodeAt((from + last) >> 1) << 8) ^ text.charCodeAt(last), 0x9e3779b1);
  const slot = hash >>> (32 - INTERN_BITS);
  const cached = interned[slot]!;
  if (cached.length === length) {
    let k = 0;
    while (k < length && cached.charCodeAt(k) === text.charCodeAt(from + k)) k++;
    if (k === length) return cached;
  }
  const value = text.slice(from, to);
  interned[slot] = value;
  return value;
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
  /** The carry holds bytes above 0x7F (or may: it is only ever over-estimated). */
  private carryHigh = false;
  /**
   * Segments read from the current chunk, in a scratch array reused from chunk to chunk: pushing
   * a few thousand segments into a fresh array copies it a dozen times as it grows.
   */
  private pending: Segment[] = [];
  private pendingLength = 0;
  /** Off when resuming: text read again (HeldSegments) keeps the delimiters it was read with. */
  private readsHeaders = true;
  /** Segment objects to point at each batch's segments in turn, rather than make new ones (see resuming). */
  private reused: TokenizedSegment[] | undefined;

  /**
   * A scanner that reads on from the middle of an interchange whose delimiters are known: its
   * segments are numbered from `index` and placed from `offset`, and an ISA among them is taken
   * as any other segment rather than as a header that changes the delimiters.
   *
   * Given `reused` (an array the caller keeps, empty at first), the k-th segment of every batch is
   * the same object, pointed at the new text: a batch's segments are then valid only until the next
   * batch is read. Text read again at once by a reader that keeps no segment allocates little more
   * than the text that way: a segment object is most of what tokenizing allocates.
   */
  static resuming(delimiters: Delimiters, index: number, offset: number, reused?: Segment[]): SegmentScanner {
    const scanner = new SegmentScanner();
    scanner.current = delimiters;
    scanner.started = true;
    scanner.readsHeaders = false;
    scanner.count = index - 1;
    scanner.base = offset;
    scanner.reused = reused as TokenizedSegment[] | undefined;
    return scanner;
  }

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

  /**
   * Feeds a chunk of latin1 text (one character per byte); complete segments are pushed to `out`.
   * `highBytes`, when the caller knows it, says whether the chunk has bytes above 0x7F.
   */
  feedLatin1(chunk: string, final: boolean, out: Segment[], highBytes?: boolean): void {
    try {
      this.scan(chunk, final, highBytes ?? HIGH_BYTES.test(chunk));
    } finally {
      // Segments read before an error are still delivered, as they always were.
      const pending = this.pending;
      for (let i = 0; i < this.pendingLength; i++) out.push(pending[i]!);
      this.pendingLength = 0;
    }
  }

  /** Feeds a Buffer/Uint8Array chunk. */
  feedBytes(chunk: Uint8Array, final: boolean, out: Segment[]): void {
    const [text, highBytes] = latin1(chunk);
    this.feedLatin1(text, final, out, highBytes);
  }

  /** Feeds a JavaScript (UTF-16) string chunk. */
  feedText(chunk: string, final: boolean, out: Segment[]): void {
    const [text, highBytes] = latin1Text(chunk);
    this.feedLatin1(text, final, out, highBytes);
  }

  /** Ends the input: a last segment without its terminator is still delivered. */
  finish(out: Segment[]): void {
    this.feedLatin1('', true, out);
  }

  /** Reads a chunk of bytes (the end of the input when `final`); its segments come back in a new array sized exactly. */
  readBytes(chunk: Uint8Array, final: boolean): Segment[] {
    const [text, highBytes] = latin1(chunk);
    return this.read(text, final, highBytes);
  }

  /** Reads a chunk of latin1 text whose `highBytes` the caller knows, as `readBytes`. */
  readLatin1(chunk: string, final: boolean, highBytes: boolean): Segment[] {
    return this.read(chunk, final, highBytes);
  }

  /** Reads a string chunk (the end of the input when `final`), as `readBytes`. */
  readText(chunk: string, final: boolean): Segment[] {
    const [text, highBytes] = latin1Text(chunk);
    return this.read(text, final, highBytes);
  }

  /**
   * Reads a whole input at once and hands over the scratch array itself, trimmed, rather than a copy
   * of it: for a scanner that reads nothing after it (parseSegments).
   */
  readWhole(chunk: Uint8Array | string): Segment[] {
    const [text, highBytes] = typeof chunk === 'string' ? latin1Text(chunk) : latin1(chunk);
    this.scan(text, true, highBytes);
    const segments = this.pending;
    segments.length = this.pendingLength;
    this.pending = [];
    this.pendingLength = 0;
    return segments;
  }

  private read(text: string, final: boolean, highBytes: boolean): Segment[] {
    try {
      this.scan(text, final, highBytes);
      return this.pending.slice(0, this.pendingLength);
    } finally {
      this.pendingLength = 0;
    }
  }

  private scan(chunk: string, final: boolean, chunkHigh: boolean): void {
    let text = chunk;
    let fixUtf8 = chunkHigh;
    let pos = 0;
    if (this.carry.length > 0) {
      // Complete the carried segment with just the head of the chunk, then read the rest of the
      // chunk where it is: carry + chunk would copy the whole chunk to join them, and segments
      // read from a slice of it would be slower to read from.
      const cut = this.current === undefined || final ? 0 : chunk.indexOf(this.current.segment) + 1;
      if (cut > 0 && cut < chunk.length) {
        this.scan(chunk.slice(0, cut), false, chunkHigh);
        if (this.carry.length === 0) {
          this.base -= cut;
          pos = cut;
        } else {
          // The head did not complete it (an ISA header needs its 106 characters at once).
          text = this.carry + chunk.slice(cut);
          fixUtf8 ||= this.carryHigh;
        }
      } else {
        text = this.carry + chunk;
        fixUtf8 ||= this.carryHigh;
      }
    }
    if (!this.started) {
      if (text.length < 3 + 3 && !final) {
        this.carry = text;
        this.carryHigh = fixUtf8;
        return;
      }
      // A UTF-8 byte order mark and leading blank lines are framing, not content.
      if (text.startsWith('\xef\xbb\xbf')) pos = 3;
      pos = skipBlanks(text, pos);
      if (!text.startsWith('ISA', pos)) {
        if (pos >= text.length) {
          if (final) throw new InputError('not an X12 interchange: the file is empty', [{ path: '/', message: 'empty file' }]);
          this.carry = '';
          this.carryHigh = false;
          this.base += pos;
          return;
        }
        readDelimiters(text.slice(pos, pos + 3));
      }
      this.started = true;
    }
    // A chunk may end between a terminator and its line break.
    pos = skipBlanks(text, pos);
    let delimiters = this.current;
    let term = delimiters?.segment ?? '~';
    let element = delimiters?.element ?? '*';
    let separator = element.charCodeAt(0);
    const length = text.length;
    while (pos < length) {
      if (text.charCodeAt(pos) === 73 && text.charCodeAt(pos + 1) === 83 && text.charCodeAt(pos + 2) === 65 && this.readsHeaders) {
        if (length - pos < ISA_LENGTH + 2 && !final) break;
        delimiters = readDelimiters(text.slice(pos, pos + ISA_LENGTH + 2), {
          segmentIndex: this.count + 1,
          offset: this.base + pos,
        });
        this.current = delimiters;
        term = delimiters.segment;
        element = delimiters.element;
        separator = element.charCodeAt(0);
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
      if (stop > pos) {
        // The id ends at the first element separator: two or three characters in, as a rule.
        const c0 = text.charCodeAt(pos);
        const c1 = text.charCodeAt(pos + 1);
        const c2 = text.charCodeAt(pos + 2);
        let idEnd: number;
        if (c0 !== separator && c1 !== separator && pos + 2 <= stop && (c2 === separator || pos + 2 === stop)) idEnd = pos + 2;
        else if (c0 !== separator && c1 !== separator && c2 !== separator && pos + 3 < stop && text.charCodeAt(pos + 3) === separator) idEnd = pos + 3;
        else {
          idEnd = text.indexOf(element, pos);
          if (idEnd === -1 || idEnd > stop) idEnd = stop;
        }
        const id = segmentId(text, pos, idEnd);
        this.pending[this.pendingLength++] =
          this.reused !== undefined
            ? this.reuse(fixUtf8, id, this.base + pos, delimiters!, text, idEnd)
            : newSegment(fixUtf8, id, ++this.count, this.base + pos, delimiters!, text, idEnd);
      }
      // Line breaks after a terminator are framing.
      pos = skipBlanks(text, next);
    }
    this.base += pos;
    this.carry = pos === 0 ? text : text.slice(pos);
    this.carryHigh = fixUtf8;
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

  /** The batch's next segment in the object the previous batches had there, when it is of the right class. */
  private reuse(fixUtf8: boolean, id: string, offset: number, delimiters: Delimiters, text: string, idEnd: number): TokenizedSegment {
    const reused = this.reused!;
    const at = this.pendingLength;
    const segment = reused[at];
    if (segment !== undefined && (segment instanceof Utf8Segment) === fixUtf8) {
      repoint(segment, id, ++this.count, offset, delimiters, text, idEnd);
      return segment;
    }
    const made = newSegment(fixUtf8, id, ++this.count, offset, delimiters, text, idEnd);
    reused[at] = made;
    return made;
  }
}

/** A segment of the class its chunk calls for: decoding its elements from UTF-8, or not. */
function newSegment(fixUtf8: boolean, id: string, index: number, offset: number, delimiters: Delimiters, text: string, idEnd: number): TokenizedSegment {
  return fixUtf8 ? new Utf8Segment(id, index, offset, delimiters, text, idEnd) : new TokenizedSegment(id, index, offset, delimiters, text, idEnd);
}

/** The segment id from its 2 or 3 characters (or more, rarely), one string per id. */
function segmentId(text: string, start: number, end: number): string {
  const length = end - start;
  if (length !== 2 && length !== 3) return text.slice(start, end);
  const key = (length << 24) | (text.charCodeAt(start) << 16) | (text.charCodeAt(start + 1) << 8) | (length === 3 ? text.charCodeAt(start + 2) : 0);
  // Two slots per id (a pair), so that two ids of one file that hash alike do not evict each other
  // on every segment. A key is never 0 (its length is in it), the mark of an empty slot.
  const slot = Math.imul(key, 0x9e3779b1) >>> ID_SHIFT;
  if (idKeys[slot] === key) return idStrings[slot]!;
  const pair = slot ^ 1;
  if (idKeys[pair] === key) return idStrings[pair]!;
  const id = internalized(text.slice(start, end));
  const into = idKeys[slot] === 0 || idKeys[pair] !== 0 ? slot : pair;
  idKeys[into] = key;
  idStrings[into] = id;
  return id;
}

/**
 * The engine's one copy of a string (the one a property name or a literal has): mappers compare
 * segment ids with literals (`switch (segment.id)`, `=== 'SE'`) a dozen times per segment, and
 * two such strings compare by identity rather than character by character.
 */
function internalized(value: string): string {
  return Object.keys({ [value]: 0 })[0]!;
}

/** Bytes as latin1 text (one character per byte), and whether any is above 0x7F. */
function latin1(chunk: Uint8Array): [string, boolean] {
  const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  // Checking the bytes is much cheaper than running a regular expression over the text.
  return [buffer.toString('latin1'), !isAscii(buffer)];
}

/** A JavaScript string as the scanner's latin1 text (its UTF-8 bytes, one character each), and whether any is above 0x7F. */
function latin1Text(chunk: string): [string, boolean] {
  const nonAscii = NON_ASCII.test(chunk);
  return [nonAscii ? Buffer.from(chunk, 'utf8').toString('latin1') : chunk, nonAscii];
}

/**
 * Past any line breaks from `pos`. Never reads past the end of the text: a read out of bounds (NaN)
 * at the end of each chunk would throw the scanner's optimized code away, and a small file ends
 * its only chunk on every call.
 */
function skipBlanks(text: string, pos: number): number {
  const length = text.length;
  while (pos < length) {
    const code = text.charCodeAt(pos);
    if (code !== LF && code !== CR) break;
    pos++;
  }
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
      const batch = scanner.readText(chunk, false);
      if (batch.length > 0) yield batch;
      continue;
    }
    // Batches of a few thousand segments die young; a megabyte's worth outlives the nursery and
    // makes the garbage collector the bottleneck.
    for (let start = 0; start < chunk.byteLength; start += BATCH_BYTES) {
      const batch = scanner.readBytes(chunk.subarray(start, start + BATCH_BYTES), false);
      if (batch.length > 0) yield batch;
    }
  }
  const batch = scanner.readText('', true);
  if (batch.length > 0) yield batch;
}

/** Reads segments one by one from a stream or any async iterable of chunks, in bounded memory. */
export async function* readSegments(source: SegmentSource): AsyncGenerator<Segment> {
  for await (const batch of readSegmentBatches(source)) yield* batch;
}

/** Parses a whole interchange held in memory. */
export function parseSegments(text: string | Uint8Array): Segment[] {
  return new SegmentScanner().readWhole(text);
}

/**
 * An element read as a number, the same as `Number(element(segment, position))` (so '' is 0), but
 * amounts and counts of the usual form are read from the segment's text without a string made
 * for them first: they are most of the elements a remittance has.
 */
export function elementNumber(segment: Segment, position: number): number {
  if (segment instanceof TokenizedSegment) {
    const value = segment.decimalAt(position);
    if (!Number.isNaN(value)) return value;
  }
  return Number(element(segment, position));
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

/** How many elements a segment has (`CAS*CO*45*30` has 3), without decoding them on a tokenizer segment. */
export function elementCount(segment: Segment): number {
  return segment instanceof TokenizedSegment ? segment.elementCount : segment.elements.length;
}

/**
 * An element by its X12 position (1-based, as in `CLP04`); '' when absent. On a segment from the
 * tokenizer only that element is decoded, so mappers reading a few elements each of many segments
 * never split the rest.
 */
export function element(segment: Segment, position: number): string {
  return segment instanceof TokenizedSegment ? segment.elementAt(position) : (segment.elements[position - 1] ?? '');
}
