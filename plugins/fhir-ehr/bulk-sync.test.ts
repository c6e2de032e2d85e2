import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { useMockNetwork } from '../../connectors/fhir/test-support.js';
import { TransientError } from '../../core/sdk/index.js';
import { openStore, type CommitBatch, type Store } from '../../core/store/index.js';
import { cursorKey } from './cursor.js';
import { CLAIMS_AWAITING_PARTIES } from './bulk-sync.js';
import { BASE_URL, countByType, SAMPLE_COUNTS, SAMPLE_TOTAL, searchesOf, seedClaims, setupEhr, type EhrSetup } from './test-support.js';

const network = useMockNetwork();
let setup: EhrSetup | undefined;
afterEach(async () => {
  await setup?.hub.close();
  setup = undefined;
});

describe('fhir-ehr sync by bulk export', { timeout: 60_000 }, () => {
  it('exports every type in one $export, and next time only what changed since the export', async () => {
    setup = await setupEhr(network, { config: { mode: 'bulk' } });
    const { ehr, hub, clock, change } = setup;

    const first = await hub.sync();

    expect(first.error).toBeUndefined();
    expect(first.rejects).toEqual([]);
    expect(countByType(first.records)).toEqual(SAMPLE_COUNTS);
    expect(ehr.exportJobs).toHaveLength(1);
    expect(ehr.exportJobs[0]).toMatchObject({ level: 'system', since: undefined });
    expect(ehr.exportJobs[0]!.types).toEqual(['Patient', 'Practitioner', 'Organization', 'Location', 'Coverage', 'Encounter', 'Claim']);
    expect(ehr.exportJobs[0]!.polls).toBeGreaterThan(1);
    expect(await hub.state(cursorKey('Encounter'))).toBe(ehr.exportJobs[0]!.transactionTime);

    clock.advance(3_600_000);
    const changed = change('Patient', 1, (patient) => {
      patient.address = [{ line: ['40 Mill Road'], city: 'Riverside', state: 'CA', postalCode: '92503', country: 'US' }];
    });
    const second = await hub.sync();

    expect(second.error).toBeUndefined();
    expect(ehr.exportJobs[1]!.since).toBe('2024-06-01T11:55:00.000Z');
    expect(second.counts).toMatchObject({ created: 0, updated: 1, unchanged: 0 });
    expect(second.records.find((record) => record.externalId === `Patient/${changed.id}`)?.version).toBe(2);
  });

  it('rejects a malformed NDJSON line with its line number and lands the rest of the file', async () => {
    setup = await setupEhr(network, { config: { mode: 'bulk' }, server: { bulkExport: { corruptLines: { Patient: [3] } } } });
    const { hub } = setup;

    const result = await hub.sync();

    expect(result.error).toBeUndefined();
    expect(countByType(result.records)).toEqual({ ...SAMPLE_COUNTS, Patient: SAMPLE_COUNTS.Patient - 1 });
    expect(result.rejects).toHaveLength(1);
    expect(result.rejects[0]!.type).toBe('Patient');
    expect(result.rejects[0]!.reasons.join(' ')).toMatch(/line 3\b/);
  });

  it('fails with a TransientError when a file breaks off, keeps the cursor where it was, and a re-run completes', async () => {
    setup = await setupEhr(network, { config: { mode: 'bulk' }, server: { bulkExport: { cutOff: { type: 'Encounter', afterLine: 10 } } } });
    const { ehr, hub } = setup;

    const broken = await hub.sync();

    expect(broken.error).toBeInstanceOf(TransientError);
    expect(await hub.state(cursorKey('Patient'))).toBeUndefined();
    expect(broken.records.length).toBeGreaterThan(0);

    ehr.configureExport({ cutOff: undefined });
    const rerun = await hub.sync();

    expect(rerun.error).toBeUndefined();
    expect(ehr.exportJobs[1]!.since).toBeUndefined();
    expect(countByType(rerun.records)).toEqual(SAMPLE_COUNTS);
    expect(new Set(rerun.records.map((record) => record.externalId)).size).toBe(SAMPLE_TOTAL);
    expect(rerun.records.every((record) => record.version === 1)).toBe(true);
  });

  it('lands every Claim whose NDJSON line names its Patient and Coverage by id, reading them from the store in bounded batches', async () => {
    const store = await openStore({});
    // The Coverage file's commit is still in flight when the Claim file is read: the claims must wait for it.
    const slow: Store = Object.assign(Object.create(store) as Store, {
      async commit(batch: CommitBatch) {
        if (batch.records?.some((record) => record.type === 'Coverage')) await new Promise((resolve) => setTimeout(resolve, 1500));
        return store.commit(batch);
      },
    });
    try {
      setup = await setupEhr(network, { config: { mode: 'bulk' }, store: slow });
      const { ehr, hub } = setup;
      // More claims than wait at once, so some land at the cap and the rest at the end of the file.
      const count = CLAIMS_AWAITING_PARTIES + 15;
      const claims = seedClaims(ehr, { count });

      const result = await hub.sync();

      expect(result.error).toBeUndefined();
      expect(result.rejects).toEqual([]);
      expect(countByType(result.records)).toEqual({ ...SAMPLE_COUNTS, Coverage: 13, Claim: count });
      expect(result.counts.claimPartiesLookedUp).toBe(2 * count);
      const stored = new Map(result.records.map((record) => [record.externalId, record.data as Record<string, any>]));
      const patient = ehr.resources('Patient')[0]!;
      expect(stored.get(`Claim/${claims[0]!.id}`)).toMatchObject({
        patient: { name: stored.get(`Patient/${patient.id}`)!.name, record: { system: 'riverside-epic', id: `Patient/${patient.id}` } },
        payer: { name: 'Sunrise Health Plan' },
        subscriber: { memberId: stored.get('Coverage/coverage-1')!.memberId, relationship: 'self', coverage: { system: 'riverside-epic', id: 'Coverage/coverage-1' } },
      });
      expect(stored.get(`Claim/${claims[1]!.id}`)!.subscriber).toMatchObject({ relationship: 'child', name: { family: 'Synthetic', given: ['Parent'] } });
    } finally {
      await setup?.hub.close();
      setup = undefined;
      await store.close();
    }
  });

  it('maps Claims that carry their parties at once, with no lookup', async () => {
    setup = await setupEhr(network, { config: { mode: 'bulk' } });
    const { ehr, hub } = setup;
    seedClaims(ehr, { count: 20, contained: true });

    const result = await hub.sync();

    expect(result.error).toBeUndefined();
    expect(result.rejects).toEqual([]);
    expect(countByType(result.records)).toEqual({ ...SAMPLE_COUNTS, Coverage: 13, Claim: 20 });
    expect(result.counts.claimPartiesLookedUp).toBeUndefined();
  });

  it('fails the job when a commit fails while the next lines are mapped, keeps the cursors, and a re-run completes', async () => {
    const store = await openStore({});
    let commitsWithRecords = 0;
    // The database drops the connection on the second batch of records, once.
    const flaky: Store = Object.assign(Object.create(store) as Store, {
      commit(batch: CommitBatch) {
        if (batch.records?.length && ++commitsWithRecords === 2) return Promise.reject(new TransientError('the database connection was lost'));
        return store.commit(batch);
      },
    });
    try {
      setup = await setupEhr(network, { config: { mode: 'bulk' }, store: flaky });
      const { hub } = setup;

      const broken = await hub.sync();

      expect(broken.error).toBeInstanceOf(TransientError);
      expect(await hub.state(cursorKey('Patient'))).toBeUndefined();

      const rerun = await hub.sync();

      expect(rerun.error).toBeUndefined();
      expect(countByType(rerun.records)).toEqual(SAMPLE_COUNTS);
      expect(await hub.state(cursorKey('Patient'))).toBeDefined();
    } finally {
      await setup?.hub.close();
      setup = undefined;
      await store.close();
    }
  });
});

