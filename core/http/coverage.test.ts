/**
 * Mapping coverage through the API: connectors run a plugin (the test kit, exactly as a worker
 * runs it) on one store, and MSO IT reads per connector how often each canonical field was filled.
 */
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorConfig, HubConfig } from '../config/types.js';
import { createLogger } from '../logging.js';
import { fieldPaths } from '../model/field-paths.js';
import { definePlugin, Type, type EntityData } from '../sdk/index.js';
import { createPluginHarness } from '../sdk/testkit.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { createHttpApp } from './app.js';
import { COVERAGE_MAX_RUNS } from './limits.js';
import type { HubServices } from './services.js';

const TOKENS = { riverside: 'tok_cov_riverside_41d2', lakeside: 'tok_cov_lakeside_8e07', admin: 'tok_cov_admin_c93a' };

function connector(id: string, tenant: string): ConnectorConfig {
  return { id, tenant, plugin: 'ehr-export', enabled: true, concurrency: 1, retry: { attempts: 1, backoffMs: 0 }, timeoutSeconds: 60, transport: {}, config: {} };
}

const config: HubConfig = {
  baseDir: '/srv/hub',
  hub: { port: 8080, host: '127.0.0.1', dataDir: './data', logLevel: 'info', queuePrefix: 'hub', rawEventRetentionDays: 30, maxWebhookBytes: 4096 },
  tenants: [
    { id: 'riverside', name: 'Riverside Family Medicine' },
    { id: 'lakeside', name: 'Lakeside Pediatrics' },
  ],
  tokens: [
    { name: 'riverside-console', token: TOKENS.riverside, role: 'viewer', tenants: ['riverside'] },
    { name: 'lakeside-console', token: TOKENS.lakeside, role: 'viewer', tenants: ['lakeside'] },
    { name: 'mso-admin', token: TOKENS.admin, role: 'admin', tenants: ['*'] },
  ],
  connectors: [connector('riverside-ehr', 'riverside'), connector('lakeside-ehr', 'lakeside'), connector('riverside-idle', 'riverside')],
  routes: [],
};

type Patient = EntityData<'Patient'> & { mrn: string };

/** An EHR export: what the next run finds. Synthetic people only. */
let exported: Patient[] = [];
const ehrExport = definePlugin({
  name: 'ehr-export',
  version: '1.0.0',
  config: Type.Object({}),
  produces: ['Patient'],
  consumes: [],
  async sync(ctx) {
    for (const { mrn, ...patient } of exported) await ctx.emit('Patient', patient, { system: 'urn:ehr-export-mrn', id: mrn });
  },
});

function patient(mrn: string, family: string, extra: Partial<EntityData<'Patient'>> = {}): Patient {
  return { mrn, schemaVersion: '1.0.0', name: { family, given: ['Test'] }, birthDate: '1979-06-1' + (mrn.length % 10), gender: 'female', ...extra };
}
const HISPANIC = { ethnicity: { ombCategories: ['2135-2' as const] } };

let store: Store;
let app: ReturnType<typeof createHttpApp>;

async function runConnector(connectorId: string, tenant: string, patients: Patient[]) {
  exported = patients;
  const harness = await createPluginHarness(ehrExport, { config: {}, connectorId, tenant, store });
  return harness.sync();
}

