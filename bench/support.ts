/**
 * What the queue and webhook benchmarks share: where Redis and PostgreSQL are (loopback only, as a
 * benchmark deletes what it made there), fresh key prefixes and schemas, a HubConfig built in code,
 * bounded waits, and clean-up.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { ConnectorConfig, HubConfig } from '../core/config/types.js';
import { ConfigurationError, TransientError } from '../core/errors.js';
import { redisOptionsFromUrl, safeUrl } from '../core/runtime/redis.js';
import { openStore } from '../core/store/index.js';
import { createPgDriver } from '../core/store/pg-driver.js';
import type { Store } from '../core/store/types.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function assertLoopback(variable: string, url: string): string {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch (error) {
    throw new ConfigurationError(`${variable} is not a valid URL`, [{ path: variable, message: 'not a valid URL' }], { cause: error });
  }
  // Benchmarks obliterate queues and drop schemas: they never point at a shared server.
  if (!LOOPBACK.has(host)) {
    throw new ConfigurationError(`${variable} must point at a loopback address for benchmarks (got host ${host})`, [
      { path: variable, message: 'benchmarks only run against 127.0.0.1 / localhost' },
    ]);
  }
  return url;
}

/**
 * REDIS_URL or 127.0.0.1:6379, once it answers PING: BullMQ would otherwise wait for it forever.
 */
export async function benchRedisUrl(): Promise<string> {
  const url = assertLoopback('REDIS_URL', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new TransientError(`Redis at ${safeUrl(url)} did not answer (${(error as Error).message}): start it or set REDIS_URL`, { cause: error });
  } finally {
    client.disconnect();
  }
  return url;
}

