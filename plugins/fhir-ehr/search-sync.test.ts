import { http } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { useMockNetwork } from '../../connectors/fhir/test-support.js';
import { TransientError } from '../../core/sdk/index.js';
import { cursorKey } from './cursor.js';
import { BASE_URL, countByType, SAMPLE_COUNTS, SAMPLE_TOTAL, searchesOf, seedClaims, setupEhr, type EhrSetup } from './test-support.js';

const network = useMockNetwork();
let setup: EhrSetup | undefined;
afterEach(async () => {
  await setup?.hub.close();
  setup = undefined;
});

const SEARCH = { mode: 'search' };

describe('fhir-ehr sync by search', { timeout: 60_000 }, () => {
  it('imports every patient, practitioner, organization and encounter on the first run, keeping PHI out of the logs', async () => {
    setup = await setupEhr(network, { config: SEARCH });
    const { ehr, hub } = setup;

    const first = await hub.sync();

    expect(first.error).toBeUndefined();
    expect(first.rejects).toEqual([]);
    expect(countByType(first.records)).toEqual(SAMPLE_COUNTS);
    expect(first.counts).toMatchObject({ created: SAMPLE_TOTAL, updated: 0 });
    expect(first.records.every((record) => record.externalSystem === 'riverside-epic' && record.version === 1)).toBe(true);
    const patient = ehr.resources('Patient')[0]!;
    expect(first.records.find((record) => record.externalId === `Patient/${patient.id}`)?.type).toBe('Patient');
    // Page by page (13 patients, 5 a page), with no _lastUpdated on a first run.
    const patientSearches = searchesOf(ehr, 'Patient');
    expect(patientSearches).toHaveLength(1);
    expect(patientSearches[0]!.searchParams.get('_lastUpdated')).toBeNull();
    expect(ehr.requests.filter((request) => request.url.includes('_getpages')).length).toBeGreaterThanOrEqual(2);
    // Every type has a cursor on the server's clock.
    expect(await hub.state(cursorKey('Patient'))).toBe('2024-06-01T12:00:00.000Z');

    const logged = JSON.stringify(hub.logs);
    expect(logged).toContain('fhir-ehr sync planned');
    const family = (patient.name as Array<{ family: string }>)[0]!.family;
    expect(logged).not.toContain(family);
    expect(logged).not.toContain(patient.id);
    expect(logged).not.toContain('not-a-real-secret');
  });

  it('reads only what changed on the next run: _lastUpdated from the cursor less the overlap', async () => {
    setup = await setupEhr(network, { config: SEARCH });
    const { ehr, hub, clock, change } = setup;
    await hub.sync();
    clock.advance(3_600_000);
    const moved = change('Patient', 4, (patient) => {
      patient.address = [{ line: ['12 Elm Street'], city: 'Riverside', state: 'CA', postalCode: '92501', country: 'US' }];
    });
    const rescheduled = change('Encounter', 7, (encounter) => {
      encounter.status = 'cancelled';
    });
    const before = ehr.requests.length;

    const second = await hub.sync();

    expect(second.error).toBeUndefined();
    expect(second.counts).toMatchObject({ created: 0, updated: 2, unchanged: 0 });
    for (const type of ['Patient', 'Practitioner', 'Organization', 'Location', 'Coverage', 'Encounter', 'Claim']) {
      const [search] = searchesOf(ehr, type, before);
      // First run answered at 12:00 on the server's clock; 5 minutes of overlap.
      expect(search?.searchParams.get('_lastUpdated'), type).toBe('ge2024-06-01T11:55:00.000Z');
    }
    const versions = Object.fromEntries(second.records.map((record) => [record.externalId, record.version]));
    expect(versions[`Patient/${moved.id}`]).toBe(2);
    expect(versions[`Encounter/${rescheduled.id}`]).toBe(2);
    expect(Object.values(versions).filter((version) => version === 1)).toHaveLength(SAMPLE_TOTAL - 2);
    expect(await hub.state(cursorKey('Patient'))).toBe('2024-06-01T13:00:00.000Z');
  });

  it('re-reads everything when a full sync is asked for, changing nothing that did not change', async () => {
    setup = await setupEhr(network, { config: SEARCH });
    const { ehr, hub } = setup;
    await hub.sync();
    const before = ehr.requests.length;

    const full = await hub.sync({ full: true });

    expect(full.error).toBeUndefined();
    expect(full.counts).toMatchObject({ created: 0, updated: 0, unchanged: SAMPLE_TOTAL });
    expect(searchesOf(ehr, 'Patient', before)[0]!.searchParams.get('_lastUpdated')).toBeNull();
  });

  it('rejects a resource that cannot be mapped, with its reason, and lands the rest of its page', async () => {
    setup = await setupEhr(network, { config: SEARCH });
    const { ehr, hub } = setup;
    const nameless = ehr.resources('Patient')[2]!;
    delete nameless.name;
    ehr.seed(nameless);

    const result = await hub.sync();

    expect(result.error).toBeUndefined();
    expect(countByType(result.records)).toEqual({ ...SAMPLE_COUNTS, Patient: SAMPLE_COUNTS.Patient - 1 });
    expect(result.rejects).toHaveLength(1);
    expect(result.rejects[0]).toMatchObject({ type: 'Patient', externalSystem: 'riverside-epic', externalId: `Patient/${nameless.id}` });
    expect(result.rejects[0]!.reasons[0]).toMatch(/^Patient search page 1: Patient\.name: required/);
    expect(result.counts.rejected).toBe(1);
  });

  it('fails with a TransientError when the server stops mid-page, and a re-run completes with each record once', async () => {
    setup = await setupEhr(network, { config: SEARCH });
    const { ehr, hub } = setup;
    // Both attempts of the client (one retry) are cut off.
    ehr.cutOffPage({ page: 2, times: 2 });

    const broken = await hub.sync();

    expect(broken.error).toBeInstanceOf(TransientError);
    expect((broken.error as Error).message).toMatch(/Patient search page 2/);
    // Page 1 was committed with its cursor before page 2 broke.
    expect(countByType(broken.records)).toEqual({ Patient: 5 });
    expect(await hub.state(cursorKey('Patient'))).toBeDefined();

    const rerun = await hub.sync();

    expect(rerun.error).toBeUndefined();
    expect(countByType(rerun.records)).toEqual(SAMPLE_COUNTS);
    expect(new Set(rerun.records.map((record) => record.externalId)).size).toBe(SAMPLE_TOTAL);
    expect(rerun.records.every((record) => record.version === 1)).toBe(true);
  });

  it('lands Claims that name their Patient and Coverage by id only, from the records the same run synced before', async () => {
    setup = await setupEhr(network, { config: SEARCH });
    const { ehr, hub } = setup;
    const claims = seedClaims(ehr, { count: 13 });
    // One more whose patient the EHR never served: nothing to read it from.
    const orphan = { ...structuredClone(claims[0]!), id: 'claim-orphan', identifier: [], patient: { reference: 'Patient/not-synced' } };
    ehr.seed(orphan);

    const result = await hub.sync();

    expect(result.error).toBeUndefined();
    expect(countByType(result.records)).toEqual({ ...SAMPLE_COUNTS, Coverage: 13, Claim: 13 });
    // Claim pages came without _include: their parties were read from the store, a query per type and page.
    expect(searchesOf(ehr, 'Claim')[0]!.searchParams.get('_include')).toBeNull();
    expect(result.counts.claimPartiesLookedUp).toBe(2 * 14);
    const stored = (type: string, id: string) => result.records.find((record) => record.externalId === `${type}/${id}`)!.data as Record<string, any>;
    const patient = ehr.resources('Patient')[0]!;
    const first = stored('Claim', claims[0]!.id!);
    expect(first.patient).toMatchObject({ name: stored('Patient', patient.id!).name, record: { system: 'riverside-epic', id: `Patient/${patient.id}` } });
    expect(first.payer).toEqual({ name: 'Sunrise Health Plan', organization: { system: 'riverside-epic', id: 'Organization/sunrise-health-plan' } });
    expect(first.subscriber).toEqual({
      memberId: stored('Coverage', 'coverage-1').memberId,
      relationship: 'self',
      groupNumber: 'GRP-22870',
      payerResponsibility: 'primary',
      coverage: { system: 'riverside-epic', id: 'Coverage/coverage-1' },
    });
    // The second patient is covered as a child: the subscriber comes from the Coverage record.
    expect(stored('Claim', claims[1]!.id!).subscriber).toMatchObject({ relationship: 'child', name: { family: 'Synthetic', given: ['Parent'] }, birthDate: '1970-03-14' });

    expect(result.rejects).toHaveLength(1);
    expect(result.rejects[0]).toMatchObject({ type: 'Claim', externalId: 'Claim/claim-orphan' });
    expect(result.rejects[0]!.reasons[0]).toBe(
      'Claim search page 3: Claim.patient: required by the canonical Claim (the patient’s name: the Patient, with a name, in the same bundle, contained, or synced before (Patient records))',
    );
    const logged = JSON.stringify(hub.logs);
    expect(logged).not.toContain((patient.name as Array<{ family: string }>)[0]!.family);
    expect(logged).not.toContain(stored('Coverage', 'coverage-1').memberId);
  });

  it('fetches a new token once when it expires mid-sync', async () => {
    setup = await setupEhr(network, { config: SEARCH });
    const { ehr, hub } = setup;
    let expired = false;
    // Runs before the fake server's own handler and falls through to it.
    network.use(
      http.get(BASE_URL, ({ request }) => {
        if (!expired && new URL(request.url).searchParams.has('_getpages')) {
          expired = true;
          ehr.expireTokens();
        }
      }),
    );

    const result = await hub.sync();

    expect(expired).toBe(true);
    expect(result.error).toBeUndefined();
    expect(countByType(result.records)).toEqual(SAMPLE_COUNTS);
    expect(ehr.tokensIssued).toBe(2);
  });
});
