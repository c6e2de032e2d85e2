import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { redisOptionsFromUrl } from './redis.js';
import { hubBackoff } from './backoff.js';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ConnectorConfig, HubConfig } from '../config/types.js';
import { describeError, InputError, isRetryable, NotFoundError } from '../errors.js';
import type { ConnectorStatus, HubServices } from '../http/services.js';
import type { HubJobData } from '../queue/types.js';
import { redactor } from '../redaction.js';
import type { CommitResult, Store } from '../store/types.js';
import { executeJob, type ConnectorRuntime } from './execute-job.js';
import type { PluginLoader } from './plugin-loader.js';
import { ConnectorQueues, queueName } from './queues.js';
import { RouteDispatcher } from './route-dispatcher.js';
import { describeSchedule, reconcileSchedules, schedulerId } from './schedules.js';
import { openFilesTransport, openHttpClient } from './transports.js';

export interface WorkerTuning {
  /** How often BullMQ looks for jobs whose worker died (SIGKILL); they are then run again. @defaultValue 30000 */
  stalledIntervalMs?: number;
  /** How long a worker's lock on a job lasts without renewal. @defaultValue 30000 */
  lockDurationMs?: number;
  /** Outbox sweep interval for route fan-out. @defaultValue 5000 */
  routeSweepMs?: number;
}

export interface HubRuntimeOptions {
  config: HubConfig;
  store: Store;
  logger: Logger;
  redisUrl: string;
  metrics: Registry;
  plugins: PluginLoader;
  tuning?: WorkerTuning;
}

/**
 * The connectors at run time: their queues, workers, schedules and route fan-out, and the
 * operator actions on them (status, run now, pause, resume, dead letters).
 */
export class HubRuntime {
  readonly queues: ConnectorQueues;
  readonly connectors = new Map<string, ConnectorRuntime>();
  private readonly workers: Worker<HubJobData>[] = [];
  private readonly connection: ConnectionOptions;
  private readonly dispatcher: RouteDispatcher;
  private readonly shutdown = new AbortController();
  private redis: { client: Redis; connected: Promise<void> } | undefined;
  private readonly jobCounter: Counter<'connector' | 'kind' | 'outcome'>;
  private readonly jobDuration: Histogram<'connector' | 'kind'>;
  private readonly recordCounter: Counter<'connector' | 'change'>;

  private constructor(private readonly options: HubRuntimeOptions, runtimes: ConnectorRuntime[]) {
    const { config, store, logger } = options;
    for (const runtime of runtimes) this.connectors.set(runtime.config.id, runtime);
    // BullMQ workers block on Redis: commands must wait for a reconnect rather than fail.
    this.connection = { ...redisOptionsFromUrl(options.redisUrl), maxRetriesPerRequest: null };
    const configs = new Map(config.connectors.map((c) => [c.id, c] as const));
    this.queues = new ConnectorQueues(configs, queueConnection(options.redisUrl), config.hub.queuePrefix);
    this.dispatcher = new RouteDispatcher(
      store,
      config.routes,
      this.queues,
      (id) => configs.get(id)?.tenant,
      logger.child({ component: 'routes' }),
    );
    this.jobCounter = metric(options.metrics, 'hub_jobs_total', () =>
      new Counter({ name: 'hub_jobs_total', help: 'Jobs finished, by connector, kind and outcome', labelNames: ['connector', 'kind', 'outcome'], registers: [options.metrics] }),
    );
    this.jobDuration = metric(options.metrics, 'hub_job_duration_seconds', () =>
      new Histogram({ name: 'hub_job_duration_seconds', help: 'Job run time', labelNames: ['connector', 'kind'], buckets: [0.05, 0.2, 1, 5, 30, 120, 600], registers: [options.metrics] }),
    );
    this.recordCounter = metric(options.metrics, 'hub_records_total', () =>
      new Counter({ name: 'hub_records_total', help: 'Canonical records written, by connector and change', labelNames: ['connector', 'change'], registers: [options.metrics] }),
    );
  }

  /** Loads every connector's plugin and transports. Config has been validated already. */
  static async create(options: HubRuntimeOptions): Promise<HubRuntime> {
    return new HubRuntime(options, await loadConnectorRuntimes(options.config, options.plugins));
  }

  connector(id: string): ConnectorRuntime {
    const runtime = this.connectors.get(id);
    if (!runtime) throw new NotFoundError(`no connector "${id}"`);
    return runtime;
  }

