/**
 * A worker is killed (`kill -9`, an OOM kill, a pulled plug) in the middle of loading the EHR's
 * 5,000 patients. Another worker picks the job up and finishes it from the last committed page:
 * every patient is there once, none twice, and the job ends completed, not dead-lettered.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../core/store/index.js';
import type { Store } from '../../core/store/types.js';
import { bulkEhrPlugin, bulkEhrYaml } from './fixtures/bulk-ehr.js';
import { deletePrefix, dropSchema, eventually, freshPrefix, freshSchema, PG_URL, runsOf, startTestHub, type TestHub } from './helpers.js';
import { killAll, startWorkerProcess, type WorkerProcess } from './processes.js';

const TOTAL = 5000;
const prefix = freshPrefix();
const schema = freshSchema();
const yaml = bulkEhrYaml({ prefix, total: TOTAL, pageSize: 250, pageDelayMs: 100 });
// Short locks so a dead worker's job is noticed soon; both workers use them, as the lock is the first one's.
const workerEnv = { HUB_TEST_YAML: yaml, HUB_TEST_SCHEMA: schema, HUB_TEST_STALLED_MS: '1000', HUB_TEST_LOCK_MS: '1000' };

describe('a worker killed mid-sync', () => {
  let store: Store;
  /** The operator's side: enqueues and inspects, runs no jobs itself. */
  let operator: TestHub;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    store = await openStore({ databaseUrl: PG_URL, schema });
    operator = await startTestHub({ yaml, plugins: [bulkEhrPlugin], store, workers: false });
  });

  afterAll(async () => {
    await killAll();
    await operator?.close();
    await store?.close();
    await dropSchema(schema);
    await deletePrefix(prefix);
  });

  it('is replaced by another that finishes the job from the cursor: 5,000 patients, each once', async () => {
    const first = await startWorkerProcess(workerEnv);
    workers.push(first);
    const { jobId } = await operator.runtime.runNow('riverside-ehr', { requestedBy: 'ops@riverside' });

    await eventually(
      'the first worker to have stored some but not all patients',
      async () => {
        const count = await store.countRecords({ sourceConnector: 'riverside-ehr' });
        return count > 0 && count < TOTAL;
      },
      { intervalMs: 20, timeoutMs: 30_000, describe: () => first.output() },
    );
    await first.kill9();
    const storedBeforeResume = await store.countRecords({ sourceConnector: 'riverside-ehr' });
    expect(storedBeforeResume).toBeGreaterThan(0);
    expect(storedBeforeResume).toBeLessThan(TOTAL);

    const second = await startWorkerProcess(workerEnv);
    workers.push(second);
    const job = (await operator.runtime.queues.get('riverside-ehr').getJob(jobId))!;
    await eventually('the job to be completed by the second worker', async () => (await job.getState()) === 'completed', {
      timeoutMs: 45_000,
      describe: async () => ({ state: await job.getState(), worker: second.output() }),
    });

    // Every patient once, at version 1: nothing was lost and nothing written twice.
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    try {
      const { rows } = await db.query(
        `SELECT count(*)::int AS records, count(DISTINCT external_id)::int AS patients,
                count(*) FILTER (WHERE version = 1)::int AS at_version_1,
                (SELECT count(*)::int FROM ${schema}.record_history) AS versions
         FROM ${schema}.records WHERE source_connector = 'riverside-ehr'`,
      );
      expect(rows[0]).toEqual({ records: TOTAL, patients: TOTAL, at_version_1: TOTAL, versions: TOTAL });
    } finally {
      await db.end();
    }

    // The run history tells it as it happened: one run interrupted, one that finished, starting
    // where the first one's last committed page ended.
    const runs = (await runsOf(store, 'riverside-ehr')).filter((r) => r.jobId === jobId);
    expect(runs.map((r) => r.status)).toEqual(['failed', 'succeeded']);
    expect(runs[0].error).toMatch(/^interrupted/);
    expect(runs[1].counts).toMatchObject({ created: TOTAL - storedBeforeResume, unchanged: 0, updated: 0 });
    expect(await store.getState('riverside-ehr', 'offset')).toBe(0);

    expect(await operator.runtime.services().deadLetters.list({ connectorIds: ['riverside-ehr'], limit: 10 })).toEqual([]);
    expect(second.alive()).toBe(true);
  }, 90_000);
});
