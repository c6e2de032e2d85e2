import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildInterchange } from './generator.js';
import { HeldSegments } from './held.js';
import { options835, remittance835Body } from './fixtures/synthetic.js';
import { element, elementCount, elementNumber, SegmentScanner, type Segment } from './tokenizer.js';

const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url));

/** Three interchanges with their own delimiters; the second and third break lines with CR LF. */
function threeInterchanges(claims: number): Buffer {
  const body = remittance835Body(claims);
  const star = buildInterchange({ ...options835(1), lineBreaks: true }, [body]);
  const pipes = buildInterchange({ ...options835(2), delimiters: { element: '|', component: '>', repetition: '!', segment: '\n' } }, [body]).replaceAll('\n', '\r\n');
  const carets = buildInterchange({ ...options835(3), delimiters: { element: '^', component: '\\', repetition: '{', segment: '~' } }, [body]).replaceAll('~', '~\r\n');
  return Buffer.from(star + pipes + carets, 'latin1');
}

/** Segments as the stream reader would deliver them, from chunks cut at the given places. */
function readAt(bytes: Buffer, cuts: number[]): Segment[] {
  const scanner = new SegmentScanner();
  const out: Segment[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...scanner.readBytes(bytes.subarray(from, cut), cut === bytes.length));
    from = cut;
  }
  return out;
}

function chunked(bytes: Buffer, size: number): Segment[] {
  const cuts: number[] = [];
  for (let at = size; at < bytes.length; at += size) cuts.push(at);
  return readAt(bytes, cuts);
}

/** Everything a replayed segment must give back as it was, read both ways (split and one at a time). */
function shape(s: Segment) {
  const count = elementCount(s);
  const read = Array.from({ length: count + 1 }, (_, k) => element(s, k + 1));
  const numbers = Array.from({ length: count }, (_, k) => elementNumber(s, k + 1));
  return { id: s.id, index: s.index, offset: s.offset, delimiters: s.delimiters, count, read, numbers, elements: [...s.elements] };
}

function held(segments: Iterable<Segment>): HeldSegments {
  const holder = new HeldSegments();
  for (const segment of segments) holder.hold(segment);
  return holder;
}

/** Replays what `input` held and compares it with `input`, and, when given, with the same file read whole. */
function expectSame(holder: HeldSegments, input: Segment[], whole?: Segment[]): void {
  const replayed = [...holder.replay()];
  expect(replayed.map(shape)).toEqual(input.map(shape));
  // The very delimiters object of each interchange, not an equal copy.
  replayed.forEach((s, i) => expect(s.delimiters).toBe(input[i]!.delimiters));
  if (whole) expect(replayed.map((s) => ({ ...shape(s), delimiters: undefined }))).toEqual(whole.map((s) => ({ ...shape(s), delimiters: undefined })));
}

