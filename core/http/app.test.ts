import { Validator } from '@seriousme/openapi-schema-validator';
import { Writable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signHmac } from '../../connectors/webhook/hmac.js';
import type { ConnectorConfig, HubConfig } from '../config/types.js';
import { NotFoundError } from '../errors.js';
import { createLogger } from '../logging.js';
import { exampleRecords } from '../model/examples.js';
import { CLAIM_LIFECYCLE_SYSTEM } from '../model/index.js';
import type { DeadLetter, HubJobData, JobEnqueuer } from '../queue/types.js';
import type { PluginDefinition } from '../sdk/types.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { createWebhookReceiver } from '../webhooks/receive.js';
import { createHttpApp } from './app.js';
import { openApiDocument } from './openapi.js';
import type { ConnectorStatus, HubServices, ReadyCheck } from './services.js';

// Synthetic credentials: the test proves none of them ever appears in an answer or a log line.
const TOKENS = {
  viewerA: 'tok_viewer_riverside_7c1e9a',
  operatorA: 'tok_operator_riverside_3b8d2f',
  adminAll: 'tok_admin_mso_5e4a11',
  viewerB: 'tok_viewer_lakeside_9d0c6b',
};
const WEBHOOK_SECRET = 'whsec_payroll_riverside_2f7d';
const DATABASE_PASSWORD = 'pg-pass-81ac3e';
const SECRETS = [...Object.values(TOKENS), WEBHOOK_SECRET, DATABASE_PASSWORD];

function connector(partial: Partial<ConnectorConfig> & Pick<ConnectorConfig, 'id' | 'tenant' | 'plugin'>): ConnectorConfig {
  return {
    enabled: true,
    concurrency: 1,
    retry: { attempts: 5, backoffMs: 2000 },
    timeoutSeconds: 600,
    transport: {},
    config: {},
    ...partial,
  };
}

const config: HubConfig = {
  baseDir: '/srv/hub',
  hub: {
    port: 8080,
    host: '127.0.0.1',
    dataDir: './data',
    logLevel: 'info',
    queuePrefix: 'hub',
    rawEventRetentionDays: 30,
    maxWebhookBytes: 4096,
    databaseUrl: `postgres://hub:${DATABASE_PASSWORD}@db.internal:5432/hub`,
  },
  tenants: [
    { id: 'riverside', name: 'Riverside Family Medicine' },
    { id: 'lakeside', name: 'Lakeside Pediatrics' },
  ],
  tokens: [
    { name: 'riverside-console', token: TOKENS.viewerA, role: 'viewer', tenants: ['riverside'] },
    { name: 'riverside-ops', token: TOKENS.operatorA, role: 'operator', tenants: ['riverside'] },
    { name: 'mso-admin', token: TOKENS.adminAll, role: 'admin', tenants: ['*'] },
    { name: 'lakeside-console', token: TOKENS.viewerB, role: 'viewer', tenants: ['lakeside'] },
  ],
  connectors: [
    connector({ id: 'riverside-ehr', tenant: 'riverside', plugin: 'fhir-ehr' }),
    connector({ id: 'lakeside-ehr', tenant: 'lakeside', plugin: 'fhir-ehr' }),
    connector({
      id: 'riverside-payroll',
      tenant: 'riverside',
      plugin: 'payroll-test',
      webhook: {
        secret: WEBHOOK_SECRET,
        signature: {
          header: 'X-Signature',
          algorithm: 'sha256',
          encoding: 'hex',
          prefix: 'sha256=',
          timestampHeader: 'X-Timestamp',
          toleranceSeconds: 300,
        },
        eventIdHeader: 'X-Event-Id',
        maxBytes: 1024,
      },
    }),
  ],
  routes: [],
};

const payrollPlugin: PluginDefinition = {
  name: 'payroll-test',
  version: '1.0.0',
  config: Type.Object({}),
  produces: [],
  consumes: [],
  webhook: {
    bodySchema: Type.Object({
      type: Type.String(),
      data: Type.Object({ payroll_id: Type.String(), pay_date: Type.String({ format: 'date' }) }),
    }),
    async handle() {},
  },
};
const ehrPlugin: PluginDefinition = { name: 'fhir-ehr', version: '1.0.0', config: Type.Object({}), produces: [], consumes: [], async sync() {} };

