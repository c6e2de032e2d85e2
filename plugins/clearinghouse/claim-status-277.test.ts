import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildInterchange, parseSegments, transactionSets, type TransactionSetSegments } from '../../connectors/x12/index.js';
import { validateEntity } from '../../core/sdk/index.js';
import { mapClaimStatus277 } from './claim-status-277.js';

const CLAIM_ACK = readFileSync(new URL('./fixtures/claim-acknowledgment-277ca.edi', import.meta.url), 'utf8');

async function firstSet(text: string): Promise<TransactionSetSegments> {
  for await (const set of transactionSets(parseSegments(text))) return set;
  throw new Error('no transaction set');
}

describe('277CA to canonical ClaimAcknowledgment', () => {
  it('maps one acknowledgment per claim: the accepted one and the rejected one with its reasons', async () => {
    const set = await firstSet(CLAIM_ACK);
    const { kind, records, problems } = mapClaimStatus277(set.segments, set);
    expect(problems).toEqual([]);
    expect(kind).toBe('277CA');
    expect(records).toHaveLength(2);
    const [accepted, rejected] = records;
    expect(accepted).toMatchObject({
      entity: 'ClaimAcknowledgment',
      externalId: expect.stringMatching(/^277CA\|CLEARPATH\|pcn-[0-9a-f]{20}\|CPTRACE0001$/),
      record: {
        source: '277CA',
        acknowledgedBy: 'clearinghouse',
        status: 'accepted',
        acknowledgedAt: '2026-10-03T14:05:00Z',
        patientControlNumber: 'RFM-000481-01',
        payerClaimControlNumber: 'CP2610030001',
        clearinghouseTraceNumber: 'CPTRACE0001',
        totalCharge: 250,
        statusCodes: [{ category: 'A2', code: '20', entity: 'PR', effectiveDate: '2026-10-03' }],
      },
    });
    expect(accepted!.record).not.toHaveProperty('errors');
    expect(rejected).toMatchObject({
      record: {
        status: 'rejected',
        patientControlNumber: 'RFM-000502-01',
        totalCharge: 120,
        statusCodes: [
          { category: 'A7', code: '562', entity: '85' },
          { category: 'A7', code: '128', entity: 'IL' },
        ],
        errors: [
          { code: '562', entity: '85' },
          { code: '128', entity: 'IL' },
        ],
      },
    });
    // The patient control number (PHI) never appears in an external id.
    expect(records.map((r) => r.externalId).join()).not.toMatch(/RFM-/);
    for (const r of records) expect(validateEntity(r.entity, r.record)).toEqual([]);
  });

  it('says who acknowledged: the payer when loop 2100A names one (NM101 PR), keyed apart from the clearinghouse', async () => {
    const set = await firstSet(CLAIM_ACK.replace('NM1*AY*2*CLEARPATH EDI*****46*CLEARPATH', 'NM1*PR*2*SUNRISE HEALTH PLAN*****PI*SHP01'));
    const { records, problems } = mapClaimStatus277(set.segments, set);
    expect(problems).toEqual([]);
    expect(records.map((r) => r.entity === 'ClaimAcknowledgment' && r.record.acknowledgedBy)).toEqual(['payer', 'payer']);
    expect(records[0]!.externalId).toMatch(/^277CA\|SHP01\|/);
    for (const r of records) expect(validateEntity(r.entity, r.record)).toEqual([]);
  });

  it('keys claims so the same 277CA sent again upserts the same records', async () => {
    const first = await firstSet(CLAIM_ACK);
    const again = await firstSet(CLAIM_ACK.replace('CP20261003A*20261003*1405', 'CP20261004B*20261004*0900'));
    const ids = (set: TransactionSetSegments) => mapClaimStatus277(set.segments, set).records.map((r) => r.externalId);
    expect(ids(again)).toEqual(ids(first));
  });

  it('reports a claim whose STC carries no acknowledgment category, by segment, without its values', async () => {
    const set = await firstSet(CLAIM_ACK.replace('STC*A2:20:PR', 'STC*P1:20:PR'));
    const { records, problems } = mapClaimStatus277(set.segments, set);
    expect(records).toHaveLength(1);
    expect(problems).toEqual([expect.stringMatching(/^segment \d+ \(STC\): claim has no acknowledgment category/)]);
    expect(problems.join()).not.toMatch(/P1|RFM/);
  });
});

describe('277 claim status response to canonical ClaimStatus', () => {
  const options = {
    sender: { qualifier: 'ZZ', id: 'SUNRISEHP' },
    receiver: { qualifier: 'ZZ', id: 'PRAIRIEMSO' },
    gs: { sender: 'SUNRISEHP', receiver: 'PRAIRIEMSO' },
    functionalId: 'HN',
    version: '005010X212',
    usage: 'P' as const,
    date: new Date('2026-10-20T09:30:00Z'),
    controlNumbers: { next: () => 812 },
  };
  const text = buildInterchange(options, [
    [
      ['ST', '277', '', '005010X212'],
      ['BHT', '0010', '08', 'SR0001', '20261020', '0930', 'DG'],
      ['HL', '1', '', '20', '1'],
      ['NM1', 'PR', '2', 'SUNRISE HEALTH PLAN', '', '', '', '', 'PI', 'SHP01'],
      ['HL', '2', '1', '21', '1'],
      ['NM1', '41', '2', 'PRAIRIE MSO', '', '', '', '', '46', 'PRAIRIEMSO'],
      ['HL', '3', '2', '19', '1'],
      ['NM1', '1P', '2', 'RIVERSIDE FAMILY MEDICINE', '', '', '', '', 'XX', '1234567893'],
      ['HL', '4', '3', '22', '0'],
      ['NM1', 'IL', '1', 'DELGADO', 'MARISOL', '', '', '', 'MI', 'SHP884120553'],
      ['TRN', '2', 'RFM-000481-01'],
      ['STC', ['F1', '65'], '20261015', '', '250', '165', '20261014', '', '20261015', 'EFT20261015A'],
      ['REF', '1K', 'PCN0001'],
      ['DTP', '472', 'RD8', '20261002-20261002'],
    ],
  ]);

  it('maps the claim, its payer, provider, patient, status and payment', async () => {
    const set = await firstSet(text);
    const { kind, records, problems } = mapClaimStatus277(set.segments, set);
    expect(problems).toEqual([]);
    expect(kind).toBe('277');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      entity: 'ClaimStatus',
      externalId: expect.stringMatching(/^277\|SHP01\|pcn-[0-9a-f]{20}$/),
      record: {
        patientControlNumber: 'RFM-000481-01',
        payerClaimControlNumber: 'PCN0001',
        payer: { name: 'SUNRISE HEALTH PLAN', payerId: 'SHP01' },
        provider: { npi: '1234567893', name: 'RIVERSIDE FAMILY MEDICINE' },
        patient: { name: { family: 'DELGADO', given: ['MARISOL'] }, memberId: 'SHP884120553' },
        statuses: [{ category: 'F1', code: '65', effectiveDate: '2026-10-15' }],
        totalCharge: 250,
        paidAmount: 165,
        adjudicationDate: '2026-10-14',
        paymentDate: '2026-10-15',
        checkNumber: 'EFT20261015A',
        servicePeriod: { start: '2026-10-02', end: '2026-10-02' },
      },
    });
    expect(validateEntity('ClaimStatus', records[0]!.record)).toEqual([]);
  });
});