async function coverage(connectorId: string, token: string, query = '') {
  const response = await app.request(`/api/connectors/${connectorId}/coverage${query}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), text };
}

function field(body: any, entity: string, path: string) {
  return body.entities.find((e: any) => e.entity === entity)?.fields.find((f: any) => f.path === path);
}

const unused = () => {
  throw new Error('not used by these tests');
};

beforeAll(async () => {
  store = await openStore({});
  const services: HubServices = {
    config,
    store,
    logger: createLogger({ level: 'silent', pretty: false, destination: new Writable({ write: (_c, _e, done) => done() }) }),
    metrics: new Registry(),
    connectors: { list: unused, get: unused, runNow: unused, pause: unused, resume: unused },
    deadLetters: { list: unused, replay: unused, replayAll: unused },
    webhooks: { receive: unused },
    ready: async () => [],
  };
  app = createHttpApp(services);

  // Riverside's EHR sends ethnicity for some patients only, over two runs; one record is invalid.
  await runConnector('riverside-ehr', 'riverside', [
    patient('R-1', 'Okafor', HISPANIC),
    patient('R-2', 'Lindqvist'),
    patient('R-3', 'Haddad'),
    patient('R-4', 'Moreau', HISPANIC),
    { ...patient('R-5', 'Tanaka'), birthDate: 'not a date' },
  ]);
  await runConnector('riverside-ehr', 'riverside', [patient('R-6', 'Novak'), patient('R-7', 'Castellano', HISPANIC), patient('R-8', 'Ibarra')]);
  // An empty run: it counts no records, so it takes no place among the runs asked for.
  await runConnector('riverside-ehr', 'riverside', []);
  await runConnector('lakeside-ehr', 'lakeside', [patient('L-1', 'Brennan', HISPANIC)]);
});

afterAll(async () => {
  await store?.close();
});

describe('GET /api/connectors/:id/coverage', () => {
  it("shows how often each field was filled over the connector's last runs, gaps first", async () => {
    const { status, body } = await coverage('riverside-ehr', TOKENS.riverside);
    expect(status).toBe(200);
    expect(body).toMatchObject({ connector: 'riverside-ehr', tenant: 'riverside', runs: 2, from: expect.any(String), to: expect.any(String) });
    expect(body.entities.map((e: any) => [e.entity, e.records, e.runs])).toEqual([['Patient', 7, 2]]);

    // 3 of the 7 valid patients carry ethnicity; the invalid one (a rejected record) is not counted.
    expect(field(body, 'Patient', 'ethnicity.ombCategories[]')).toEqual({ path: 'ethnicity.ombCategories[]', filled: 3, rate: 0.4286 });
    expect(field(body, 'Patient', 'name.family')).toEqual({ path: 'name.family', filled: 7, rate: 1 });
    // What this EHR never sends is listed at 0, and the list leads with the gaps.
    expect(field(body, 'Patient', 'race.ombCategories[]')).toEqual({ path: 'race.ombCategories[]', filled: 0, rate: 0 });
    const fields = body.entities[0].fields;
    expect(fields).toHaveLength(fieldPaths('Patient').length);
    expect(fields[0].rate).toBe(0);
    expect(fields.at(-1).rate).toBe(1);
    expect(fields.map((f: any) => f.rate)).toEqual([...fields.map((f: any) => f.rate)].sort((a: number, b: number) => a - b));
  });

  it('adds up only as many runs as asked for, the newest', async () => {
    const { body } = await coverage('riverside-ehr', TOKENS.riverside, '?runs=1');
    expect(body.runs).toBe(1);
    expect(body.entities[0]).toMatchObject({ entity: 'Patient', records: 3, runs: 1 });
    expect(field(body, 'Patient', 'ethnicity.ombCategories[]')).toMatchObject({ filled: 1, rate: 0.3333 });
    expect((await coverage('riverside-ehr', TOKENS.riverside, `?runs=${COVERAGE_MAX_RUNS * 10}`)).body.runs).toBe(2);
  });

  it('shows each run’s own coverage on the run', async () => {
    const run = (await store.listRuns({ connectorId: 'riverside-ehr', limit: 3 })).items[1]!;
    const response = await app.request(`/api/runs/${run.id}`, { headers: { authorization: `Bearer ${TOKENS.riverside}` } });
    const body = (await response.json()) as any;
    expect(body.coverage.Patient).toMatchObject({ records: 3, fields: { 'name.family': 3, 'ethnicity.ombCategories[]': 1 } });
  });

  it('answers a connector that emitted nothing yet with no entities', async () => {
    const { status, body } = await coverage('riverside-idle', TOKENS.riverside);
    expect(status).toBe(200);
    expect(body).toEqual({ connector: 'riverside-idle', tenant: 'riverside', runs: 0, entities: [] });
  });

  it("answers 404 for another tenant's connector, exactly as for an unknown one", async () => {
    const other = await coverage('lakeside-ehr', TOKENS.riverside);
    const unknown = await coverage('no-such-connector', TOKENS.riverside);
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(other.body.error.code).toBe(unknown.body.error.code);
    expect(unknown.body.error.message).toContain('no-such-connector');
    expect(other.text).not.toContain('Patient');
    expect((await coverage('lakeside-ehr', TOKENS.lakeside)).body.entities[0]).toMatchObject({ entity: 'Patient', records: 1 });
    expect((await coverage('lakeside-ehr', TOKENS.admin)).status).toBe(200);
  });

  it('refuses a runs value that is not a positive whole number with 400, naming it', async () => {
    for (const bad of ['0', '-1', 'ten', '2.5']) {
      const { status, body } = await coverage('riverside-ehr', TOKENS.riverside, `?runs=${bad}`);
      expect(status, bad).toBe(400);
      expect(body.error.issues).toEqual([{ path: 'query.runs', message: expect.stringContaining(`${COVERAGE_MAX_RUNS}`) }]);
    }
  });

  it('shows field paths and counts, never a value from the records', async () => {
    const { text } = await coverage('riverside-ehr', TOKENS.admin);
    for (const value of ['Okafor', 'Castellano', '1979-06', '2135-2', 'R-1', 'female']) expect(text).not.toContain(value);
  });

  it('audits each read with the token name and the connector', async () => {
    await coverage('riverside-ehr', TOKENS.riverside, '?runs=5');
    const [entry] = (await store.listAudit({ actor: 'riverside-console', limit: 1 })).items;
    expect(entry).toMatchObject({
      action: 'connectors.coverage',
      tenant: 'riverside',
      target: 'riverside-ehr',
      detail: { runs: 5, count: 2 },
    });
  });
});
