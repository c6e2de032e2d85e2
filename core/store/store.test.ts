import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { inspect } from 'node:util';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, InputError, NotFoundError, TransientError } from '../errors.js';
import { contentHash } from './hash.js';
import { openStore } from './index.js';
import { loadMigrations, migrate } from './migrate.js';
import { createPgDriver } from './pg-driver.js';
import { createPgliteDriver } from './pglite-driver.js';
import type { SqlDriver, SqlExecutor } from './sql.js';
import { SqlStore } from './sql-store.js';
import type { RecordInput, Store } from './types.js';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Backend {
  name: string;
  /** A driver on this test file's database (same PGlite instance, same PostgreSQL schema). */
  driver(): Promise<SqlDriver>;
  cleanup(): Promise<void>;
}

function pgliteBackend(): Backend {
  let shared: SqlDriver | undefined;
  return {
    name: 'PGlite (in memory)',
    async driver() {
      shared ??= await createPgliteDriver();
      return shared;
    },
    async cleanup() {
      await shared?.close();
    },
  };
}

function postgresBackend(): Backend {
  const schema = `store_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  return {
    name: 'PostgreSQL',
    driver: () => createPgDriver({ connectionString: PG_URL, schema, maxConnections: 4 }),
    async cleanup() {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
    get schema() {
      return schema;
    },
  } as Backend & { schema: string };
}

/** A driver whose statements touching `table` fail, to prove a commit is all or nothing. */
function failingOn(driver: SqlDriver, table: string): SqlDriver {
  const fail = (text: string) => {
    if (text.includes(table)) throw new Error(`injected failure writing ${table}`);
  };
  return {
    kind: driver.kind,
    description: driver.description,
    query: (text, params) => (fail(text), driver.query(text, params)),
    exec: (script) => driver.exec(script),
    transaction: (fn) =>
      driver.transaction((tx) =>
        fn({
          query: (text, params) => (fail(text), tx.query(text, params)),
          exec: (script) => tx.exec(script),
        } satisfies SqlExecutor),
      ),
    close: () => driver.close(),
  };
}

const unique = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

function patient(tenant: string, externalId: string, family = 'Rivera', extra: Record<string, unknown> = {}): RecordInput {
  return {
    tenant,
    type: 'Patient',
    externalSystem: 'urn:riverside-ehr',
    externalId,
    sourceConnector: 'riverside-ehr',
    data: { schemaVersion: '1.0.0', name: { family, given: ['Ana'] }, birthDate: '1980-04-02', ...extra },
  };
}

const keyOf = (r: RecordInput) => ({ tenant: r.tenant, type: r.type, externalSystem: r.externalSystem, externalId: r.externalId });

describe.each([
  ['PGlite (in memory)', pgliteBackend],
  ['PostgreSQL', postgresBackend],
])('store on %s', (_name, makeBackend) => {
  const backend = makeBackend();
  let driver: SqlDriver;
  let store: Store;

  beforeAll(async () => {
    driver = await backend.driver();
    store = new SqlStore(driver);
    await store.migrate();
  });

  afterAll(async () => {
    if (backend.name === 'PostgreSQL') await driver?.close();
    await backend.cleanup();
  });

  describe('commit', () => {
    it('creates a record at version 1 with a created change and an outbox event', async () => {
      const tenant = unique('clinic');
      const input = patient(tenant, 'MRN-1');

      const result = await store.commit({ records: [input] });

      expect(result).toMatchObject({ created: 1, updated: 0, unchanged: 0, rejected: 0 });
      expect(result.changes).toHaveLength(1);
      const [change] = result.changes;
      expect(change).toMatchObject({ kind: 'created', version: 1, tenant, type: 'Patient', externalId: 'MRN-1', sourceConnector: 'riverside-ehr' });

      const stored = await store.findRecord(keyOf(input));
      expect(stored).toMatchObject({ id: change!.recordId, version: 1, data: input.data, hash: contentHash(input.data) });
      expect(await store.getRecord(change!.recordId)).toEqual(stored);

      const pending = (await store.pendingEvents(1000)).filter((e) => e.tenant === tenant);
      expect(pending).toEqual([{ ...change, seq: expect.any(String) }]);
    });

    it('changes nothing when the same content arrives again, whatever its key order', async () => {
      const tenant = unique('clinic');
      const input = patient(tenant, 'MRN-2');
      await store.commit({ records: [input] });
      const before = await store.findRecord(keyOf(input));
      const reordered = { ...input, data: Object.fromEntries(Object.entries(input.data).reverse()) };

      const result = await store.commit({ records: [reordered] });

      expect(result).toMatchObject({ created: 0, updated: 0, unchanged: 1, changes: [] });
      const after = await store.findRecord(keyOf(input));
      expect(after).toEqual(before);
      expect(await store.recordHistory(after!.id)).toHaveLength(1);
      expect((await store.pendingEvents(1000)).filter((e) => e.tenant === tenant)).toHaveLength(1);
    });

    it('bumps the version, keeps history and emits an updated change when content changes', async () => {
      const tenant = unique('clinic');
      const first = patient(tenant, 'MRN-3', 'Rivera');
      const second = patient(tenant, 'MRN-3', 'Rivera-Lopez');
      const created = await store.commit({ records: [first] });

      const result = await store.commit({ records: [second] });

      expect(result).toMatchObject({ created: 0, updated: 1, unchanged: 0 });
      expect(result.changes[0]).toMatchObject({ kind: 'updated', version: 2, recordId: created.changes[0]!.recordId });
      const stored = await store.findRecord(keyOf(second));
      expect(stored).toMatchObject({ version: 2, data: second.data, id: created.changes[0]!.recordId });
      expect(stored!.updatedAt >= stored!.firstSeenAt).toBe(true);
      const history = await store.recordHistory(stored!.id);
      expect(history.map((v) => [v.version, v.data])).toEqual([
        [1, first.data],
        [2, second.data],
      ]);
      const events = (await store.pendingEvents(1000)).filter((e) => e.tenant === tenant);
      expect(events.map((e) => [e.kind, e.version])).toEqual([
        ['created', 1],
        ['updated', 2],
      ]);
    });

    it('keeps the last of duplicates inside one batch', async () => {
      const tenant = unique('clinic');
      const batch = [patient(tenant, 'MRN-4', 'First'), patient(tenant, 'MRN-5'), patient(tenant, 'MRN-4', 'Last')];

      const result = await store.commit({ records: batch });

      expect(result).toMatchObject({ created: 2, updated: 0, unchanged: 1 });
      expect(result.changes.map((c) => c.externalId)).toEqual(['MRN-5', 'MRN-4']);
      const stored = await store.findRecord(keyOf(batch[0]!));
      expect(stored).toMatchObject({ version: 1, data: { name: { family: 'Last' } } });
      expect(await store.recordHistory(stored!.id)).toHaveLength(1);
    });

    it('keeps rejects with their reasons while the rest of the batch lands', async () => {
      const tenant = unique('clinic');
      const good = patient(tenant, 'MRN-6');

      const result = await store.commit({
        records: [good],
        rejects: [
          {
            tenant,
            type: 'Patient',
            sourceConnector: 'riverside-ehr',
            externalSystem: 'urn:riverside-ehr',
            externalId: 'MRN-7',
            runId: 'run-1',
            reasons: ['/birthDate: must match format "date"', '/name/family: is required'],
            data: { birthDate: '02/04/1980', note: 'nul \u0000 inside' },
          },
        ],
      });

      expect(result).toMatchObject({ created: 1, rejected: 1 });
      expect(await store.findRecord(keyOf(good))).toBeDefined();
      const { items } = await store.listRejects({ tenants: [tenant] });
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({
        tenant,
        externalId: 'MRN-7',
        runId: 'run-1',
        reasons: ['/birthDate: must match format "date"', '/name/family: is required'],
        data: { birthDate: '02/04/1980' },
      });
    });

    it('commits state and ledger entries with the records', async () => {
      const tenant = unique('clinic');
      const connectorId = unique('ehr');

      await store.commit({
        records: [patient(tenant, 'MRN-8')],
        state: [
          { connectorId, key: 'cursor', value: { since: '2024-01-01' } },
          { connectorId, key: 'cursor', value: { since: '2024-02-01' } },
        ],
        ledger: [{ connectorId, path: 'inbox/patients.ndjson', checksum: 'abc', size: 1234, status: 'processed' }],
      });

      expect(await store.getState(connectorId, 'cursor')).toEqual({ since: '2024-02-01' });
      expect(await store.getLedgerEntry(connectorId, 'inbox/patients.ndjson', 'abc')).toMatchObject({ size: 1234, status: 'processed' });
      expect(await store.getLedgerEntry(connectorId, 'inbox/patients.ndjson', 'other')).toBeUndefined();

      await store.commit({ ledger: [{ connectorId, path: 'inbox/patients.ndjson', checksum: 'abc', size: 1234, status: 'quarantined', detail: 'bad header' }] });
      expect(await store.getLedgerEntry(connectorId, 'inbox/patients.ndjson', 'abc')).toMatchObject({ status: 'quarantined', detail: 'bad header' });
    });

    it('writes nothing when a state value fails after the records were written', async () => {
      const tenant = unique('clinic');
      const connectorId = unique('ehr');
      const input = patient(tenant, 'MRN-9');

      // jsonb refuses \u0000: the failure comes from the database, after the record upsert ran.
      const failed = store.commit({
        records: [input],
        rejects: [{ tenant, type: 'Patient', sourceConnector: connectorId, reasons: ['x'], data: {} }],
        state: [{ connectorId, key: 'cursor', value: 'page\u0000token' }],
        ledger: [{ connectorId, path: 'a.ndjson', checksum: 'c1', size: 1, status: 'processed' }],
      });

      const error = await failed.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      // Errors reach logs and run records: they must not carry the values that caused them.
      expect(inspect(error, { depth: 10 })).not.toMatch(/page.token/);
      expect(await store.findRecord(keyOf(input))).toBeUndefined();
      expect(await store.getState(connectorId, 'cursor')).toBeUndefined();
      expect(await store.getLedgerEntry(connectorId, 'a.ndjson', 'c1')).toBeUndefined();
      expect((await store.listRejects({ tenants: [tenant] })).items).toEqual([]);
      expect((await store.pendingEvents(1000)).filter((e) => e.tenant === tenant)).toEqual([]);
    });

    it('writes nothing when the ledger write fails after records, rejects and state', async () => {
      const tenant = unique('clinic');
      const connectorId = unique('ehr');
      const existing = patient(tenant, 'MRN-10', 'Before');
      await store.commit({ records: [existing] });
      const failing = new SqlStore(failingOn(driver, 'file_ledger'));

      await expect(
        failing.commit({
          records: [patient(tenant, 'MRN-10', 'After'), patient(tenant, 'MRN-11')],
          state: [{ connectorId, key: 'cursor', value: 42 }],
          ledger: [{ connectorId, path: 'b.ndjson', checksum: 'c2', size: 1, status: 'processed' }],
        }),
      ).rejects.toThrow(/injected failure/);

      expect(await store.findRecord(keyOf(existing))).toMatchObject({ version: 1, data: { name: { family: 'Before' } } });
      expect(await store.findRecord({ ...keyOf(existing), externalId: 'MRN-11' })).toBeUndefined();
      expect(await store.getState(connectorId, 'cursor')).toBeUndefined();
      expect((await store.pendingEvents(1000)).filter((e) => e.tenant === tenant)).toHaveLength(1);
    });

    it('splits a large commit into several statements inside one transaction', async () => {
      const tenant = unique('clinic');
      const small = new SqlStore(driver, { batchSize: 7 });
      const records = Array.from({ length: 30 }, (_, i) => patient(tenant, `MRN-${i}`));

      const result = await small.commit({ records: [...records, patient(tenant, 'MRN-0', 'Changed')] });

      expect(result).toMatchObject({ created: 30, updated: 0, unchanged: 1 });
      expect(await store.countRecords({ tenant })).toBe(30);
      expect(result.changes[0]!.externalId).toBe('MRN-1');
    });

    it('refuses data JSON cannot express, before writing anything', async () => {
      const tenant = unique('clinic');
      await expect(store.commit({ records: [patient(tenant, 'MRN-1', 'X', { big: 1n })] })).rejects.toBeInstanceOf(InputError);
      expect(await store.countRecords({ tenant })).toBe(0);
    });
  });

  describe('reading', () => {
    it('pages through 250 records with limit 100, each exactly once', async () => {
      const tenant = unique('clinic');
      await store.commit({ records: Array.from({ length: 250 }, (_, i) => patient(tenant, `P-${i}`)) });

      const seen: string[] = [];
      const sizes: number[] = [];
      let after: string | undefined;
      do {
        const page = await store.listRecords({ tenant, type: 'Patient', limit: 100, after });
        sizes.push(page.items.length);
        seen.push(...page.items.map((r) => r.externalId));
        after = page.next;
      } while (after);

      expect(sizes).toEqual([100, 100, 50]);
      expect(new Set(seen).size).toBe(250);
      expect(await store.countRecords({ tenant, type: 'Patient' })).toBe(250);
    });

    it('refuses a cursor it did not issue', async () => {
      await expect(store.listRecords({ after: 'not-a-cursor' })).rejects.toBeInstanceOf(InputError);
    });

    it('returns records by ids in the order asked, skipping unknown and malformed ids', async () => {
      const tenant = unique('clinic');
      const { changes } = await store.commit({ records: [patient(tenant, 'A'), patient(tenant, 'B')] });
      const [a, b] = changes.map((c) => c.recordId);

      const records = await store.getRecords([b!, randomUUID(), 'nope', a!]);

      expect(records.map((r) => r.externalId)).toEqual(['B', 'A']);
      expect(await store.getRecord('nope')).toBeUndefined();
    });

    it('finds records by many external ids at once: the found ones, none for missing ids, never another tenant’s', async () => {
      const tenant = unique('clinic');
      const other = unique('clinic');
      const coverage = { ...patient(tenant, 'Coverage/7'), type: 'Coverage' };
      await store.commit({
        records: [patient(tenant, 'Patient/1'), patient(tenant, 'Patient/2'), patient(other, 'Patient/3'), coverage, { ...patient(tenant, 'Patient/4'), externalSystem: 'urn:other-ehr' }],
      });

      const found = await store.findRecords({
        tenant,
        type: 'Patient',
        externalSystem: 'urn:riverside-ehr',
        externalIds: ['Patient/1', 'Patient/2', 'Patient/2', 'Patient/3', 'Patient/4', 'Patient/missing', 'Coverage/7'],
      });

      expect(found.map((r) => r.externalId).sort()).toEqual(['Patient/1', 'Patient/2']);
      expect(found.every((r) => r.tenant === tenant && r.type === 'Patient')).toBe(true);
      expect(found.find((r) => r.externalId === 'Patient/1')).toEqual(await store.findRecord(keyOf(patient(tenant, 'Patient/1'))));
      expect(await store.findRecords({ tenant: other, type: 'Patient', externalSystem: 'urn:riverside-ehr', externalIds: ['Patient/1'] })).toEqual([]);
      expect(await store.findRecords({ tenant, type: 'Patient', externalSystem: 'urn:riverside-ehr', externalIds: [] })).toEqual([]);
    });

    it('finds records among more ids than one statement takes (chunks of 1,000)', async () => {
      const tenant = unique('clinic');
      await store.commit({ records: [patient(tenant, 'P-0'), patient(tenant, 'P-999'), patient(tenant, 'P-1000'), patient(tenant, 'P-2400')] });
      const ids = Array.from({ length: 2500 }, (_, i) => `P-${i}`);

      const found = await store.findRecords({ tenant, type: 'Patient', externalSystem: 'urn:riverside-ehr', externalIds: ids });

      expect(found.map((r) => r.externalId).sort()).toEqual(['P-0', 'P-1000', 'P-2400', 'P-999']);
    });

    it("never shows one tenant another tenant's records, runs, rejects or audit entries", async () => {
      const a = unique('tenant-a');
      const b = unique('tenant-b');
      const connectorId = unique('ehr');
      await store.commit({
        records: [patient(a, 'X1'), patient(b, 'X1'), patient(b, 'X2')],
        rejects: [
          { tenant: a, type: 'Patient', sourceConnector: connectorId, reasons: ['bad'], data: {} },
          { tenant: b, type: 'Patient', sourceConnector: connectorId, reasons: ['bad'], data: {} },
        ],
      });
      await store.startRun({ id: unique('run'), connectorId, tenant: a, kind: 'sync', trigger: 'schedule' });
      await store.startRun({ id: unique('run'), connectorId, tenant: b, kind: 'sync', trigger: 'schedule' });
      await store.audit({ actor: 'token:ops', action: 'records.read', tenant: a, target: 'Patient' });
      await store.audit({ actor: 'token:ops', action: 'records.read', tenant: b, target: 'Patient' });

      const records = await store.listRecords({ tenants: [a] });
      const runs = await store.listRuns({ tenants: [a], connectorId });
      const rejects = await store.listRejects({ tenants: [a], sourceConnector: connectorId });
      const audit = await store.listAudit({ tenants: [a] });

      expect(records.items.map((r) => r.tenant)).toEqual([a]);
      expect(runs.items.map((r) => r.tenant)).toEqual([a]);
      expect(rejects.items.map((r) => r.tenant)).toEqual([a]);
      expect(audit.items.map((e) => e.tenant)).toEqual([a]);
      expect(await store.countRecords({ tenants: [a, b] })).toBeGreaterThanOrEqual(3);
      expect(await store.countRecords({ tenants: [a], tenant: b })).toBe(0);
      expect((await store.listRecords({ tenants: [] })).items).toEqual([]);
      expect((await store.listAudit({ tenants: [b], actor: 'token:ops' })).items).toMatchObject([
        { actor: 'token:ops', action: 'records.read', tenant: b, target: 'Patient' },
      ]);
    });

    it('pages the audit log newest first', async () => {
      const actor = unique('token');
      for (let i = 0; i < 5; i++) await store.audit({ actor, action: `read-${i}`, detail: { i } });

      const first = await store.listAudit({ actor, limit: 3 });
      const second = await store.listAudit({ actor, limit: 3, after: first.next });

      expect(first.items.map((e) => e.action)).toEqual(['read-4', 'read-3', 'read-2']);
      expect(second.items.map((e) => e.action)).toEqual(['read-1', 'read-0']);
      expect(second.next).toBeUndefined();
      expect(second.items[1]!.detail).toEqual({ i: 0 });
    });
  });

  describe('outbox', () => {
    it('hands out undispatched events oldest first until they are marked dispatched', async () => {
      const tenant = unique('clinic');
      await store.commit({ records: [patient(tenant, 'E1')] });
      await store.commit({ records: [patient(tenant, 'E1', 'Changed'), patient(tenant, 'E2')] });

      const mine = (await store.pendingEvents(1000)).filter((e) => e.tenant === tenant);
      // Oldest first per record; records changed by the same commit may come in any order.
      expect(mine.filter((e) => e.externalId === 'E1').map((e) => e.kind)).toEqual(['created', 'updated']);
      expect(mine.filter((e) => e.externalId === 'E2').map((e) => e.kind)).toEqual(['created']);
      expect(mine.map((e) => Number(e.seq))).toEqual(mine.map((e) => Number(e.seq)).sort((a, b) => a - b));

      await store.markEventsDispatched(mine.map((e) => e.seq));
      expect((await store.pendingEvents(1000)).filter((e) => e.tenant === tenant)).toEqual([]);
    });

    it('prunes dispatched events past the cutoff but never pending ones', async () => {
      const tenant = unique('clinic');
      await store.commit({ records: [patient(tenant, 'P1'), patient(tenant, 'P2')] });
      const [first] = (await store.pendingEvents(1000)).filter((e) => e.tenant === tenant);
      await store.markEventsDispatched([first!.seq]);

      expect(await store.pruneDispatchedEvents(new Date(Date.now() - 60_000))).toBe(0);
      expect(await store.pruneDispatchedEvents(new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(1);
      const left = (await store.pendingEvents(1000)).filter((e) => e.tenant === tenant);
      expect(left.map((e) => e.externalId)).toEqual(['P1', 'P2'].filter((id) => id !== first!.externalId));
    });
  });

  describe('state', () => {
    it('sets and reads state outside a commit', async () => {
      const connectorId = unique('ehr');
      expect(await store.getState(connectorId, 'cursor')).toBeUndefined();
      await store.setState({ connectorId, key: 'cursor', value: { page: 2 } });
      await store.setState({ connectorId, key: 'cursor', value: { page: 3 } });
      expect(await store.getState<{ page: number }>(connectorId, 'cursor')).toEqual({ page: 3 });
    });

    it('reads many keys at once: set ones by key, unset and other connectors’ ones absent, past one chunk of 1,000', async () => {
      const connectorId = unique('clearinghouse');
      const keys = Array.from({ length: 1203 }, (_, i) => `lifecycle:pcn:${i}`);
      await store.commit({ state: keys.filter((_, i) => i % 2 === 0).map((key, i) => ({ connectorId, key, value: { claim: i } })) });
      await store.setState({ connectorId: unique('other'), key: 'lifecycle:pcn:1', value: 'not mine' });
      const found = await store.getStates(connectorId, [...keys, 'lifecycle:pcn:0']);
      expect(found.size).toBe(602);
      expect(found.get('lifecycle:pcn:0')).toEqual({ claim: 0 });
      expect(found.get('lifecycle:pcn:1202')).toEqual({ claim: 601 });
      expect(found.has('lifecycle:pcn:1')).toBe(false);
      expect(await store.getStates(connectorId, [])).toEqual(new Map());
    });
  });

  describe('raw events', () => {
    it('keeps a webhook body once and reports the repeat as a duplicate', async () => {
      const connectorId = unique('payroll');
      const event = {
        connectorId,
        tenant: 'clinic-a',
        eventId: 'evt_123',
        contentType: 'application/json',
        headers: { 'x-signature': 't=1,v1=abc', Authorization: 'Bearer secret' },
        body: '{"type":"payroll.processed"}',
      };

      const first = await store.saveRawEvent(event);
      const again = await store.saveRawEvent({ ...event, body: '{"different":true}' });

      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ id: first.id, duplicate: true });
      const kept = await store.getRawEvent(connectorId, 'evt_123');
      expect(kept).toMatchObject({ id: first.id, body: event.body, headers: { 'x-signature': 't=1,v1=abc' } });
      expect(kept!.headers).not.toHaveProperty('Authorization');
      expect(kept!.processedAt).toBeUndefined();

      await store.markRawEventProcessed(connectorId, 'evt_123');
      const processedAt = (await store.getRawEvent(connectorId, 'evt_123'))!.processedAt;
      expect(processedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      await store.markRawEventProcessed(connectorId, 'evt_123');
      expect((await store.getRawEvent(connectorId, 'evt_123'))!.processedAt).toBe(processedAt);
    });

    it('keeps each of many concurrent events once, repeats within the same burst included', async () => {
      const connectorId = unique('payroll');
      const event = (id: string) => ({ connectorId, tenant: 'clinic-a', eventId: id, contentType: 'application/json', headers: {}, body: `{"id":"${id}"}` });
      const ids = Array.from({ length: 40 }, (_, i) => `evt-${i % 25}`);
      const results = await Promise.all(ids.map((id) => store.saveRawEvent(event(id))));

      const firsts = new Map<string, string>();
      results.forEach((result, i) => {
        const id = ids[i]!;
        if (!firsts.has(id)) {
          expect(result.duplicate, `first ${id}`).toBe(false);
          firsts.set(id, result.id);
        } else {
          expect(result).toEqual({ id: firsts.get(id), duplicate: true });
        }
      });
      expect(firsts.size).toBe(25);
      expect((await store.getRawEvent(connectorId, 'evt-7'))!.body).toBe('{"id":"evt-7"}');
    });

    it('prunes events older than the cutoff', async () => {
      const connectorId = unique('payroll');
      await store.saveRawEvent({ connectorId, tenant: 't', eventId: 'old', contentType: 'text/plain', headers: {}, body: 'x' });

      expect(await store.pruneRawEvents(new Date(Date.now() - 60_000))).toBe(0);
      expect(await store.pruneRawEvents(new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(1);
      expect(await store.getRawEvent(connectorId, 'old')).toBeUndefined();
    });
  });

  describe('runs', () => {
    it('records a run from start to finish and reports the latest finished run per connector', async () => {
      const connectorId = unique('clearinghouse');
      const other = unique('payroll');
      const counts = { created: 3, updated: 1, unchanged: 10, rejected: 1, files: 2 };

      await store.startRun({ id: unique('run'), connectorId, tenant: 'clinic-a', kind: 'sync', trigger: 'schedule', attempt: 1 });
      const failedId = unique('run');
      await store.startRun({ id: failedId, connectorId, tenant: 'clinic-a', kind: 'file', trigger: 'manual', jobId: 'job-9' });
      const runningId = unique('run');
      await store.startRun({ id: runningId, connectorId, tenant: 'clinic-a', kind: 'sync', trigger: 'schedule' });

      expect(await store.getRun(runningId)).toMatchObject({ status: 'running', counts: { created: 0 } });
      const [firstId] = (await store.listRuns({ connectorId, limit: 10 })).items.map((r) => r.id).reverse();
      await store.finishRun(firstId!, { status: 'succeeded', counts });
      await store.finishRun(failedId, { status: 'failed', counts: { created: 0, updated: 0, unchanged: 0, rejected: 0 }, error: 'UpstreamError: 503' });

      expect(await store.getRun(firstId!)).toMatchObject({ status: 'succeeded', counts, attempt: 1, finishedAt: expect.any(String) });
      const last = await store.lastRuns([connectorId, other]);
      expect([...last.keys()]).toEqual([connectorId]);
      expect(last.get(connectorId)).toMatchObject({ id: failedId, status: 'failed', error: 'UpstreamError: 503', jobId: 'job-9' });
      expect((await store.listRuns({ connectorId, status: 'running' })).items.map((r) => r.id)).toEqual([runningId]);
      await expect(store.finishRun('no-such-run', { status: 'succeeded', counts })).rejects.toBeInstanceOf(NotFoundError);

      // A job retried under the same run id starts that run afresh.
      await store.startRun({ id: failedId, connectorId, tenant: 'clinic-a', kind: 'file', trigger: 'replay', attempt: 2 });
      const restarted = await store.getRun(failedId);
      expect(restarted).toMatchObject({ status: 'running', trigger: 'replay', attempt: 2, counts: { created: 0 } });
      expect(restarted).not.toHaveProperty('error');
      expect(restarted).not.toHaveProperty('finishedAt');
    });
  });

  describe('migrations', () => {
    it('applies each migration once however often and however concurrently migrate runs', async () => {
      const second = await backend.driver();
      try {
        await Promise.all([migrate(driver), migrate(second), store.migrate()]);
        await store.migrate();

        const rows = await driver.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
        expect(rows.map((r) => r.version)).toEqual((await loadMigrations()).map((m) => m.version));
      } finally {
        if (second !== driver) await second.close();
      }
    });
  });
});

describe('openStore', () => {
  it('keeps PGlite data in its data directory across close and reopen', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hub-store-'));
    try {
      const first = await openStore({ dataDir });
      expect(first.kind).toBe('pglite');
      expect(first.description).toContain(join(dataDir, 'pglite'));
      const { changes } = await first.commit({ records: [patient('clinic-a', 'MRN-1')], state: [{ connectorId: 'ehr', key: 'cursor', value: 7 }] });
      await first.close();

      const reopened = await openStore({ dataDir });
      expect(await reopened.getRecord(changes[0]!.recordId)).toMatchObject({ externalId: 'MRN-1', version: 1 });
      expect(await reopened.getState('ehr', 'cursor')).toBe(7);
      expect(await reopened.commit({ records: [patient('clinic-a', 'MRN-1')] })).toMatchObject({ unchanged: 1 });
      await reopened.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('opens PostgreSQL for a postgres URL, migrated, and never shows the password', async () => {
    const schema = `store_open_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const url = new URL(PG_URL);
    url.password = 's3cret-pw';
    const store = await openStore({ databaseUrl: url.href, schema });
    try {
      expect(store.kind).toBe('postgres');
      expect(store.description).not.toContain('s3cret-pw');
      expect(store.description).toContain(schema);
      await store.ping();
      expect(await store.countRecords({})).toBe(0);
    } finally {
      await store.close();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });

  it('lets two processes start on a brand-new PostgreSQL schema at the same moment', async () => {
    const schema = `store_race_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const stores = await Promise.all([1, 2, 3].map(() => openStore({ databaseUrl: PG_URL, schema })));
    try {
      await stores[0]!.commit({ records: [patient('clinic-a', 'MRN-1')] });
      expect(await stores[2]!.countRecords({ tenant: 'clinic-a' })).toBe(1);
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      const { rows } = await client.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      await client.end();
      expect(rows).toEqual((await loadMigrations()).map((m) => ({ version: m.version })));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });

  it('names DATABASE_URL, and never echoes it, when it is not a PostgreSQL URL', async () => {
    const attempt = openStore({ databaseUrl: 'mysql://root:hunter2@db/hub' });
    await expect(attempt).rejects.toBeInstanceOf(ConfigurationError);
    await expect(attempt).rejects.toThrow(/DATABASE_URL/);
    await expect(openStore({ databaseUrl: 'postgres://u:hunter2@[bad' })).rejects.not.toThrow(/hunter2/);
    await expect(openStore({ databaseUrl: PG_URL, schema: 'Bad-Schema' })).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('reports an unreachable PostgreSQL as transient', async () => {
    await expect(openStore({ databaseUrl: 'postgres://postgres@127.0.0.1:1/test' })).rejects.toBeInstanceOf(TransientError);
  });
});
