import { AuthenticationError, HubError, TransientError, UpstreamError } from '../../core/errors.js';
import { parseRetryAfter } from '../http/client.js';
import type { TokenSource } from './auth.js';
import { errorForStatus, HttpFailure, isRefusal, isRetryableStatus, networkReason, type Redact } from './failures.js';
import type { AttemptContext } from './kit.js';
import type { RateLimiter } from './rate-limit.js';
import { backoffDelay } from './timing.js';
import type { Clock } from './types.js';

export interface ExchangeSettings {
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  maxRetryAfterMs: number;
  clock: Clock;
  limiter: RateLimiter | undefined;
  tokens: TokenSource;
  redact: Redact;
}

/** What an HTTP failure means for this request, when the default reading is wrong for it. */
export type Verdict = Error | 'retry' | undefined;

export interface ExchangeRequest<T> {
  /** How errors name the request: `Patient search page 2 (GET https://…?_count=***)`. */
  label: string;
  signal?: AbortSignal;
  /** Send the access token (the FHIR server; bulk files only when the manifest asks). @defaultValue true */
  authenticate?: boolean;
  /**
   * Whether repeating after an uncertain failure (timeout, 5xx, dropped connection) is harmless:
   * reads and conditional writes are. Refusals (429, 503) are repeated either way.
   * @defaultValue true
   */
  repeatable?: boolean;
  /** One attempt; throws HttpFailure for an answer it does not accept. */
  send(context: AttemptContext): Promise<T>;
  /** Overrides the reading of an HTTP failure (bulk status polls treat some 5xx as "still running"). */
  judge?(failure: HttpFailure): Verdict;
}

export type Exchange = <T>(request: ExchangeRequest<T>) => Promise<T>;

/**
 * Every request to the FHIR server goes through here: the rate limit, the access token (one
 * refresh after a 401), a per-attempt timeout, and repeats for 408, 429 and 5xx (honouring
 * Retry-After up to a cap), network failures and cut-off answers. What cannot be repeated leaves
 * as one of the hub's errors, named by the request's label.
 */
export function createExchange(settings: ExchangeSettings): Exchange {
  const { clock, tokens, redact } = settings;

  return async function perform<T>(request: ExchangeRequest<T>): Promise<T> {
    const { label, signal } = request;
    const authenticate = request.authenticate ?? true;
    const repeatable = request.repeatable ?? true;
    let refreshedAfter401 = false;

    for (let attempt = 0; ; ) {
      signal?.throwIfAborted();
      await settings.limiter?.take(signal);
      const authorization = authenticate ? await tokens.authorization(signal) : undefined;
      // Cleared once the answer is in, so a streamed body is not cut at timeoutMs (ndjson keeps its own idle timer).
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), settings.timeoutMs);
      const attemptSignal = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
      const attempts = () => (attempt === 0 ? '1 attempt' : `${attempt + 1} attempts`);
      const retriesLeft = attempt < settings.retries;

      let failure: HttpFailure;
      try {
        return await request.send({ signal: attemptSignal, authorization });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const timedOut = deadline.signal.aborted;
        if (error instanceof HubError && !timedOut) throw error;
        if (timedOut || !(error instanceof HttpFailure)) {
          const reason = timedOut ? `timed out after ${settings.timeoutMs}ms` : `failed: ${networkReason(error)}`;
          const transient = new TransientError(`${label} ${reason} (${attempts()})`, { cause: error });
          if (!repeatable || !retriesLeft) throw transient;
          await clock.sleep(backoffDelay(settings.backoffMs, attempt++), signal);
          continue;
        }
        failure = error;
      } finally {
        clearTimeout(timer);
      }

      if (failure.status >= 200 && failure.status < 300) {
        // The status came whole but the body did not parse: a connection cut mid-answer, most likely.
        const transient = new TransientError(`${label} answered ${failure.status} with a body that is not complete JSON (cut off?) (${attempts()})`);
        if (!repeatable || !retriesLeft) throw transient;
        await clock.sleep(backoffDelay(settings.backoffMs, attempt++), signal);
        continue;
      }

      if (failure.status === 401 && authorization !== undefined) {
        if (tokens.refreshable && !refreshedAfter401) {
          // Revoked or expired early: one fresh token, then the server's word is final. Not counted
          // as a retry: the server refused without acting.
          refreshedAfter401 = true;
          tokens.invalidate(authorization);
          continue;
        }
        throw new AuthenticationError(
          tokens.refreshable
            ? `${label} answered 401 again with a freshly issued access token; check the client's scopes and registration`
            : `${label} answered 401: the configured bearer token was refused`,
        );
      }
      if (failure.status === 401) {
        throw new AuthenticationError(
          authenticate
            ? `${label} answered 401: the server requires authentication and none is configured`
            : `${label} answered 401 to a request sent without the access token, which the manifest said was not needed`,
        );
      }

      const verdict = request.judge?.(failure);
      if (verdict instanceof Error) throw verdict;
      if (verdict === 'retry' || (isRetryableStatus(failure.status) && (repeatable || isRefusal(failure.status)))) {
        const retryAfterMs = parseRetryAfter(failure.headers.get('retry-after'), clock.now());
        if (retryAfterMs !== undefined && retryAfterMs > settings.maxRetryAfterMs) {
          // Waiting that long would hold a worker; the job runner reschedules with the hint instead.
          const error = errorForStatus(label, failure, redact, ` (Retry-After ${Math.ceil(retryAfterMs / 1000)}s is over the ${settings.maxRetryAfterMs}ms limit)`);
          throw new UpstreamError(error.message, failure.status, { retryable: true, retryAfterMs });
        }
        if (!retriesLeft) {
          const error = errorForStatus(label, failure, redact, ` (${attempts()})`);
          throw new UpstreamError(error.message, failure.status, { retryable: true, retryAfterMs });
        }
        await clock.sleep(retryAfterMs ?? backoffDelay(settings.backoffMs, attempt), signal);
        attempt++;
        continue;
      }
      throw errorForStatus(label, failure, redact);
    }
  };
}