describe('HeldSegments', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives back the id, elements, index, offset and delimiters of every segment held, however the input was cut', async () => {
    const bytes = threeInterchanges(3);
    const expected = chunked(bytes, bytes.length);
    const breaks = [...bytes.toString('latin1').matchAll(/\r\n/g)].map((m) => m.index!);
    const terminators = [...bytes.toString('latin1').matchAll(/~/g)].map((m) => m.index!);
    const cuts = [
      // Inside an element, in the middle of a CR LF, right after a terminator and before its line
      // break, and inside an ISA header whose delimiters are new.
      [bytes.indexOf('SYNTHETIC HEALTH PLAN') + 4],
      [breaks[5]! + 1],
      [terminators[3]! + 1],
      [bytes.indexOf('ISA', 10) + 50],
    ];
    for (let cut = 1; cut < bytes.length; cut += 37) cuts.push([cut]);
    for (const at of cuts) {
      const input = readAt(bytes, at);
      expectSame(held(input), input, expected);
    }
    for (const size of [1, 2, 3, 7, 106, 107, 4096]) {
      const input = chunked(bytes, size);
      expectSame(held(input), input, expected);
    }
    // Without line breaks, and with a last segment that lacks its terminator.
    const oneLine = Buffer.from(bytes.toString('latin1').replaceAll('\r\n', '').replace(/~$/, ''), 'latin1');
    const whole = chunked(oneLine, oneLine.length);
    expect(oneLine.toString('latin1').endsWith('~')).toBe(false);
    for (const size of [1, 5, 64, 1000]) {
      const input = chunked(oneLine, size);
      expectSame(held(input), input, whole);
    }
  });

  it('gives back segments held out of order, twice, or with others between them missing', async () => {
    const segments = chunked(await fixture('profee.edi'), 64);
    const picked = [segments[5]!, segments[6]!, segments[6]!, segments[9]!, segments[2]!, segments[40]!, segments[41]!];
    expectSame(held(picked), picked);
  });

  it('keeps segments without their text (elements split, or built by hand) as they are, between copied ones', () => {
    const bytes = threeInterchanges(2);
    const expected = chunked(bytes, bytes.length);
    const mixed = chunked(bytes, 7).map((s, i) => {
      if (i % 3 === 0) void s.elements;
      if (i % 3 === 1) return { id: s.id, elements: [...s.elements], index: s.index, offset: s.offset, delimiters: s.delimiters };
      return s;
    });
    const replayed = [...held(mixed).replay()];
    expectSame(held(mixed), mixed, expected);
    mixed.forEach((s, i) => {
      if (i % 3 !== 2) expect(replayed[i]).toBe(s);
      else expect(replayed[i]).not.toBe(s);
    });
  });

  it('reads text outside ASCII back as the tokenizer read it', () => {
    const utf8 = Buffer.from(buildInterchange(options835(1), [[['ST', '835', '0001'], ['NM1', 'QC', '1', 'NOËL', 'ZOË'], ['REF', 'EA', 'X'], ['NTE', '中文']]]), 'utf8');
    const original = chunked(utf8, utf8.length);
    // In a chunk of its own, and in one with nothing else above 0x7F.
    const bytewise = chunked(utf8, 1);
    expectSame(held(bytewise), bytewise, original);
    expectSame(held(original), original);
    expect([...held(bytewise).replay()].find((s) => s.id === 'NM1')!.elements).toEqual(['QC', '1', 'NOËL', 'ZOË']);
  });

  it('copies the segments a chunk holds in a stretch with one write, not one per segment', () => {
    const text = buildInterchange({ ...options835(1), lineBreaks: true }, [remittance835Body(2000)]);
    const bytes = Buffer.from(text, 'latin1');
    const segments = chunked(bytes, 64 * 1024);
    const write = vi.spyOn(Buffer.prototype, 'write');
    const holder = held(segments);
    void [...holder.replay()];
    const chunks = Math.ceil(bytes.length / (64 * 1024));
    expect(segments.length).toBeGreaterThan(20_000);
    // A chunk's segments lie in two texts at most: the one completing the segment carried from the
    // chunk before, and the chunk's own.
    expect(write.mock.calls.length).toBeLessThanOrEqual(2 * chunks);
    expect(holder.byteLength).toBeLessThanOrEqual(bytes.length);
    write.mockRestore();
    expectSame(holder, segments);
  });

  it('can point the same few segment objects at each batch it gives back', () => {
    const bytes = Buffer.from(buildInterchange(options835(1), [remittance835Body(1500)]), 'latin1');
    const segments = chunked(bytes, 64 * 1024);
    const holder = held(segments);
    const seen: ReturnType<typeof shape>[] = [];
    const firsts: Segment[] = [];
    for (const batch of holder.replayBatches({ reuseSegments: true })) {
      firsts.push(batch[0]!);
      for (const s of batch) seen.push(shape(s));
    }
    expect(firsts.length).toBeGreaterThan(2);
    expect(new Set(firsts).size).toBe(1);
    expect(seen).toEqual(segments.map(shape));
    // And anew each time, unless asked.
    const batches = [...holder.replayBatches()];
    expect(new Set(batches.map((b) => b[0])).size).toBe(batches.length);
  });

  it('forgets what it held on clear() and holds the next set in the same buffer', () => {
    const first = chunked(Buffer.from(buildInterchange(options835(1), [remittance835Body(200)]), 'latin1'), 4096);
    const second = chunked(Buffer.from(buildInterchange(options835(5), [remittance835Body(100, 7)]), 'latin1'), 333);
    const holder = held(first);
    expectSame(holder, first);
    holder.clear();
    expect([...holder.replay()]).toEqual([]);
    for (const segment of second) holder.hold(segment);
    expectSame(holder, second);
  });
});
