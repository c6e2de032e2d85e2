import { join } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { createPgDriver } from './pg-driver.js';
import { createPgliteDriver } from './pglite-driver.js';
import type { SqlDriver } from './sql.js';
import { SqlStore } from './sql-store.js';
import type { Store } from './types.js';

export type * from './types.js';
export { contentHash, canonicalJson } from './hash.js';
export { SqlStore } from './sql-store.js';

export interface OpenStoreOptions {
  /** `postgres://…` or `postgresql://…` selects PostgreSQL; absent selects the embedded PGlite. */
  databaseUrl?: string;
  /** PGlite keeps its files under `<dataDir>/pglite`; without a dataDir it lives in memory. */
  dataDir?: string;
  /** PostgreSQL schema for the hub's tables, created when missing (ignored by PGlite). */
  schema?: string;
}

let memorySnapshot: Promise<Blob> | undefined;

/**
 * Starting PGlite and running the migrations takes seconds; the test kit opens a fresh in-memory
 * store per run, so the first migrated cluster is kept and every later one starts as a copy of it.
 */
function migratedMemorySnapshot(): Promise<Blob> {
  memorySnapshot ??= (async () => {
    const driver = await createPgliteDriver({});
    try {
      await new SqlStore(driver).migrate();
      return await driver.dumpSnapshot();
    } finally {
      await driver.close();
    }
  })();
  memorySnapshot.catch(() => (memorySnapshot = undefined));
  return memorySnapshot;
}

/**
 * Opens the store the configuration points at and brings its schema up to date, so a caller never
 * sees a store with missing tables.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const databaseUrl = options.databaseUrl?.trim() || undefined;
  let driver: SqlDriver;
  if (databaseUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//i.test(databaseUrl)) {
      throw new ConfigurationError('DATABASE_URL must start with postgres:// or postgresql://', [
        { path: 'DATABASE_URL', message: 'unsupported scheme; leave it unset to use the embedded database' },
      ]);
    }
    driver = await createPgDriver({ connectionString: databaseUrl, schema: options.schema });
  } else if (options.dataDir !== undefined) {
    driver = await createPgliteDriver({ dataDir: join(options.dataDir, 'pglite') });
  } else {
    driver = await createPgliteDriver({ snapshot: await migratedMemorySnapshot() });
  }
  const store = new SqlStore(driver);
  try {
    await store.migrate();
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw error;
  }
  return store;
}