  /**
   * Starts a worker per enabled connector. A connector's `concurrency` holds across all worker
   * processes (BullMQ global concurrency), not per process: a plugin that keeps state between jobs
   * (a clearinghouse's claim ledger) relies on its default of 1 when the work is split.
   */
  async startWorkers(): Promise<void> {
    const tuning = this.options.tuning ?? {};
    for (const runtime of this.connectors.values()) {
      const c = runtime.config;
      if (!c.enabled) continue;
      await this.queues.get(c.id).setGlobalConcurrency(c.concurrency);
      const worker = new Worker<HubJobData>(queueName(c.id), (job) => this.process(runtime, job), {
        connection: this.connection,
        prefix: this.queues.prefix,
        concurrency: c.concurrency,
        limiter: c.rateLimit ? { max: c.rateLimit.max, duration: c.rateLimit.perSeconds * 1000 } : undefined,
        stalledInterval: tuning.stalledIntervalMs ?? 30_000,
        lockDuration: tuning.lockDurationMs ?? 30_000,
        maxStalledCount: 3,
        settings: { backoffStrategy: hubBackoff },
      });
      const log = this.options.logger.child({ connector: c.id });
      worker.on('error', (error) => log.warn({ err: error }, 'worker connection problem; it reconnects by itself'));
      worker.on('failed', (job, error) => {
        if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
          log.error({ job: job.id, kind: job.data.kind, err: error }, 'job failed for good: kept as a dead letter');
        }
      });
      this.workers.push(worker);
    }
    this.dispatcher.start(this.options.tuning?.routeSweepMs ?? 5000);
  }

  /** Reconciles the YAML schedules with Redis (scheduler role). */
  async startScheduler(): Promise<void> {
    const redis = await this.redisClient();
    const result = await reconcileSchedules({
      connectors: this.options.config.connectors,
      queues: this.queues,
      connection: this.connection,
      redis,
      log: this.options.logger,
    });
    this.options.logger.info({ scheduled: result.upserted, unscheduled: result.removed }, 'schedules reconciled');
    // The scheduler sweeps the route outbox too, so events reach deliver jobs whichever roles run.
    this.dispatcher.start(this.options.tuning?.routeSweepMs ?? 5000);
  }

  private async process(runtime: ConnectorRuntime, job: Job<HubJobData>): Promise<unknown> {
    // Started more often than it finished: the job was taken over from a worker that died in it
    // (SIGKILL, OOM). That worker's run would otherwise read "running" for ever.
    if (job.id && job.attemptsStarted > job.attemptsMade + 1) await this.closeInterruptedRuns(runtime.config.id, job.id);
    const stop = this.jobDuration.startTimer({ connector: runtime.config.id, kind: job.data.kind });
    const { run, error } = await executeJob(
      { store: this.options.store, logger: this.options.logger, onCommit: (result) => this.onCommit(runtime, result) },
      runtime,
      job.data,
      { jobId: job.id, attempt: job.attemptsMade + 1, signal: this.shutdown.signal },
    );
    stop();
    if (error === undefined) {
      this.jobCounter.inc({ connector: runtime.config.id, kind: job.data.kind, outcome: 'succeeded' });
      return { runId: run.id, counts: run.counts };
    }
    const retry = isRetryable(error);
    this.jobCounter.inc({ connector: runtime.config.id, kind: job.data.kind, outcome: retry ? 'retrying' : 'failed' });
    const message = redactor.redactString(describeError(error));
    // A non-retryable error skips the remaining attempts and goes straight to the dead letters.
    if (!retry) throw new UnrecoverableError(message);
    // The server's Retry-After travels with the error to the backoff strategy.
    throw Object.assign(new Error(message), { retryAfterMs: (error as { retryAfterMs?: number }).retryAfterMs });
  }

  private async closeInterruptedRuns(connectorId: string, jobId: string): Promise<void> {
    const { store } = this.options;
    const running = await store.listRuns({ connectorId, status: 'running', limit: 1000 });
    for (const run of running.items) {
      if (run.jobId !== jobId) continue;
      await store.finishRun(run.id, {
        status: 'failed',
        counts: run.counts,
        error: 'interrupted: the worker running this job stopped (killed or crashed); another worker took the job over',
      });
    }
  }

  private onCommit(runtime: ConnectorRuntime, result: CommitResult): void {
    if (result.created) this.recordCounter.inc({ connector: runtime.config.id, change: 'created' }, result.created);
    if (result.updated) this.recordCounter.inc({ connector: runtime.config.id, change: 'updated' }, result.updated);
    if (this.options.config.routes.length) this.dispatcher.kick();
  }

  // ---- operator actions (HubServices.connectors / deadLetters) ----

  async status(id: string): Promise<ConnectorStatus> {
    const c = this.connector(id).config;
    return (await this.statuses([c]))[0];
  }

  async list(): Promise<ConnectorStatus[]> {
    return this.statuses([...this.connectors.values()].map((r) => r.config));
  }

  private async statuses(configs: ConnectorConfig[]): Promise<ConnectorStatus[]> {
    const lastRuns = await this.options.store.lastRuns(configs.map((c) => c.id));
    return Promise.all(
      configs.map(async (c) => {
        const queue = this.queues.get(c.id);
        const [counts, paused, scheduler] = await Promise.all([
          queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'),
          queue.isPaused(),
          c.schedule ? queue.getJobScheduler(schedulerId(c.id)) : Promise.resolve(undefined),
        ]);
        return {
          id: c.id,
          tenant: c.tenant,
          plugin: c.plugin,
          enabled: c.enabled,
          paused,
          schedule: describeSchedule(c),
          nextRunAt: scheduler?.next ? new Date(scheduler.next).toISOString() : undefined,
          lastRun: lastRuns.get(c.id),
          jobs: {
            waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
            active: counts.active ?? 0,
            delayed: counts.delayed ?? 0,
            failed: counts.failed ?? 0,
            completed: counts.completed ?? 0,
          },
        };
      }),
    );
  }

  async runNow(id: string, options: { full?: boolean; path?: string; requestedBy: string }): Promise<{ jobId: string }> {
    const c = this.connector(id);
    if (!c.plugin.sync) throw new NotFoundError(`connector "${id}" (plugin ${c.plugin.name}) has no sync to run`);
    // No worker takes a disabled connector's jobs: the run would wait, unseen, until it is enabled.
    if (!c.config.enabled) {
      throw new InputError(`connector "${id}" is disabled (enabled: false in the configuration); enable it to run it`, [
        { path: `/connectors/${id}/enabled`, message: 'the connector is disabled' },
      ]);
    }
    const { jobId } = await this.queues.enqueue({
      kind: options.path === undefined ? 'sync' : 'file',
      connectorId: id,
      tenant: c.tenant.id,
      trigger: 'manual',
      full: options.full,
      path: options.path,
      requestedBy: options.requestedBy,
    });
    return { jobId };
  }

  async pause(id: string): Promise<void> {
    this.connector(id);
    await this.queues.get(id).pause();
  }

  async resume(id: string): Promise<void> {
    this.connector(id);
    await this.queues.get(id).resume();
  }

  /** The slice of HubServices this runtime provides. */
  services(): Pick<HubServices, 'connectors' | 'deadLetters'> {
    return {
      connectors: {
        list: () => this.list(),
        get: (id) => this.status(id),
        runNow: (id, o) => this.runNow(id, o),
        pause: (id) => this.pause(id),
        resume: (id) => this.resume(id),
      },
      deadLetters: {
        list: (q) => this.queues.deadLetters(q.connectorIds, q.limit),
        replay: (jobId, ids) => this.queues.replay(jobId, ids),
        replayAll: (ids) => this.queues.replayAll(ids),
      },
    };
  }

  /** Answers PING, for /readyz. */
  async pingRedis(): Promise<void> {
    await (await this.redisClient()).ping();
  }

  /**
   * A client that fails fast while Redis is away (no offline queue), which is what readiness wants;
   * but the first command waits for the first connection, or it would fail on a healthy Redis too.
   */
  private async redisClient(): Promise<Redis> {
    if (!this.redis) {
      const client = new Redis(this.options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
      client.on('error', () => {});
      // A failed first connection is reported by the command that needed it; ioredis keeps retrying.
      this.redis = { client, connected: client.connect().catch(() => undefined) };
    }
    await this.redis.connected;
    return this.redis.client;
  }

  /**
   * Drains: workers finish the jobs they hold (up to `graceMs`), then anything still running is
   * aborted; its job returns to the queue when the lock expires and runs again elsewhere.
   */
  async close(graceMs = 25_000): Promise<void> {
    const closing = Promise.all(this.workers.map((w) => w.close()));
    const timer = setTimeout(() => this.shutdown.abort(new Error('shutdown')), graceMs);
    await closing;
    clearTimeout(timer);
    await this.dispatcher.stop();
    await this.queues.close();
    this.redis?.client.disconnect();
    await Promise.allSettled([...this.connectors.values()].map((c) => c.files?.close()));
  }
}

