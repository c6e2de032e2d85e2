import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildInterchange, type ElementValue, type InterchangeOptions } from '../../connectors/x12/index.js';
import { exampleRecords } from '../../core/model/examples.js';
import { CLAIM_LIFECYCLE_SYSTEM, type EntityData, type StoredRecord } from '../../core/sdk/index.js';
import { openStore } from '../../core/store/index.js';
import { createPluginHarness, type PluginHarness, type PluginRunResult } from '../../core/sdk/testkit.js';
import clearinghouse from './index.js';

const SLOW = { timeout: 120_000 };
const folders: string[] = [];
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

type Lifecycle = EntityData<'ClaimLifecycle'>;
type Body = ElementValue[][];

const config = {
  inbox: { folder: 'inbound', pattern: '*.x12' },
  submission: {
    sender: { id: 'PRAIRIEMSO', gsCode: 'PRAIRIEMSO' },
    receiver: { id: 'CLEARPATH', gsCode: 'CLEARPATH', name: 'CLEARPATH EDI', etin: 'CLEARPATH' },
    submitter: { name: 'PRAIRIE HEALTH MSO', etin: 'PRAIRIEMSO', contactName: 'BILLING OFFICE', phone: '5125550100' },
  },
};

const claim = (pcn: string, extra: Record<string, unknown> = {}) => ({
  type: 'Claim' as const,
  data: { ...exampleRecords.Claim, patientControlNumber: pcn, ...extra },
  ref: { system: 'riverside-billing', id: pcn },
});

function mailbox(): string {
  const root = mkdtempSync(join(tmpdir(), 'claim-lifecycle-'));
  folders.push(root);
  mkdirSync(join(root, 'inbound'));
  return root;
}

let fileNumber = 0;
/** Drops an interchange from the clearinghouse (or the payer, through it) into the inbox. */
function arrive(root: string, functionalId: string, version: string, body: Body): void {
  const options: InterchangeOptions = {
    sender: { qualifier: 'ZZ', id: 'CLEARPATH' },
    receiver: { qualifier: 'ZZ', id: 'PRAIRIEMSO' },
    gs: { sender: 'CLEARPATH', receiver: 'PRAIRIEMSO' },
    functionalId,
    version,
    usage: 'P',
    controlNumbers: { next: () => 7000 + ++fileNumber },
    date: new Date('2026-11-20T10:00:00Z'),
  };
  writeFileSync(join(root, 'inbound', `in-${fileNumber + 1}.x12`), buildInterchange(options, [body]));
}

const ack999 = (group: string, set: string, code: 'A' | 'R'): Body => [
  ['ST', '999', '', '005010X231A1'],
  ['AK1', 'HC', group, '005010X222A1'],
  ['AK2', '837', set, '005010X222A1'],
  ...(code === 'R' ? [['IK3', 'NM1', '8', '2010BA', '8'], ['IK4', '9', '67', '4']] : []),
  ['IK5', code, ...(code === 'R' ? ['5'] : [])],
  ['AK9', code, '1', '1', code === 'A' ? '1' : '0'],
];

/** A payer's 277CA: each claim accepted (A2:20) or rejected (A3:21). */
function payer277ca(claims: [pcn: string, outcome: 'accepted' | 'rejected'][]): Body {
  const body: Body = [
    ['ST', '277', '', '005010X214'],
    ['BHT', '0085', '08', 'SUN20261120', '20261120', '1000', 'TH'],
    ['HL', '1', '', '20', '1'],
    ['NM1', 'PR', '2', 'SUNRISE HEALTH PLAN', '', '', '', '', 'PI', '87726'],
    ['TRN', '1', 'SUN20261120'],
    ['DTP', '050', 'D8', '20261120'],
    ['DTP', '009', 'D8', '20261120'],
    ['HL', '2', '1', '21', '1'],
    ['NM1', '41', '2', 'PRAIRIE MSO', '', '', '', '', '46', 'PRAIRIEMSO'],
    ['TRN', '2', '1'],
    ['STC', ['A1', '19', 'PR'], '20261120', 'WQ', '440'],
    ['HL', '3', '2', '19', '1'],
    ['NM1', '85', '2', 'RIVERSIDE FAMILY MEDICINE', '', '', '', '', 'XX', '1234567893'],
    ['TRN', '1', '0'],
    ['STC', ['A1', '19', 'PR'], '20261120', 'WQ', '440'],
  ];
  claims.forEach(([pcn, outcome], i) => {
    body.push(
      ['HL', String(4 + i), '3', 'PT'],
      ['NM1', 'QC', '1', 'TESTLAST', 'ALEX', '', '', '', 'MI', `SYN00000${i}`],
      ['TRN', '2', pcn],
      ['STC', outcome === 'accepted' ? ['A2', '20', 'PR'] : ['A3', '21', 'PR'], '20261120', outcome === 'accepted' ? 'WQ' : 'U', '220'],
      ...(outcome === 'accepted' ? [['REF', '1K', `SUN-${pcn}`]] : []),
      ['DTP', '472', 'D8', '20240506'],
    );
  });
  return body;
}

