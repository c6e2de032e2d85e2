/**
 * Riverside's EHR, from the YAML an operator writes to patients in the hub's API: a `fhir-ehr`
 * connector with SMART Backend Services auth reads a FHIR server (msw, seeded with the Synthea
 * sample) through a real HubRuntime on Redis and PostgreSQL, and the records it stores are what
 * `/api/records` answers. A second run after one patient changed on the EHR updates just that one.
 * Lakeside's connector does the same with Bulk Data: a system-level `$export` that needs several
 * status polls, then an incremental `_since` export that carries just the change.
 */
import { setupServer } from 'msw/node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeFhirServer, generateClientKey, type FakeFhirServer } from '../../connectors/fhir/testing/fake-fhir-server.js';
import { syntheaSample } from '../../connectors/fhir/testing/synthea.js';
import type { FhirResource } from '../../connectors/fhir/index.js';
import { createHttpApp } from '../../core/http/app.js';
import type { Hono } from 'hono';
import { createWebhookReceiver } from '../../core/webhooks/receive.js';
import fhirEhrPlugin from '../../plugins/fhir-ehr/index.js';
import { deletePrefix, eventually, finishedRun, freshPrefix, runsOf, startTestHub, testLogger, type TestHub } from '../runtime/helpers.js';

const BASE_URL = 'https://ehr.riverside.example/fhir/r4';
const BULK_BASE_URL = 'https://ehr.lakeside.example/fhir/r4';
const BULK_CONNECTOR = 'lakeside-ehr';
const ADMIN_TOKEN = 'tok_admin_e2e_fhir_4c9d1e';
const CONNECTOR = 'riverside-ehr';
const EXTERNAL_SYSTEM = 'riverside-epic';

/** What the Synthea sample holds, by type: what the first run must store. */
const fixture = syntheaSample();
const expected = (type: string) => fixture.filter((resource) => resource.resourceType === type).length;

const key = generateClientKey('ES384');
const prefix = freshPrefix();
const yaml = `
hub:
  queuePrefix: ${prefix}
tenants:
  - id: riverside
    name: Riverside Family Medicine
  - id: lakeside
    name: Lakeside Pediatrics
tokens:
  - name: mso-admin
    token: ${ADMIN_TOKEN}
    role: admin
    tenants: ['*']
connectors:
  - id: ${CONNECTOR}
    tenant: riverside
    plugin: fhir-ehr
    config:
      baseUrl: ${BASE_URL}
      auth:
        kind: smart-backend
        clientId: hub-riverside
        keyId: riverside-hub-key-1
        privateKey: \${env:RIVERSIDE_EHR_KEY}
        scope: system/*.rs
      externalSystem: ${EXTERNAL_SYSTEM}
      mrnSystems: [http://hospital.smarthealthit.org]
      mode: search
      pageSize: 5
  - id: ${BULK_CONNECTOR}
    tenant: lakeside
    plugin: fhir-ehr
    config:
      baseUrl: ${BULK_BASE_URL}
      auth:
        kind: client-secret
        clientId: hub-lakeside
        clientSecret: \${env:LAKESIDE_EHR_SECRET}
      externalSystem: lakeside-cerner
      mrnSystems: [http://hospital.smarthealthit.org]
      mode: bulk
`;

interface ApiRecord {
  id: string;
  type: string;
  tenant: string;
  version: number;
  externalSystem: string;
  externalId: string;
  data: Record<string, unknown>;
}

