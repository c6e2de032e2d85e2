export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  /** Sent as JSON with content-type application/json. */
  json?: unknown;
  body?: string | Uint8Array;
  /** Per attempt; default the client's. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Retries after the first attempt for 408/429/5xx and network errors; default the client's, but
   * none for POST and PATCH unless an Idempotency-Key header is sent (a repeat could apply twice).
   */
  retries?: number;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response says JSON, else the text. */
  body: T;
}

/**
 * HTTP with timeouts and retries. Non-2xx answers become UpstreamError (retryable for 408, 429 and
 * 5xx, honouring Retry-After); network failures become TransientError.
 */
export interface HttpClient {
  request<T = unknown>(url: string, options?: HttpRequestOptions): Promise<HttpResponse<T>>;
  getJson<T = unknown>(url: string, options?: HttpRequestOptions): Promise<T>;
}

export interface HttpClientOptions {
  /** Relative URLs resolve against it. */
  baseUrl?: string;
  headers?: Record<string, string>;
  /** @defaultValue 30000 */
  timeoutMs?: number;
  /** @defaultValue 3 */
  retries?: number;
  /** First backoff step; doubles each retry, with jitter. @defaultValue 500 */
  backoffMs?: number;
  /** Longest Retry-After honoured before giving up with a retryable error. @defaultValue 60000 */
  maxRetryAfterMs?: number;
  /** For tests: replaces global fetch. */
  fetch?: typeof fetch;
}
