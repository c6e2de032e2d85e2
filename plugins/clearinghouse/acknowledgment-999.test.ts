import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSegments, transactionSets, type TransactionSetSegments } from '../../connectors/x12/index.js';
import { validateEntity } from '../../core/sdk/index.js';
import { mapAcknowledgment999 } from './acknowledgment-999.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

async function firstSet(text: string): Promise<TransactionSetSegments> {
  for await (const set of transactionSets(parseSegments(text))) return set;
  throw new Error('no transaction set');
}

describe('999 to canonical ClaimAcknowledgment', () => {
  it('maps an accepted 837 set to one accepted acknowledgment, keyed by sender and acknowledged control numbers', async () => {
    const set = await firstSet(fixture('acknowledgment-999-accepted.edi'));
    const { records, problems } = mapAcknowledgment999(set.segments, set);
    expect(problems).toEqual([]);
    expect(records).toEqual([
      {
        externalId: '999|CLEARPATH|HC|1001|837|0001',
        record: {
          schemaVersion: '1.0.0',
          source: '999',
          acknowledgedBy: 'clearinghouse',
          status: 'accepted',
          acknowledgedAt: '2026-10-03T14:05:00Z',
          groupControlNumber: '1001',
          transactionSetControlNumber: '0001',
        },
      },
    ]);
    expect(validateEntity('ClaimAcknowledgment', records[0]!.record)).toEqual([]);
  });

  it('maps a partially accepted group: one record per set, the rejected one with its IK3/IK4/IK5 errors', async () => {
    const set = await firstSet(fixture('acknowledgment-999-partial.edi'));
    const { records, problems } = mapAcknowledgment999(set.segments, set);
    expect(problems).toEqual([]);
    expect(records.map((r) => [r.externalId, r.record.status])).toEqual([
      ['999|CLEARPATH|HC|1002|837|0001', 'accepted'],
      ['999|CLEARPATH|HC|1002|837|0002', 'rejected'],
    ]);
    expect(records[1]!.record.errors).toEqual([
      { segmentId: 'NM1', segmentPosition: 8, loopId: '2010BA', code: '8', description: 'Segment has data element errors (business unit CLM01)' },
      { segmentId: 'NM1', segmentPosition: 8, loopId: '2010BA', code: '4', elementPosition: 9, description: 'Data element too short (business unit CLM01)' },
      { code: '5', description: 'One or more segments in error' },
    ]);
    expect(records.map((r) => r.record.acknowledgedBy)).toEqual(['clearinghouse', 'clearinghouse']);
    // The business unit's value (a patient control number) is not copied into a description.
    expect(JSON.stringify(records)).not.toContain('RFM-000502-01');
    for (const { record } of records) expect(validateEntity('ClaimAcknowledgment', record)).toEqual([]);
  });

  it('gives the same external ids when the same 999 arrives again, so it upserts', async () => {
    const text = fixture('acknowledgment-999-partial.edi');
    const first = await firstSet(text);
    const again = await firstSet(text.replace(/000007002/g, '000007009').replace(/\*7002\*/g, '*7009*').replace('GE*1*7002', 'GE*1*7009'));
    expect(mapAcknowledgment999(again.segments, again).records.map((r) => r.externalId)).toEqual(
      mapAcknowledgment999(first.segments, first).records.map((r) => r.externalId),
    );
  });

  it('maps a group rejected without naming a set from AK9, with its group error codes', async () => {
    const text = fixture('acknowledgment-999-accepted.edi').replace(/AK2\*[^~]*~\n?IK5\*A~\n?/, '').replace('AK9*A*1*1*1', 'AK9*R*1*1*0*4').replace('SE*5*', 'SE*3*');
    const set = await firstSet(text);
    const { records, problems } = mapAcknowledgment999(set.segments, set);
    expect(problems).toEqual([]);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ externalId: '999|CLEARPATH|HC|1001', record: { status: 'rejected', errors: [{ code: '4' }] } });
    expect(validateEntity('ClaimAcknowledgment', records[0]!.record)).toEqual([]);
  });

  it('says what is missing, by segment, when a set has no acknowledgment code', async () => {
    const text = fixture('acknowledgment-999-accepted.edi').replace('IK5*A', 'IK5*Q');
    const set = await firstSet(text);
    const { records, problems } = mapAcknowledgment999(set.segments, set);
    expect(records).toEqual([]);
    expect(problems).toEqual([expect.stringMatching(/^segment \d+ \(IK5\): no acknowledgment code/)]);
  });
});
