import { ConfigurationError, HubError, InputError, NETWORK_ERROR_CODES, TransientError } from '../errors.js';

/** Runs SQL: the one thing the store needs from PostgreSQL or PGlite. */
export interface SqlExecutor {
  /** One statement with `$1`-style parameters; rows as plain objects. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** A script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface SqlDriver extends SqlExecutor {
  readonly kind: 'postgres' | 'pglite';
  /** Where the database is, without any password. */
  readonly description: string;
  /** Runs `fn` in BEGIN … COMMIT on one connection; any throw rolls back and is rethrown. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}


/**
 * Puts a driver error into the hub's error family so the job runner can decide its fate: lost
 * connections, overload and lock conflicts are retried; bad credentials or a missing database
 * are configuration; data PostgreSQL refuses (e.g. `\u0000` in JSON) is input. Anything else is
 * a bug in a statement and is rethrown as it is.
 */
export function classifyDbError(error: unknown, what: string): unknown {
  if (!error || typeof error !== 'object' || error instanceof HubError) return error;
  scrubValues(error);
  const code = (error as { code?: unknown }).code;
  const message = (error as { message?: unknown }).message;
  const detail = typeof message === 'string' ? `: ${message}` : '';
  if (typeof code === 'string') {
    if (NETWORK_ERROR_CODES.has(code)) return new TransientError(`${what}: database unreachable (${code})`, { cause: error });
    if (code.startsWith('08') || code.startsWith('53') || code.startsWith('57P') || code === '40001' || code === '40P01' || code === '55P03') {
      return new TransientError(`${what}${detail}`, { cause: error });
    }
    if (code.startsWith('28') || code === '3D000' || code === '3F000') {
      return new ConfigurationError(`${what}: check DATABASE_URL${detail}`, [], { cause: error });
    }
    if (code.startsWith('22')) return new InputError(`${what}: the database refused a value${detail}`, [], { cause: error });
  }
  // pg reports a connection dropped mid-query with a plain Error and no code.
  if (typeof message === 'string' && /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)) {
    return new TransientError(`${what}${detail}`, { cause: error });
  }
  return error;
}

/**
 * Database errors can echo the data that caused them: PGlite attaches the statement's parameters,
 * and PostgreSQL's `detail`/`where` quote offending values and JSON fragments (a key that already
 * exists, the text around a bad escape). Those may be names or member ids, and an error travels to
 * logs and run records, so they are removed; the code, message and statement remain.
 */
function scrubValues(error: object): void {
  const fields = error as { params?: unknown; detail?: unknown; where?: unknown; code?: unknown };
  delete fields.params;
  if (typeof fields.code === 'string' && (fields.code.startsWith('22') || fields.code.startsWith('23'))) {
    delete fields.detail;
    delete fields.where;
  }
}

/** Schema names go into `search_path` and DDL unquoted, so only plain lowercase identifiers pass. */
export function assertSchemaName(schema: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigurationError(
      `store schema "${schema}" must be a lowercase identifier (letters, digits, underscore; at most 63)`,
      [{ path: 'schema', message: 'must match ^[a-z_][a-z0-9_]{0,62}$' }],
    );
  }
}
