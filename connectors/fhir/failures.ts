import {
  AuthenticationError,
  ForbiddenError,
  type HubError,
  InputError,
  NotFoundError,
  PermanentError,
  UpstreamError,
} from '../../core/errors.js';
import { describeOutcome, outcomeIssues, outcomeValidationIssues, type OutcomeIssue } from './outcome.js';

/**
 * A non-2xx answer, or a 2xx whose body could not be read as JSON, before it is judged. Internal:
 * callers only ever see the hub's error family.
 */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    /** The parsed JSON body, the raw text when it was not JSON, or undefined. */
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
    this.name = 'HttpFailure';
  }
}

export type Redact = (text: string) => string;

/** Replaces every known secret (client secret, tokens) in text that came from a server. */
export function createRedactor(secrets: () => Iterable<string>): Redact {
  return (text) => {
    let result = text;
    for (const secret of secrets()) {
      if (secret.length >= 4) result = result.split(secret).join('***');
    }
    return result;
  };
}

const OUTCOME = Symbol('fhir.outcome');

/** The OperationOutcome issues behind an error this transport threw, when the server sent some. */
export function outcomeOf(error: unknown): OutcomeIssue[] | undefined {
  return (error as { [OUTCOME]?: OutcomeIssue[] } | null)?.[OUTCOME];
}

/**
 * The hub's verdict on an answer that will not be retried: a 400/422 means we asked wrongly
 * (InputError carrying the OperationOutcome's issues), 401/403/404 their own classes, 408/429/5xx
 * stay retryable for the job runner, any other 4xx is permanent.
 */
export function errorForStatus(label: string, failure: HttpFailure, redact: Redact, extra = ''): HubError {
  const issues = outcomeIssues(failure.body);
  const reason = issues && issues.length > 0 ? `: ${describeOutcome(issues, redact)}` : '';
  const message = `${label} answered ${failure.status}${reason}${extra}`;
  const { status } = failure;
  let error: HubError;
  if (status === 400 || status === 422) {
    error = new InputError(message, issues ? outcomeValidationIssues(issues, redact) : []);
  } else if (status === 401) {
    error = new AuthenticationError(message);
  } else if (status === 403) {
    error = new ForbiddenError(message);
  } else if (status === 404 || status === 410) {
    error = new NotFoundError(message);
  } else if (status === 408 || status === 429 || status >= 500) {
    error = new UpstreamError(message, status, { retryable: true });
  } else if (status === 409) {
    // A version conflict with a concurrent writer: the next attempt sees the new version.
    error = new UpstreamError(message, status, { retryable: true });
  } else {
    error = new PermanentError(message);
  }
  return issues ? withOutcome(error, issues) : error;
}

/** Keeps the issues on the error for callers (outcomeOf), out of its JSON and logs. */
export function withOutcome<E extends Error>(error: E, issues: OutcomeIssue[]): E {
  Object.defineProperty(error, OUTCOME, { value: issues, enumerable: false });
  return error;
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** A server that refused without acting: safe to repeat even a request that is not idempotent. */
export function isRefusal(status: number): boolean {
  return status === 429 || status === 503;
}

/** The most telling part of a network failure: undici hides the socket's code in `cause`. */
export function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  if ((error as { name?: unknown } | null)?.name === 'TimeoutError') return 'timed out';
  return error instanceof Error ? error.message : String(error);
}
