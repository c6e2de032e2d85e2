import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from './migrate.js';
import { createPgDriver } from './pg-driver.js';
import { createPgliteDriver } from './pglite-driver.js';
import type { SqlDriver } from './sql.js';
import { SqlStore } from './sql-store.js';
import type { RunCoverage, Store } from './types.js';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const COUNTS = { created: 3, updated: 0, unchanged: 0, rejected: 0 };
const unique = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

interface Backend {
  /** A fresh, empty database (a new PGlite, or a new PostgreSQL schema). */
  driver(): Promise<SqlDriver>;
  cleanup(): Promise<void>;
}

function pgliteBackend(): Backend {
  const drivers: SqlDriver[] = [];
  return {
    async driver() {
      const driver = await createPgliteDriver();
      drivers.push(driver);
      return driver;
    },
    async cleanup() {
      await Promise.all(drivers.map((d) => d.close()));
    },
  };
}

function postgresBackend(): Backend {
  const schemas: string[] = [];
  const drivers: SqlDriver[] = [];
  return {
    async driver() {
      const schema = `coverage_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      schemas.push(schema);
      const driver = await createPgDriver({ connectionString: PG_URL, schema, maxConnections: 2 });
      drivers.push(driver);
      return driver;
    },
    async cleanup() {
      await Promise.all(drivers.map((d) => d.close()));
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

const patients = (records: number, ethnicity: number): RunCoverage => ({
  Patient: { records, fields: { 'name.family': records, birthDate: records, ...(ethnicity ? { 'ethnicity.ombCategories[]': ethnicity } : {}) } },
});

describe.each([
  ['PGlite (in memory)', pgliteBackend],
  ['PostgreSQL', postgresBackend],
])('run coverage on %s', (_name, makeBackend) => {
  const backend = makeBackend();
  let store: Store;

  beforeAll(async () => {
    store = new SqlStore(await backend.driver());
    await store.migrate();
  });

  afterAll(() => backend.cleanup());

  async function finishedRun(connectorId: string, tenant: string, coverage?: RunCoverage, status: 'succeeded' | 'failed' = 'succeeded') {
    const id = unique('run');
    await store.startRun({ id, connectorId, tenant, kind: 'sync', trigger: 'schedule' });
    return store.finishRun(id, { status, counts: COUNTS, coverage, ...(status === 'failed' ? { error: 'UpstreamError: 503' } : {}) });
  }

  it('keeps a run’s coverage with the run, shown on the run but not in lists', async () => {
    const connectorId = unique('riverside-ehr');
    const finished = await finishedRun(connectorId, 'riverside', patients(4, 1));
    expect(finished.coverage).toEqual(patients(4, 1));
    expect((await store.getRun(finished.id))?.coverage).toEqual(patients(4, 1));
    expect((await store.listRuns({ connectorId })).items[0]).not.toHaveProperty('coverage');
    expect((await store.lastRuns([connectorId])).get(connectorId)).not.toHaveProperty('coverage');

    // A run that emitted nothing has no coverage at all.
    const empty = await finishedRun(connectorId, 'riverside', {});
    expect(empty).not.toHaveProperty('coverage');
    expect(await store.getRun(empty.id)).not.toHaveProperty('coverage');
  });

  it("hands back a connector's latest runs that emitted records, newest first, failed ones included", async () => {
    const connectorId = unique('riverside-ehr');
    const first = await finishedRun(connectorId, 'riverside', patients(2, 2));
    await finishedRun(connectorId, 'riverside');
    const second = await finishedRun(connectorId, 'riverside', patients(5, 0), 'failed');
    const third = await finishedRun(connectorId, 'riverside', patients(1, 1));
    await finishedRun(unique('other-connector'), 'riverside', patients(9, 9));
    const running = unique('run');
    await store.startRun({ id: running, connectorId, tenant: 'riverside', kind: 'sync', trigger: 'manual' });

    const all = await store.runCoverage({ connectorId, limit: 10 });
    expect(all.map((e) => e.runId)).toEqual([third.id, second.id, first.id]);
    expect(all[1]).toEqual({ runId: second.id, tenant: 'riverside', finishedAt: second.finishedAt, coverage: patients(5, 0) });
    expect((await store.runCoverage({ connectorId, limit: 2 })).map((e) => e.runId)).toEqual([third.id, second.id]);
  });

  it("never hands one tenant another tenant's coverage", async () => {
    const connectorId = unique('shared-ehr');
    await finishedRun(connectorId, 'lakeside', patients(3, 3));
    expect(await store.runCoverage({ connectorId, tenants: ['riverside'], limit: 10 })).toEqual([]);
    expect(await store.runCoverage({ connectorId, tenants: ['lakeside'], limit: 10 })).toHaveLength(1);
  });

  it('forgets a run’s coverage when the run starts again under the same id', async () => {
    const connectorId = unique('riverside-ehr');
    const run = await finishedRun(connectorId, 'riverside', patients(2, 1));
    await store.startRun({ id: run.id, connectorId, tenant: 'riverside', kind: 'sync', trigger: 'replay' });
    expect(await store.getRun(run.id)).not.toHaveProperty('coverage');
    expect(await store.runCoverage({ connectorId, limit: 10 })).toEqual([]);
  });

  it('adds the coverage column to a database that already has runs', async () => {
    const driver = await backend.driver();
    const all = await loadMigrations();
    const before = all.filter((m) => m.version < '003');
    expect(all.map((m) => m.version)).toContain('003');
    await migrate(driver, before);
    await driver.query(
      `INSERT INTO runs (id, connector_id, tenant, kind, trigger, status, finished_at, counts)
       VALUES ('run-before-003', 'riverside-ehr', 'riverside', 'sync', 'schedule', 'succeeded', now(), '{"created":7,"updated":0,"unchanged":0,"rejected":0}')`,
    );

    const upgraded = new SqlStore(driver);
    await upgraded.migrate();
    const old = await upgraded.getRun('run-before-003');
    expect(old).toMatchObject({ status: 'succeeded', counts: { created: 7 } });
    expect(old).not.toHaveProperty('coverage');
    expect(await upgraded.runCoverage({ connectorId: 'riverside-ehr', limit: 10 })).toEqual([]);

    await upgraded.startRun({ id: 'run-after-003', connectorId: 'riverside-ehr', tenant: 'riverside', kind: 'sync', trigger: 'schedule' });
    await upgraded.finishRun('run-after-003', { status: 'succeeded', counts: COUNTS, coverage: patients(3, 0) });
    expect((await upgraded.runCoverage({ connectorId: 'riverside-ehr', limit: 10 })).map((e) => e.runId)).toEqual(['run-after-003']);
    const versions = await driver.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(versions.map((v) => v.version)).toEqual(all.map((m) => m.version));
  });
});
