/**
 * Redis goes away while a worker process has jobs queued: first it hangs (frozen with SIGSTOP, as
 * a stalled VM or a network partition looks), then it restarts (SIGTERM; its AOF keeps the
 * queue). Each time the worker rides it out: every queued job completes once Redis is back, and
 * the worker process is still up, taking new work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../core/store/index.js';
import type { Store } from '../../core/store/types.js';
import { bulkEhrPlugin, bulkEhrYaml } from './fixtures/bulk-ehr.js';
import { deletePrefix, dropSchema, eventually, freshPrefix, freshSchema, PG_URL, runsOf, sleep, startTestHub, type TestHub } from './helpers.js';
import { killAll, startPrivateRedis, startWorkerProcess, type PrivateRedis, type WorkerProcess } from './processes.js';

const JOBS = 6;

describe('a worker process when Redis goes away and comes back', () => {
  const schema = freshSchema();
  const prefix = freshPrefix();
  let redis: PrivateRedis;
  let store: Store;
  let operator: TestHub;
  let worker: WorkerProcess;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    // Each job pages through 60 patients, 10 a page, so one is still running when Redis goes.
    const yaml = bulkEhrYaml({ prefix, redisUrl: redis.url, total: 60, pageSize: 10, pageDelayMs: 100 });
    store = await openStore({ databaseUrl: PG_URL, schema });
    operator = await startTestHub({ yaml, plugins: [bulkEhrPlugin], store, workers: false });
    worker = await startWorkerProcess({
      HUB_TEST_YAML: yaml,
      HUB_TEST_SCHEMA: schema,
      // A job whose completion could not be written while Redis was down is picked up again soon.
      HUB_TEST_STALLED_MS: '1000',
      HUB_TEST_LOCK_MS: '3000',
    });
  });

  afterAll(async () => {
    await killAll();
    await operator?.close();
    await store?.close();
    await dropSchema(schema);
    // The private Redis and its data go with it; the shared one should hold nothing of ours.
    await redis?.dispose();
    await deletePrefix(prefix);
  });

  const enqueue = async (count: number) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await operator.runtime.runNow('riverside-ehr', { requestedBy: 'ops@riverside' })).jobId);
    return ids;
  };
  const succeeded = async () => new Set((await runsOf(store, 'riverside-ehr')).filter((r) => r.status === 'succeeded').map((r) => r.jobId));
  const allCompleted = (jobIds: string[]) =>
    eventually(
      `all ${jobIds.length} jobs to succeed`,
      async () => {
        const done = await succeeded();
        return jobIds.every((id) => done.has(id));
      },
      { timeoutMs: 40_000, describe: async () => ({ succeeded: [...(await succeeded())].length, worker: worker.output().slice(-2000) }) },
    );
  const queueState = async () => {
    const counts = await operator.runtime.queues.get('riverside-ehr').getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
    return { waiting: counts.waiting, active: counts.active, delayed: counts.delayed, failed: counts.failed };
  };
  /**
   * Waits until the first job runs, then pauses the queue so the others are certainly still
   * queued in Redis when it goes (the worker would otherwise race through them).
   */
  const holdQueueWithOneRunning = async (jobIds: string[]) => {
    await eventually('the first queued job to start', async () => (await runsOf(store, 'riverside-ehr')).some((r) => r.jobId === jobIds[0]), {
      describe: () => worker.output().slice(-2000),
    });
    await operator.runtime.pause('riverside-ehr');
  };
  /** The operator's resume, retried while its own connection comes back. */
  const release = () =>
    eventually('the queue to be resumed', async () => {
      await operator.runtime.resume('riverside-ehr');
      return true;
    });

  it('Redis frozen for a while: the queued jobs all complete after it thaws', async () => {
    const jobIds = await enqueue(JOBS);
    await holdQueueWithOneRunning(jobIds);

    redis.freeze();
    try {
      await sleep(1500);
    } finally {
      redis.thaw();
    }
    await release();

    await allCompleted(jobIds);
    await eventually('the queue to settle', async () => {
      const state = await queueState();
      return state.waiting + state.active + state.delayed === 0 ? state : undefined;
    });
    expect((await queueState()).failed).toBe(0);
    expect(worker.alive()).toBe(true);
  }, 60_000);

  it('Redis restarted: the jobs it held on disk all complete, and the worker takes new work afterwards', async () => {
    const jobIds = await enqueue(JOBS);
    await holdQueueWithOneRunning(jobIds);

    const before = redis.process().pid;
    await redis.restart();
    expect(redis.process().pid).not.toBe(before);
    await release();
    await allCompleted(jobIds);
    expect(worker.alive()).toBe(true);

    // The same worker process, still connected, runs a job queued after the restart.
    const [after] = await enqueue(1);
    await allCompleted([after]);
    await eventually('the queue to settle', async () => {
      const state = await queueState();
      return state.waiting + state.active + state.delayed === 0 ? state : undefined;
    });
    expect((await queueState()).failed).toBe(0);
    expect(await store.countRecords({ sourceConnector: 'riverside-ehr' })).toBe(60);
    expect(worker.alive()).toBe(true);
  }, 60_000);
});
