import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { InputError, NotFoundError, PermanentError, TransientError, UpstreamError } from '../../core/errors.js';
import { outcomeOf } from './failures.js';
import { syntheaSample } from './testing/synthea.js';
import { BASE_URL, collect, failure, harness, useMockNetwork } from './test-support.js';
import type { FhirResource } from './types.js';

const network = useMockNetwork();
const patients = () => syntheaSample(['Patient']);

/** A Patient search answered with one page whose next link is `next`. */
function serveOnePageLinkingTo(next: string): void {
  network.use(
    http.get(`${BASE_URL}/Patient`, () =>
      HttpResponse.json({
        resourceType: 'Bundle',
        type: 'searchset',
        link: [{ relation: 'next', url: next }],
        entry: [{ resource: { resourceType: 'Patient', id: 'a' } }],
      }),
    ),
  );
}

/** Patients spread one day apart from 2024-01-01, so `_lastUpdated` has something to choose from. */
function patientsOverTime(): FhirResource[] {
  return patients().map((patient, index) => ({
    ...patient,
    meta: { ...patient.meta, lastUpdated: new Date(Date.UTC(2024, 0, 1 + index, 9)).toISOString() },
  }));
}

describe('search', () => {
  it('follows next links until every matching resource has arrived exactly once', async () => {
    const { fhir } = harness(network, { resources: patients() });

    const pages = await collect(fhir.search('Patient', { _count: 5 }).pages());

    expect(pages.map((page) => page.resources.length)).toEqual([5, 5, 3]);
    expect(pages.map((page) => page.number)).toEqual([1, 2, 3]);
    const ids = pages.flatMap((page) => page.resources.map((resource) => resource.id));
    expect(new Set(ids).size).toBe(13);
    expect(ids.sort()).toEqual(patients().map((patient) => patient.id).sort());
    expect(pages[0].total).toBe(13);
  });

  it('iterates resources directly, across pages', async () => {
    const { fhir } = harness(network, { resources: syntheaSample(['Encounter']) });
    const encounters = await collect(fhir.search('Encounter', { _count: 7 }));
    expect(encounters).toHaveLength(24);
    expect(encounters.every((encounter) => encounter.resourceType === 'Encounter')).toBe(true);
  });

  it('filters by _lastUpdated as the server applies it (gt and ge, repeated for a range)', async () => {
    const { fhir } = harness(network, { resources: patientsOverTime() });

    const after = await collect(fhir.search('Patient', { _lastUpdated: 'gt2024-01-10' }));
    // Days 11, 12 and 13 of January: `gt` a day means after that whole day.
    expect(after.map((patient) => patient.meta?.lastUpdated?.slice(0, 10))).toEqual(['2024-01-11', '2024-01-12', '2024-01-13']);

    const range = await collect(fhir.search('Patient', { _lastUpdated: ['ge2024-01-02T09:00:00Z', 'lt2024-01-04'] }));
    expect(range.map((patient) => patient.meta?.lastUpdated?.slice(0, 10))).toEqual(['2024-01-02', '2024-01-03']);
  });

  it('stops asking for pages when the caller stops reading', async () => {
    const { fhir, ehr } = harness(network, { resources: patients() });
    for await (const patient of fhir.search('Patient', { _count: 2 })) {
      expect(patient.resourceType).toBe('Patient');
      break;
    }
    expect(ehr.requests.filter((request) => request.method === 'GET')).toHaveLength(1);
  });

  it('reports an unknown search parameter with the OperationOutcome the server sent', async () => {
    const { fhir } = harness(network, { resources: patients() });

    const error = await failure(collect(fhir.search('Patient', { 'family-name': 'Upton904' })));

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('Patient search page 1');
    expect(error.message).toContain('answered 400');
    expect(error.message).toContain('Unknown search parameter \\"family-name\\"');
    // The search value is a name: the URL shows the parameter, never the value.
    expect(error.message).toContain('family-name=***');
    expect(error.message).not.toContain('Upton904');
    expect((error as InputError).issues[0].message).toContain('not-supported');
    expect(outcomeOf(error)?.[0]).toMatchObject({ severity: 'error', code: 'not-supported' });
    expect((error as InputError).retryable).toBe(false);
  });

  it('reports a resource type the server does not know as NotFound, with its reason', async () => {
    const { fhir } = harness(network);
    const error = await failure(collect(fhir.search('Patinet')));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toContain('Unknown resource type \\"Patinet\\"');
  });

  it('retries a page cut off mid-body and still delivers each resource once', async () => {
    const { fhir, ehr } = harness(network, { resources: patients() });
    ehr.cutOffPage({ page: 2, mode: 'socket' });
    ehr.cutOffPage({ page: 3, mode: 'truncated-json' });

    const ids = (await collect(fhir.search('Patient', { _count: 5 }))).map((patient) => patient.id);

    expect(ids).toHaveLength(13);
    expect(new Set(ids).size).toBe(13);
  });

  it('gives a TransientError naming the page and its URL when a page keeps arriving cut off', async () => {
    const { fhir, ehr } = harness(network, { resources: patients() }, { retries: 1 });
    ehr.cutOffPage({ page: 2, mode: 'socket', times: 5 });

    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const patient of fhir.search('Patient', { _count: 5 })) seen.push(patient.id!);
      })(),
    );

    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('Patient search page 2');
    expect(error.message).toContain(`GET ${BASE_URL}?_getpages=***`);
    expect(error.message).toContain('2 attempts');
    expect(seen).toHaveLength(5);
    // Nothing of the resources themselves.
    expect(error.message).not.toMatch(/Upton|Marine/);

    ehr.cutOffPage({ page: 1, mode: 'truncated-json', times: 5 });
    const truncated = await failure(collect(fhir.search('Patient', { _count: 5 })));
    expect(truncated).toBeInstanceOf(TransientError);
    expect(truncated.message).toMatch(/page 1 .*not complete JSON/);
  });

  it('refuses a page that is not a Bundle, naming the page', async () => {
    const { fhir } = harness(network);
    network.use(http.get(`${BASE_URL}/Patient`, () => HttpResponse.json({ resourceType: 'Patient', id: 'x' })));

    const error = await failure(collect(fhir.search('Patient', { _count: 5 })));

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('Patient search page 1');
    expect(error.message).toContain('answered a Patient, not a search Bundle');
  });

  it('waits out a 429 as Retry-After says, then succeeds', async () => {
    const { fhir, ehr, clock } = harness(network, { resources: patients() });
    ehr.failNext({ status: 429, retryAfter: '1' });

    const found = await collect(fhir.search('Patient', { _count: 20 }));

    expect(found).toHaveLength(13);
    expect(clock.sleeps).toEqual([1000]);
  });

  it('waits out a 503 whose Retry-After is an HTTP date', async () => {
    const { fhir, ehr, clock } = harness(network, { resources: patients() });
    ehr.failNext({ status: 503, retryAfter: new Date(clock.now() + 2_000).toUTCString() });

    expect(await collect(fhir.search('Patient', { _count: 20 }))).toHaveLength(13);
    expect(clock.sleeps[0]).toBeGreaterThan(1_000);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(2_000);
  });

  it('does not wait out a Retry-After beyond the cap: the error carries it for the job runner', async () => {
    const { fhir, ehr, clock } = harness(network, { resources: patients() }, { maxRetryAfterMs: 30_000 });
    ehr.failNext({ status: 429, retryAfter: '120' });

    const error = await failure(collect(fhir.search('Patient')));

    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 120_000 });
    expect(error.message).toContain('Retry-After 120s');
    expect(clock.sleeps).toEqual([]);
  });

  it('gives up on a server that keeps answering 503 with a retryable UpstreamError', async () => {
    const { fhir, ehr } = harness(network, { resources: patients() });
    ehr.failNext({ status: 503, retryAfter: '0', times: 10 });

    const error = await failure(collect(fhir.search('Patient')));

    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 503, retryable: true });
    expect(error.message).toContain('3 attempts');
  });

  it('times a request out and says so', async () => {
    const { fhir, ehr } = harness(network, { resources: patients() }, { timeoutMs: 50, retries: 0 });
    ehr.hangNext();

    const error = await failure(collect(fhir.search('Patient')));

    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('timed out after 50ms');
  });

  it("stops at once when the caller's signal aborts, with the caller's reason", async () => {
    const { fhir, ehr } = harness(network, { resources: patients() });
    ehr.hangNext();
    const controller = new AbortController();
    const reason = new Error('job cancelled by operator');

    const pending = failure(collect(fhir.search('Patient', {}, { signal: controller.signal })));
    setTimeout(() => controller.abort(reason), 10);

    expect(await pending).toBe(reason);
  });

  it('does not follow a next link to another server (the token would go with it)', async () => {
    const { fhir } = harness(network);
    serveOnePageLinkingTo('https://elsewhere.example/fhir?page=2');

    const error = await failure(collect(fhir.search('Patient')));

    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain('points to another server');
  });

  it('stops a server whose next link loops back to an earlier page', async () => {
    const { fhir } = harness(network);
    serveOnePageLinkingTo(`${BASE_URL}/Patient`);

    const error = await failure(collect(fhir.search('Patient')));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toContain('repeats an earlier page');
  });

  it('keeps to the rate limit: a burst of maxRequests, then maxRequests per perSeconds', async () => {
    const { fhir, ehr } = harness(network, { resources: patients() }, { rateLimit: { maxRequests: 3, perSeconds: 1 } });

    const found = await collect(fhir.search('Patient', { _count: 2 }));

    expect(found).toHaveLength(13);
    const times = ehr.requests.map((request) => request.at - ehr.requests[0].at);
    expect(times).toHaveLength(7);
    expect(times.slice(0, 3)).toEqual([0, 0, 0]);
    times.forEach((at, index) => expect(at).toBeGreaterThanOrEqual(Math.floor((Math.max(0, index - 2) * 1000) / 3)));
  });

  it('refuses a resource type that is not a type name before sending anything', () => {
    const { fhir } = harness(network);
    expect(() => fhir.search('../Patient', {})).toThrow(/resourceType must be a FHIR resource type name/);
  });
});
