import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSegments } from '../../connectors/x12/index.js';
import { validateEntity } from '../../core/sdk/index.js';
import { mapTa1 } from './acknowledgment-ta1.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** The TA1 of a file and the ISA it arrived under, as the inbox would hand them over. */
function received(text: string) {
  const segments = parseSegments(text);
  return { ta1: segments.find((s) => s.id === 'TA1')!, envelope: { isa: segments[0] } };
}

describe('TA1 to canonical ClaimAcknowledgment', () => {
  it('maps the clearinghouse accepting the MSO’s interchange 000000001 to one accepted acknowledgment of the whole file', () => {
    const { ta1, envelope } = received(fixture('acknowledgment-ta1-accepted.edi'));
    const result = mapTa1(ta1, envelope);
    expect(result).toEqual({
      kind: 'TA1',
      problems: [],
      records: [
        {
          entity: 'ClaimAcknowledgment',
          externalId: 'TA1|CLEARPATH|000000001',
          record: {
            schemaVersion: '1.0.0',
            source: 'TA1',
            acknowledgedBy: 'clearinghouse',
            status: 'accepted',
            // The TA1's own ISA09/ISA10, not TA102/TA103 (when the 837 was sent).
            acknowledgedAt: '2026-10-03T14:05:00Z',
            interchangeControlNumber: '000000001',
          },
        },
      ],
    });
    expect(validateEntity('ClaimAcknowledgment', result.records[0]!.record)).toEqual([]);
  });

  it('maps a rejection with its interchange note code and what it means', () => {
    const { ta1, envelope } = received(fixture('acknowledgment-ta1-rejected.edi'));
    const { records, problems } = mapTa1(ta1, envelope);
    expect(problems).toEqual([]);
    expect(records[0]!.record).toMatchObject({
      status: 'rejected',
      interchangeControlNumber: '000000001',
      errors: [{ code: '001', description: expect.stringMatching(/ISA13 and IEA02 differ/) }],
    });
    expect(validateEntity('ClaimAcknowledgment', records[0]!.record)).toEqual([]);
  });

  it('counts E (accepted, errors noted) as accepted, keeping the note', () => {
    const text = fixture('acknowledgment-ta1-rejected.edi').replace('*R*001~', '*E*021~');
    const { ta1, envelope } = received(text);
    expect(mapTa1(ta1, envelope).records[0]!.record).toMatchObject({ status: 'accepted', errors: [{ code: '021' }] });
  });

  it('keys the record by sender and acknowledged interchange, so a TA1 re-sent in a new interchange upserts it', () => {
    const first = received(fixture('acknowledgment-ta1-rejected.edi'));
    const again = received(fixture('acknowledgment-ta1-rejected.edi').replace(/000007006/g, '000007099').replace('*261003*1405*', '*261004*0800*'));
    expect(mapTa1(again.ta1, again.envelope).records.map((r) => r.externalId)).toEqual(mapTa1(first.ta1, first.envelope).records.map((r) => r.externalId));
  });

  it('reports a malformed TA1 by segment and element, without its values, and maps nothing', () => {
    const { ta1, envelope } = received(fixture('acknowledgment-ta1-rejected.edi').replace('TA1*000000001*261002*0900*R*001', 'TA1*12AB*261002*0900*X*001'));
    const { records, problems } = mapTa1(ta1, envelope);
    expect(records).toEqual([]);
    expect(problems).toEqual([
      expect.stringMatching(/^segment 2 \(TA1\) at byte 107: TA101 must be a 9-digit interchange control number$/),
      expect.stringMatching(/^segment 2 \(TA1\) at byte 107: TA104 must be A/),
    ]);
    expect(problems.join()).not.toMatch(/12AB|\bX\b/);
  });
});
