/**
 * A first bulk sync fills an empty records table within one job, faster than autovacuum looks
 * (and some servers run with it off). Without statistics PostgreSQL plans a lookup by natural key
 * (findRecord, a plugin's ctx.find) as if the table were still tiny, on the tenant and type index,
 * and walks every record of the type: an upsert probe planned that way made 1,000-row commits go
 * from about 0.1 s to 7-14 s past 11,000 records. The store refreshes the statistics itself as the
 * table grows; this checks the planner then uses the natural key.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgDriver } from './pg-driver.js';
import { SqlStore } from './sql-store.js';
import type { SqlDriver } from './sql.js';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `stats_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
let driver: SqlDriver | undefined;

afterAll(async () => {
  await driver?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await driver?.close();
});

const batch = (from: number) =>
  Array.from({ length: 1000 }, (_, i) => ({
    tenant: 'riverside',
    type: 'Patient',
    externalSystem: 'riverside-ehr',
    externalId: `Patient/${from + i}`,
    sourceConnector: 'riverside-ehr',
    data: { schemaVersion: 1, name: { family: `Synthetic${from + i}` } },
  }));

describe('the records table’s statistics during a first bulk load', () => {
  it('are refreshed by the store as it grows, so a lookup by external id is planned on the natural key', { timeout: 120_000 }, async () => {
    driver = await createPgDriver({ connectionString: PG_URL, schema });
    const store = new SqlStore(driver);
    await store.migrate();
    for (let from = 0; from < 12_000; from += 1000) {
      const result = await store.commit({ records: batch(from) });
      expect(result.created).toBe(1000);
    }

    const [stats] = await driver.query<{ rows: number }>(`SELECT reltuples::float8 AS rows FROM pg_class WHERE oid = 'records'::regclass`);
    expect(stats!.rows).toBeGreaterThanOrEqual(5000);

    const plan = await driver.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT hash FROM records WHERE tenant = 'riverside' AND type = 'Patient' AND external_system = 'riverside-ehr' AND external_id = 'Patient/42'`,
    );
    expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain('records_natural_key');
  });
});