/** The runtime's side of the API, as the lead's runtime would answer it, kept in memory. */
function fakeRuntime() {
  const paused = new Set<string>();
  const runRequests: { id: string; full?: boolean; requestedBy: string }[] = [];
  const deadLetters: DeadLetter[] = [
    deadLetter('dl-riverside-1', 'riverside-ehr', 'riverside'),
    deadLetter('dl-riverside-2', 'riverside-ehr', 'riverside'),
    deadLetter('dl-lakeside-1', 'lakeside-ehr', 'lakeside'),
  ];
  const replayed: string[] = [];
  const status = (c: ConnectorConfig): ConnectorStatus => ({
    id: c.id,
    tenant: c.tenant,
    plugin: c.plugin,
    enabled: c.enabled,
    paused: paused.has(c.id),
    jobs: { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 },
  });
  const services: Pick<HubServices, 'connectors' | 'deadLetters'> = {
    connectors: {
      list: async () => config.connectors.map(status),
      get: async (id) => {
        const found = config.connectors.find((c) => c.id === id);
        if (!found) throw new NotFoundError(`connector "${id}" not found`);
        return status(found);
      },
      runNow: async (id, options) => {
        runRequests.push({ id, ...options });
        return { jobId: `sync:${id}:${runRequests.length}` };
      },
      pause: async (id) => void paused.add(id),
      resume: async (id) => void paused.delete(id),
    },
    deadLetters: {
      list: async ({ connectorIds, limit }) => deadLetters.filter((d) => connectorIds.includes(d.connectorId)).slice(0, limit),
      replay: async (jobId, connectorIds) => {
        const letter = deadLetters.find((d) => d.jobId === jobId && connectorIds.includes(d.connectorId));
        if (!letter) throw new NotFoundError(`dead letter "${jobId}" not found`);
        replayed.push(jobId);
      },
      replayAll: async (connectorIds) => {
        const letters = deadLetters.filter((d) => connectorIds.includes(d.connectorId));
        replayed.push(...letters.map((d) => d.jobId));
        return letters.length;
      },
    },
  };
  return { services, paused, runRequests, replayed };
}

function deadLetter(jobId: string, connectorId: string, tenant: string): DeadLetter {
  return {
    jobId,
    connectorId,
    tenant,
    kind: 'sync',
    trigger: 'schedule',
    failedReason: 'UpstreamError: 503 from the EHR',
    attemptsMade: 5,
    createdAt: '2024-05-15T11:00:00.000Z',
  };
}

/** Stands in for BullMQ: records each enqueue with its job id. */
function recordingEnqueuer() {
  const jobs: { data: HubJobData; jobId?: string }[] = [];
  let failNext = false;
  const enqueuer: JobEnqueuer = {
    async enqueue(data, options) {
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
      }
      jobs.push({ data, jobId: options?.jobId });
      const jobId = options?.jobId ?? `job-${jobs.length}`;
      return { jobId };
    },
  };
  return { enqueuer, jobs, failNextEnqueue: () => (failNext = true) };
}

let store: Store;
let app: ReturnType<typeof createHttpApp>;
let runtime: ReturnType<typeof fakeRuntime>;
let queue: ReturnType<typeof recordingEnqueuer>;
let checks: ReadyCheck[] = [];
const answers: string[] = [];
const logLines: string[] = [];
const recordIds: Record<string, string> = {};

async function call(path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const response = await app.request(path, { ...init, headers });
  const text = await response.text();
  answers.push(text, JSON.stringify([...response.headers]));
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body, text };
}

beforeAll(async () => {
  store = await openStore({});
  runtime = fakeRuntime();
  queue = recordingEnqueuer();
  const logger = createLogger({
    level: 'debug',
    pretty: false,
    destination: new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  });
  const plugins: Record<string, PluginDefinition> = { 'payroll-test': payrollPlugin, 'fhir-ehr': ehrPlugin };
  app = createHttpApp({
    config,
    store,
    logger,
    metrics: new Registry(),
    ...runtime.services,
    webhooks: createWebhookReceiver({
      config,
      store,
      enqueuer: queue.enqueuer,
      plugin: (id) => {
        const found = config.connectors.find((c) => c.id === id);
        return found && plugins[found.plugin];
      },
      logger,
    }),
    ready: async () => checks,
  });

  const patients = (tenant: string, connectorId: string, families: string[]) =>
    families.map((family, i) => ({
      tenant,
      type: 'Patient',
      externalSystem: `urn:${connectorId}`,
      externalId: `MRN-${tenant}-${i + 1}`,
      sourceConnector: connectorId,
      data: { schemaVersion: '1.0.0', name: { family, given: ['Test'] }, birthDate: '1980-01-0' + (i + 1) },
    }));
  await store.commit({
    records: [
      ...patients('riverside', 'riverside-ehr', ['Okafor', 'Lindqvist', 'Haddad', 'Moreau', 'Tanaka']),
      ...patients('lakeside', 'lakeside-ehr', ['Castellano', 'Novak']),
    ],
    rejects: [
      { tenant: 'riverside', type: 'Patient', sourceConnector: 'riverside-ehr', reasons: ['/birthDate: must be a date'], data: {} },
      { tenant: 'lakeside', type: 'Patient', sourceConnector: 'lakeside-ehr', reasons: ['/name: required'], data: {} },
    ],
  });
  for (const tenant of ['riverside', 'lakeside']) {
    const found = await store.findRecord({ tenant, type: 'Patient', externalSystem: `urn:${tenant}-ehr`, externalId: `MRN-${tenant}-1` });
    recordIds[tenant] = found!.id;
  }
  await store.startRun({ id: 'run-riverside-1', connectorId: 'riverside-ehr', tenant: 'riverside', kind: 'sync', trigger: 'schedule' });
  // A run error that carries a secret by accident: the API must still not show it.
  await store.finishRun('run-riverside-1', {
    status: 'failed',
    counts: { created: 0, updated: 0, unchanged: 0, rejected: 0 },
    error: `UpstreamError: 401 from payroll with secret ${WEBHOOK_SECRET}`,
  });
  await store.startRun({ id: 'run-lakeside-1', connectorId: 'lakeside-ehr', tenant: 'lakeside', kind: 'sync', trigger: 'schedule' });
});

