/**
 * Child processes for the crash and outage stories: hub worker processes and a private
 * redis-server. Every process started here is tracked so afterAll can end it, even after a
 * failed assertion.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { eventually, sleep } from './helpers.js';
import { freePort } from '../../core/free-port.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WORKER_MAIN = join(ROOT, 'tests/runtime/fixtures/worker-main.ts');

const started = new Set<ChildProcess>();

/** SIGKILLs every child still running (afterAll). */
export async function killAll(): Promise<void> {
  await Promise.all([...started].map((child) => stopChild(child, 'SIGKILL')));
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    started.delete(child);
    return;
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  if (child.signalCode === 'SIGSTOP') child.kill('SIGCONT');
  child.kill(signal);
  await Promise.race([exited, sleep(graceMs)]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
  started.delete(child);
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it wrote so far, for failure messages. */
  output(): string;
  /** True while the process has not exited. */
  alive(): boolean;
  /** Graceful stop (SIGTERM), SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** `kill -9`: no chance to clean up. */
  kill9(): Promise<void>;
}

/** Starts `node --import tsx tests/runtime/fixtures/worker-main.ts` and waits until it takes jobs. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_MAIN], {
    cwd: ROOT,
    env: { ...process.env, TEST_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const worker: WorkerProcess = {
    child,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: () => stopChild(child, 'SIGTERM'),
    async kill9() {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited;
      started.delete(child);
    },
  };
  await eventually('the worker process to start', () => {
    if (!worker.alive()) throw new Error(`worker process exited (${child.exitCode ?? child.signalCode}):\n${output}`);
    return output.includes('worker ready');
  }, { timeoutMs: 30_000, describe: () => output });
  return worker;
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** The redis-server process currently running (a restart replaces it). */
  process(): ChildProcess;
  /** SIGSTOP: the server is frozen, connections stay open, nothing is lost. */
  freeze(): void;
  thaw(): void;
  /** SIGTERM (Redis fsyncs its AOF and exits), then start again on the same port and data dir. */
  restart(): Promise<void>;
  /** Stops it for good and removes its data. */
  dispose(): Promise<void>;
}

/** A redis-server of our own with AOF persistence, on a free port, data in a temp dir. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let current: ChildProcess;

  const launch = async () => {
    current = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir],
      { stdio: 'ignore' },
    );
    started.add(current);
    const child = current;
    await eventually(`redis-server on port ${port} to answer`, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      return (await ping(url)) === 'PONG';
    }, { timeoutMs: 10_000 });
  };

  await launch();
  return {
    port,
    url,
    process: () => current,
    freeze: () => void current.kill('SIGSTOP'),
    thaw: () => void current.kill('SIGCONT'),
    async restart() {
      await stopChild(current, 'SIGTERM');
      await launch();
    },
    async dispose() {
      await stopChild(current, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function ping(url: string): Promise<string | undefined> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.ping();
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

