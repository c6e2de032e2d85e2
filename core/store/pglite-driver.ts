import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ConfigurationError } from '../errors.js';
import { lockDataDir } from './pglite-lock.js';
import { classifyDbError, type SqlDriver, type SqlExecutor } from './sql.js';

export interface PgliteDriverOptions {
  /** Directory for the database files, created when missing; in memory when absent. */
  dataDir?: string;
  /** In memory only: start from this snapshot (from `dumpSnapshot`) instead of an empty cluster. */
  snapshot?: Blob;
}

export interface PgliteSqlDriver extends SqlDriver {
  /** A copy of the whole cluster, to start other in-memory databases from. */
  dumpSnapshot(): Promise<Blob>;
}

interface WorkerError {
  message: string;
  name?: string;
  code?: string;
  [key: string]: unknown;
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WorkerError };

const WORKER_URL = new URL('./pglite-worker.mjs', import.meta.url);

/**
 * PGlite, the embedded default store, runs in a worker thread (pglite-worker.mjs): its SQL is CPU
 * work in WASM and its file writes are synchronous, which on the main thread would stall every
 * webhook and API call while a sync commits.
 *
 * PGlite is a single connection: every statement and transaction takes a lock here, so a query
 * never lands inside someone else's transaction. Inside `transaction(fn)`, use `tx`, never the
 * driver, or the call waits for itself.
 */
export async function createPgliteDriver(options: PgliteDriverOptions = {}): Promise<PgliteSqlDriver> {
  const { dataDir } = options;
  let unlock = () => {};
  if (dataDir) {
    await mkdir(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
  }
  try {
    if (dataDir && !existsSync(join(dataDir, 'PG_VERSION'))) {
      // A new cluster is made by initdb inside the worker's WebAssembly memory, which never shrinks:
      // about 400 MB more, for as long as the hub runs, than the same cluster opened afresh. So a
      // worker of its own makes it and closes it, and the store opens it in another.
      await (await startWorker({ dataDir, initializeOnly: true })).terminate();
    }
    const snapshot = options.snapshot ? await options.snapshot.arrayBuffer() : undefined;
    const worker = await startWorker({ dataDir, snapshot }, snapshot ? [snapshot] : []);
    return new PgliteDriver(worker, dataDir ? `pglite:${dataDir}` : 'pglite:memory', unlock);
  } catch (error) {
    unlock();
    throw new ConfigurationError(
      `cannot open the embedded database${dataDir ? ` in ${dataDir}` : ''}: ${error instanceof Error ? error.message : String(error)}`,
      [{ path: 'dataDir', message: 'not a usable PGlite data directory' }],
      { cause: error },
    );
  }
}

/** A PGlite worker, once its database is open (or, with `initializeOnly`, made and closed again). */
async function startWorker(
  workerData: { dataDir?: string; snapshot?: ArrayBuffer; initializeOnly?: boolean },
  transferList: ArrayBuffer[] = [],
): Promise<Worker> {
  const worker = new Worker(WORKER_URL, { workerData, transferList });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (message: { ready: boolean; error?: WorkerError }) => (message.ready ? resolve() : reject(toError(message.error!))));
      worker.once('error', reject);
    });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  return worker;
}

class PgliteDriver implements PgliteSqlDriver {
  readonly kind = 'pglite' as const;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  private nextId = 0;
  private lock: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly executor: SqlExecutor = {
    query: <T>(text: string, params?: unknown[]) => this.call('query', text, params) as Promise<T[]>,
    exec: async (script: string) => void (await this.call('exec', script)),
  };

  constructor(
    private readonly worker: Worker,
    readonly description: string,
    private readonly unlock: () => void,
  ) {
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiting.resolve(reply.result);
      else waiting.reject(toError(reply.error));
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', () => this.failAll(new Error('the embedded database worker stopped')));
  }

  query<T>(text: string, params?: unknown[]): Promise<T[]> {
    return this.locked(() => this.executor.query<T>(text, params), 'PGlite query failed');
  }

  exec(script: string): Promise<void> {
    return this.locked(() => this.executor.exec(script), 'PGlite script failed');
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.locked(async () => {
      await this.executor.exec('BEGIN');
      try {
        const result = await fn(this.executor);
        await this.executor.exec('COMMIT');
        return result;
      } catch (error) {
        await this.executor.exec('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }, 'PGlite transaction failed');
  }

  async dumpSnapshot(): Promise<Blob> {
    const buffer = (await this.locked(() => this.call('dump'), 'PGlite snapshot failed')) as ArrayBuffer;
    return new Blob([buffer]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.locked(() => this.call('close'), 'PGlite close failed').catch(() => undefined);
    this.closed = true;
    await this.worker.terminate();
    this.unlock();
  }

  /** Runs `work` alone: PGlite is one connection, and a transaction must not interleave with others. */
  private locked<T>(work: () => Promise<T>, what: string): Promise<T> {
    const run = this.lock.then(work, work);
    this.lock = run.catch(() => undefined);
    return run.catch((error) => {
      throw classifyDbError(error, what);
    });
  }

  private call(op: 'query' | 'exec' | 'dump' | 'close', sql?: string, params?: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the embedded database is closed'));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, sql, params });
    });
  }

  private failAll(error: unknown): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

function toError(described: WorkerError): Error {
  return Object.assign(new Error(described.message), described);
}
