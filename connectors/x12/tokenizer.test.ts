import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.js';
import { validateInterchange } from './envelope.js';
import { buildInterchange } from './generator.js';
import { options837, professional837Body, syntheticFile } from './fixtures/synthetic.js';
import { components, element, elementCount, elementNumber, parseSegments, readSegmentBatches, readSegments, repetitions, type Segment } from './tokenizer.js';

const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url));

async function collect(source: AsyncIterable<Segment>): Promise<Segment[]> {
  const out: Segment[] = [];
  for await (const segment of source) out.push(segment);
  return out;
}

function chunks(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) parts.push(bytes.subarray(offset, offset + size));
  return Readable.from(parts);
}

const ENVELOPE = new Set(['ISA', 'GS', 'GE', 'IEA']);

/** Elements are split on first read, so compare segments as plain data. */
const plain = (segments: Segment[]) => segments.map((s) => ({ id: s.id, elements: s.elements, index: s.index, offset: s.offset, delimiters: s.delimiters }));

/** What a segment looks like without where it was found. */
const shape = (s: Segment) => [s.id, ...s.elements];

/** Reads the tastypackets expected list (kept byte for byte, see fixtures/README.md) as plain data. */
async function expectedSegments(): Promise<Record<string, string>[]> {
  const text = (await fixture('profee.expected-segments.ts.txt')).toString('utf8');
  const start = text.indexOf('[', text.indexOf('export const finished'));
  const end = text.indexOf('\n];', start);
  return new Function(`return ${text.slice(start, end + 2)}`)() as Record<string, string>[];
}

