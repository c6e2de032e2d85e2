import { AuthenticationError, ConfigurationError, TransientError, UpstreamError } from '../../core/errors.js';
import { describeUrl, parseRetryAfter } from '../http/client.js';
import type { HttpClient } from '../http/types.js';
import { networkReason } from './failures.js';
import { signClientAssertion, type SigningKey } from './jwt.js';
import { backoffDelay } from './timing.js';
import type { Clock } from './types.js';

/** Auth options after checking: keys loaded, URLs parsed. */
export type CheckedAuth =
  | { kind: 'smart-backend'; clientId: string; signingKey: SigningKey; scope: string; tokenUrl?: URL }
  | { kind: 'client-secret'; clientId: string; clientSecret: string; scope?: string; tokenUrl?: URL }
  | { kind: 'bearer'; token: string }
  | { kind: 'none' };

/** Gives each request its Authorization header and takes back a token the server refused. */
export interface TokenSource {
  /** Whether a refused token can be replaced by asking the token endpoint again. */
  readonly refreshable: boolean;
  readonly kind: CheckedAuth['kind'];
  /** `Bearer …`, or undefined for an open server. */
  authorization(signal?: AbortSignal): Promise<string | undefined>;
  /** The server answered 401 to this header: forget it so the next call fetches a new token. */
  invalidate(authorization: string): void;
  /** Every secret this source holds, for scrubbing text that came from a server. */
  secrets(): string[];
}

export interface TokenSourceDeps {
  baseUrl: URL;
  description: string;
  clock: Clock;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  maxRetryAfterMs: number;
  /** For `.well-known/smart-configuration`. */
  http: HttpClient;
  redact: (text: string) => string;
}

/** Assumed when a token response omits expires_in (SMART requires it; not every server obeys). */
const DEFAULT_TOKEN_LIFETIME_S = 300;
/** Refresh this long before expiry, so a token never lapses between the check and the server reading it. */
const MAX_EARLY_REFRESH_MS = 60_000;
const ERROR_TEXT_CHARS = 200;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface CachedToken {
  authorization: string;
  accessToken: string;
  refreshAt: number;
}

