import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createFhirClient } from './client.js';
import { createFakeFhirServer, type FakeFhirServer, type FakeFhirServerOptions } from './testing/fake-fhir-server.js';
import { createManualClock, type ManualClock } from './testing/manual-clock.js';
import type { FhirClient, FhirClientOptions } from './types.js';

export const BASE_URL = 'https://ehr.example/fhir/r4';

/** One msw server per test file, reset after each test; unmocked requests fail the test. */
export function useMockNetwork() {
  const network = setupServer();
  beforeAll(() => network.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => network.resetHandlers());
  afterAll(() => network.close());
  return network;
}

export interface Harness {
  ehr: FakeFhirServer;
  fhir: FhirClient;
  clock: ManualClock;
}

/** A fake EHR and a client for it on one manual clock; the client's waits cost nothing. */
export function harness(
  network: ReturnType<typeof setupServer>,
  server: Partial<FakeFhirServerOptions> = {},
  client: Partial<FhirClientOptions> = {},
): Harness {
  const clock = createManualClock();
  const ehr = createFakeFhirServer({ baseUrl: BASE_URL, now: clock.now, ...server });
  network.use(...ehr.handlers);
  const fhir = createFhirClient({ baseUrl: BASE_URL, retries: 2, backoffMs: 10, timeoutMs: 5_000, clock, ...client });
  return { ehr, fhir, clock };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const item of items) result.push(item);
  return result;
}

/** The rejection of a promise that must reject. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
