/** A fake EHR seeded with Synthea people and the plugin wired to it on one manual clock. */
import type { setupServer } from 'msw/node';
import { createFakeFhirServer, type FakeFhirServer, type FakeFhirServerOptions } from '../../connectors/fhir/testing/fake-fhir-server.js';
import { createManualClock, type ManualClock } from '../../connectors/fhir/testing/manual-clock.js';
import { syntheaSample } from '../../connectors/fhir/testing/synthea.js';
import type { FhirResource } from '../../connectors/fhir/index.js';
import { createPluginHarness, type PluginHarness } from '../../core/sdk/testkit.js';
import type { Store } from '../../core/store/types.js';
import { fixture } from './fixtures/load.js';
import { createFhirEhrPlugin } from './index.js';

export const BASE_URL = 'https://ehr.example/fhir/r4';

/** What the Synthea sample holds, by type: what a first sync must store. */
export const SAMPLE_COUNTS = { Patient: 13, Practitioner: 6, Organization: 4, Encounter: 24 };
export const SAMPLE_TOTAL = Object.values(SAMPLE_COUNTS).reduce((sum, n) => sum + n, 0);

export interface EhrSetup {
  ehr: FakeFhirServer;
  clock: ManualClock;
  hub: PluginHarness;
  /** Changes a stored resource on the server as the EHR would: a new version, lastUpdated now. */
  change(type: string, index: number, edit: (resource: FhirResource) => void): FhirResource;
}

/**
 * The Synthea sample last changed a month before the clock starts, a minute apart, so a first
 * sync's cursor lands well after every seeded resource.
 */
export async function setupEhr(
  network: ReturnType<typeof setupServer>,
  options: { config?: Record<string, unknown>; server?: Partial<FakeFhirServerOptions>; store?: Store } = {},
): Promise<EhrSetup> {
  const clock = createManualClock();
  const seeded = Date.parse('2024-05-01T08:00:00Z');
  const resources = syntheaSample().map((resource, index) => ({
    ...resource,
    meta: { ...resource.meta, lastUpdated: new Date(seeded + index * 60_000).toISOString() },
  }));
  const ehr = createFakeFhirServer({
    baseUrl: BASE_URL,
    now: clock.now,
    resources,
    auth: { clientSecrets: { 'hub-riverside': 'not-a-real-secret' } },
    ...options.server,
  });
  network.use(...ehr.handlers);
  const plugin = createFhirEhrPlugin({ client: { clock, retries: 1, backoffMs: 1 } });
  const hub = await createPluginHarness(plugin, {
    ...(options.store ? { store: options.store } : {}),
    connectorId: 'riverside-ehr',
    tenant: 'riverside-family',
    config: {
      baseUrl: BASE_URL,
      auth: { kind: 'client-secret', clientId: 'hub-riverside', clientSecret: 'not-a-real-secret' },
      externalSystem: 'riverside-epic',
      mrnSystems: ['http://hospital.smarthealthit.org'],
      pageSize: 5,
      ...options.config,
    },
  });
  const change: EhrSetup['change'] = (type, index, edit) => {
    const resource = ehr.resources(type)[index]!;
    edit(resource);
    resource.meta = { versionId: String(Number(resource.meta?.versionId ?? '1') + 1), lastUpdated: new Date(clock.now()).toISOString() };
    ehr.seed(resource);
    return resource;
  };
  return { ehr, clock, hub, change };
}

export function countByType(records: ReadonlyArray<{ type: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { type } of records) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Search requests the server received for a type, from `from` on in its log. */
export function searchesOf(ehr: FakeFhirServer, type: string, from = 0): URL[] {
  return ehr.requests
    .slice(from)
    .filter((request) => request.method === 'GET' && new URL(request.url, BASE_URL).pathname.endsWith(`/${type}`))
    .map((request) => new URL(request.url, BASE_URL));
}

type Json = Record<string, any>;

/**
 * Seeds a Coverage for every patient of the sample and `count` professional Claims over them in
 * turn, as an EHR serves claims: `Patient/<id>` and `Coverage/<id>` by reference only, or, with
 * `contained`, both inside the claim. The second patient's coverage is a child's under a parent's
 * policy (the parent contained in the Coverage). The people are Synthea's: synthetic.
 */
export function seedClaims(ehr: FakeFhirServer, options: { count: number; contained?: boolean }): FhirResource[] {
  const bundle = fixture('us-claims/professional-claim-bundle.json') as Json;
  const template = (type: string): Json => structuredClone(bundle.entry.find((e: Json) => e.resource.resourceType === type).resource);
  const patients = ehr.resources('Patient');
  const coverages = patients.map((patient, index) => coverageFor(template('Coverage'), patient, index));
  const claims = Array.from({ length: options.count }, (_, index) => {
    const patient = patients[index % patients.length]!;
    const coverage = coverages[index % patients.length]!;
    const claim = template('Claim');
    claim.id = `claim-${index + 1}`;
    claim.identifier = [{ system: 'https://riverside.example/claim-number', value: `RFM${String(index + 1).padStart(6, '0')}` }];
    claim.provider = { reference: 'Organization/riverside-family-medicine', identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1842107330' } };
    claim.careTeam = [];
    claim.diagnosis[0] = { sequence: 1, diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.9' }] } };
    if (options.contained) {
      // A contained resource cannot contain another: the Coverage's subscriber moves up to the claim.
      const { contained: subscriber = [], ...policy } = structuredClone(coverage);
      claim.contained = [
        { ...structuredClone(patient), id: 'patient', meta: undefined },
        { ...policy, id: 'coverage', beneficiary: { reference: '#patient' }, meta: undefined },
        ...subscriber,
      ];
      claim.patient = { reference: '#patient' };
      claim.insurance[0].coverage = { reference: '#coverage' };
    } else {
      claim.patient = { reference: `Patient/${patient.id}` };
      claim.insurance[0].coverage = { reference: `Coverage/${coverage.id}` };
    }
    return claim as FhirResource;
  });
  ehr.seed(...(coverages as FhirResource[]), ...claims);
  return claims;
}

function coverageFor(coverage: Json, patient: FhirResource, index: number): Json {
  coverage.id = `coverage-${index + 1}`;
  coverage.subscriberId = `SHP${String(880000 + index).padStart(9, '0')}`;
  coverage.identifier = [];
  coverage.beneficiary = { reference: `Patient/${patient.id}` };
  // The payor Organization is not on the EHR: its display names the payer.
  coverage.payor = [{ reference: 'Organization/sunrise-health-plan', display: 'Sunrise Health Plan' }];
  if (index === 1) {
    coverage.relationship = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'child' }] };
    coverage.contained = [{ resourceType: 'RelatedPerson', id: 'parent', patient: { reference: `Patient/${patient.id}` }, name: [{ family: 'Synthetic', given: ['Parent'] }], birthDate: '1970-03-14' }];
    coverage.subscriber = { reference: '#parent' };
  }
  return coverage;
}
