/**
 * Job throughput through the hub's worker path (HubRuntime worker → executeJob → plugin sync →
 * run row + commit) against raw BullMQ no-op jobs, on the same Redis, with the same job count, job
 * options and concurrency, measured side by side in the same run.
 *
 *   npm run bench -- queue        (BENCH_QUEUE_JOBS=5000, BENCH_QUEUE_CONCURRENCY=8, BENCH_ROUNDS=5, REDIS_URL, BENCH_DATABASE_URL)
 *
 * Each slice is timed from the first add to the worker's last 'completed' event; jobs are added with
 * addBulk in chunks on both sides, so enqueue costs the same and the difference is the hub's work.
 * The slices alternate between the sides, so a busy moment of the machine hits both.
 */
import { Queue, Worker, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { Registry } from 'prom-client';
import { createLogger } from '../core/logging.js';
import { SCHEMA_VERSION } from '../core/model/index.js';
import type { HubJobData } from '../core/queue/types.js';
import { HubRuntime } from '../core/runtime/hub-runtime.js';
import { PluginLoader } from '../core/runtime/plugin-loader.js';
import { ConnectorQueues, queueName } from '../core/runtime/queues.js';
import { redisOptionsFromUrl } from '../core/runtime/redis.js';
import { definePlugin, Type, type PluginDefinition } from '../core/sdk/index.js';
import {
  alternate,
  benchConnector,
  benchHubConfig,
  benchRedisUrl,
  bounded,
  envInteger,
  freshTag,
  openBenchStore,
  removeQueues,
  withCleanUp,
  type BenchStore,
  type Defer,
  type StoreKind,
} from './support.js';
import type { BenchRow } from './types.js';

export interface QueueBenchOptions {
  /** Timed jobs on each side. @defaultValue 5,000 (or BENCH_QUEUE_JOBS) */
  jobs?: number;
  /** Worker concurrency, on each side. @defaultValue 8 (or BENCH_QUEUE_CONCURRENCY) */
  concurrency?: number;
  /** The timed jobs run in this many alternating slices per side. @defaultValue 5 (or BENCH_ROUNDS) */
  rounds?: number;
  /** Untimed jobs first, on each side, so JIT, pools and PGlite are warm. @defaultValue 1,000 */
  warmupJobs?: number;
  /** Longest one slice may take before the benchmark gives up. @defaultValue 180,000 */
  timeoutMs?: number;
}

interface Variant {
  store: StoreKind;
  /** Records the plugin's sync emits per job: 1 (a real run: run row, one commit) or 0 (fixed cost). */
  recordsPerJob: 0 | 1;
}

const VARIANTS: Variant[] = [
  { store: 'pglite', recordsPerJob: 1 },
  { store: 'pglite', recordsPerJob: 0 },
  { store: 'postgres', recordsPerJob: 1 },
];

const CONNECTOR_ID = 'bench-sync';
/** Jobs per addBulk call, on both sides. */
const ADD_CHUNK = 1000;

interface Settings {
  jobs: number;
  concurrency: number;
  rounds: number;
  warmupJobs: number;
  timeoutMs: number;
  redisUrl: string;
}

/** One side of the comparison: a queue to add to and the worker's completions to wait for. */
interface Side {
  add(count: number): Promise<void>;
  completions: Completions;
}

export default async function queueBench(options: QueueBenchOptions = {}): Promise<BenchRow[]> {
  const settings: Settings = {
    jobs: options.jobs ?? envInteger('BENCH_QUEUE_JOBS', 5000),
    concurrency: options.concurrency ?? envInteger('BENCH_QUEUE_CONCURRENCY', 8),
    rounds: options.rounds ?? envInteger('BENCH_ROUNDS', 5),
    warmupJobs: options.warmupJobs ?? 1000,
    timeoutMs: options.timeoutMs ?? 180_000,
    redisUrl: await benchRedisUrl(),
  };
  const rows: BenchRow[] = [];
  for (const variant of VARIANTS) {
    const opened = await openBenchStore(variant.store);
    if (!opened) continue;
    rows.push(
      await withCleanUp(async (defer) => {
        defer(() => opened.dispose());
        const raw = await rawSide(settings, defer);
        const hub = await hubSide(settings, variant, opened, defer);
        await timed(raw, settings.warmupJobs, settings.timeoutMs);
        await timed(hub.side, settings.warmupJobs, settings.timeoutMs);
        const [baseline, value] = await alternate(
          settings.jobs,
          settings.rounds,
          [raw, hub.side].map((side) => (count: number) => timed(side, count, settings.timeoutMs)),
        );
        await hub.check(settings.warmupJobs + settings.jobs);
        return {
          name: `hub worker, sync job emitting ${variant.recordsPerJob ? '1 record' : 'nothing'} → ${opened.label} (${settings.jobs.toLocaleString('en-US')} jobs, concurrency ${settings.concurrency})`,
          unit: 'jobs/s',
          value: value!,
          baselineName: `raw BullMQ Worker, async no-op processor (same Redis, job count, job options and concurrency; ${settings.rounds} alternating rounds)`,
          baseline: baseline!,
        };
      }),
    );
  }
  return rows;
}

/** The job every run adds: what `runtime.runNow` would enqueue. */
function syncJob(): HubJobData {
  return { kind: 'sync', connectorId: CONNECTOR_ID, tenant: 'bench', trigger: 'manual' };
}

/** Adds `count` jobs with addBulk in chunks, with the hub's job options, on both sides alike. */
function bulkAdder(queue: Queue<HubJobData>, opts: JobsOptions): (count: number) => Promise<void> {
  return async (count) => {
    for (let start = 0; start < count; start += ADD_CHUNK) {
      const size = Math.min(ADD_CHUNK, count - start);
      await queue.addBulk(Array.from({ length: size }, () => ({ name: 'sync', data: syncJob(), opts })));
    }
  };
}

async function rawSide(settings: Settings, defer: Defer): Promise<Side> {
  const prefix = `bench-queue-raw-${freshTag()}`;
  const name = queueName(CONNECTOR_ID);
  defer(() => removeQueues(settings.redisUrl, prefix, [name]));
  const redis = redisOptionsFromUrl(settings.redisUrl);
  // The same connection settings the hub gives its queues and its workers.
  const queue = new Queue<HubJobData>(name, { connection: { ...redis, enableOfflineQueue: false, maxRetriesPerRequest: 1 }, prefix });
  queue.on('error', () => {});
  defer(() => queue.close());
  const worker = new Worker<HubJobData>(name, async () => undefined, {
    connection: { ...redis, maxRetriesPerRequest: null } satisfies ConnectionOptions,
    prefix,
    concurrency: settings.concurrency,
  });
  worker.on('error', () => {});
  defer(() => worker.close());
  const connector = benchConnector({ id: CONNECTOR_ID, plugin: 'bench-sync', concurrency: settings.concurrency });
  // jobOptions is pure: this ConnectorQueues never opens a queue.
  const opts = new ConnectorQueues(new Map([[connector.id, connector]]), {}, prefix).jobOptions(connector);
  return { add: bulkAdder(queue, opts), completions: new Completions(worker, 'raw BullMQ') };
}

async function hubSide(settings: Settings, variant: Variant, opened: BenchStore, defer: Defer): Promise<{ side: Side; check(total: number): Promise<void> }> {
  const prefix = `bench-queue-hub-${freshTag()}`;
  defer(() => removeQueues(settings.redisUrl, prefix, [queueName(CONNECTOR_ID)]));
  const plugin = benchPlugin(variant.recordsPerJob);
  const connector = benchConnector({ id: CONNECTOR_ID, plugin: 'bench-sync', concurrency: settings.concurrency });
  const runtime = await HubRuntime.create({
    config: benchHubConfig({ queuePrefix: prefix, connectors: [connector] }),
    store: opened.store,
    logger: createLogger({ level: 'silent', pretty: false }),
    redisUrl: settings.redisUrl,
    metrics: new Registry(),
    plugins: new PluginLoader({ 'bench-sync': async () => ({ default: plugin.definition }) }),
  });
  defer(() => runtime.close(5000));
  await runtime.startWorkers();
  const side = {
    add: bulkAdder(runtime.queues.get(CONNECTOR_ID), runtime.queues.jobOptions(connector)),
    completions: new Completions(hubWorker(runtime), 'hub'),
  };
  // Every job must have done its real work, or the figure measures something else.
  const check = async (total: number) => {
    if (plugin.syncs() !== total) throw new Error(`hub: the plugin's sync ran ${plugin.syncs()} times for ${total} jobs`);
    const stored = await opened.store.countRecords({ type: 'Employee' });
    if (stored !== total * variant.recordsPerJob) {
      throw new Error(`hub: expected ${total * variant.recordsPerJob} Employee records in the store, found ${stored} (rejected by validation?)`);
    }
  };
  return { side, check };
}

/**
 * A plugin whose sync emits one small valid Employee per job (a new record each time, so every
 * commit inserts), or nothing at all.
 */
function benchPlugin(recordsPerJob: 0 | 1): { definition: PluginDefinition; syncs(): number } {
  let syncs = 0;
  const definition = definePlugin({
    name: 'bench-sync',
    version: '1.0.0',
    config: Type.Object({}),
    produces: ['Employee'],
    consumes: [],
    async sync(ctx) {
      const n = syncs++;
      if (recordsPerJob === 0) return;
      const employeeNumber = `E-${String(n).padStart(7, '0')}`;
      await ctx.emit('Employee', { schemaVersion: SCHEMA_VERSION, name: { family: 'Rivera', given: ['Ana'] }, employeeNumber }, {
        system: 'bench-payroll',
        id: employeeNumber,
      });
    },
  });
  return { definition, syncs: () => syncs };
}

/**
 * HubRuntime keeps its workers private and offers no completion hook, so the benchmark reaches
 * for the field to count 'completed' events exactly as on the raw side.
 */
function hubWorker(runtime: HubRuntime): Worker {
  const workers = (runtime as unknown as { workers?: unknown }).workers;
  if (!Array.isArray(workers) || workers.length !== 1 || !(workers[0] instanceof Worker)) {
    throw new Error('HubRuntime no longer keeps its BullMQ workers in `workers`: update hubWorker() in bench/queue.ts');
  }
  return workers[0];
}

/** Counts a worker's completed jobs; the first failed job fails the benchmark. */
class Completions {
  private done = 0;
  private failure: Error | undefined;
  private waiter: { target: number; resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(worker: Worker, private readonly label: string) {
    worker.on('completed', () => {
      this.done++;
      if (this.waiter && this.done >= this.waiter.target) this.waiter.resolve();
    });
    worker.on('failed', (job, error) => {
      this.failure ??= new Error(`${label}: job ${job?.id ?? '?'} failed: ${error.message}`, { cause: error });
      this.waiter?.reject(this.failure);
    });
  }

  get count(): number {
    return this.done;
  }

  /** Resolves once `target` jobs in all have completed; rejects on a failed job or after `timeoutMs`. */
  until(target: number, timeoutMs: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.done >= target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`${this.label}: only ${this.done} of ${target} jobs completed after ${timeoutMs / 1000}s`));
      }, timeoutMs);
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        this.waiter = undefined;
        fn();
      };
      this.waiter = { target, resolve: () => settle(resolve), reject: (error) => settle(() => reject(error)) };
    });
  }
}

/** Milliseconds from the first add to the completion of the last of `count` jobs. */
async function timed(side: Side, count: number, timeoutMs: number): Promise<number> {
  const target = side.completions.count + count;
  const started = performance.now();
  const finished = side.completions.until(target, timeoutMs);
  // A failing add must not leave `finished` rejecting unobserved.
  finished.catch(() => undefined);
  await bounded(side.add(count), timeoutMs, `adding ${count} jobs`);
  await finished;
  return performance.now() - started;
}