/** An 835; `payments` are CLP-led loops, already balanced, and BPR02 is their sum. */
function remittance(trace: string, payments: Body[]): Body {
  const total = payments.reduce((sum, loop) => sum + Number(loop[0]![4]), 0);
  return [
    ['ST', '835', '', '005010X221A1'],
    ['BPR', 'I', total.toFixed(2), 'C', 'ACH', 'CCP', '01', '999999992', 'DA', '123456', '1512345678', '', '01', '999988880', 'DA', '98765', '20261125'],
    ['TRN', '1', trace, '1512345678'],
    ['DTM', '405', '20261125'],
    ['N1', 'PR', 'SUNRISE HEALTH PLAN'],
    ['N3', '100 EXAMPLE WAY'],
    ['N4', 'SAMPLETOWN', 'MN', '55401'],
    ['PER', 'BL', 'PROVIDER SERVICES', 'TE', '8005550100'],
    ['N1', 'PE', 'RIVERSIDE FAMILY MEDICINE', 'XX', '1234567893'],
    ['LX', '1'],
    ...payments.flat(),
  ];
}

const patient = (i: number): Body[number] => ['NM1', 'QC', '1', 'TESTLAST', 'ALEX', '', '', '', 'MI', `SYN00000${i}`];
const payments = {
  paidWithCopay: (pcn: string): Body => [['CLP', pcn, '1', '220.00', '150.00', '20.00', '12', `SUN-${pcn}`, '11', '1'], ['CAS', 'CO', '45', '50.00'], ['CAS', 'PR', '2', '20.00'], patient(1)],
  denied: (pcn: string): Body => [['CLP', pcn, '4', '220.00', '0.00', '0.00', '12', `SUN-${pcn}`, '11', '1'], ['CAS', 'CO', '50', '220.00'], patient(2)],
  oneLineDenied: (pcn: string): Body => [
    ['CLP', pcn, '1', '220.00', '100.00', '0.00', '12', `SUN-${pcn}`, '11', '1'],
    patient(3),
    ['SVC', ['HC', '99214', '25'], '175.00', '100.00', '', '1'],
    ['DTM', '472', '20240506'],
    ['CAS', 'CO', '45', '75.00'],
    ['SVC', ['HC', '83036'], '45.00', '0.00', '', '1'],
    ['DTM', '472', '20240506'],
    ['CAS', 'CO', '96', '45.00'],
    ['LQ', 'HE', 'N130'],
  ],
  reversal: (pcn: string): Body => [['CLP', pcn, '22', '-220.00', '-150.00', '-20.00', '12', `SUN-${pcn}`, '11', '1'], ['CAS', 'CO', '45', '-50.00'], ['CAS', 'PR', '2', '-20.00'], patient(1)],
  corrected: (pcn: string): Body => [['CLP', pcn, '1', '220.00', '170.00', '0.00', '12', `SUN-${pcn}`, '11', '1'], ['CAS', 'CO', '45', '50.00'], patient(1)],
};

async function lifecycles(harness: PluginHarness): Promise<Map<string, Lifecycle>> {
  const page = await harness.store.listRecords({ type: 'ClaimLifecycle', externalSystem: CLAIM_LIFECYCLE_SYSTEM, limit: 100 });
  return new Map(page.items.map((record) => [(record.data as Lifecycle).patientControlNumber, record.data as Lifecycle]));
}

