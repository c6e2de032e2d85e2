/** A fake EHR seeded with Synthea people and the plugin wired to it on one manual clock. */
import type { setupServer } from 'msw/node';
import { createFakeFhirServer, type FakeFhirServer, type FakeFhirServerOptions } from '../../connectors/fhir/testing/fake-fhir-server.js';
import { createManualClock, type ManualClock } from '../../connectors/fhir/testing/manual-clock.js';
import { syntheaSample } from '../../connectors/fhir/testing/synthea.js';
import type { FhirResource } from '../../connectors/fhir/index.js';
import { createPluginHarness, type PluginHarness } from '../../core/sdk/testkit.js';
import type { Store } from '../../core/store/types.js';
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
