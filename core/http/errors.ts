import type { Logger } from 'pino';
import {
  AuthenticationError,
  ConfigurationError,
  ForbiddenError,
  HubError,
  InputError,
  NotFoundError,
  PermanentError,
  TransientError,
  UpstreamError,
  isRetryable,
  type ValidationIssue,
} from '../errors.js';
import { redactor } from '../redaction.js';

/**
 * A protocol-level refusal that belongs to no business error (413, 415, an unknown route):
 * thrown by the HTTP layer itself so the one mapping below still shapes every error answer.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: 400 | 404 | 405 | 413 | 415,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpProblem';
  }
}

export interface ErrorBody {
  error: { code: string; message: string; issues?: ValidationIssue[] };
}

export interface ErrorAnswer {
  status: 400 | 401 | 403 | 404 | 405 | 413 | 415 | 500 | 502 | 503;
  body: ErrorBody;
  headers: Record<string, string>;
}

/** Seconds a caller is asked to wait after a 503; short, since most outages here are a Redis or database restart. */
export const RETRY_AFTER_SECONDS = 5;

const GENERIC_MESSAGE = 'internal error; the hub log has the details';
const UNAVAILABLE_MESSAGE = 'temporarily unavailable; retry later';

/**
 * The one place where a thrown value becomes an HTTP answer (after backstage's `errorHandler`).
 *
 * ConfigurationError answers 500, not 409: nothing the caller changes in its request can fix it
 * (a connector's YAML is wrong), and 409 would invite the caller to resolve a conflict it cannot see.
 * Its message names config paths, never values, and is redacted like every other message.
 *
 * Errors outside the family answer a generic 500, or 503 when they look like a passing outage
 * (a dropped database connection), so a webhook sender retries rather than gives up.
 */
export function toErrorAnswer(error: unknown, logger: Logger, context: { method: string; path: string }): ErrorAnswer {
  if (error instanceof HttpProblem) return answer(error.status, error.code, error.message);
  if (error instanceof InputError) {
    return answer(400, error.code, error.message, redactor.redact(error.issues));
  }
  if (error instanceof AuthenticationError) {
    // A refused webhook is something an operator must see (a rotated secret, a clock drift); API probes are routine.
    const level = context.path.startsWith('/webhooks/') ? 'warn' : 'info';
    logger[level]({ method: context.method, path: context.path, reason: redactor.redactString(error.message) }, 'request refused: unauthenticated');
    // RFC 6750 §3: a 401 on a bearer-protected resource names the scheme; webhooks use signatures instead.
    const headers: Record<string, string> = context.path.startsWith('/api/') ? { 'WWW-Authenticate': 'Bearer realm="hub"' } : {};
    return { ...answer(401, error.code, error.message), headers };
  }
  if (error instanceof ForbiddenError) return answer(403, error.code, error.message);
  if (error instanceof NotFoundError) return answer(404, error.code, error.message);
  if (error instanceof ConfigurationError) {
    logger.error({ err: error, method: context.method, path: context.path }, 'request failed on a configuration error');
    return answer(500, error.code, error.message);
  }
  if (error instanceof TransientError) {
    logger.warn({ err: error, method: context.method, path: context.path }, 'request failed on a transient error');
    return unavailable(error.code, error.message);
  }
  if (error instanceof UpstreamError) {
    logger.warn({ err: error, method: context.method, path: context.path }, 'request failed on an upstream error');
    return answer(502, error.code, error.message);
  }
  if (error instanceof PermanentError || error instanceof HubError) {
    logger.error({ err: error, method: context.method, path: context.path }, 'request failed');
    return answer(500, error.code, error.message);
  }
  if (isRetryable(error)) {
    logger.warn({ err: error, method: context.method, path: context.path }, 'request failed on a passing outage');
    return unavailable('unavailable', UNAVAILABLE_MESSAGE);
  }
  logger.error({ err: error, method: context.method, path: context.path }, 'request failed on an unexpected error');
  return answer(500, 'internal_error', GENERIC_MESSAGE);
}

export function errorBody(code: string, message: string, issues?: ValidationIssue[]): ErrorBody {
  const error: ErrorBody['error'] = { code, message: redactor.redactString(message) };
  if (issues) error.issues = issues;
  return { error };
}

function answer(status: ErrorAnswer['status'], code: string, message: string, issues?: ValidationIssue[]): ErrorAnswer {
  return { status, body: errorBody(code, message, issues), headers: {} };
}

function unavailable(code: string, message: string): ErrorAnswer {
  return { status: 503, body: errorBody(code, message), headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } };
}
