import { ConfigurationError, TransientError, UpstreamError } from '../../core/errors.js';
import type { HttpClient, HttpClientOptions, HttpRequestOptions, HttpResponse } from './types.js';
import { sleep } from './sleep.js';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_BACKOFF_MS = 500;
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
/** Enough of an error body to recognise the upstream's complaint, not enough to fill a log with PHI. */
const BODY_EXCERPT_CHARS = 300;
/** Backoff stops growing here, so a client configured with many retries still retries this decade. */
const MAX_BACKOFF_MS = 60_000;

/**
 * An HttpClient on global fetch: per-attempt timeouts, retries with exponential backoff and full
 * jitter for network errors, 408, 429 and 5xx, Retry-After honoured, and errors from the hub's
 * error family that name the method, URL (query values hidden) and status.
 *
 * @throws ConfigurationError at once when an option is unusable, naming it.
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const settings = checkOptions(options);

  async function request<T = unknown>(url: string, requestOptions: HttpRequestOptions = {}): Promise<HttpResponse<T>> {
    return send<T>(settings, url, requestOptions, false);
  }

  return {
    request,
    async getJson<T = unknown>(url: string, requestOptions: HttpRequestOptions = {}): Promise<T> {
      const headers = new Headers(requestOptions.headers);
      if (!headers.has('accept')) headers.set('accept', 'application/json');
      const response = await send<T>(settings, url, { ...requestOptions, headers: headersToRecord(headers) }, true);
      return response.body;
    },
  };
}

interface Settings {
  baseUrl: URL | undefined;
  headers: Record<string, string>;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  maxRetryAfterMs: number;
  fetch: typeof fetch;
}

function checkOptions(options: HttpClientOptions): Settings {
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError('http client: options must be an object');
  }
  let baseUrl: URL | undefined;
  if (options.baseUrl !== undefined) {
    try {
      baseUrl = new URL(options.baseUrl);
    } catch (error) {
      throw optionError('baseUrl', 'must be an absolute http(s) URL', error);
    }
    if (baseUrl.protocol !== 'http:' && baseUrl.protocol !== 'https:') {
      throw optionError('baseUrl', 'must be an absolute http(s) URL');
    }
  }
  if (options.headers !== undefined && (options.headers === null || typeof options.headers !== 'object')) {
    throw optionError('headers', 'must be an object of header names to values');
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw optionError('fetch', 'must be a function');
  }
  return {
    baseUrl,
    headers: { ...options.headers },
    timeoutMs: positiveNumber('timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS),
    retries: retryCount('retries', options.retries, DEFAULT_RETRIES),
    backoffMs: nonNegativeNumber('backoffMs', options.backoffMs, DEFAULT_BACKOFF_MS),
    maxRetryAfterMs: nonNegativeNumber('maxRetryAfterMs', options.maxRetryAfterMs, DEFAULT_MAX_RETRY_AFTER_MS),
    // Looked up on each call, not captured now: test tools (msw) replace global fetch after clients exist.
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
  };
}

function optionError(option: string, problem: string, cause?: unknown): ConfigurationError {
  return new ConfigurationError(`http client: ${option} ${problem}`, [{ path: option, message: problem }], { cause });
}

function positiveNumber(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw optionError(option, 'must be a positive number of milliseconds');
  }
  return value;
}

function nonNegativeNumber(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw optionError(option, 'must be a non-negative number of milliseconds');
  }
  return value;
}

function retryCount(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw optionError(option, 'must be a non-negative integer');
  return value;
}

const NON_IDEMPOTENT = new Set(['POST', 'PATCH']);

async function send<T>(
  settings: Settings,
  rawUrl: string,
  options: HttpRequestOptions,
  expectJson: boolean,
): Promise<HttpResponse<T>> {
  const url = resolveUrl(settings.baseUrl, rawUrl, options.query);
  const method = (options.method ?? 'GET').toUpperCase();
  const timeoutMs = options.timeoutMs === undefined ? settings.timeoutMs : positiveNumber('timeoutMs', options.timeoutMs, 0);
  const headers = new Headers(settings.headers);
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
  // Repeating a POST or PATCH the server may already have applied could submit a claim twice: such
  // a request is retried only when the caller says so or sends an Idempotency-Key.
  const repeatable = !NON_IDEMPOTENT.has(method) || headers.has('idempotency-key');
  const retries =
    options.retries !== undefined ? retryCount('retries', options.retries, 0) : repeatable ? settings.retries : 0;
  let body: string | Uint8Array | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const label = `${method} ${describeUrl(url)}`;
  const callerSignal = options.signal;

  for (let attempt = 0; ; attempt++) {
    callerSignal?.throwIfAborted();
    const timeoutSignal = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeoutSignal]) : timeoutSignal;
    const retriesLeft = attempt < retries;

    let response: Response;
    try {
      response = await settings.fetch(url, { method, headers, body, signal });
    } catch (error) {
      // The caller's abort wins over everything: it means "stop now", never "try again".
      if (callerSignal?.aborted) throw callerSignal.reason ?? error;
      const failure = timeoutSignal.aborted
        ? new TransientError(`${label} timed out after ${timeoutMs}ms (${attempts(attempt)})`, { cause: error })
        : new TransientError(`${label} failed: ${networkReason(error)} (${attempts(attempt)})`, { cause: error });
      if (!retriesLeft) throw failure;
      await sleep(backoffDelay(settings.backoffMs, attempt), callerSignal);
      continue;
    }

    if (response.ok) {
      try {
        return { status: response.status, headers: response.headers, body: (await readBody(response, label, expectJson)) as T };
      } catch (error) {
        if (callerSignal?.aborted) throw callerSignal.reason ?? error;
        if (error instanceof UpstreamError) throw error;
        // The connection dropped or the timeout fired while the body was still arriving.
        const failure = new TransientError(
          timeoutSignal.aborted
            ? `${label} timed out after ${timeoutMs}ms reading the response`
            : `${label} failed reading the response: ${networkReason(error)}`,
          { cause: error },
        );
        if (!retriesLeft) throw failure;
        await sleep(backoffDelay(settings.backoffMs, attempt), callerSignal);
        continue;
      }
    }

    const excerpt = await readExcerpt(response).catch(() => '');
    const message = `${label} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${
      excerpt ? `: ${excerpt}` : ''
    }`;
    if (!isRetryableStatus(response.status)) {
      throw new UpstreamError(message, response.status, { retryable: false });
    }
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    if (retryAfterMs !== undefined && retryAfterMs > settings.maxRetryAfterMs) {
      // Waiting that long inside one job would hold a worker; the job runner reschedules instead.
      throw new UpstreamError(`${message} (Retry-After ${Math.ceil(retryAfterMs / 1000)}s exceeds the ${settings.maxRetryAfterMs}ms limit)`, response.status, {
        retryable: true,
        retryAfterMs,
      });
    }
    if (!retriesLeft) {
      throw new UpstreamError(`${message} (${attempts(attempt)})`, response.status, { retryable: true, retryAfterMs });
    }
    await sleep(retryAfterMs ?? backoffDelay(settings.backoffMs, attempt), callerSignal);
  }
}

/**
 * Relative URLs extend the base URL's path (`https://api/v1` + `employees` → `https://api/v1/employees`),
 * which is what an API base means; plain `new URL(relative, base)` would drop the `v1`.
 */
