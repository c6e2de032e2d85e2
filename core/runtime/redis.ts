import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ConfigurationError } from '../errors.js';
import { freePort } from '../free-port.js';

export interface ResolvedRedis {
  url: string;
  /** For the start-up log: where it is and who started it (no password). */
  description: string;
  /** Stops the private redis-server, if the hub started one. */
  stop(): Promise<void>;
}

const DEFAULT_LOCAL = 'redis://127.0.0.1:6379';
const REDIS_SERVER_CANDIDATES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server'];

/**
 * Finds the Redis the hub will use: the configured URL, else a Redis already answering on
 * 127.0.0.1:6379, else a private redis-server child process on a free port with its data under
 * dataDir. Fails with instructions when none can be had.
 */
export async function resolveRedis(options: {
  url?: string;
  dataDir: string;
  log: Logger;
  /** False for CLI commands that talk to a running hub: they look for its private Redis instead. @defaultValue true */
  startPrivate?: boolean;
  /** Where to look for an already running Redis. @defaultValue 'redis://127.0.0.1:6379' */
  localUrl?: string;
  /** redis-server binaries to try, in order; default PATH and the usual install locations. */
  binaries?: string[];
}): Promise<ResolvedRedis> {
  const { log } = options;
  if (options.url) {
    const problem = await ping(options.url, 3000);
    if (problem) {
      throw new ConfigurationError(`Redis at ${safeUrl(options.url)} did not answer (${problem}). Check REDIS_URL or hub.redisUrl.`);
    }
    await warnOnRiskySettings(options.url, log);
    return { url: options.url, description: `${safeUrl(options.url)} (configured)`, stop: async () => {} };
  }
  const local = options.localUrl ?? DEFAULT_LOCAL;
  if (!(await ping(local, 500))) {
    await warnOnRiskySettings(local, log);
    return { url: local, description: `${local} (found running locally)`, stop: async () => {} };
  }
  const urlFile = join(resolve(options.dataDir, 'redis'), 'url');
  if (options.startPrivate === false) {
    const privateUrl = existsSync(urlFile) ? readFileSync(urlFile, 'utf8').trim() : undefined;
    if (privateUrl && !(await ping(privateUrl, 500))) {
      return { url: privateUrl, description: `${privateUrl} (the running hub's private redis-server)`, stop: async () => {} };
    }
    throw new ConfigurationError('No Redis answers: start the hub (npm start) or set REDIS_URL to the Redis it uses.');
  }
  const binary = (options.binaries ?? redisServerCandidates()).find((candidate) => existsSync(candidate));
  if (!binary) {
    throw new ConfigurationError(
      'No Redis available: REDIS_URL is not set, nothing answers on 127.0.0.1:6379, and no redis-server binary was found. ' +
        'Install Redis (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`) or set REDIS_URL=redis://host:6379.',
    );
  }
  return startPrivateRedis(binary, resolve(options.dataDir, 'redis'), log);
}

function redisServerCandidates(): string[] {
  const fromPath = (process.env.PATH ?? '').split(':').filter(Boolean).map((dir) => join(dir, 'redis-server'));
  return [...fromPath, ...REDIS_SERVER_CANDIDATES];
}

async function startPrivateRedis(binary: string, dir: string, log: Logger): Promise<ResolvedRedis> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      // Jobs must survive a restart and never be evicted: AOF on, noeviction.
      '--appendonly', 'yes',
      '--maxmemory-policy', 'noeviction',
      '--save', '',
      '--logfile', join(dir, 'redis.log'),
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 10_000;
  while (await ping(url, 300)) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new ConfigurationError(`the private redis-server (${binary}) did not start; see ${join(dir, 'redis.log')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  log.debug({ pid: child.pid, port }, 'private redis-server started');
  // CLI commands (status, replay) find the running hub's private Redis through this file.
  writeFileSync(join(dir, 'url'), url);
  return {
    url,
    description: `${url} (private redis-server started by the hub, data in ${dir})`,
    async stop() {
      rmSync(join(dir, 'url'), { force: true });
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      if (!exited) child.kill('SIGKILL');
    },
  };
}

/** Returns undefined when Redis answers PING, else a short reason. */
async function ping(url: string, timeoutMs: number): Promise<string | undefined> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    client.disconnect();
  }
}

/** BullMQ loses jobs when Redis evicts keys or restarts without persistence: say so at start-up. */
async function warnOnRiskySettings(url: string, log: Logger): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    await client.connect();
    const [, policy] = (await client.config('GET', 'maxmemory-policy')) as string[];
    const [, aof] = (await client.config('GET', 'appendonly')) as string[];
    if (policy !== 'noeviction') {
      log.warn({ maxmemoryPolicy: policy }, 'Redis maxmemory-policy should be noeviction, or queued jobs may be evicted');
    }
    if (aof !== 'yes') {
      log.warn('Redis has AOF persistence off: queued jobs are lost if Redis restarts (fine for development, not for production)');
    }
  } catch {
    // CONFIG may be disabled on managed Redis; the check is advice, not a requirement.
  } finally {
    client.disconnect();
  }
}


export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'an unparseable URL';
  }
}

/** ioredis options from a redis:// or rediss:// URL (BullMQ takes options, not URLs). */
export function redisOptionsFromUrl(url: string): { host: string; port: number; username?: string; password?: string; db?: number; tls?: object } {
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigurationError(`Redis URL must start with redis:// or rediss:// (got ${parsed.protocol}//…)`);
  }
  const db = parsed.pathname.replace('/', '');
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: db ? Number(db) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}