afterAll(async () => {
  await store?.close();
});

describe('authentication and roles', () => {
  it('answers 401 with a Bearer challenge without a token, or with a wrong one', async () => {
    for (const token of [undefined, 'tok_not_a_real_token']) {
      const answer = await call('/api/connectors', { token });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(answer.body.error.code).toBe('unauthenticated');
    }
    const basic = await call('/api/connectors', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).toBe(401);
  });

  it('refuses a viewer who tries to run a connector with 403, and lets an operator', async () => {
    const refused = await call('/api/connectors/riverside-ehr/run', { method: 'POST', token: TOKENS.viewerA });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');

    const accepted = await call('/api/connectors/riverside-ehr/run', {
      method: 'POST',
      token: TOKENS.operatorA,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ full: true }),
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body.jobId).toBeTruthy();
    expect(runtime.runRequests.at(-1)).toEqual({ id: 'riverside-ehr', full: true, requestedBy: 'riverside-ops' });
  });

  it('checks the run request body', async () => {
    const answer = await call('/api/connectors/riverside-ehr/run', { method: 'POST', token: TOKENS.operatorA, body: '{"full":"yes","path":7}' });
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues).toEqual([
      { path: '/full', message: 'must be a boolean' },
      { path: '/path', message: 'must be a file path' },
    ]);
  });

  it('runs one inbound file when the request names a path', async () => {
    const answer = await call('/api/connectors/riverside-ehr/run', { method: 'POST', token: TOKENS.operatorA, body: '{"path":"inbox/roster.csv"}' });
    expect(answer.status).toBe(202);
    expect(runtime.runRequests.at(-1)).toEqual({ id: 'riverside-ehr', path: 'inbox/roster.csv', requestedBy: 'riverside-ops' });
  });

  it('pauses and resumes for an operator, and audits both', async () => {
    expect((await call('/api/connectors/riverside-ehr/pause', { method: 'POST', token: TOKENS.operatorA })).body).toEqual({ id: 'riverside-ehr', paused: true });
    expect((await call('/api/connectors/riverside-ehr', { token: TOKENS.viewerA })).body.paused).toBe(true);
    expect((await call('/api/connectors/riverside-ehr/resume', { method: 'POST', token: TOKENS.operatorA })).status).toBe(200);
    expect(runtime.paused.has('riverside-ehr')).toBe(false);
    const { items } = await store.listAudit({ actor: 'riverside-ops' });
    expect(items.map((e) => e.action)).toEqual(expect.arrayContaining(['connectors.run', 'connectors.pause', 'connectors.resume']));
  });

  it('keeps the audit log and the config for admins', async () => {
    expect((await call('/api/audit', { token: TOKENS.operatorA })).status).toBe(403);
    expect((await call('/api/config', { token: TOKENS.viewerA })).status).toBe(403);
    const audit = await call('/api/audit?limit=5', { token: TOKENS.adminAll });
    expect(audit.status).toBe(200);
    expect(audit.body.items.length).toBeGreaterThan(0);
    const shown = await call('/api/config', { token: TOKENS.adminAll });
    expect(shown.status).toBe(200);
    expect(shown.body.tokens).toContainEqual({ name: 'mso-admin', role: 'admin', tenants: ['*'] });
    expect(shown.body.connectors.find((c: ConnectorConfig) => c.id === 'riverside-payroll').webhook.secret).toBe('[redacted]');
    expect(shown.body.hub.databaseUrl).toBe('postgres://hub:[redacted]@db.internal:5432/hub');
  });
});