export function createTokenSource(auth: CheckedAuth, deps: TokenSourceDeps): TokenSource {
  if (auth.kind === 'none') {
    return { refreshable: false, kind: 'none', authorization: async () => undefined, invalidate: () => undefined, secrets: () => [] };
  }
  if (auth.kind === 'bearer') {
    const authorization = `Bearer ${auth.token}`;
    return { refreshable: false, kind: 'bearer', authorization: async () => authorization, invalidate: () => undefined, secrets: () => [auth.token] };
  }

  const { clock, description } = deps;
  let tokenUrl: Promise<URL> | undefined;
  let current: CachedToken | undefined;
  let pending: Promise<CachedToken> | undefined;
  // Tokens recently handed out: a server error may quote one after it has been replaced.
  const issued: string[] = [];

  const discoverTokenUrl = (): Promise<URL> => {
    if (auth.tokenUrl) return Promise.resolve(auth.tokenUrl);
    tokenUrl ??= discover(deps).catch((error: unknown) => {
      tokenUrl = undefined;
      throw error;
    });
    return tokenUrl;
  };

  const fetchToken = async (): Promise<CachedToken> => {
    const url = await discoverTokenUrl();
    const label = `${description}: token request to ${describeUrl(url)}`;
    for (let attempt = 0; ; attempt++) {
      const form = new URLSearchParams({ grant_type: 'client_credentials' });
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      if (auth.kind === 'smart-backend') {
        form.set('scope', auth.scope);
        form.set('client_assertion_type', ASSERTION_TYPE);
        // Signed per attempt: the server refuses a jti it has seen.
        form.set('client_assertion', signClientAssertion(auth.signingKey, auth.clientId, url.href, clock.now()));
      } else {
        if (auth.scope !== undefined) form.set('scope', auth.scope);
        headers.authorization = `Basic ${Buffer.from(`${formEncode(auth.clientId)}:${formEncode(auth.clientSecret)}`).toString('base64')}`;
      }
      const retriesLeft = attempt < deps.retries;
      let response: Response;
      try {
        response = await fetch(url, { method: 'POST', headers, body: form.toString(), signal: AbortSignal.timeout(deps.timeoutMs) });
      } catch (error) {
        const failure = new TransientError(`${label} failed: ${networkReason(error)}`, { cause: error });
        if (!retriesLeft) throw failure;
        await clock.sleep(backoffDelay(deps.backoffMs, attempt));
        continue;
      }
      const body = await readJson(response);
      if (response.ok) return accept(body, label);
      const oauthError = describeOauthError(body, deps.redact);
      if (response.status === 400 || response.status === 401 || response.status === 403) {
        throw new AuthenticationError(`${label} was refused (${response.status}${oauthError}); check the client id, key or secret, and scope`);
      }
      const message = `${label} answered ${response.status}${oauthError}`;
      if (response.status !== 429 && response.status < 500) throw new UpstreamError(message, response.status, { retryable: false });
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), clock.now());
      if (!retriesLeft || (retryAfterMs !== undefined && retryAfterMs > deps.maxRetryAfterMs)) {
        throw new UpstreamError(message, response.status, { retryable: true, retryAfterMs });
      }
      await clock.sleep(retryAfterMs ?? backoffDelay(deps.backoffMs, attempt));
    }
  };

  const accept = (body: unknown, label: string): CachedToken => {
    const answer = (body ?? {}) as { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
    if (typeof answer.access_token !== 'string' || answer.access_token === '') {
      throw new UpstreamError(`${label} answered without an access_token`, 200, { retryable: false });
    }
    if (answer.token_type !== undefined && String(answer.token_type).toLowerCase() !== 'bearer') {
      throw new UpstreamError(`${label} issued a ${JSON.stringify(String(answer.token_type))} token; only bearer tokens are supported`, 200, {
        retryable: false,
      });
    }
    const lifetimeMs =
      (typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : DEFAULT_TOKEN_LIFETIME_S) * 1000;
    issued.unshift(answer.access_token);
    issued.length = Math.min(issued.length, 3);
    return {
      authorization: `Bearer ${answer.access_token}`,
      accessToken: answer.access_token,
      refreshAt: clock.now() + lifetimeMs - Math.min(MAX_EARLY_REFRESH_MS, lifetimeMs / 10),
    };
  };

  return {
    refreshable: true,
    kind: auth.kind,
    async authorization(signal) {
      if (current && clock.now() < current.refreshAt) return current.authorization;
      // One token request however many requests wait for it.
      if (!pending) {
        pending = fetchToken()
          .then((token) => {
            current = token;
            return token;
          })
          .finally(() => {
            pending = undefined;
          });
        // Every waiter may have given up (aborted); the failure is theirs to see, not the process's.
        pending.catch(() => undefined);
      }
      return (await raceAbort(pending, signal)).authorization;
    },
    invalidate(authorization) {
      // Several requests may fail with the same stale token; only the first one discards it.
      if (current?.authorization === authorization) current = undefined;
    },
    secrets: () => (auth.kind === 'client-secret' ? [auth.clientSecret, ...issued] : [...issued]),
  };
}

async function discover(deps: TokenSourceDeps): Promise<URL> {
  const wellKnown = new URL(deps.baseUrl);
  wellKnown.pathname = `${wellKnown.pathname.replace(/\/+$/, '')}/.well-known/smart-configuration`;
  const label = `${deps.description}: ${describeUrl(wellKnown)}`;
  let document: unknown;
  try {
    document = await deps.http.getJson(wellKnown.href);
  } catch (error) {
    if (error instanceof UpstreamError && error.status === 404) {
      throw new ConfigurationError(`${label} does not exist: set auth.tokenUrl`, [{ path: 'auth.tokenUrl', message: 'is required: the server publishes no smart-configuration' }], {
        cause: error,
      });
    }
    throw error;
  }
  const endpoint = (document as { token_endpoint?: unknown } | undefined)?.token_endpoint;
  if (typeof endpoint !== 'string') {
    throw new ConfigurationError(`${label} names no token_endpoint: set auth.tokenUrl`, [{ path: 'auth.tokenUrl', message: 'is required: no token_endpoint published' }]);
  }
  try {
    const url = new URL(endpoint);
    if (url.protocol === 'https:' || url.protocol === 'http:') return url;
  } catch {
    // Reported below.
  }
  throw new UpstreamError(`${label} gives a token_endpoint that is not an http(s) URL`, undefined, { retryable: false });
}

/** `application/x-www-form-urlencoded` as RFC 6749 §2.3.1 asks for Basic credentials. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

async function readJson(response: Response): Promise<unknown> {
  try {
    const text = await response.text();
    return text.trim() === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeOauthError(body: unknown, redact: (text: string) => string): string {
  const answer = (body ?? {}) as { error?: unknown; error_description?: unknown };
  if (typeof answer.error !== 'string') return '';
  const description =
    typeof answer.error_description === 'string'
      ? `: ${JSON.stringify(redact(answer.error_description).slice(0, ERROR_TEXT_CHARS))}`
      : '';
  return ` ${redact(answer.error).slice(0, 60)}${description}`;
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