/** Queue-side connections fail fast when Redis is away, so a webhook caller gets a 503 at once. */
function queueConnection(url: string): ConnectionOptions {
  return { ...redisOptionsFromUrl(url), enableOfflineQueue: false, maxRetriesPerRequest: 1 };
}

function metric<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** Every connector of the config with its plugin and transports, ready for executeJob. */
export async function loadConnectorRuntimes(config: HubConfig, plugins: PluginLoader): Promise<ConnectorRuntime[]> {
  const runtimes: ConnectorRuntime[] = [];
  for (const connector of config.connectors) {
    const plugin = await plugins.load(connector.plugin, config.baseDir);
    const tenant = config.tenants.find((t) => t.id === connector.tenant);
    if (!tenant) throw new NotFoundError(`connector ${connector.id}: no tenant "${connector.tenant}"`);
    runtimes.push({
      config: connector,
      plugin,
      tenant,
      servesTenants: tenantsRoutedTo(config, connector.id),
      files: openFilesTransport(connector, config.baseDir),
      http: openHttpClient(connector),
    });
  }
  return runtimes;
}

/** The tenants whose records some route brings to the connector: `'*'` when a route takes every tenant. */
export function tenantsRoutedTo(config: HubConfig, connectorId: string): readonly string[] | '*' {
  const tenants = new Set<string>();
  for (const route of config.routes) {
    if (route.to !== connectorId || !route.tenants) continue;
    if (route.tenants.includes('*')) return '*';
    for (const tenant of route.tenants) tenants.add(tenant);
  }
  return [...tenants];
}