describe('tenant scoping', () => {
  it("shows a riverside token none of lakeside's connectors, runs, dead letters, records or rejects", async () => {
    const t = TOKENS.viewerA;
    const connectors = await call('/api/connectors', { token: t });
    expect(connectors.body.items.map((c: ConnectorStatus) => c.id).sort()).toEqual(['riverside-ehr', 'riverside-payroll']);
    expect((await call('/api/connectors/lakeside-ehr', { token: t })).status).toBe(404);

    const runs = await call('/api/runs', { token: t });
    expect(runs.body.items.map((r: { id: string }) => r.id)).toEqual(['run-riverside-1']);
    expect((await call('/api/runs/run-lakeside-1', { token: t })).status).toBe(404);
    expect((await call('/api/runs?connector=lakeside-ehr', { token: t })).body.items).toEqual([]);

    const letters = await call('/api/dead-letters', { token: t });
    expect(letters.body.items.map((d: DeadLetter) => d.jobId)).toEqual(['dl-riverside-1', 'dl-riverside-2']);
    expect((await call('/api/dead-letters?connector=lakeside-ehr', { token: t })).body.items).toEqual([]);

    const records = await call('/api/records?limit=500', { token: t });
    expect(records.body.items).toHaveLength(5);
    expect(records.body.items.every((r: { tenant: string }) => r.tenant === 'riverside')).toBe(true);
    expect((await call('/api/records?tenant=lakeside', { token: t })).body.items).toEqual([]);
    expect((await call(`/api/records/${recordIds.lakeside}`, { token: t })).status).toBe(404);
    expect((await call(`/api/records/${recordIds.lakeside}/history`, { token: t })).status).toBe(404);

    const rejects = await call('/api/rejects', { token: t });
    expect(rejects.body.items.map((r: { tenant: string }) => r.tenant)).toEqual(['riverside']);

    expect((await call('/api/tenants', { token: t })).body.items.map((x: { id: string }) => x.id)).toEqual(['riverside']);
  });

  it("answers 404, as for a missing one, when an operator acts on another tenant's connector or dead letter", async () => {
    const t = TOKENS.operatorA;
    const missing = await call('/api/connectors/no-such-connector/run', { method: 'POST', token: t });
    const other = await call('/api/connectors/lakeside-ehr/run', { method: 'POST', token: t });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe(missing.body.error.code);
    expect((await call('/api/connectors/lakeside-ehr/pause', { method: 'POST', token: t })).status).toBe(404);
    expect((await call('/api/dead-letters/dl-lakeside-1/replay', { method: 'POST', token: t })).status).toBe(404);
    expect((await call('/api/dead-letters/replay?connector=lakeside-ehr', { method: 'POST', token: t })).status).toBe(404);
    expect(runtime.replayed).not.toContain('dl-lakeside-1');
  });

  it("replays the token's own dead letters only", async () => {
    const one = await call('/api/dead-letters/dl-riverside-1/replay', { method: 'POST', token: TOKENS.operatorA });
    expect(one.status).toBe(202);
    const all = await call('/api/dead-letters/replay', { method: 'POST', token: TOKENS.operatorA });
    expect(all.body).toEqual({ replayed: 2 });
    expect(runtime.replayed).toEqual(['dl-riverside-1', 'dl-riverside-1', 'dl-riverside-2']);
  });

  it('lets an all-tenant token see everything', async () => {
    const records = await call('/api/records?limit=500', { token: TOKENS.adminAll });
    expect(records.body.items).toHaveLength(7);
    expect((await call(`/api/records/${recordIds.lakeside}`, { token: TOKENS.viewerB })).status).toBe(200);
  });
});

