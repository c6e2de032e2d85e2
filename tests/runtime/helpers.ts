/**
 * What the runtime stories share: a hub config from YAML text with inline test plugins, a
 * HubRuntime on the real Redis with a fresh BullMQ prefix, and polling helpers. Every wait is
 * bounded by a generous deadline and fails with what it was waiting for; none measures time.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Registry } from 'prom-client';
import { loadConfigText } from '../../core/config/load.js';
import type { HubConfig } from '../../core/config/types.js';
import { createLogger, type Logger } from '../../core/logging.js';
import { HubRuntime, type WorkerTuning } from '../../core/runtime/hub-runtime.js';
import { PluginLoader, pluginSchemaResolver, type BuiltinPlugins } from '../../core/runtime/plugin-loader.js';
import type { PluginDefinition } from '../../core/sdk/types.js';
import { openStore } from '../../core/store/index.js';
import type { Run, Store } from '../../core/store/types.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A BullMQ key prefix no other test uses. */
export function freshPrefix(): string {
  return `t${randomBytes(6).toString('hex')}`;
}

/** A PostgreSQL schema name no other test uses. */
export function freshSchema(): string {
  return `rt_${randomBytes(6).toString('hex')}`;
}

/** Quiet unless TEST_LOG_LEVEL asks otherwise (handy when a story fails). */
export function testLogger(): Logger {
  return createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false, destination: process.stderr });
}

/** Built-in plugins for the PluginLoader, from inline definitions. */
export function builtins(plugins: PluginDefinition<any>[]): BuiltinPlugins {
  return Object.fromEntries(plugins.map((p) => [p.name, async () => ({ default: p as PluginDefinition })]));
}

/** Loads YAML the way the hub does (substitution, plugin schemas, cross-references), with no env leaking in. */
export async function loadTestConfig(
  yaml: string,
  plugins: PluginDefinition<any>[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ config: HubConfig; loader: PluginLoader }> {
  const loader = new PluginLoader(builtins(plugins));
  // Nothing in these configs is a relative path; the folder only has to exist.
  const config = await loadConfigText(yaml, { baseDir: tmpdir(), env, plugins: pluginSchemaResolver(loader) });
  return { config, loader };
}

export interface TestStore {
  store: Store;
  /** Closes the store and drops its PostgreSQL schema. */
  dispose(): Promise<void>;
}

/**
 * A store of its own: a fresh schema on the real PostgreSQL (quick to create), or the embedded
 * PGlite a hub uses when no DATABASE_URL is set.
 */
export async function openTestStore(kind: 'postgres' | 'pglite' = 'postgres'): Promise<TestStore> {
  if (kind === 'pglite') {
    const store = await openStore({});
    return { store, dispose: () => store.close() };
  }
  const schema = freshSchema();
  const store = await openStore({ databaseUrl: PG_URL, schema });
  return {
    store,
    async dispose() {
      await store.close();
      await dropSchema(schema);
    },
  };
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export interface TestHub {
  config: HubConfig;
  store: Store;
  runtime: HubRuntime;
  prefix: string;
  /** Closes the runtime (and the store when this helper opened it). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * A HubRuntime over the given YAML. The store is a fresh PostgreSQL schema (or PGlite) unless one
 * is passed, for a second runtime over the same data; a passed store is left open on close.
 */
export async function startTestHub(options: {
  yaml: string;
  plugins: PluginDefinition<any>[];
  env?: NodeJS.ProcessEnv;
  store?: Store | 'postgres' | 'pglite';
  redisUrl?: string;
  tuning?: WorkerTuning;
  workers?: boolean;
  scheduler?: boolean;
}): Promise<TestHub> {
  const { config, loader } = await loadTestConfig(options.yaml, options.plugins, options.env);
  const owned = typeof options.store === 'object' ? undefined : await openTestStore(options.store);
  const store = owned?.store ?? (options.store as Store);
  const runtime = await HubRuntime.create({
    config,
    store,
    logger: testLogger(),
    redisUrl: options.redisUrl ?? config.hub.redisUrl ?? REDIS_URL,
    metrics: new Registry(),
    plugins: loader,
    tuning: { routeSweepMs: 200, ...options.tuning },
  });
  if (options.scheduler) await runtime.startScheduler();
  if (options.workers ?? true) await runtime.startWorkers();
  let closed: Promise<void> | undefined;
  return {
    config,
    store,
    runtime,
    prefix: config.hub.queuePrefix,
    close() {
      closed ??= (async () => {
        await runtime.close(2000);
        await owned?.dispose();
      })();
      return closed;
    },
  };
}

/** Deletes every key under a BullMQ prefix. */
export async function deletePrefix(prefix: string, redisUrl = REDIS_URL): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => {});
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until `probe` returns something other than undefined/false, and returns it. Fails with
 * `what` (and the last value seen) if the deadline passes: the deadline is a safety net, not a
 * claim about speed.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; describe?: () => Promise<unknown> | unknown } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const state = options.describe ? await Promise.resolve(options.describe()).catch((e) => `(describe failed: ${e})`) : undefined;
      throw new Error(
        `gave up waiting for ${what}` +
          (state === undefined ? '' : `; last seen: ${JSON.stringify(state)}`) +
          (lastError ? `; last error: ${(lastError as Error).message}` : ''),
      );
    }
    await sleep(options.intervalMs ?? 50);
  }
}

/** All runs of a connector, oldest first. */
export async function runsOf(store: Store, connectorId: string): Promise<Run[]> {
  const page = await store.listRuns({ connectorId, limit: 1000 });
  return [...page.items].reverse();
}

/** Waits for the run of one BullMQ job to finish with the given status, and returns it. */
export async function finishedRun(store: Store, connectorId: string, jobId: string, status: 'succeeded' | 'failed' = 'succeeded'): Promise<Run> {
  return eventually(`a ${status} run of job ${jobId} on ${connectorId}`, async () =>
    (await runsOf(store, connectorId)).find((r) => r.jobId === jobId && r.status === status),
    { describe: async () => (await runsOf(store, connectorId)).map((r) => ({ job: r.jobId, status: r.status, error: r.error })) },
  );
}
