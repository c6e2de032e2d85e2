/**
 * Segments held as their bytes, off the JavaScript heap, to be read again later. A mapper that
 * cannot finish its record before the end of a transaction set (an 835 payment of thousands of
 * claims) would otherwise keep thousands of objects alive for as long as the set takes to read:
 * long enough for them to outlive the young generation and be copied into the old one, which then
 * grows to several times what is live before it is collected. Held as bytes, a set costs a buffer
 * that is reused from set to set; read again at its end, its objects are made in one burst and
 * can die young.
 */
import type { Delimiters } from './delimiters.js';
import { decodesUtf8, SegmentScanner, segmentStart, segmentText, type Segment } from './tokenizer.js';

/** Held bytes are read back in pieces of about this size, so that each piece's text dies young. */
const PIECE_BYTES = 64 * 1024;
const INITIAL_BYTES = 64 * 1024;
/** A buffer grown past this for one large set is let go by clear() rather than kept for the next. */
const KEPT_BYTES = 8 * 1024 * 1024;

/**
 * A stretch of the buffer that reads back as consecutive segments of one interchange (it ends where
 * the next run starts), or a segment kept as it is because it has no text to copy.
 */
interface Run {
  start: number;
  /** Byte offset in the file of the run's first byte, and index of its first segment. */
  offset: number;
  index: number;
  delimiters: Delimiters;
  /** Read back as the tokenizer read the original: decoding elements from UTF-8, or not. */
  utf8: boolean;
  kept: Segment | undefined;
}

/**
 * Holds segments as the bytes they were read from and gives them back, in the same order, as
 * segments with the same id, elements, index, offset and delimiters object. Segments that still
 * lie in the tokenizer's text are copied out of it, each stretch of consecutive ones in one write;
 * others (built by hand, or whose elements were split) are kept as they are. Nothing is
 * read as a header on the way back: an ISA held among the others comes back as a segment like
 * them, with the delimiters it had. Holding while a replay is under way is not supported.
 */
export class HeldSegments {
  #bytes: Buffer = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  #length = 0;
  #runs: Run[] = [];
  /**
   * The stretch of tokenizer text being gathered, not yet copied: from `#from` (file offset
   * `#offset`, segment `#firstIndex`) to the end of segment `#lastIndex`, whose id ends at `#lastIdEnd`.
   */
  #text: string | undefined;
  #from = 0;
  #offset = 0;
  #firstIndex = 0;
  #lastIndex = 0;
  #lastIdEnd = 0;
  #delimiters: Delimiters | undefined;
  #utf8 = false;
  /** The segment objects replays that reuse them point at each batch's segments in turn. */
  readonly #reused: Segment[] = [];

  /** Bytes held so far (segments still being gathered from the current text not included). */
  get byteLength(): number {
    return this.#length;
  }

  /** Holds a segment after those held before it. */
  hold(segment: Segment): void {
    const text = segmentText(segment);
    if (text === undefined) {
      // Built by hand, or its elements already split: kept as it is. Files give the tokenizer's
      // segments, which a mapper reads one element at a time and which keep their text.
      this.#flush();
      this.#runs.push({ start: this.#length, offset: segment.offset, index: segment.index, delimiters: segment.delimiters, utf8: false, kept: segment });
      return;
    }
    const start = segmentStart(segment);
    // The next segment of the same text, with nothing of the file between them left out: the
    // gathered stretch simply grows. Positions in a text and offsets in the file differ by the
    // same amount for all of the text's segments.
    if (
      text === this.#text &&
      segment.index === this.#lastIndex + 1 &&
      segment.delimiters === this.#delimiters &&
      segment.offset - this.#offset === start - this.#from
    ) {
      this.#lastIndex++;
      this.#lastIdEnd = start + segment.id.length;
      return;
    }
    this.#flush();
    this.#text = text;
    this.#from = start;
    this.#offset = segment.offset;
    this.#firstIndex = this.#lastIndex = segment.index;
    this.#lastIdEnd = start + segment.id.length;
    this.#delimiters = segment.delimiters;
    this.#utf8 = decodesUtf8(segment);
  }

  /**
   * The held segments, as they were held, in batches (one per piece of text read back). With
   * `reuseSegments`, each batch's segments are objects of the previous batch pointed at new text,
   * valid only until the next batch is asked for: for a reader that keeps none of them, a replay
   * then allocates little besides the text (and whatever the reader makes), so that what the reader
   * makes lives through as little allocation as possible and can die young.
   */
  *replayBatches(options: { reuseSegments?: boolean } = {}): Generator<Segment[]> {
    this.#flush();
    const reused = options.reuseSegments ? this.#reused : undefined;
    const runs = this.#runs;
    for (let r = 0; r < runs.length; r++) {
      const run = runs[r]!;
      if (run.kept !== undefined) {
        yield [run.kept];
        continue;
      }
      const end = r + 1 < runs.length ? runs[r + 1]!.start : this.#length;
      const scanner = SegmentScanner.resuming(run.delimiters, run.index, run.offset, reused);
      const terminator = run.delimiters.segment.charCodeAt(0);
      for (let at = run.start; at < end; ) {
        let stop = Math.min(at + PIECE_BYTES, end);
        if (stop < end) {
          // Pieces end after a terminator, so that no segment is carried from piece to piece
          // (the scanner would join them, as it does for the chunks of a stream, when one is not).
          const last = this.#bytes.subarray(at, stop).lastIndexOf(terminator);
          if (last !== -1) stop = at + last + 1;
        }
        const batch = scanner.readLatin1(this.#bytes.toString('latin1', at, stop), stop === end, run.utf8);
        at = stop;
        if (batch.length > 0) yield batch;
      }
    }
  }

  /** The held segments, one by one. */
  *replay(): Generator<Segment> {
    for (const batch of this.replayBatches()) yield* batch;
  }

  /** Forgets the held segments, keeping the buffer (unless one large set grew it far) for the next ones. */
  clear(): void {
    this.#text = undefined;
    this.#delimiters = undefined;
    this.#runs = [];
    this.#length = 0;
    if (this.#bytes.length > KEPT_BYTES) this.#bytes = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  }

  /** Copies the gathered stretch of text, through its last segment's terminator (the last of a file may have none). */
  #flush(): void {
    const text = this.#text;
    if (text === undefined) return;
    this.#text = undefined;
    const terminator = text.indexOf(this.#delimiters!.segment, this.#lastIdEnd);
    this.#runs.push({ start: this.#length, offset: this.#offset, index: this.#firstIndex, delimiters: this.#delimiters!, utf8: this.#utf8, kept: undefined });
    this.#write(text.slice(this.#from, terminator === -1 ? text.length : terminator + 1));
  }

  #write(text: string): void {
    const size = text.length;
    if (this.#length + size > this.#bytes.length) {
      const larger = Buffer.allocUnsafeSlow(Math.max(this.#bytes.length * 2, this.#length + size));
      this.#bytes.copy(larger, 0, 0, this.#length);
      this.#bytes = larger;
    }
    this.#length += this.#bytes.write(text, this.#length, size, 'latin1');
  }
}
