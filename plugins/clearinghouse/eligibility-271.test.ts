import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildInterchange, parseSegments, transactionSets, type ElementValue, type TransactionSetSegments } from '../../connectors/x12/index.js';
import { validateEntity } from '../../core/sdk/index.js';
import { mapEligibility271 } from './eligibility-271.js';
import { x12Mappers } from './mappers.js';

const ELIGIBILITY = readFileSync(new URL('./fixtures/eligibility-271.edi', import.meta.url), 'utf8');

async function firstSet(text: string): Promise<TransactionSetSegments> {
  for await (const set of transactionSets(parseSegments(text))) return set;
  throw new Error('no transaction set');
}

function interchange(body: ElementValue[][]): string {
  let n = 8001;
  return buildInterchange(
    {
      sender: { qualifier: 'ZZ', id: 'CLEARPATH' },
      receiver: { qualifier: 'ZZ', id: 'PRAIRIEMSO' },
      gs: { sender: 'CLEARPATH', receiver: 'PRAIRIEMSO' },
      functionalId: 'HB',
      version: '005010X279A1',
      usage: 'T',
      date: new Date('2026-10-04T09:00:00Z'),
      controlNumbers: { next: () => n++ },
    },
    [body],
  );
}

describe('271 to canonical EligibilityCheck', () => {
  it('maps the active subscriber with her benefits and the inactive dependent', async () => {
    const set = await firstSet(ELIGIBILITY);
    const { kind, records, problems } = mapEligibility271(set.segments, set);
    expect(problems).toEqual([]);
    expect(kind).toBe('271');
    expect(records).toHaveLength(2);
    const [subscriber, dependent] = records;
    expect(subscriber).toMatchObject({
      entity: 'EligibilityCheck',
      externalId: expect.stringMatching(/^271\|SHP01\|EQ20261003-0001\|mbr-[0-9a-f]{20}$/),
      record: {
        member: { memberId: 'SHP884120553', name: { family: 'DELGADO', given: ['MARISOL', 'A'] }, birthDate: '1984-03-12', gender: 'female' },
        payer: { name: 'SUNRISE HEALTH PLAN', payerId: 'SHP01' },
        provider: { npi: '1234567893', name: 'RIVERSIDE FAMILY MEDICINE' },
        serviceTypes: ['30', '1', '33', '98'],
        traceNumber: 'EQ20261003-0001',
        coverageActive: true,
        planName: 'GOLD PPO 500',
        groupNumber: 'GRP40917',
        planPeriod: { start: '2026-01-01', end: '2026-12-31' },
      },
    });
    const benefits = subscriber!.record.benefits!;
    expect(benefits.map((b) => b.type)).toEqual(['active-coverage', 'copay', 'deductible', 'deductible', 'deductible', 'coinsurance', 'out-of-pocket']);
    expect(benefits[1]).toEqual({
      type: 'copay',
      informationCode: 'B',
      coverageLevel: 'IND',
      serviceTypes: ['98'],
      insuranceType: 'C1',
      timePeriod: '27',
      amount: 25,
      authorizationRequired: false,
      inNetwork: true,
      messages: ['COPAY APPLIES PER OFFICE VISIT'],
    });
    expect(benefits[2]).toMatchObject({ type: 'deductible', timePeriod: '23', amount: 500, inNetwork: true });
    expect(benefits[3]).toMatchObject({ type: 'deductible', timePeriod: '29', amount: 350 });
    expect(benefits[4]).toMatchObject({ type: 'deductible', coverageLevel: 'FAM', amount: 1500 });
    expect(benefits[5]).toMatchObject({ type: 'coinsurance', percent: 0.2 });

    expect(dependent).toMatchObject({
      externalId: expect.stringMatching(/^271\|SHP01\|EQ20261003-0002\|mbr-[0-9a-f]{20}$/),
      record: {
        // No id of his own in 2100D: known by the subscriber's.
        member: { memberId: 'SHP884120553', name: { family: 'DELGADO', given: ['TOMAS'] }, birthDate: '2015-07-04', gender: 'male' },
        serviceTypes: ['30'],
        traceNumber: 'EQ20261003-0002',
        coverageActive: false,
        planPeriod: { start: '2025-01-01', end: '2025-09-30' },
        benefits: [{ type: 'inactive', informationCode: '6', serviceTypes: ['30'], messages: ['COVERAGE TERMINATED'] }],
      },
    });
    for (const r of records) expect(validateEntity(r.entity, r.record)).toEqual([]);
  });

  it('keys members so the same 271 sent again upserts the same records, with no PHI in the ids', async () => {
    const first = await firstSet(ELIGIBILITY);
    const again = await firstSet(ELIGIBILITY.replace('EB20261003A*20261003*1405', 'EB20261004B*20261004*0900').replaceAll('7004', '7120'));
    const ids = (set: TransactionSetSegments) => mapEligibility271(set.segments, set).records.map((r) => r.externalId);
    expect(ids(again)).toEqual(ids(first));
    expect(new Set(ids(first)).size).toBe(2);
    expect(ids(first).join()).not.toMatch(/SHP884120553|DELGADO|MARISOL|TOMAS/);
  });

  it('reports an AAA rejection by segment, keeps its codes on the record, and never quotes the member', async () => {
    const set = await firstSet(
      interchange([
        ['ST', '271', '0001', '005010X279A1'],
        ['BHT', '0022', '11', 'EB20261004A', '20261004', '0900'],
        ['HL', '1', '', '20', '1'],
        ['NM1', 'PR', '2', 'SUNRISE HEALTH PLAN', '', '', '', '', 'PI', 'SHP01'],
        ['HL', '2', '1', '21', '1'],
        ['NM1', '1P', '2', 'RIVERSIDE FAMILY MEDICINE', '', '', '', '', 'XX', '1234567893'],
        ['HL', '3', '2', '22', '0'],
        ['TRN', '2', 'EQ20261004-0007', '9876543210'],
        ['NM1', 'IL', '1', 'QUILL', 'OTTO', '', '', '', 'MI', 'SHP000000000'],
        ['AAA', 'N', '', '72', 'C'],
        ['DMG', 'D8', '19790221', 'M'],
      ]),
    );
    const { records, problems } = mapEligibility271(set.segments, set);
    expect(problems).toEqual(['segment 12 (AAA): the payer rejected the request at subscriber level (reason in AAA03)']);
    expect(records).toHaveLength(1);
    expect(records[0]!.record).toMatchObject({ rejections: [{ reasonCode: '72', followUp: 'C' }], serviceTypes: ['30'] });
    expect(records[0]!.record).not.toHaveProperty('coverageActive');
    expect(validateEntity('EligibilityCheck', records[0]!.record)).toEqual([]);
    expect(problems.join('\n')).not.toMatch(/SHP000000000|QUILL|OTTO|19790221/);
  });

  it('never quotes a member in a problem when the name loop is incomplete', async () => {
    const set = await firstSet(
      interchange([
        ['ST', '271', '0001', '005010X279A1'],
        ['BHT', '0022', '11', 'EB20261004A', '20261004', '0900'],
        ['HL', '1', '', '20', '1'],
        ['NM1', 'PR', '2', 'SUNRISE HEALTH PLAN', '', '', '', '', 'PI', 'SHP01'],
        ['AAA', 'Y', '', '42', 'R'],
        ['HL', '2', '1', '21', '1'],
        ['NM1', '1P', '2', 'RIVERSIDE FAMILY MEDICINE', '', '', '', '', 'XX', '1234567893'],
        ['HL', '3', '2', '22', '0'],
        ['NM1', 'IL', '1', 'QUILL', 'OTTO'],
        ['EB', '1', '', '30'],
      ]),
    );
    const { records, problems } = mapEligibility271(set.segments, set);
    expect(records).toEqual([]);
    expect(problems).toEqual([
      'segment 7 (AAA): the payer rejected the request at information source level (reason in AAA03)',
      'segment 11 (NM1): no member id in NM109',
    ]);
    expect(problems.join('\n')).not.toMatch(/QUILL|OTTO/);
  });

  it('is the mapper the CLI uses for ST*271', async () => {
    const set = await firstSet(ELIGIBILITY);
    const result = x12Mappers['271']!(set.segments, set);
    expect(result.kind).toBe('271');
    expect(result.records.map((r) => r.entity)).toEqual(['EligibilityCheck', 'EligibilityCheck']);
  });
});
