import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { ConfigurationError } from '../errors.js';
import { classifyDbError, type SqlDriver, type SqlExecutor } from './sql.js';

export interface PgliteDriverOptions {
  /** Directory for the database files, created when missing; in memory when absent. */
  dataDir?: string;
  /** In memory only: start from this snapshot (from `dumpSnapshot`) instead of an empty cluster. */
  snapshot?: Blob;
}

/**
 * PGlite is a single connection. Its own `transaction()` holds a mutex that plain `query()` calls
 * also wait on, so transactions are serialized and a query never lands inside someone else's
 * transaction. The one rule that follows: inside `transaction(fn)`, use `tx`, never the driver,
 * or the call waits for itself.
 */
export interface PgliteSqlDriver extends SqlDriver {
  /** A copy of the whole cluster, to start other in-memory databases from. */
  dumpSnapshot(): Promise<Blob>;
}

export async function createPgliteDriver(options: PgliteDriverOptions = {}): Promise<PgliteSqlDriver> {
  const { dataDir } = options;
  let db: PGlite;
  try {
    if (dataDir) await mkdir(dataDir, { recursive: true });
    db = options.snapshot ? await PGlite.create({ loadDataDir: options.snapshot }) : await PGlite.create(dataDir);
  } catch (error) {
    throw new ConfigurationError(
      `cannot open the embedded database${dataDir ? ` in ${dataDir}` : ''}: ${error instanceof Error ? error.message : String(error)}`,
      [{ path: 'dataDir', message: 'not a usable PGlite data directory' }],
      { cause: error },
    );
  }
  return new PgliteDriver(db, dataDir ? `pglite:${dataDir}` : 'pglite:memory');
}

class PgliteDriver implements PgliteSqlDriver {
  readonly kind = 'pglite' as const;

  constructor(
    private readonly db: PGlite,
    readonly description: string,
  ) {}

  async query<T>(text: string, params?: unknown[]): Promise<T[]> {
    try {
      const result = await this.db.query<T>(text, params);
      return result.rows;
    } catch (error) {
      throw classifyDbError(error, 'PGlite query failed');
    }
  }

  async exec(script: string): Promise<void> {
    try {
      await this.db.exec(script);
    } catch (error) {
      throw classifyDbError(error, 'PGlite script failed');
    }
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction((tx) => fn(new PgliteTransaction(tx)));
    } catch (error) {
      throw classifyDbError(error, 'PGlite transaction failed');
    }
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }

  dumpSnapshot(): Promise<Blob> {
    return this.db.dumpDataDir('none') as Promise<Blob>;
  }
}

class PgliteTransaction implements SqlExecutor {
  constructor(private readonly tx: Transaction) {}

  async query<T>(text: string, params?: unknown[]): Promise<T[]> {
    const result = await this.tx.query<T>(text, params);
    return result.rows;
  }

  async exec(script: string): Promise<void> {
    await this.tx.exec(script);
  }
}