describe('tokenizer', () => {
  it('reads the tastypackets 835 exactly as that project expects it', async () => {
    const segments = parseSegments(await fixture('profee.edi'));
    const expected = await expectedSegments();
    expect(expected).toHaveLength(69);
    // tastypackets trims padding (ISA06) and numbers elements from 1; ours stay raw, so trim to compare.
    // It also spreads components over keys `1`, `1-1`, `1-2`.
    const ours = segments.map((s) => {
      const entries: [string, string][] = [];
      s.elements.forEach((value, i) => {
        const parts = s.id === 'ISA' ? [value] : components(value, s.delimiters);
        if (parts.length <= 1) entries.push([String(i + 1), value.trim()]);
        else parts.forEach((part, k) => entries.push([k === 0 ? String(i + 1) : `${i + 1}-${k}`, part]));
      });
      return { name: s.id, ...Object.fromEntries(entries) };
    });
    expect(ours).toEqual(expected);
    expect(segments.map((s) => s.index)).toEqual(segments.map((_, i) => i + 1));
    expect(segments[1]).toMatchObject({ id: 'GS', offset: 107 });
    expect(segments[0]!.delimiters).toEqual({ element: '*', component: ':', repetition: '^', segment: '~' });
  });

  it('reads the same segments from line-broken, one-line and newline-terminated framings', async () => {
    const lines = parseSegments(await fixture('profee.edi'));
    const oneLine = parseSegments(await fixture('profee-one-line.edi'));
    const newlineTerminated = parseSegments(await fixture('multi-line-not-delimited.edi'));
    expect(oneLine.map(shape)).toEqual(lines.map(shape));
    expect(newlineTerminated.map(shape)).toEqual(lines.map(shape));
    expect(newlineTerminated[0]!.delimiters.segment).toBe('\n');
    // Offsets are where each segment starts in its own file.
    const raw = (await fixture('profee-one-line.edi')).toString('latin1');
    for (const s of oneLine) expect(raw.startsWith(s.id, s.offset)).toBe(true);
  });

  it('gives identical segments and offsets whatever the chunking, down to 1-byte chunks', async () => {
    for (const name of ['profee.edi', 'profee-one-line.edi', 'multi-line-not-delimited.edi']) {
      const bytes = await fixture(name);
      const whole = parseSegments(bytes);
      expect(plain(await collect(readSegments(chunks(bytes, 1))))).toEqual(plain(whole));
      for (let cut = 1; cut < bytes.length; cut++) {
        const two = Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]);
        const segments = await collect(readSegments(two));
        if (JSON.stringify(segments) !== JSON.stringify(whole)) {
          throw new Error(`${name}: split at byte ${cut} changed the result`);
        }
      }
    }
  });

  it('accepts string chunks as well as bytes', async () => {
    const text = (await fixture('profee.edi')).toString('utf8');
    const parts = text.match(/[\s\S]{1,13}/g)!;
    expect(plain(await collect(readSegments(Readable.from(parts))))).toEqual(plain(parseSegments(text)));
  });

  it('reads every interchange of a file with 156 ISA envelopes', async () => {
    const segments = await collect(readSegments(chunks(await fixture('profee-multiple.edi'), 4096)));
    expect(segments).toHaveLength(10764);
    expect(segments.filter((s) => s.id === 'ISA')).toHaveLength(156);
    expect(segments.filter((s) => s.id === 'CLP')).toHaveLength(156 * 3);
    const report = validateInterchange(segments);
    expect(report.problems).toEqual([]);
    expect(report.interchanges).toHaveLength(156);
  });

  it('follows each interchange to its own delimiters, CRLF line breaks included', async () => {
    const body = professional837Body(2);
    const star = buildInterchange(options837(1), [body]);
    const pipes = buildInterchange({ ...options837(2), delimiters: { element: '|', component: '>', repetition: '!', segment: '\n' } }, [body]);
    const crlf = buildInterchange({ ...options837(3), delimiters: { element: '^', component: '\\', repetition: '{', segment: '~' } }, [body]).replaceAll('~', '~\r\n');
    const segments = parseSegments(star + pipes.replaceAll('\n', '\r\n') + crlf);
    const isa = segments.filter((s) => s.id === 'ISA');
    expect(isa.map((s) => s.delimiters)).toEqual([
      { element: '*', component: ':', repetition: '^', segment: '~' },
      { element: '|', component: '>', repetition: '!', segment: '\n' },
      { element: '^', component: '\\', repetition: '{', segment: '~' },
    ]);
    expect(validateInterchange(segments).problems).toEqual([]);
    const sv1 = segments.filter((s) => s.id === 'SV1');
    expect(sv1.map((s) => components(s.elements[0], s.delimiters))).toEqual(Array(12).fill(null).map((_, i) => ['HC', i % 2 ? '85025' : '99213']));
    // Contents do not depend on the delimiters used.
    const perInterchange = segments.length / 3;
    expect(segments.slice(perInterchange, 2 * perInterchange).filter((s) => !ENVELOPE.has(s.id)).map((s) => s.elements.join(','))).toEqual(
      segments.slice(0, perInterchange).filter((s) => !ENVELOPE.has(s.id)).map((s) => s.elements.join(',').replaceAll(':', '>')),
    );
  });

  it('gives the same segments however a stream is cut: inside an ISA header, an element, a CR LF, or right at a terminator', async () => {
    // Three interchanges, each with its own delimiters; the second and third break lines with CR LF.
    const body = professional837Body(2);
    const star = buildInterchange(options837(1), [body]);
    const pipes = buildInterchange({ ...options837(2), delimiters: { element: '|', component: '>', repetition: '!', segment: '\n' } }, [body]).replaceAll('\n', '\r\n');
    const carets = buildInterchange({ ...options837(3), delimiters: { element: '^', component: '\\', repetition: '{', segment: '~' } }, [body]).replaceAll('~', '~\r\n');
    const bytes = Buffer.from(star + pipes + carets, 'latin1');
    const whole = plain(parseSegments(bytes));
    const inElement = bytes.indexOf('SYNTHETIC HEALTH PLAN') + 4;
    const atTerminator = bytes.indexOf('~', bytes.indexOf('BHT'));
    const insideCrLf = bytes.indexOf('\r\n') + 1;
    const insideSecondIsa = star.length + 50;
    for (const cut of [inElement, atTerminator, atTerminator + 1, insideCrLf, insideSecondIsa]) {
      const two = Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(plain(await collect(readSegments(two)))).toEqual(whole);
    }
    // Every cut around the two places where the delimiters change: the end of one interchange and
    // the whole ISA header of the next.
    for (const boundary of [star.length, star.length + pipes.length]) {
      for (let cut = boundary - 60; cut < boundary + 160; cut++) {
        const segments = plain(await collect(readSegments(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]))));
        if (JSON.stringify(segments) !== JSON.stringify(whole)) throw new Error(`split at byte ${cut} changed the result`);
      }
    }
    for (const size of [1, 2, 3, 7, 106, 107, 108]) expect(plain(await collect(readSegments(chunks(bytes, size))))).toEqual(whole);
  });

  it('reads one element at a time exactly as the split elements read', async () => {
    for (const name of ['profee.edi', 'multi-line-not-delimited.edi']) {
      const bytes = await fixture(name);
      const split = parseSegments(bytes).map((s) => s.elements);
      // A fresh parse, so that element() reads each value straight from the text.
      const one = parseSegments(bytes);
      one.forEach((segment, i) => {
        expect(elementCount(segment)).toBe(split[i]!.length);
        for (let position = -1; position <= split[i]!.length + 2; position++) {
          expect(element(segment, position)).toBe(split[i]![position - 1] ?? '');
        }
        expect(element(segment, 1.5)).toBe('');
      });
      expect(one.map((s) => s.elements)).toEqual(split);
    }
    // A segment whose elements were replaced reads the new ones.
    const [isa] = parseSegments((await fixture('profee.edi')).subarray(0, 108));
    isa!.elements = ['X', 'Y'];
    expect(element(isa!, 2)).toBe('Y');
  });

  it('keeps empty elements, and a segment that ends right after a separator has none', () => {
    const isa = buildInterchange(options837(1), []).split('~')[0]!;
    const [, lx, empty, bare, , trailing] = parseSegments(`${isa}~LX*~LX**~LX~NTE*~NTE*A**~`);
    expect([lx, empty, bare, trailing].map((s) => s!.elements)).toEqual([[], ['', ''], [], ['A', '', '']]);
    expect([element(lx!, 1), element(empty!, 2), element(trailing!, 3)]).toEqual(['', '', '']);
    expect([lx, empty, bare, trailing].map((s) => elementCount(s!))).toEqual([0, 2, 0, 3]);
  });

  it('reads amounts and counts as numbers exactly as Number() reads the element', () => {
    const values = ['120.00', '80', '-0.00', '0', '.5', '5.', '-12.75', '007', '123456789012345', '1234567890123456', '1e3', '', ' 12', '+3', '0x10', '-', '.', '1.2.3', 'N/A'];
    const isa = buildInterchange(options837(1), []).split('~')[0]!;
    const [, amt] = parseSegments(`${isa}~AMT*${values.join('*')}~`);
    values.forEach((value, i) => expect(Object.is(elementNumber(amt!, i + 1), Number(value))).toBe(true));
    expect(elementNumber(amt!, values.length + 1)).toBe(0);
  });

  it('splits components and repetitions', () => {
    const d = { element: '*', component: ':', repetition: '^', segment: '~' };
    expect(components('HC:99213:25', d)).toEqual(['HC', '99213', '25']);
    expect(components('', d)).toEqual([]);
    expect(repetitions('30^42^45', d)).toEqual(['30', '42', '45']);
    expect(repetitions('30', { ...d, repetition: undefined })).toEqual(['30']);
  });

  it('decodes UTF-8 even when a character straddles two chunks, and counts offsets in bytes', async () => {
    const text = buildInterchange(options837(1), [[['ST', '837', '', '005010X222A1'], ['NTE', 'ADD', 'CAFÉ NOËL'], ['REF', 'EA', 'X']]]);
    const bytes = Buffer.from(text, 'utf8');
    const streamed = await collect(readSegments(chunks(bytes, 1)));
    expect(streamed.find((s) => s.id === 'NTE')!.elements).toEqual(['ADD', 'CAFÉ NOËL']);
    const ref = streamed.find((s) => s.id === 'REF')!;
    expect(bytes.subarray(ref.offset, ref.offset + 3).toString()).toBe('REF');
    expect(plain(parseSegments(text))).toEqual(plain(streamed));
  });

  it('says clearly when a file is not X12, quoting no more than its first 3 bytes', async () => {
    const notX12 = 'PATIENT,DOB\nWren Calder,1990-01-01\n';
    expect(() => parseSegments(notX12)).toThrowError(InputError);
    expect(() => parseSegments(notX12)).toThrowError(/^not an X12 interchange: it starts with "PAT", not ISA$/);
    await expect(collect(readSegments(chunks(Buffer.from(notX12), 1)))).rejects.toThrowError(/^not an X12 interchange/);
    expect(() => parseSegments('')).toThrowError('not an X12 interchange: the file is empty');
    expect(() => parseSegments(Buffer.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31]))).toThrowError(/starts with "%PD"/);
    expect(() => parseSegments('ISA*00*short~')).toThrowError(/segment 1 \(ISA\) at byte 0: the ISA header is not 106 characters/);
  });

  describe('a 50 MB file through the stream', () => {
    let dir: string | undefined;
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('counts every segment while holding one chunk at a time', async () => {
      dir = await mkdtemp(join(tmpdir(), 'x12-stream-'));
      const file = join(dir, 'big.835');
      const out = createWriteStream(file);
      let written = 0;
      const claims = 170_000;
      for (const interchange of syntheticFile('835', claims, 5000)) {
        written += Buffer.byteLength(interchange);
        if (!out.write(interchange)) await once(out, 'drain');
      }
      out.end();
      await finished(out);
      expect((await stat(file)).size).toBe(written);
      expect(written).toBeGreaterThan(50 * 1024 * 1024);

      let segments = 0;
      let claimCount = 0;
      let largestBatch = 0;
      let last: Segment | undefined;
      for await (const batch of readSegmentBatches(createReadStream(file, { highWaterMark: 256 * 1024 }))) {
        largestBatch = Math.max(largestBatch, batch.length);
        segments += batch.length;
        for (const s of batch) if (s.id === 'CLP') claimCount++;
        last = batch[batch.length - 1];
      }
      const interchanges = claims / 5000;
      // Per set: ST BPR TRN DTM N1 N3 N4 PER N1 LX, 12 per claim, PLB SE; per interchange ISA GS GE IEA.
      expect(segments).toBe(interchanges * (10 + 12 * 5000 + 2 + 4));
      expect(claimCount).toBe(claims);
      expect(last).toMatchObject({ id: 'IEA', index: segments });
      // A 256 KiB chunk holds a few thousand segments: nothing accumulates across chunks.
      expect(largestBatch).toBeLessThan(20_000);
    });
  });
});
