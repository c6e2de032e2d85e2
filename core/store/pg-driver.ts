import pg from 'pg';
import { ConfigurationError } from '../errors.js';
import { assertSchemaName, classifyDbError, type SqlDriver, type SqlExecutor } from './sql.js';

export interface PgDriverOptions {
  /** `postgres://user:password@host:port/database?sslmode=…` */
  connectionString: string;
  /**
   * Schema holding the hub's tables, created when missing. Lets tests and several hubs share one
   * database. @defaultValue the server's search_path (usually `public`)
   */
  schema?: string;
  /** @defaultValue 10 */
  maxConnections?: number;
  /** Errors of idle pooled connections (the pool already replaced them). */
  onIdleError?: (error: Error) => void;
}

/** `postgres://user@host:port/db`: what the start-up log may show (never the password). */
export function describePostgresUrl(connectionString: string, schema?: string): string {
  const url = parsePostgresUrl(connectionString);
  const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
  const port = url.port ? `:${url.port}` : '';
  return `${url.protocol}//${user}${url.hostname}${port}${url.pathname}${schema ? ` (schema ${schema})` : ''}`;
}

function parsePostgresUrl(connectionString: string): URL {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch (error) {
    // The URL itself may hold a password, so it never goes into the message.
    throw new ConfigurationError('DATABASE_URL is not a valid URL', [{ path: 'DATABASE_URL', message: 'not a valid URL' }], {
      cause: error,
    });
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigurationError('DATABASE_URL must start with postgres:// or postgresql://', [
      { path: 'DATABASE_URL', message: `unsupported scheme ${url.protocol}` },
    ]);
  }
  return url;
}

/** Opens a pg pool, creating the schema when asked for one, and checks the server answers. */
export async function createPgDriver(options: PgDriverOptions): Promise<SqlDriver> {
  const description = describePostgresUrl(options.connectionString, options.schema);
  if (options.schema !== undefined) assertSchemaName(options.schema);
  const maxConnections = options.maxConnections ?? 10;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new ConfigurationError(`store maxConnections must be a positive integer, got ${maxConnections}`);
  }

  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: maxConnections,
    // Set at connection start-up, so every pooled connection sees the schema before its first query.
    options: options.schema ? `-c search_path=${options.schema}` : undefined,
    application_name: 'mso-integration-hub',
  });
  // Without a listener an idle connection's error would crash the process; the pool drops it anyway.
  pool.on('error', (error) => options.onIdleError?.(error));

  const driver = new PgDriver(pool, description);
  try {
    if (options.schema) await createSchema(driver, options.schema);
    else await driver.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return driver;
}

async function createSchema(driver: PgDriver, schema: string): Promise<void> {
  try {
    await driver.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } catch (error) {
    // Two processes creating the same schema at once: IF NOT EXISTS is not atomic, the loser sees
    // a unique violation, and the schema exists either way.
    const code = (error as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P06') throw error;
  }
}

class PgDriver implements SqlDriver {
  readonly kind = 'postgres' as const;

  constructor(
    private readonly pool: pg.Pool,
    readonly description: string,
  ) {}

  async query<T>(text: string, params?: unknown[]): Promise<T[]> {
    try {
      const result = await this.pool.query(text, params);
      return result.rows as T[];
    } catch (error) {
      throw classifyDbError(error, 'PostgreSQL query failed');
    }
  }

  async exec(script: string): Promise<void> {
    try {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await this.pool.query(script);
    } catch (error) {
      throw classifyDbError(error, 'PostgreSQL script failed');
    }
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw classifyDbError(error, 'PostgreSQL connection failed');
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(new PgTransaction(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // A connection that cannot roll back must not return to the pool.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw classifyDbError(error, 'PostgreSQL transaction failed');
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

class PgTransaction implements SqlExecutor {
  constructor(private readonly client: pg.PoolClient) {}

  async query<T>(text: string, params?: unknown[]): Promise<T[]> {
    // Classified once, by the transaction that rethrows it.
    const result = await this.client.query(text, params);
    return result.rows as T[];
  }

  async exec(script: string): Promise<void> {
    await this.client.query(script);
  }
}
