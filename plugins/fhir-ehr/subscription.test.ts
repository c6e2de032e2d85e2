import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { useMockNetwork } from '../../connectors/fhir/test-support.js';
import { InputError } from '../../core/sdk/index.js';
import { cursorKey } from './cursor.js';
import { createFhirEhrPlugin } from './index.js';
import { BASE_URL, SAMPLE_TOTAL, searchesOf, seedClaims, setupEhr, type EhrSetup } from './test-support.js';

const network = useMockNetwork();
let setup: EhrSetup | undefined;
afterEach(async () => {
  await setup?.hub.close();
  setup = undefined;
});

const SEARCH = { mode: 'search' };

function versionsOf(records: ReadonlyArray<{ externalId: string; version: number }>): Record<string, number> {
  return Object.fromEntries(records.map((record) => [record.externalId, record.version]));
}

describe('fhir-ehr subscription notifications', { timeout: 60_000 }, () => {
  it('syncs just what changed on an empty notification, by the _lastUpdated cursor', async () => {
    setup = await setupEhr(network, { config: SEARCH });
    const { ehr, hub, clock, change } = setup;
    await hub.sync();
    clock.advance(3_600_000);
    const moved = change('Patient', 4, (patient) => {
      patient.address = [{ line: ['12 Elm Street'], city: 'Riverside', state: 'CA', postalCode: '92501', country: 'US' }];
    });
    const before = ehr.requests.length;

    const result = await hub.webhook({});

    expect(result.error).toBeUndefined();
    expect(result.counts).toMatchObject({ created: 0, updated: 1, notifications: 1 });
    const versions = versionsOf(result.records);
    expect(versions[`Patient/${moved.id}`]).toBe(2);
    expect(Object.values(versions).filter((version) => version === 1)).toHaveLength(SAMPLE_TOTAL - 1);
    expect(searchesOf(ehr, 'Patient', before)[0]!.searchParams.get('_lastUpdated')).toBe('ge2024-06-01T11:55:00.000Z');
    expect(await hub.state(cursorKey('Patient'))).toBe('2024-06-01T13:00:00.000Z');
    expect(JSON.stringify(hub.logs)).not.toContain(moved.id);
  });

  it('lands the resources of a full-resource Bundle without searching the server or moving a cursor', async () => {
    setup = await setupEhr(network, { config: SEARCH });
    const { ehr, hub } = setup;
    await hub.sync();
    const cursor = await hub.state(cursorKey('Patient'));
    const patient = structuredClone(ehr.resources('Patient')[1]!);
    patient.gender = patient.gender === 'female' ? 'male' : 'female';
    patient.meta = { versionId: '2', lastUpdated: '2024-06-01T12:30:00.000Z' };
    const encounter = structuredClone(ehr.resources('Encounter')[0]!);
    encounter.status = 'cancelled';
    const before = ehr.requests.length;

    const history = await hub.webhook({
      resourceType: 'Bundle',
      type: 'history',
      entry: [
        { fullUrl: `${BASE_URL}/Patient/${patient.id}`, resource: patient, request: { method: 'PUT', url: `Patient/${patient.id}` } },
        { fullUrl: `${BASE_URL}/Encounter/${encounter.id}`, resource: encounter, request: { method: 'PUT', url: `Encounter/${encounter.id}` } },
      ],
    });

    expect(history.error).toBeUndefined();
    expect(history.counts).toMatchObject({ created: 0, updated: 2, notificationResources: 2 });
    const versions = versionsOf(history.records);
    expect(versions[`Patient/${patient.id}`]).toBe(2);
    expect(versions[`Encounter/${encounter.id}`]).toBe(2);
    expect(ehr.requests.slice(before)).toEqual([]);
    expect(await hub.state(cursorKey('Patient'))).toBe(cursor);

    // R4B/R5: the first entry is the SubscriptionStatus, which is skipped.
    const practitioner = structuredClone(ehr.resources('Practitioner')[0]!);
    practitioner.gender = 'unknown';
    const r5 = await hub.webhook({
      resourceType: 'Bundle',
      type: 'subscription-notification',
      entry: [
        { fullUrl: 'urn:uuid:9b2f6f7e-1b1c-4f3e-9d7e-1d2f3a4b5c6d', resource: { resourceType: 'SubscriptionStatus', status: 'active', type: 'event-notification' } },
        { fullUrl: `${BASE_URL}/Practitioner/${practitioner.id}`, resource: practitioner },
      ],
    });

    expect(r5.error).toBeUndefined();
    expect(r5.rejects).toEqual([]);
    expect(r5.counts).toMatchObject({ updated: 1, notificationResources: 1 });
    expect(versionsOf(r5.records)[`Practitioner/${practitioner.id}`]).toBe(2);
    expect(ehr.requests.slice(before)).toEqual([]);
  });

  it('lands a notified Claim that names its Patient and Coverage by id, from the records synced before', async () => {
    setup = await setupEhr(network, { config: SEARCH });
    const { ehr, hub } = setup;
    const [claim] = seedClaims(ehr, { count: 1 });
    await hub.sync();
    // The practice corrected the diagnosis.
    const changed = { ...structuredClone(claim!), meta: { versionId: '2', lastUpdated: '2024-06-01T12:30:00.000Z' } } as Record<string, any>;
    changed.diagnosis[0].diagnosisCodeableConcept = { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.65' }] };
    const before = ehr.requests.length;

    const result = await hub.webhook({
      resourceType: 'Bundle',
      type: 'history',
      entry: [{ fullUrl: `${BASE_URL}/Claim/${changed.id}`, resource: changed, request: { method: 'PUT', url: `Claim/${changed.id}` } }],
    });

    expect(result.error).toBeUndefined();
    expect(result.rejects).toEqual([]);
    expect(result.counts).toMatchObject({ updated: 1, notificationResources: 1, claimPartiesLookedUp: 2 });
    const stored = result.records.find((record) => record.externalId === `Claim/${changed.id}`)!;
    expect(stored.version).toBe(2);
    const patientId = (claim!.patient as { reference: string }).reference;
    expect((stored.data as Record<string, any>).patient.record).toEqual({ system: 'riverside-epic', id: patientId });
    expect((stored.data as Record<string, any>).subscriber.coverage).toEqual({ system: 'riverside-epic', id: 'Coverage/coverage-1' });
    // Read from the store, not asked of the EHR again.
    expect(ehr.requests.slice(before)).toEqual([]);
  });

  it('reads each resource of an id-only Bundle, and counts one that is gone', async () => {
    setup = await setupEhr(network, { config: SEARCH });
    const { ehr, hub, clock, change } = setup;
    await hub.sync();
    clock.advance(60_000);
    const patient = change('Patient', 2, (resource) => {
      resource.gender = 'other';
    });
    const encounter = change('Encounter', 3, (resource) => {
      resource.status = 'cancelled';
    });
    network.use(http.get(`${BASE_URL}/Patient/deleted-1`, () => HttpResponse.json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'deleted' }] }, { status: 410 })));
    const before = ehr.requests.length;

    const result = await hub.webhook({
      resourceType: 'Bundle',
      type: 'history',
      entry: [
        { fullUrl: `${BASE_URL}/Patient/${patient.id}/_history/2` },
        { request: { method: 'PUT', url: `Encounter/${encounter.id}` } },
        { fullUrl: `${BASE_URL}/Patient/never-was` },
        { request: { method: 'DELETE', url: 'Patient/deleted-1' } },
      ],
    });

    expect(result.error).toBeUndefined();
    expect(result.counts).toMatchObject({ updated: 2, notificationResources: 2, notificationReads: 2, notificationTargetGone: 2 });
    const versions = versionsOf(result.records);
    expect(versions[`Patient/${patient.id}`]).toBe(2);
    expect(versions[`Encounter/${encounter.id}`]).toBe(2);
    const reads = ehr.requests.slice(before).filter((request) => /\/(Patient|Encounter)\//.test(request.url));
    expect(reads.map((request) => `${request.method} ${request.url}`)).toEqual([
      `GET ${new URL(BASE_URL).pathname}/Patient/${patient.id}`,
      `GET ${new URL(BASE_URL).pathname}/Encounter/${encounter.id}`,
      `GET ${new URL(BASE_URL).pathname}/Patient/never-was`,
    ]);
    expect(searchesOf(ehr, 'Patient', before)).toEqual([]);
  });

  it('fails on a notification it cannot read with an InputError, landing nothing and keeping the event', async () => {
    setup = await setupEhr(network, { config: SEARCH });
    const { ehr, hub } = setup;
    const before = ehr.requests.length;

    for (const body of [
      { resourceType: 'Patient', id: 'p1' },
      { resourceType: 'Bundle', type: 'searchset', entry: [] },
      { resourceType: 'Bundle', type: 'history', entry: [{ request: { method: 'POST', url: 'Patient' } }] },
      [1, 2, 3],
    ]) {
      const result = await hub.webhook(body, { eventId: `bad-${JSON.stringify(body).length}` });
      expect(result.error, JSON.stringify(body)).toBeInstanceOf(InputError);
      expect(result.records).toEqual([]);
      const raw = await hub.store.getRawEvent(hub.connectorId, `bad-${JSON.stringify(body).length}`);
      expect(raw?.processedAt).toBeUndefined();
    }
    expect(ehr.requests.slice(before)).toEqual([]);
  });
});