describe('fhir-ehr end to end: YAML config to records in the store and through the API', { timeout: 120_000 }, () => {
  const network = setupServer();
  let ehr: FakeFhirServer;
  let bulkEhr: FakeFhirServer;
  let hub: TestHub | undefined;
  let app: Hono;

  beforeAll(async () => {
    // Data seeded a month back, a minute apart: every resource is older than the first run's cursor.
    const seeded = Date.parse('2024-05-01T08:00:00Z');
    ehr = createFakeFhirServer({
      baseUrl: BASE_URL,
      resources: syntheaSample().map((resource, index) => ({
        ...resource,
        meta: { ...resource.meta, versionId: '1', lastUpdated: new Date(seeded + index * 60_000).toISOString() },
      })),
      auth: { smartClients: [{ clientId: 'hub-riverside', publicKey: key.publicKey, keyId: 'riverside-hub-key-1', algorithm: 'ES384' }] },
    });
    bulkEhr = createFakeFhirServer({
      baseUrl: BULK_BASE_URL,
      resources: syntheaSample().map((resource, index) => ({
        ...resource,
        meta: { ...resource.meta, versionId: '1', lastUpdated: new Date(seeded + index * 60_000).toISOString() },
      })),
      auth: { clientSecrets: { 'hub-lakeside': 'lakeside-secret-e2e' } },
      bulkExport: { polls: 3, chunkBytes: 512 },
    });
    // Only the EHRs are on the mocked network; Redis and PostgreSQL are not HTTP, and the API is called in-process.
    network.use(...ehr.handlers, ...bulkEhr.handlers);
    network.listen({ onUnhandledRequest: 'error' });

    hub = await startTestHub({ yaml, plugins: [fhirEhrPlugin], env: { RIVERSIDE_EHR_KEY: key.privateKeyPem, LAKESIDE_EHR_SECRET: 'lakeside-secret-e2e' } });
    const { config, store, runtime } = hub;
    const logger = testLogger();
    app = createHttpApp({
      config,
      store,
      logger,
      metrics: new Registry(),
      ...runtime.services(),
      webhooks: createWebhookReceiver({ config, store, enqueuer: runtime.queues, plugin: (id) => runtime.connectors.get(id)?.plugin, logger }),
      ready: async () => [],
    });
  });

  afterAll(async () => {
    await hub?.close();
    network.close();
    await deletePrefix(prefix);
  });

  const api = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const response = await app.request(path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return { status: response.status, body: (await response.json()) as T };
  };

  /** Every record of a type the API lists, page by page. */
  const recordsOf = async (type: string): Promise<ApiRecord[]> => {
    const all: ApiRecord[] = [];
    let after = '';
    for (;;) {
      const page = await api<{ items: ApiRecord[]; next?: string }>(`/api/records?type=${type}&limit=100${after}`);
      expect(page.status).toBe(200);
      all.push(...page.body.items);
      if (!page.body.next) return all;
      after = `&after=${encodeURIComponent(page.body.next)}`;
    }
  };

  const run = async (connector = CONNECTOR) => {
    const { jobId } = await hub!.runtime.runNow(connector, { requestedBy: 'test' });
    return finishedRun(hub!.store, connector, jobId);
  };

  it('the first run stores every patient, practitioner, organization and encounter of the EHR, and the API lists them', async () => {
    const first = await run();
    expect(first).toMatchObject({ kind: 'sync', trigger: 'manual', tenant: 'riverside', status: 'succeeded' });
    const total = fixture.length;
    expect(first.counts).toMatchObject({ created: total, updated: 0, rejected: 0 });
    // The hub authenticated with its signed assertion rather than reading an open server.
    expect(ehr.tokensIssued).toBeGreaterThanOrEqual(1);

    for (const type of ['Patient', 'Practitioner', 'Organization', 'Encounter']) {
      expect(await hub!.store.countRecords({ sourceConnector: CONNECTOR, type }), `${type} in the store`).toBe(expected(type));
      const records = await recordsOf(type);
      expect(records.length, `${type} through the API`).toBe(expected(type));
      expect(records.every((r) => r.tenant === 'riverside' && r.externalSystem === EXTERNAL_SYSTEM && r.version === 1), type).toBe(true);
    }
    const ids = new Set((await recordsOf('Patient')).map((r) => r.externalId));
    const fixturePatients = fixture.filter((r) => r.resourceType === 'Patient').map((r) => `Patient/${r.id}`);
    expect([...ids].sort()).toEqual(fixturePatients.sort());
  });

  it('after one patient moves on the EHR, a second run updates just that record to version 2', async () => {
    const patient = ehr.resources('Patient')[4]!;
    const edited: FhirResource = {
      ...patient,
      address: [{ line: ['12 Elm Street'], city: 'Riverside', state: 'CA', postalCode: '92501', country: 'US' }],
      meta: { versionId: '2', lastUpdated: new Date().toISOString() },
    };
    ehr.seed(edited);
    const { body: before } = await api<{ items: ApiRecord[] }>(
      `/api/records?type=Patient&externalSystem=${EXTERNAL_SYSTEM}&externalId=${encodeURIComponent(`Patient/${patient.id}`)}`,
    );
    expect(before.items).toHaveLength(1);
    const id = before.items[0]!.id;

    const second = await run();
    expect(second.counts).toMatchObject({ created: 0, updated: 1, rejected: 0 });

    const { status, body: record } = await api<ApiRecord>(`/api/records/${id}`);
    expect(status).toBe(200);
    expect(record).toMatchObject({ id, type: 'Patient', version: 2, externalId: `Patient/${patient.id}` });
    expect(JSON.stringify(record.data)).toContain('12 Elm Street');

    // Every other record is as the first run left it.
    for (const type of ['Patient', 'Practitioner', 'Organization', 'Encounter']) {
      const records = await recordsOf(type);
      expect(records.length, type).toBe(expected(type));
      expect(records.filter((r) => r.version !== 1).map((r) => r.id), type).toEqual(type === 'Patient' ? [id] : []);
    }
    expect((await runsOf(hub!.store, CONNECTOR)).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    await eventually('the connector status to show the second run', async () =>
      (await hub!.runtime.status(CONNECTOR)).lastRun?.id === second.id,
    );
  });

  it('a bulk connector reads the EHR with a system-level $export, waiting out the polls, and stores the same records', async () => {
    const first = await run(BULK_CONNECTOR);
    expect(first).toMatchObject({ tenant: 'lakeside', status: 'succeeded' });
    expect(first.counts).toMatchObject({ created: fixture.length, updated: 0, rejected: 0 });
    const [job] = bulkEhr.exportJobs;
    expect(job).toMatchObject({ level: 'system', since: undefined });
    expect(job!.polls).toBeGreaterThanOrEqual(3);
    for (const type of ['Patient', 'Practitioner', 'Organization', 'Encounter']) {
      const records = (await recordsOf(type)).filter((r) => r.tenant === 'lakeside');
      expect(records.length, `${type} through the API`).toBe(expected(type));
      expect(records.every((r) => r.externalSystem === 'lakeside-cerner' && r.version === 1), type).toBe(true);
    }
  });

  it('the next bulk run exports only what changed since the last one and updates just that record', async () => {
    const patient = bulkEhr.resources('Patient')[2]!;
    bulkEhr.seed({ ...patient, gender: 'unknown', meta: { versionId: '2', lastUpdated: new Date().toISOString() } });
    const second = await run(BULK_CONNECTOR);
    expect(second.counts).toMatchObject({ created: 0, updated: 1, rejected: 0 });
    const job = bulkEhr.exportJobs.at(-1)!;
    expect(job.since, 'an incremental export asks for _since').toBeDefined();
    const { body } = await api<{ items: ApiRecord[] }>(
      `/api/records?type=Patient&externalSystem=lakeside-cerner&externalId=${encodeURIComponent(`Patient/${patient.id}`)}`,
    );
    expect(body.items.map((r) => r.version)).toEqual([2]);
  });
});