describe('fhir-ehr auto mode', { timeout: 60_000 }, () => {
  it('exports in bulk when the CapabilityStatement advertises $export', async () => {
    setup = await setupEhr(network);
    const { ehr, hub } = setup;

    const result = await hub.sync();

    expect(result.error).toBeUndefined();
    expect(ehr.exportJobs).toHaveLength(1);
    expect(searchesOf(ehr, 'Patient')).toEqual([]);
    expect(hub.logs.find((line) => line.msg === 'fhir-ehr sync planned')).toMatchObject({ way: 'bulk' });
  });

  it('searches when the CapabilityStatement does not advertise $export', async () => {
    setup = await setupEhr(network);
    const { ehr, hub } = setup;
    const statement = (await (await fetch(`${BASE_URL}/metadata`)).json()) as { rest: Array<Record<string, unknown>> };
    for (const rest of statement.rest) {
      delete rest.operation;
      for (const resource of rest.resource as Array<Record<string, unknown>>) delete resource.operation;
    }
    network.use(http.get(`${BASE_URL}/metadata`, () => HttpResponse.json(statement)));

    const result = await hub.sync();

    expect(result.error).toBeUndefined();
    expect(ehr.exportJobs).toHaveLength(0);
    expect(searchesOf(ehr, 'Patient')).toHaveLength(1);
    expect(countByType(result.records)).toEqual(SAMPLE_COUNTS);
    expect(hub.logs.find((line) => line.msg === 'fhir-ehr sync planned')).toMatchObject({ way: 'search' });
  });

  it('exports the patient compartment for a group and searches practitioners and organizations', async () => {
    setup = await setupEhr(network, { config: { group: 'riverside-panel' } });
    const { ehr, hub } = setup;
    const patients = ehr.resources('Patient');
    ehr.seed({ resourceType: 'Group', id: 'riverside-panel', type: 'person', actual: true, member: patients.map((patient) => ({ entity: { reference: `Patient/${patient.id}` } })) });

    const result = await hub.sync();

    expect(result.error).toBeUndefined();
    expect(ehr.exportJobs[0]).toMatchObject({ level: 'group', groupId: 'riverside-panel', types: ['Patient', 'Coverage', 'Encounter', 'Claim'] });
    expect(searchesOf(ehr, 'Practitioner')).toHaveLength(1);
    expect(countByType(result.records)).toEqual(SAMPLE_COUNTS);
  });
});