describe('fhir-ehr subscription webhook verify and event id', () => {
  const webhook = createFhirEhrPlugin().webhook!;
  const config = {} as never;
  const secret = 'subscription-secret-0123456789';
  const check = (headers: Record<string, string>, options: { secret?: string } = { secret }) =>
    webhook.verify!({ headers, rawBody: '{}' }, { secret: options.secret, config });

  it('accepts the connector secret as a Bearer token', () => {
    expect(check({ authorization: `Bearer ${secret}` })).toEqual({ ok: true });
    expect(check({ authorization: `bearer ${secret}` })).toEqual({ ok: true });
  });

  it('refuses a wrong token, a missing header and a connector without a secret, with distinct reasons that quote nothing sent', () => {
    const wrong = check({ authorization: 'Bearer guessed-value-xyz' });
    const wrongLength = check({ authorization: `Bearer ${secret}0` });
    const notBearer = check({ authorization: 'Basic dXNlcjpwYXNz' });
    const missing = check({});
    const noSecret = check({ authorization: `Bearer ${secret}` }, {});
    const reasons = [wrong, notBearer, missing, noSecret].map((result) => (result.ok ? 'ok' : result.reason));

    expect(wrongLength).toEqual(wrong);
    expect(new Set(reasons).size).toBe(4);
    expect(reasons).not.toContain('ok');
    expect(reasons[0]).toMatch(/does not match/);
    expect(reasons[2]).toMatch(/missing Authorization/);
    expect(reasons[3]).toMatch(/^the connector has no webhook\.secret/);
    for (const reason of reasons) {
      expect(reason).not.toContain('guessed-value-xyz');
      expect(reason).not.toContain('dXNlcjpwYXNz');
      expect(reason).not.toContain(secret);
    }
  });

  it('takes the event id from x-request-id, else leaves it to the hub', () => {
    expect(webhook.eventId!({ headers: { 'x-request-id': ' req-42 ' }, rawBody: '{}' }, {})).toBe('req-42');
    expect(webhook.eventId!({ headers: {}, rawBody: '{}' }, {})).toBeUndefined();
  });
});