/** The same default chain as bench/ingest.ts. */
export function benchPostgresUrl(): string {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  return assertLoopback(process.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL' : 'DATABASE_URL', url);
}

/** A short random tag for prefixes, schemas and ids, so runs never meet each other's data. */
export function freshTag(): string {
  return randomBytes(5).toString('hex');
}

/** A positive integer from the environment, or the default; anything else is refused by name. */
export function envInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`, [{ path: name, message: 'must be a positive integer' }]);
  }
  return value;
}

/** A connector with the defaults the config loader would apply. */
export function benchConnector(partial: Partial<ConnectorConfig> & Pick<ConnectorConfig, 'id' | 'plugin'>): ConnectorConfig {
  return {
    tenant: 'bench',
    enabled: true,
    concurrency: 1,
    retry: { attempts: 5, backoffMs: 2000 },
    timeoutSeconds: 600,
    transport: {},
    config: {},
    ...partial,
  };
}

export function benchHubConfig(options: { queuePrefix: string; connectors: ConnectorConfig[] }): HubConfig {
  return {
    baseDir: process.cwd(),
    hub: {
      port: 0,
      host: '127.0.0.1',
      dataDir: './data',
      logLevel: 'silent',
      queuePrefix: options.queuePrefix,
      rawEventRetentionDays: 30,
      maxWebhookBytes: 1_048_576,
    },
    tenants: [{ id: 'bench', name: 'Benchmark Practice' }],
    tokens: [],
    connectors: options.connectors,
    routes: [],
  };
}

export type StoreKind = 'pglite' | 'postgres';

export interface BenchStore {
  store: Store;
  label: string;
  /** Closes the store and drops its schema (PostgreSQL). */
  dispose(): Promise<void>;
}

/**
 * A fresh store: in-memory PGlite, or a new schema on PostgreSQL. Returns undefined (with a
 * warning) when PostgreSQL does not answer, so the PGlite rows still get measured.
 */
export async function openBenchStore(kind: StoreKind): Promise<BenchStore | undefined> {
  if (kind === 'pglite') {
    // On disk, as `npm start` runs it: the in-memory file system re-allocates as tables grow,
    // which would charge the hub for a cost the default set-up does not have.
    const dataDir = await mkdtemp(join(tmpdir(), 'bench-pglite-'));
    const store = await openStore({ dataDir });
    return {
      store,
      label: 'PGlite (on disk, as npm start)',
      async dispose() {
        await store.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  const databaseUrl = benchPostgresUrl();
  const schema = `bench_${freshTag()}`;
  let store: Store;
  try {
    store = await openStore({ databaseUrl, schema });
  } catch (error) {
    if (!(error instanceof TransientError)) throw error;
    process.emitWarning(`PostgreSQL unreachable (${error.message}): PostgreSQL rows skipped`);
    await dropSchema(databaseUrl, schema).catch(() => undefined);
    return undefined;
  }
  return {
    store,
    label: 'PostgreSQL',
    async dispose() {
      await store.close();
      await dropSchema(databaseUrl, schema);
    },
  };
}

export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const driver = await createPgDriver({ connectionString: databaseUrl, maxConnections: 1 });
  try {
    await driver.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await driver.close();
  }
}

/**
 * Obliterates the named queues, then deletes whatever else sits under the prefix (BullMQ keeps a
 * few keys, such as the events stream, outside obliterate's reach). The prefix is fresh per run,
 * so the pattern only ever matches this run's keys.
 */
export async function removeQueues(redisUrl: string, prefix: string, names: string[]): Promise<void> {
  for (const name of names) {
    const queue = new Queue(name, { connection: { ...redisOptionsFromUrl(redisUrl), maxRetriesPerRequest: 1 }, prefix });
    queue.on('error', () => {});
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
  }
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    let cursor = '0';
    // Bounded: a fresh prefix holds a few keys per queue; 1,000 scans of 1,000 is far beyond that.
    for (let scans = 0; scans < 1000; scans++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
      if (cursor === '0') return;
    }
    throw new Error(`could not finish deleting the keys under ${prefix}: after 1,000 scans`);
  } finally {
    redis.disconnect();
  }
}

/** Settles like `promise`, or rejects once `ms` have passed (the promise itself runs on, unobserved). */
export function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Longest one clean-up step may take (a Redis that went away would hold a close forever). */
const CLEANUP_STEP_MS = 30_000;

export type Defer = (step: () => Promise<unknown> | unknown) => void;

/**
 * Runs `body`, then every clean-up step it deferred, last first, each even when an earlier one
 * failed. A clean-up failure fails the benchmark, but never hides the error of the body itself.
 */
export async function withCleanUp<T>(body: (defer: Defer) => Promise<T>): Promise<T> {
  const steps: (() => Promise<unknown> | unknown)[] = [];
  const runSteps = async (): Promise<unknown> => {
    let first: unknown;
    for (const step of steps.reverse()) {
      try {
        await bounded(Promise.resolve().then(step), CLEANUP_STEP_MS, 'a clean-up step');
      } catch (error) {
        first ??= error;
      }
    }
    return first;
  };
  let result: T;
  try {
    result = await body((step) => steps.push(step));
  } catch (error) {
    const failure = await runSteps();
    if (failure !== undefined) process.emitWarning(`benchmark clean-up also failed: ${(failure as Error).message}`);
    throw error;
  }
  const failure = await runSteps();
  if (failure !== undefined) throw new Error(`benchmark clean-up failed: ${(failure as Error).message}`, { cause: failure });
  return result;
}

/**
 * Splits `count` units into `rounds` slices and runs them on each side in turn (A B, B A, A B…), so
 * both sides meet the same moments of a busy machine and neither always runs right after the
 * other. Each side returns the milliseconds its slice took; the result is units per second per side.
 */
export async function alternate(count: number, rounds: number, sides: ((units: number) => Promise<number>)[]): Promise<number[]> {
  const elapsedMs = sides.map(() => 0);
  const indexes = sides.map((_, i) => i);
  for (let round = 0; round < rounds; round++) {
    const units = Math.floor(count / rounds) + (round < count % rounds ? 1 : 0);
    if (units === 0) continue;
    for (const i of round % 2 === 0 ? indexes : [...indexes].reverse()) elapsedMs[i] += await sides[i]!(units);
  }
  return elapsedMs.map((ms) => Math.round(count / (ms / 1000)));
}
