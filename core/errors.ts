/**
 * The hub's one error family. Every error a plugin, connector or core module throws on purpose is
 * one of these, so that the job runner, the HTTP layer and the CLI can decide a failure's fate in
 * one place: retry it, dead-letter it, or answer a caller with a specific status.
 */

export interface ValidationIssue {
  /** JSON pointer-ish path to the offending value, e.g. `/connectors/0/schedule/cron`. */
  path: string;
  message: string;
  /** Where it sits in a source file, when known (config files). */
  file?: string;
  line?: number;
  column?: number;
}

export abstract class HubError extends Error {
  abstract readonly code: string;
  /** Whether repeating the same work later may succeed. */
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message };
  }
}

/** The hub's configuration is wrong: nothing will work until a person fixes the YAML or env. */
export class ConfigurationError extends HubError {
  readonly code = 'configuration_error';
  readonly retryable = false;
  constructor(
    message: string,
    readonly issues: ValidationIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  override toJSON() {
    return { ...super.toJSON(), issues: this.issues };
  }
}

/** Data from outside (a webhook body, a file, a record) does not have the expected shape. */
export class InputError extends HubError {
  readonly code = 'input_error';
  readonly retryable = false;
  constructor(
    message: string,
    readonly issues: ValidationIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  override toJSON() {
    return { ...super.toJSON(), issues: this.issues };
  }
}

/** An outside system answered with an error status. 5xx, 408 and 429 are worth retrying. */
export class UpstreamError extends HubError {
  readonly code = 'upstream_error';
  readonly retryable: boolean;
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown; retryable?: boolean; retryAfterMs?: number },
  ) {
    super(message, options);
    this.retryable =
      options?.retryable ?? (status === undefined || status >= 500 || status === 408 || status === 429);
    this.retryAfterMs = options?.retryAfterMs;
  }
  readonly retryAfterMs: number | undefined;
  override toJSON() {
    return { ...super.toJSON(), status: this.status };
  }
}

/** A passing failure (connection reset, lock timeout, a server restarting): try again later. */
export class TransientError extends HubError {
  readonly code = 'transient_error';
  readonly retryable = true;
}

/** A failure that repeating cannot fix (bad credentials, a rejected document). */
export class PermanentError extends HubError {
  readonly code = 'permanent_error';
  readonly retryable = false;
}

/** Something asked for does not exist (a connector id, a record, a job). */
export class NotFoundError extends HubError {
  readonly code = 'not_found';
  readonly retryable = false;
}

/** The caller may not do this (wrong role, other tenant). */
export class ForbiddenError extends HubError {
  readonly code = 'forbidden';
  readonly retryable = false;
}

/** The caller did not prove who it is (no token, bad signature). */
export class AuthenticationError extends HubError {
  readonly code = 'unauthenticated';
  readonly retryable = false;
}

/**
 * Decides whether an unknown thrown value is worth a retry. Errors outside the family are
 * treated as retryable when they look like network or database hiccups, otherwise not: a bug in
 * a plugin repeats identically and should reach the dead letters quickly.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof HubError) return error.retryable;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TRANSIENT_NODE_CODES.has(code)) return true;
  return false;
}

/** Node's codes for a peer that cannot be reached right now (a database, an SFTP server, an API). */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

const TRANSIENT_NODE_CODES = new Set([
  ...NETWORK_ERROR_CODES,
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  '40001', // PostgreSQL serialization_failure
  '40P01', // PostgreSQL deadlock_detected
  '57P01', // PostgreSQL admin_shutdown
]);

/** A readable one-line description of any thrown value, for logs and run records. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