describe('record reads', () => {
  it('pages through records with next', async () => {
    const seen: string[] = [];
    let path = '/api/records?type=Patient&limit=2';
    for (let pages = 0; pages < 10; pages++) {
      const answer = await call(path, { token: TOKENS.viewerA });
      expect(answer.status).toBe(200);
      expect(answer.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...answer.body.items.map((r: { externalId: string }) => r.externalId));
      if (!answer.body.next) break;
      path = `/api/records?type=Patient&limit=2&after=${encodeURIComponent(answer.body.next)}`;
    }
    expect(seen.sort()).toEqual(['MRN-riverside-1', 'MRN-riverside-2', 'MRN-riverside-3', 'MRN-riverside-4', 'MRN-riverside-5']);
  });

  it('refuses a bad limit or cursor with 400 and clamps a large limit', async () => {
    expect((await call('/api/records?limit=abc', { token: TOKENS.viewerA })).status).toBe(400);
    expect((await call('/api/records?limit=0', { token: TOKENS.viewerA })).status).toBe(400);
    expect((await call('/api/records?after=nonsense', { token: TOKENS.viewerA })).status).toBe(400);
    expect((await call('/api/records?limit=100000', { token: TOKENS.viewerA })).status).toBe(200);
  });

  it('audits every record read with the token name, the query and a count, never the content', async () => {
    const before = (await store.listAudit({ actor: 'lakeside-console', limit: 1000 })).items.length;
    const t = TOKENS.viewerB;
    await call('/api/records?tenant=lakeside&type=Patient', { token: t });
    await call(`/api/records/${recordIds.lakeside}`, { token: t });
    await call(`/api/records/${recordIds.lakeside}/history`, { token: t });
    await call('/api/rejects', { token: t });
    await call(`/api/records/${recordIds.riverside}`, { token: t }); // another tenant's: refused, still audited

    const entries = (await store.listAudit({ actor: 'lakeside-console', limit: 1000 })).items.slice(0, 5).reverse();
    expect(entries.length).toBe(5);
    expect(before + 5).toBe((await store.listAudit({ actor: 'lakeside-console', limit: 1000 })).items.length);
    expect(entries.map((e) => [e.action, e.target, e.detail?.count])).toEqual([
      ['records.list', 'records', 2],
      ['records.get', recordIds.lakeside, 1],
      ['records.history', recordIds.lakeside, 1],
      ['records.rejects', 'rejects', 1],
      ['records.get', recordIds.riverside, 0],
    ]);
    expect(entries[0].detail?.query).toMatchObject({ tenant: 'lakeside', type: 'Patient' });
    expect(entries[4].tenant).toBe('riverside');
    const audited = JSON.stringify(entries);
    for (const phi of ['Castellano', 'Novak', '1980-01-0']) expect(audited).not.toContain(phi);
  });

  it('returns a record and its history', async () => {
    const record = await call(`/api/records/${recordIds.riverside}`, { token: TOKENS.viewerA });
    expect(record.body).toMatchObject({ tenant: 'riverside', type: 'Patient', externalId: 'MRN-riverside-1', version: 1 });
    const history = await call(`/api/records/${recordIds.riverside}/history`, { token: TOKENS.viewerA });
    expect(history.body.items).toHaveLength(1);
    expect((await call('/api/records/not-a-uuid', { token: TOKENS.viewerA })).status).toBe(404);
  });
});

