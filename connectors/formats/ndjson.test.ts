import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../core/errors.js';
import { readNdjson, type NdjsonRecord } from './ndjson.js';

async function collect(iterable: AsyncIterable<NdjsonRecord>): Promise<NdjsonRecord[]> {
  const records: NdjsonRecord[] = [];
  for await (const record of iterable) records.push(record);
  return records;
}

// A FHIR bulk export of Patient resources (synthetic people), as an EHR writes it, with one line
// truncated by a failed transfer.
const patients = [
  { resourceType: 'Patient', id: 'pat-001', name: [{ family: 'Testperson', given: ['Ana'] }], birthDate: '1980-02-14' },
  { resourceType: 'Patient', id: 'pat-002', name: [{ family: 'Sampleton', given: ['Ben'] }], birthDate: '1975-11-03' },
  { resourceType: 'Patient', id: 'pat-003', name: [{ family: 'Placeholder', given: ['Cy'] }], birthDate: '2001-06-30' },
];
const exportFile = [
  JSON.stringify(patients[0]),
  '{"resourceType":"Patient","id":"pat-bad","name":[{"family":"Trunc',
  '',
  JSON.stringify(patients[1]),
  '   ',
  JSON.stringify(patients[2]),
].join('\r\n');

function chunked(content: string | Buffer, size: number): Readable {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  const parts: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) parts.push(bytes.subarray(offset, offset + size));
  return Readable.from(parts);
}

describe('readNdjson', () => {
  it('reads a FHIR bulk export, reporting the broken line and carrying on', async () => {
    const records = await collect(readNdjson(chunked(exportFile, 13)));
    expect(records).toEqual([
      { line: 1, value: patients[0] },
      { line: 2, error: expect.stringMatching(/JSON/) },
      { line: 4, value: patients[1] },
      { line: 6, value: patients[2] },
    ]);
  });

  it('never quotes the broken line in its reason: a patient file line may be PHI', async () => {
    const records = await collect(readNdjson(Readable.from(['Calder, Wren 1987-02-11\n', '{"name": "Wren" "dob": 1}\n'])));
    expect(records).toEqual([
      { line: 1, error: expect.stringMatching(/^not valid JSON/) },
      { line: 2, error: expect.stringMatching(/^not valid JSON \(at character \d+\)$/) },
    ]);
    expect(JSON.stringify(records)).not.toMatch(/Calder|Wren/);
  });

  it('gives the same records whatever the chunking, including multi-byte characters split across chunks', async () => {
    const content = `\uFEFF{"name":"José Müller-Ñúñez 日本"}\n{"n":2}\n`;
    const oneChunk = await collect(readNdjson(Readable.from([Buffer.from(content)])));
    const byteByByte = await collect(readNdjson(chunked(content, 1)));
    expect(oneChunk).toEqual([
      { line: 1, value: { name: 'José Müller-Ñúñez 日本' } },
      { line: 2, value: { n: 2 } },
    ]);
    expect(byteByByte).toEqual(oneChunk);
  });

  it('reads a last line without a trailing newline, and string chunks', async () => {
    const records = await collect(readNdjson(Readable.from(['{"a":1}\n{"a"', ':2}'])));
    expect(records).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 2, value: { a: 2 } },
    ]);
  });

  it('reports a line longer than maxLineBytes without holding it, and reads on', async () => {
    const long = JSON.stringify({ note: 'x'.repeat(5_000) });
    const records = await collect(readNdjson(chunked(`{"a":1}\n${long}\n{"a":3}\n${long}`, 512), { maxLineBytes: 1_000 }));
    expect(records).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 2, error: 'line is longer than 1000 bytes' },
      { line: 3, value: { a: 3 } },
      { line: 4, error: 'line is longer than 1000 bytes' },
    ]);
  });

  it('streams 50,000 lines without reading far ahead of its consumer', async () => {
    const total = 50_000;
    let produced = 0;
    let furthestAhead = 0;
    let consumed = 0;
    const source = Readable.from(
      (function* () {
        // 100 lines per chunk, produced only when the reader asks for more.
        for (let start = 1; start <= total; start += 100) {
          let chunk = '';
          for (let id = start; id < start + 100; id++) {
            chunk += `${JSON.stringify({ resourceType: 'Encounter', id: `enc-${id}`, status: 'finished' })}\n`;
          }
          produced += 100;
          yield chunk;
        }
      })(),
    );

    let lastId = '';
    for await (const record of readNdjson(source)) {
      consumed++;
      furthestAhead = Math.max(furthestAhead, produced - consumed);
      lastId = (record.value as { id: string }).id;
    }

    expect(consumed).toBe(total);
    expect(lastId).toBe(`enc-${total}`);
    // Readable.from buffers a handful of chunks; the whole file is 500 of them.
    expect(furthestAhead).toBeLessThan(5_000);
  });

  it('stops reading the source when the consumer stops early', async () => {
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 1_000_000; i++) yield `{"i":${i}}\n`;
      })(),
    );
    for await (const record of readNdjson(source)) {
      if (record.line === 10) break;
    }
    expect(source.destroyed).toBe(true);
  });

  it('refuses a maxLineBytes that is not a positive integer', async () => {
    await expect(collect(readNdjson(Readable.from([]), { maxLineBytes: 0 }))).rejects.toThrow(ConfigurationError);
    await expect(collect(readNdjson(Readable.from([]), { maxLineBytes: 0 }))).rejects.toThrow(/maxLineBytes/);
  });
});
