import { Client, type FhirResource as KitResource, type RequestOptions } from 'fhir-kit-client';
import { HttpFailure } from './failures.js';
import { silenceLibraryLogging } from './library-logging.js';
import type { FhirResource } from './types.js';

/** What a send step gets from the exchange: the attempt's signal and the Authorization header. */
export interface AttemptContext {
  signal: AbortSignal;
  authorization: string | undefined;
}

/**
 * The fhir-kit-client Client for one server. It builds the FHIR REST requests; authorization,
 * timeouts and retries stay with the exchange, which passes them per request, so a refreshed
 * token is never shared state between concurrent requests.
 */
export function createKitClient(baseUrl: string): Client {
  silenceLibraryLogging();
  return new Client({ baseUrl, requestSigner: () => silenceLibraryLogging() });
}

export function kitOptions(context: AttemptContext, headers: Record<string, string> = {}): RequestOptions {
  const all = { ...headers };
  if (context.authorization !== undefined) all.authorization = context.authorization;
  return { headers: all, signal: context.signal };
}

/**
 * Runs one fhir-kit-client call and turns its HTTP errors (plain Errors with `response.status`,
 * `response.data` and the response headers in `config.headers`) into an HttpFailure, so its
 * message, which holds the full URL with search values, never reaches a log.
 */
export async function callKit<T extends KitResource>(call: () => Promise<T> | undefined): Promise<{ body: FhirResource; response: Response | undefined }> {
  let result: T | undefined;
  try {
    result = await call();
  } catch (error) {
    const failure = error as { response?: { status?: unknown; data?: unknown }; config?: { headers?: unknown } } | null;
    if (typeof failure?.response?.status === 'number') {
      const headers = failure.config?.headers instanceof Headers ? failure.config.headers : new Headers();
      throw new HttpFailure(failure.response.status, headers, failure.response.data);
    }
    throw error;
  }
  if (result === undefined) throw new Error('fhir-kit-client returned no result');
  return { body: result as FhirResource, response: Client.httpFor(result).response };
}