describe('webhooks', () => {
  const event = JSON.stringify({ type: 'payroll.processed', data: { payroll_id: 'pr_2024_05_15', pay_date: '2024-05-15' } });

  function signed(body: string, options: { eventId?: string; at?: number; secret?: string } = {}) {
    const timestamp = String(Math.floor((options.at ?? Date.now()) / 1000));
    const signature = signHmac({
      secret: options.secret ?? WEBHOOK_SECRET,
      rawBody: body,
      algorithm: 'sha256',
      encoding: 'hex',
      prefix: 'sha256=',
      timestamp,
    });
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'x-signature': signature, 'x-timestamp': timestamp };
    if (options.eventId) headers['x-event-id'] = options.eventId;
    return headers;
  }

  it('acknowledges a signed event with 202 and its event id, keeps it and queues it', async () => {
    const answer = await call('/webhooks/riverside-payroll', {
      method: 'POST',
      headers: { ...signed(event, { eventId: 'evt_01HX3K5Q0Z' }), authorization: 'Bearer something-upstream', cookie: 'sid=abc' },
      body: event,
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ eventId: 'evt_01HX3K5Q0Z', duplicate: false });
    const kept = await store.getRawEvent('riverside-payroll', 'evt_01HX3K5Q0Z');
    expect(kept?.body).toBe(event);
    expect(kept?.headers['x-event-id']).toBe('evt_01HX3K5Q0Z');
    expect(kept?.headers).not.toHaveProperty('authorization');
    expect(kept?.headers).not.toHaveProperty('cookie');
    expect(queue.jobs.at(-1)).toEqual({
      data: { kind: 'webhook', connectorId: 'riverside-payroll', tenant: 'riverside', trigger: 'webhook', eventId: 'evt_01HX3K5Q0Z' },
      jobId: 'webhook:riverside-payroll:evt_01HX3K5Q0Z',
    });
  });

  it('acknowledges the same event again as a duplicate, queued under the same job id', async () => {
    const answer = await call('/webhooks/riverside-payroll', { method: 'POST', headers: signed(event, { eventId: 'evt_01HX3K5Q0Z' }), body: event });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ eventId: 'evt_01HX3K5Q0Z', duplicate: true });
    const jobIds = queue.jobs.filter((j) => j.data.eventId === 'evt_01HX3K5Q0Z').map((j) => j.jobId);
    expect(jobIds).toEqual(['webhook:riverside-payroll:evt_01HX3K5Q0Z', 'webhook:riverside-payroll:evt_01HX3K5Q0Z']);
  });

  it('answers 503 with Retry-After when the queue is down, and still processes the sender retry', async () => {
    queue.failNextEnqueue();
    const first = await call('/webhooks/riverside-payroll', { method: 'POST', headers: signed(event, { eventId: 'evt_redis_down' }), body: event });
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('5');
    expect(await store.getRawEvent('riverside-payroll', 'evt_redis_down')).toBeDefined();
    const retry = await call('/webhooks/riverside-payroll', { method: 'POST', headers: signed(event, { eventId: 'evt_redis_down' }), body: event });
    expect(retry.status).toBe(202);
    expect(retry.body.duplicate).toBe(true);
    expect(queue.jobs.at(-1)?.jobId).toBe('webhook:riverside-payroll:evt_redis_down');
  });

  it('refuses a wrong signature with 401 and the reason', async () => {
    const answer = await call('/webhooks/riverside-payroll', { method: 'POST', headers: signed(event, { secret: 'whsec_guessed_value' }), body: event });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toEqual({ code: 'unauthenticated', message: 'webhook signature rejected: signature does not match' });
    const missing = await call('/webhooks/riverside-payroll', { method: 'POST', headers: { 'content-type': 'application/json' }, body: event });
    expect(missing.status).toBe(401);
    expect(missing.body.error.message).toMatch(/x-signature/);
  });

  it('refuses a correctly signed but stale event with 401', async () => {
    const answer = await call('/webhooks/riverside-payroll', { method: 'POST', headers: signed(event, { at: Date.now() - 3600_000 }), body: event });
    expect(answer.status).toBe(401);
    expect(answer.body.error.message).toMatch(/timestamp outside tolerance/);
  });

  it('refuses a body over the limit with 413, even without Content-Length', async () => {
    const big = JSON.stringify({ type: 'payroll.processed', padding: 'x'.repeat(2000) });
    const declared = await call('/webhooks/riverside-payroll', { method: 'POST', headers: signed(big), body: big });
    expect(declared.status).toBe(413);

    const chunks = [big.slice(0, 1000), big.slice(1000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const request = new Request('http://hub.local/webhooks/riverside-payroll', {
      method: 'POST',
      headers: signed(big),
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(request.headers.has('content-length')).toBe(false);
    const streamed = await app.request(request);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('refuses text/plain with 415 and accepts application/*+json', async () => {
    const plain = await call('/webhooks/riverside-payroll', { method: 'POST', headers: { ...signed(event), 'content-type': 'text/plain' }, body: event });
    expect(plain.status).toBe(415);
    const vendor = await call('/webhooks/riverside-payroll', {
      method: 'POST',
      headers: { ...signed(event, { eventId: 'evt_vendor_type' }), 'content-type': 'application/vnd.payroll.event+json' },
      body: event,
    });
    expect(vendor.status).toBe(202);
  });

  it('answers an empty POST with 400, not 415, when the plugin takes no empty bodies', async () => {
    // As a FHIR rest-hook without payload sends it: no body, no content type.
    const { 'content-type': _none, ...headers } = signed('');
    const answer = await call('/webhooks/riverside-payroll', { method: 'POST', headers });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/^the body is empty/);
  });

  it('refuses invalid JSON with 400', async () => {
    const body = '{"type": "payroll.processed",';
    const answer = await call('/webhooks/riverside-payroll', { method: 'POST', headers: signed(body), body });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/^body is not valid JSON/);
  });

  it("refuses a body that fails the plugin's schema with 400 and the issues", async () => {
    const body = JSON.stringify({ type: 'payroll.processed', data: { pay_date: 'next friday' } });
    const answer = await call('/webhooks/riverside-payroll', { method: 'POST', headers: signed(body), body });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('input_error');
    expect(answer.body.error.issues).toEqual(
      expect.arrayContaining([
        { path: '/data', message: "must have required property 'payroll_id'" },
        { path: '/data/pay_date', message: 'must match format "date"' },
      ]),
    );
  });

  it('answers 404 for an unknown connector, or one without a webhook', async () => {
    for (const id of ['no-such-connector', 'riverside-ehr']) {
      const answer = await call(`/webhooks/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe('not_found');
    }
  });
});

describe('probes, metrics and errors', () => {
  it('answers /healthz while the process is up', async () => {
    const answer = await call('/healthz');
    expect(answer).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers /readyz 200 when every check passes and 503 when one fails', async () => {
    checks = [{ name: 'store', ok: true }, { name: 'redis', ok: true }];
    expect((await call('/readyz')).status).toBe(200);
    checks = [{ name: 'store', ok: true }, { name: 'redis', ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:6379' }];
    const failing = await call('/readyz');
    expect(failing.status).toBe(503);
    expect(failing.body.checks).toContainEqual({ name: 'redis', ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:6379' });
  });

  it('exposes request durations and webhook outcomes at /metrics', async () => {
    const answer = await call('/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(answer.text).toMatch(/hub_webhook_events_total\{connector="riverside-payroll",outcome="accepted"\} [1-9]/);
    expect(answer.text).toMatch(/hub_webhook_events_total\{connector="riverside-payroll",outcome="duplicate"\} [1-9]/);
    expect(answer.text).toMatch(/hub_webhook_events_total\{connector="riverside-payroll",outcome="unauthenticated"\} [1-9]/);
    expect(answer.text).toMatch(/hub_webhook_events_total\{connector="_unknown",outcome="not_found"\} 1/);
    expect(answer.text).toMatch(/hub_http_request_duration_seconds_count\{method="GET",route="\/api\/records\/:id",status="200"\} [1-9]/);
    expect(answer.text).not.toMatch(/route="\/api\/records\/[0-9a-f]{8}-/);
  });

  it('shares the metrics when a second app is built on the same registry', () => {
    const registry = new Registry();
    const services = { config, store, logger: createLogger({ level: 'silent', pretty: false }), metrics: registry } as HubServices;
    expect(() => {
      createHttpApp(services);
      createHttpApp(services);
    }).not.toThrow();
    expect(registry.getMetricsAsArray().map((m) => m.name).sort()).toEqual(['hub_http_request_duration_seconds', 'hub_webhook_events_total']);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const answer = await call('/nowhere');
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('not_found');
    const api = await call('/api/nowhere', { token: TOKENS.viewerA });
    expect(api.status).toBe(404);
  });

  it('answers an unexpected failure with a generic 500, logging the cause', async () => {
    const broken = createHttpApp({
      config,
      store,
      logger: createLogger({
        level: 'error',
        pretty: false,
        destination: new Writable({ write: (chunk, _e, done) => (logLines.push(String(chunk)), done()) }),
      }),
      metrics: new Registry(),
      ...runtime.services,
      connectors: {
        ...runtime.services.connectors,
        list: async () => {
          throw new TypeError(`cannot read properties of undefined (token ${TOKENS.adminAll})`);
        },
      },
      webhooks: { receive: async () => ({ eventId: 'x', duplicate: false }) },
      ready: async () => [],
    });
    const response = await broken.request('/api/connectors', { headers: { authorization: `Bearer ${TOKENS.viewerA}` } });
    const text = await response.text();
    answers.push(text);
    expect(response.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal_error', message: 'internal error; the hub log has the details' } });
    expect(logLines.join('')).toMatch(/cannot read properties of undefined/);
  });

  it('never shows a token, a webhook secret or a database password in any answer or log line', async () => {
    // Bodies from every test above, plus the places a secret would most likely surface.
    await call('/api/runs/run-riverside-1', { token: TOKENS.viewerA });
    await call('/api/config', { token: TOKENS.adminAll });
    await call(`/api/records?externalId=${TOKENS.adminAll}`, { token: TOKENS.viewerA });
    await call(`/api/${TOKENS.viewerB}`, { token: TOKENS.viewerA });
    await call(`/nowhere/${WEBHOOK_SECRET}`);
    const run = await call('/api/runs/run-riverside-1', { token: TOKENS.viewerA });
    expect(run.body.error).toBe('UpstreamError: 401 from payroll with secret [redacted]');

    expect(answers.length).toBeGreaterThan(50);
    const everything = answers.join('\n') + logLines.join('\n');
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  });
});

describe('OpenAPI document', () => {
  const served = () =>
    app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);

  it('lists every route the app serves, and serves every route it lists', async () => {
    const documented = Object.entries(openApiDocument.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect(served().length).toBeGreaterThan(20);
    expect([...new Set(served())].sort()).toEqual([...documented].sort());
    const answer = await call('/api/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toBe('3.1.0');
  });

  it('is internally consistent: refs resolve, path parameters are declared, operation ids unique', () => {
    const doc = openApiDocument as unknown as Record<string, any>;
    const refs: string[] = [];
    (function walk(node: unknown) {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref') refs.push(value as string);
          else walk(value);
        }
      }
    })(doc);
    for (const target of refs) {
      const resolved = target.slice(2).split('/').reduce<any>((node, part) => node?.[part], doc);
      expect(resolved, target).toBeDefined();
    }
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(openApiDocument.paths)) {
      for (const operation of Object.values(item)) {
        expect(ids.has(operation!.operationId)).toBe(false);
        ids.add(operation!.operationId);
        const declared = (operation!.parameters ?? []).flatMap((p) => ('in' in p && p.in === 'path' ? [p.name] : []));
        const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        expect(declared.sort(), `${path} parameters`).toEqual(inPath.sort());
      }
    }
  });

  it('is a valid OpenAPI 3.1 document by the official schema', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(JSON.stringify(openApiDocument)) as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });
});

describe('claim timeline', () => {
  it("shows a claim's state, its events with links to the records behind them, and its state history; scoped like any record", async () => {
    const claimData = { ...exampleRecords.Claim, patientControlNumber: 'TL-0001' };
    await store.commit({
      records: [
        { tenant: 'riverside', type: 'Claim', externalSystem: 'riverside-billing', externalId: 'TL-0001', sourceConnector: 'riverside-ehr', data: claimData },
        { tenant: 'riverside', type: 'Claim', externalSystem: 'riverside-billing', externalId: 'TL-0002', sourceConnector: 'riverside-ehr', data: { ...claimData, patientControlNumber: 'TL-0002' } },
        { tenant: 'riverside', type: 'Remittance', externalSystem: 'x12-835', externalId: 'SUN|EFT-1', sourceConnector: 'riverside-clearinghouse', data: exampleRecords.Remittance },
      ],
    });
    const claim = (await store.findRecord({ tenant: 'riverside', type: 'Claim', externalSystem: 'riverside-billing', externalId: 'TL-0001' }))!;
    const remittance = (await store.findRecord({ tenant: 'riverside', type: 'Remittance', externalSystem: 'x12-835', externalId: 'SUN|EFT-1' }))!;
    const lifecycle = (state: string, events: unknown[]) => ({
      tenant: 'riverside',
      type: 'ClaimLifecycle',
      externalSystem: CLAIM_LIFECYCLE_SYSTEM,
      externalId: claim.id,
      sourceConnector: 'riverside-clearinghouse',
      data: { ...exampleRecords.ClaimLifecycle, claimRecordId: claim.id, patientControlNumber: 'TL-0001', state, events },
    });
    const [submitted, , , paid] = exampleRecords.ClaimLifecycle.events;
    await store.commit({ records: [lifecycle('submitted', [submitted])] });
    await store.commit({ records: [lifecycle('paid', [submitted, { ...paid, record: { type: 'Remittance', system: 'x12-835', id: 'SUN|EFT-1' } }])] });

    const answer = await call(`/api/claims/${claim.id}/timeline`, { token: TOKENS.viewerA });
    expect(answer.status).toBe(200);
    expect(answer.body.claim).toMatchObject({ id: claim.id, externalId: 'TL-0001', patientControlNumber: 'TL-0001', claimType: 'professional' });
    expect(answer.body.state).toBe('paid');
    const [view] = answer.body.lifecycles;
    expect(view.sourceConnector).toBe('riverside-clearinghouse');
    expect(view.events.map((e: any) => e.kind)).toEqual(['submitted', '835']);
    expect(view.events[1].recordId).toBe(remittance.id);
    expect(view.stateHistory.map((v: any) => v.state)).toEqual(['submitted', 'paid']);

    // Another practice's token sees no such claim; a claim never submitted is `not-submitted`; a non-claim is refused.
    expect((await call(`/api/claims/${claim.id}/timeline`, { token: TOKENS.viewerB })).status).toBe(404);
    const other = (await store.findRecord({ tenant: 'riverside', type: 'Claim', externalSystem: 'riverside-billing', externalId: 'TL-0002' }))!;
    expect((await call(`/api/claims/${other.id}/timeline`, { token: TOKENS.viewerA })).body).toMatchObject({ state: 'not-submitted', lifecycles: [] });
    const notClaim = await call(`/api/claims/${remittance.id}/timeline`, { token: TOKENS.viewerA });
    expect(notClaim.status).toBe(404);
    expect(notClaim.body.error.message).toMatch(/is a Remittance, not a Claim/);
    const audited = (await store.listAudit({ actor: 'riverside-console', limit: 10 })).items.filter((e) => e.action === 'claims.timeline');
    expect(audited.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(audited)).not.toContain('TL-0001');
  });
});