function resolveUrl(baseUrl: URL | undefined, rawUrl: string, query: HttpRequestOptions['query']): URL {
  let url: URL;
  if (/^[a-z][a-z0-9+.-]*:/i.test(rawUrl)) {
    url = new URL(rawUrl);
  } else if (baseUrl) {
    const base = new URL(baseUrl);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    url = new URL(rawUrl.replace(/^\/+/, ''), base);
  } else {
    throw new ConfigurationError(`http client: ${JSON.stringify(rawUrl)} is relative and no baseUrl is configured`, [
      { path: 'baseUrl', message: 'is required for relative URLs' },
    ]);
  }
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.append(name, String(value));
  }
  return url;
}

/**
 * The URL as errors and logs show it: query values and credentials replaced, because they carry
 * API keys and, in FHIR searches, patient names and birth dates. Parameter names stay for debugging.
 */
export function describeUrl(url: URL | string): string {
  const copy = new URL(url);
  if (copy.username) copy.username = '***';
  if (copy.password) copy.password = '***';
  const names = [...copy.searchParams.keys()];
  copy.search = '';
  copy.hash = '';
  return names.length > 0 ? `${copy.href}?${names.map((name) => `${encodeURIComponent(name)}=***`).join('&')}` : copy.href;
}

function attempts(attempt: number): string {
  return attempt === 0 ? '1 attempt' : `${attempt + 1} attempts`;
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Full jitter (AWS Architecture Blog): spreads retries from many workers instead of synchronising them. */
function backoffDelay(backoffMs: number, attempt: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** attempt);
  return Math.random() * ceiling;
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

async function readBody(response: Response, label: string, expectJson: boolean): Promise<unknown> {
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  const saysJson = /[/+]json\b/i.test(contentType);
  if (!saysJson && !expectJson) return text;
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UpstreamError(
      `${label} answered ${response.status} with invalid JSON${saysJson ? '' : ` (content-type ${contentType || 'none'})`}`,
      response.status,
      { retryable: false, cause: error },
    );
  }
}

/** Reads only the start of an error body: a misbehaving upstream may send megabytes of HTML. */
async function readExcerpt(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < BODY_EXCERPT_CHARS * 4) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    // Not awaited: a cancel may wait on the other branch of a tee'd body (msw does this) and the
    // excerpt must not hang on it.
    reader.cancel().catch(() => undefined);
  }
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return collapsed.length > BODY_EXCERPT_CHARS ? `${collapsed.slice(0, BODY_EXCERPT_CHARS)}…` : collapsed;
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function headersToRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name] = value;
  });
  return record;
}