function ok(result: PluginRunResult): PluginRunResult {
  expect(result.error).toBeUndefined();
  expect(result.rejects).toEqual([]);
  return result;
}

describe('the claim lifecycle, from 837 to 835', () => {
  it('links each claim to its submission, 999, 277CA and 835 payments, and moves its state at each answer', SLOW, async () => {
    const root = mailbox();
    const harness = await createPluginHarness(clearinghouse, { config, files: root });
    try {
      ok(await harness.deliver(['PCN-A', 'PCN-B', 'PCN-C', 'PCN-D'].map((pcn) => claim(pcn))));
      let states = await lifecycles(harness);
      expect([...states.keys()].sort()).toEqual(['PCN-A', 'PCN-B', 'PCN-C', 'PCN-D']);
      const submission = states.get('PCN-A')!.submission;
      expect(submission).toMatchObject({ file: 'outbound/837P-000000001.x12', interchangeControlNumber: '000000001', groupControlNumber: '1', transactionSetControlNumber: '0001', claimVersion: 1, usage: 'T' });
      expect([...states.values()].map((l) => l.state)).toEqual(['submitted', 'submitted', 'submitted', 'submitted']);
      expect(states.get('PCN-A')!.claim).toEqual({ system: 'riverside-billing', id: 'PCN-A' });

      // The 999 names the group and set the claims went out in.
      arrive(root, 'FA', '005010X231A1', ack999(submission.groupControlNumber, submission.transactionSetControlNumber, 'A'));
      ok(await harness.sync());
      states = await lifecycles(harness);
      expect([...states.values()].map((l) => l.state)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);

      // The payer's front end rejects B; its 835 pays A (the patient owes a copay), denies C, and pays D but one line.
      arrive(root, 'HN', '005010X214', payer277ca([['PCN-A', 'accepted'], ['PCN-B', 'rejected']]));
      arrive(root, 'HP', '005010X221A1', remittance('EFT-1', [payments.paidWithCopay('PCN-A'), payments.denied('PCN-C'), payments.oneLineDenied('PCN-D')]));
      const answers = ok(await harness.sync());
      expect(answers.counts).toMatchObject({ files: 2, recordsLinkedToClaims: 3 });
      states = await lifecycles(harness);
      expect(Object.fromEntries([...states].map(([pcn, l]) => [pcn, l.state]))).toEqual({ 'PCN-A': 'paid', 'PCN-B': 'rejected', 'PCN-C': 'denied', 'PCN-D': 'partially-paid' });
      const a = states.get('PCN-A')!;
      expect(a).toMatchObject({ paidAmount: 150, patientResponsibility: 20, payerClaimControlNumber: 'SUN-PCN-A' });
      expect(a.events.map((e) => `${e.kind}/${e.from}/${e.state}`)).toEqual(['submitted/hub/submitted', '999/clearinghouse/accepted', '277CA/payer/accepted', '835/payer/paid']);
      expect(a.events[3]!.summary).toBe('835 paid 150.00 of 220.00; patient owes 20.00');
      expect(a.events[3]!.codes).toEqual(['CO-45', 'PR-2']);
      expect(states.get('PCN-B')!.events.at(-1)!.summary).toMatch(/277CA from the payer: rejected \(A3:21/);
      expect(states.get('PCN-D')!.events.at(-1)!.codes).toEqual(['CO-45', 'CO-96', 'N130']);

      // The records themselves point back at their claims.
      const remit = answers.records.find((r) => r.type === 'Remittance')!.data as EntityData<'Remittance'>;
      expect(remit.claimPayments.map((p) => p.claim?.id)).toEqual(['PCN-A', 'PCN-C', 'PCN-D']);
      const acks = answers.records.filter((r: StoredRecord) => r.type === 'ClaimAcknowledgment' && (r.data as EntityData<'ClaimAcknowledgment'>).source === '277CA');
      expect(acks.map((r) => (r.data as EntityData<'ClaimAcknowledgment'>).claim?.id).sort()).toEqual(['PCN-A', 'PCN-B']);

      // A reversal and its correction in a later 835: A ends paid, with the net of both payments.
      arrive(root, 'HP', '005010X221A1', remittance('EFT-2', [payments.reversal('PCN-A'), payments.corrected('PCN-A')]));
      ok(await harness.sync());
      const corrected = (await lifecycles(harness)).get('PCN-A')!;
      expect(corrected).toMatchObject({ state: 'paid', paidAmount: 170, patientResponsibility: 0 });
      expect(corrected.events.slice(-2).map((e) => `${e.state}: ${e.summary}`)).toEqual([
        'accepted: 835 reversed an earlier payment (-150.00)',
        'paid: 835 paid 170.00 of 220.00',
      ]);

      // Reading every file again (a full resync) tells the claims nothing new.
      ok(await harness.sync({ full: true }));
      const again = await lifecycles(harness);
      expect(again.get('PCN-A')!.events).toHaveLength(corrected.events.length);
      expect(again.get('PCN-D')!.events).toHaveLength(states.get('PCN-D')!.events.length);

      // Each file that told the claim something is a version of its lifecycle record (the resync added none).
      const record = await harness.store.findRecord({ tenant: 'test-practice', type: 'ClaimLifecycle', externalSystem: CLAIM_LIFECYCLE_SYSTEM, externalId: a.claimRecordId });
      const history = await harness.store.recordHistory(record!.id);
      expect(history.map((v) => (v.data as Lifecycle).state)).toEqual(['submitted', 'accepted', 'accepted', 'paid', 'paid']);
    } finally {
      await harness.close();
    }
  });

  it('sends a rejected claim back: a 999 rejecting its set, then a corrected claim submitted again', SLOW, async () => {
    const root = mailbox();
    const harness = await createPluginHarness(clearinghouse, { config, files: root });
    try {
      ok(await harness.deliver([claim('PCN-R')]));
      const { submission } = (await lifecycles(harness)).get('PCN-R')!;
      arrive(root, 'FA', '005010X231A1', ack999(submission.groupControlNumber, submission.transactionSetControlNumber, 'R'));
      ok(await harness.sync());
      const rejected = (await lifecycles(harness)).get('PCN-R')!;
      expect(rejected.state).toBe('rejected');
      expect(rejected.events.at(-1)!.summary).toMatch(/^999 rejected the transaction set/);

      ok(await harness.deliver([claim('PCN-R', { priorAuthorization: 'AUTH-1' })]));
      const resubmitted = (await lifecycles(harness)).get('PCN-R')!;
      expect(resubmitted.state).toBe('submitted');
      expect(resubmitted.submission).toMatchObject({ claimVersion: 2, file: 'outbound/837P-000000002.x12' });
      expect(resubmitted.events.map((e) => e.kind)).toEqual(['submitted', '999', 'submitted']);
      expect(resubmitted.events[2]!.summary).toMatch(/^resubmitted \(claim version 2\)/);

      // The old rejection (group 1) arriving again must not touch the new submission.
      arrive(root, 'FA', '005010X231A1', ack999(submission.groupControlNumber, submission.transactionSetControlNumber, 'R'));
      ok(await harness.sync());
      expect((await lifecycles(harness)).get('PCN-R')!.state).toBe('submitted');
    } finally {
      await harness.close();
    }
  });

  it('rejects every claim of a file the clearinghouse refused whole with a TA1, and stops waiting for its 999', SLOW, async () => {
    const root = mailbox();
    const harness = await createPluginHarness(clearinghouse, { config: { ...config, lifecycle: { acknowledgmentWithin: 1, payerResponseWithin: '30d' } }, files: root });
    try {
      ok(await harness.deliver([claim('PCN-E1'), claim('PCN-E2')]));
      const { submission } = (await lifecycles(harness)).get('PCN-E1')!;
      // ISA, TA1 and IEA only: no functional group. Note 006: the sender's ISA06 is invalid.
      const isa = 'ISA*00*          *00*          *ZZ*CLEARPATH      *ZZ*PRAIRIEMSO     *261120*1000*^*00501*000007301*0*P*:~';
      writeFileSync(join(root, 'inbound', 'ta1.x12'), `${isa}TA1*${submission.interchangeControlNumber}*261120*0955*R*006~IEA*0*000007301~`);
      const result = ok(await harness.sync());
      expect(result.counts.alertsNo999).toBeUndefined();
      const states = await lifecycles(harness);
      for (const pcn of ['PCN-E1', 'PCN-E2']) {
        expect(states.get(pcn)!.state).toBe('rejected');
        expect(states.get(pcn)!.events.at(-1)).toMatchObject({ kind: 'TA1', from: 'clearinghouse', codes: ['006'] });
      }
      expect(states.get('PCN-E1')!.events.at(-1)!.summary).toMatch(/^TA1 rejected the file/);
    } finally {
      await harness.close();
    }
  });

  it('flags a file with no 999 and a claim the payer never answers, and clears each flag when the answer comes', SLOW, async () => {
    const root = mailbox();
    const store = await openStore({});
    // One connector, first with a 999 timer that runs out at once, then with a payer timer that has (as if 30 days had passed).
    const waiting = await createPluginHarness(clearinghouse, { config: { ...config, lifecycle: { acknowledgmentWithin: 1, payerResponseWithin: '30d' } }, files: root, store });
    const impatient = await createPluginHarness(clearinghouse, { config: { ...config, lifecycle: { acknowledgmentWithin: '24h', payerResponseWithin: 1 } }, files: root, store });
    try {
      ok(await waiting.deliver([claim('PCN-T1'), claim('PCN-T2')]));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const first = ok(await waiting.sync());
      expect(first.counts).toMatchObject({ alertsNo999: 2 });
      expect(waiting.logs.some((line) => line.msg === 'claim lifecycle alerts raised')).toBe(true);
      let states = await lifecycles(waiting);
      expect(states.get('PCN-T1')!.alerts).toEqual([expect.objectContaining({ kind: 'no-999', detail: expect.stringMatching(/^no 999 for outbound\/837P-000000001\.x12/) })]);
      expect(states.get('PCN-T1')!.events.at(-1)).toMatchObject({ kind: 'alert', from: 'hub', state: 'submitted' });

      // The timer fires once per wait, not at every sync.
      expect(ok(await waiting.sync()).counts.alertsNo999).toBeUndefined();

      const { submission } = states.get('PCN-T1')!;
      arrive(root, 'FA', '005010X231A1', ack999(submission.groupControlNumber, submission.transactionSetControlNumber, 'A'));
      ok(await waiting.sync());
      states = await lifecycles(waiting);
      expect(states.get('PCN-T1')!.alerts).toBeUndefined();
      expect(states.get('PCN-T1')!.state).toBe('accepted');

      const flagged = ok(await impatient.sync());
      expect(flagged.counts).toMatchObject({ alertsNoPayerResponse: 2 });
      arrive(root, 'HP', '005010X221A1', remittance('EFT-T', [payments.paidWithCopay('PCN-T1')]));
      ok(await impatient.sync());
      states = await lifecycles(impatient);
      expect(states.get('PCN-T1')).toMatchObject({ state: 'paid' });
      expect(states.get('PCN-T1')!.alerts).toBeUndefined();
      expect(states.get('PCN-T2')!.alerts).toEqual([expect.objectContaining({ kind: 'no-payer-response' })]);
      // The wait is over for that file: no new alerts on later syncs.
      expect(ok(await impatient.sync()).counts.alertsNoPayerResponse).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('keeps each practice’s claim lifecycle under the practice when an MSO-wide clearinghouse sends its claims', SLOW, async () => {
    const root = mailbox();
    const harness = await createPluginHarness(clearinghouse, {
      config,
      files: root,
      tenant: { id: 'mso', name: 'Prairie Health MSO' },
      servesTenants: ['riverside-family', 'lakeside-pediatrics'],
    });
    try {
      ok(
        await harness.deliver([
          { ...claim('PCN-RIV'), tenant: 'riverside-family' },
          { ...claim('PCN-LAK'), tenant: 'lakeside-pediatrics' },
        ]),
      );
      const { submission } = (await lifecycles(harness)).get('PCN-RIV')!;
      arrive(root, 'FA', '005010X231A1', ack999(submission.groupControlNumber, submission.transactionSetControlNumber, 'A'));
      ok(await harness.sync());
      arrive(root, 'HP', '005010X221A1', remittance('EFT-MSO', [payments.paidWithCopay('PCN-RIV'), payments.denied('PCN-LAK')]));
      ok(await harness.sync());

      // What a practice's own token would see: its claim's timeline, and nothing of the other practice.
      const page = (tenant: string) =>
        harness.store.listRecords({ type: 'ClaimLifecycle', externalSystem: CLAIM_LIFECYCLE_SYSTEM, tenants: [tenant], limit: 10 });
      const riverside = (await page('riverside-family')).items.map((r) => r.data as Lifecycle);
      expect(riverside.map((l) => [l.patientControlNumber, l.state])).toEqual([['PCN-RIV', 'paid']]);
      expect(riverside[0]!.events.map((e) => e.kind)).toEqual(['submitted', '999', '835']);
      const lakeside = (await page('lakeside-pediatrics')).items.map((r) => r.data as Lifecycle);
      expect(lakeside.map((l) => [l.patientControlNumber, l.state])).toEqual([['PCN-LAK', 'denied']]);
      expect((await page('mso')).items).toEqual([]);
    } finally {
      await harness.close();
    }
  });

  it('refuses to keep a lifecycle for a practice no route brings to it, and says how to fix it', SLOW, async () => {
    const root = mailbox();
    const harness = await createPluginHarness(clearinghouse, { config, files: root, tenant: { id: 'mso', name: 'Prairie Health MSO' } });
    try {
      const result = await harness.deliver([{ ...claim('PCN-STRAY'), tenant: 'riverside-family' }]);
      expect(String(result.error)).toMatch(/keeps no records for tenant "riverside-family".*routes\[\]\.tenants/);
      expect(await lifecycles(harness)).toEqual(new Map());
    } finally {
      await harness.close();
    }
  });

  it('leaves answers about claims it never submitted unlinked, and stores them all the same', SLOW, async () => {
    const root = mailbox();
    const harness = await createPluginHarness(clearinghouse, { config, files: root });
    try {
      arrive(root, 'HP', '005010X221A1', remittance('EFT-X', [payments.paidWithCopay('PCN-ELSEWHERE')]));
      const result = ok(await harness.sync());
      expect(result.counts).toMatchObject({ answersNotMatched: 1 });
      const remit = result.records.find((r) => r.type === 'Remittance')!.data as EntityData<'Remittance'>;
      expect(remit.claimPayments[0]!.claim).toBeUndefined();
      expect(await lifecycles(harness)).toEqual(new Map());
    } finally {
      await harness.close();
    }
  });

  it('moves every claim of a set of more than a thousand on its 999, then matches every payment of the 835 that pays them', SLOW, async () => {
    const root = mailbox();
    const harness = await createPluginHarness(clearinghouse, { config, files: root });
    const countStates = async () => {
      const states = new Map<string, number>();
      let after: string | undefined;
      do {
        const page = await harness.store.listRecords({ type: 'ClaimLifecycle', externalSystem: CLAIM_LIFECYCLE_SYSTEM, limit: 1000, ...(after ? { after } : {}) });
        for (const record of page.items) {
          const state = (record.data as Lifecycle).state;
          states.set(state, (states.get(state) ?? 0) + 1);
        }
        after = page.next;
      } while (after);
      return states;
    };
    try {
      const pcns = Array.from({ length: 1050 }, (_, i) => `PCN-BULK-${i}`);
      ok(await harness.deliver(pcns.map((pcn) => claim(pcn))));
      const { submission } = [...(await lifecycles(harness)).values()][0]!;
      arrive(root, 'FA', '005010X231A1', ack999(submission.groupControlNumber, submission.transactionSetControlNumber, 'A'));
      ok(await harness.sync());
      expect(await countStates()).toEqual(new Map([['accepted', 1050]]));

      arrive(root, 'HP', '005010X221A1', remittance('EFT-BULK', [...pcns, 'PCN-ELSEWHERE'].map((pcn) => payments.paidWithCopay(pcn))));
      const result = ok(await harness.sync());
      const remit = result.records.find((r) => r.type === 'Remittance')!.data as EntityData<'Remittance'>;
      expect(remit.claimPayments.filter((payment) => payment.claim !== undefined)).toHaveLength(1050);
      expect(remit.claimPayments.at(-1)!.claim).toBeUndefined();
      expect(await countStates()).toEqual(new Map([['paid', 1050]]));
    } finally {
      await harness.close();
    }
  });
});
