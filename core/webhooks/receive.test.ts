import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signHmac } from '../../connectors/webhook/hmac.js';
import type { ConnectorConfig, HubConfig } from '../config/types.js';
import { AuthenticationError, ConfigurationError, InputError, NotFoundError, TransientError } from '../errors.js';
import { createLogger } from '../logging.js';
import type { HubJobData, JobEnqueuer } from '../queue/types.js';
import type { PluginDefinition } from '../sdk/types.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { createWebhookReceiver, webhookJobId, type WebhookReceiver } from './receive.js';

const SECRET = 'whsec_supplier_orders_61be';

function connector(partial: Partial<ConnectorConfig> & Pick<ConnectorConfig, 'id' | 'plugin'>): ConnectorConfig {
  return {
    tenant: 'riverside',
    enabled: true,
    concurrency: 1,
    retry: { attempts: 5, backoffMs: 2000 },
    timeoutSeconds: 600,
    transport: {},
    config: { accountHeader: 'x-supplier-account' },
    ...partial,
  };
}

/** A supplier that signs with its own scheme (a shared token header) and puts the event id in the body. */
const supplierPlugin: PluginDefinition = {
  name: 'supplier-orders',
  version: '1.0.0',
  config: Type.Object({ accountHeader: Type.String() }),
  produces: [],
  consumes: [],
  webhook: {
    verify(request, { secret, config }) {
      if (!request.headers[(config as { accountHeader: string }).accountHeader]) return { ok: false, reason: 'missing account header' };
      return request.headers['x-supplier-token'] === secret ? { ok: true } : { ok: false, reason: 'supplier token does not match' };
    },
    eventId: (_request, body) => (body as { confirmation?: { id?: string } }).confirmation?.id,
    async handle() {},
  },
};

/** A plain JSON webhook checked by the hub's generic HMAC settings. */
const genericPlugin: PluginDefinition = {
  name: 'generic-json',
  version: '1.0.0',
  config: Type.Object({}),
  produces: [],
  consumes: [],
  webhook: { async handle() {} },
};

/** A FHIR subscription: a bearer token in Authorization, and no payload at all. */
const subscriptionPlugin: PluginDefinition = {
  name: 'fhir-subscription',
  version: '1.0.0',
  config: Type.Object({}),
  produces: [],
  consumes: [],
  webhook: {
    verify: (request, { secret }) => (request.headers.authorization === `Bearer ${secret}` ? { ok: true } : { ok: false, reason: 'bearer token does not match' }),
    acceptsEmptyBody: true,
    async handle() {},
  },
};

const config: HubConfig = {
  baseDir: '/srv/hub',
  hub: {
    port: 8080,
    host: '127.0.0.1',
    dataDir: './data',
    logLevel: 'info',
    queuePrefix: 'hub',
    rawEventRetentionDays: 30,
    maxWebhookBytes: 1_048_576,
  },
  tenants: [{ id: 'riverside', name: 'Riverside Family Medicine' }],
  tokens: [],
  connectors: [
    connector({ id: 'supplier-orders', plugin: 'supplier-orders', webhook: { secret: SECRET } }),
    connector({
      id: 'fhir-notify',
      plugin: 'generic-json',
      webhook: { secret: SECRET, signature: { header: 'X-Hub-Signature-256', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=', toleranceSeconds: 300 } },
    }),
    connector({ id: 'open-hook', plugin: 'generic-json', webhook: { eventIdHeader: 'Idempotency-Key' } }),
    connector({ id: 'secret-only', plugin: 'generic-json', webhook: { secret: SECRET } }),
    connector({
      id: 'signature-only',
      plugin: 'generic-json',
      webhook: { signature: { header: 'x-sig', algorithm: 'sha256', encoding: 'hex', toleranceSeconds: 300 } },
    }),
    connector({ id: 'switched-off', plugin: 'generic-json', enabled: false }),
    connector({ id: 'ehr-notify', plugin: 'fhir-subscription', webhook: { secret: SECRET } }),
  ],
  routes: [],
};

const plugins: Record<string, PluginDefinition> = { 'supplier-orders': supplierPlugin, 'generic-json': genericPlugin, 'fhir-subscription': subscriptionPlugin };

function recordingEnqueuer() {
  const calls: { data: HubJobData; jobId?: string }[] = [];
  const failures: unknown[] = [];
  const enqueuer: JobEnqueuer = {
    async enqueue(data, options) {
      const failure = failures.shift();
      if (failure) throw failure;
      calls.push({ data, jobId: options?.jobId });
      const jobId = options?.jobId ?? `job-${calls.length}`;
      return { jobId };
    },
  };
  return { enqueuer, calls, failOnce: (error: unknown) => failures.push(error) };
}

let store: Store;
let queue: ReturnType<typeof recordingEnqueuer>;
let receiver: WebhookReceiver;
const logLines: string[] = [];

beforeAll(async () => {
  store = await openStore({});
  queue = recordingEnqueuer();
  receiver = createWebhookReceiver({
    config,
    store,
    enqueuer: queue.enqueuer,
    plugin: (id) => {
      const found = config.connectors.find((c) => c.id === id);
      return found && plugins[found.plugin];
    },
    logger: createLogger({
      level: 'debug',
      pretty: false,
      destination: new Writable({ write: (chunk, _e, done) => (logLines.push(String(chunk)), done()) }),
    }),
  });
});

afterAll(async () => {
  await store?.close();
});

const json = (body: unknown) => JSON.stringify(body);
const request = (rawBody: string, headers: Record<string, string> = {}) => ({
  rawBody,
  headers: { 'content-type': 'application/json', ...headers },
  contentType: 'application/json',
});

describe("a plugin's own verifier", () => {
  const confirmation = json({ confirmation: { id: 'PO-4471-ACK', status: 'accepted', lines: 3 } });
  const good = { 'x-supplier-account': 'MSO-0042', 'x-supplier-token': SECRET };

  it('decides, with the connector secret and config, and its reason is kept', async () => {
    await expect(receiver.receive('supplier-orders', request(confirmation, { ...good, 'x-supplier-token': 'nope' }))).rejects.toEqual(
      new AuthenticationError('webhook signature rejected: supplier token does not match'),
    );
    await expect(receiver.receive('supplier-orders', request(confirmation, { 'x-supplier-token': SECRET }))).rejects.toThrow(
      'missing account header',
    );
    await expect(receiver.receive('supplier-orders', request(confirmation, good))).resolves.toEqual({ eventId: 'PO-4471-ACK', duplicate: false });
  });

  it("takes the plugin's event id, and re-queues a repeat under the same job id", async () => {
    const again = await receiver.receive('supplier-orders', request(confirmation, good));
    expect(again).toEqual({ eventId: 'PO-4471-ACK', duplicate: true });
    const jobs = queue.calls.filter((call) => call.data.eventId === 'PO-4471-ACK');
    expect(jobs).toHaveLength(2);
    expect(new Set(jobs.map((job) => job.jobId))).toEqual(new Set(['webhook:supplier-orders:PO-4471-ACK']));
    expect(jobs[0].data).toEqual({ kind: 'webhook', connectorId: 'supplier-orders', tenant: 'riverside', trigger: 'webhook', eventId: 'PO-4471-ACK' });
  });

  it('acknowledges a repeat of an already processed event without queueing it again, even after the queue forgot the job', async () => {
    await store.markRawEventProcessed('supplier-orders', 'PO-4471-ACK');
    const before = queue.calls.length;
    const late = await receiver.receive('supplier-orders', request(confirmation, good));
    expect(late).toEqual({ eventId: 'PO-4471-ACK', duplicate: true });
    expect(queue.calls.length).toBe(before);
  });
});

describe('the generic HMAC check', () => {
  const notification = json({ resourceType: 'Bundle', type: 'history', entry: [] });
  const signature = (body: string, secret = SECRET) =>
    signHmac({ secret, rawBody: body, algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' });

  it('accepts a body signed with the secret, and names the event by a hash of the body', async () => {
    const result = await receiver.receive('fhir-notify', request(notification, { 'x-hub-signature-256': signature(notification) }));
    expect(result).toEqual({ eventId: createHash('sha256').update(notification).digest('hex'), duplicate: false });
  });

  it('refuses a body signed with another secret, or a changed body', async () => {
    await expect(
      receiver.receive('fhir-notify', request(notification, { 'x-hub-signature-256': signature(notification, 'whsec_other') })),
    ).rejects.toBeInstanceOf(AuthenticationError);
    const changed = notification.replace('history', 'transaction');
    await expect(receiver.receive('fhir-notify', request(changed, { 'x-hub-signature-256': signature(notification) }))).rejects.toThrow(
      'signature does not match',
    );
  });

  it('treats a secret nothing can check, or signature settings without a secret, as a configuration error', async () => {
    await expect(receiver.receive('secret-only', request('{}'))).rejects.toBeInstanceOf(ConfigurationError);
    await expect(receiver.receive('signature-only', request('{}', { 'x-sig': 'abc' }))).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('an unsigned endpoint', () => {
  it('takes the event id from the configured header and warns once that it is unsigned', async () => {
    await receiver.receive('open-hook', request(json({ n: 1 }), { 'idempotency-key': 'order-1' }));
    await receiver.receive('open-hook', request(json({ n: 2 }), { 'idempotency-key': 'order-2' }));
    expect(logLines.filter((line) => line.includes('accepts unsigned events'))).toHaveLength(1);
    expect((await store.getRawEvent('open-hook', 'order-2'))?.body).toBe(json({ n: 2 }));
  });

  it('refuses an event id that is too long or has control characters', async () => {
    await expect(receiver.receive('open-hook', request('{}', { 'idempotency-key': 'x'.repeat(300) }))).rejects.toBeInstanceOf(InputError);
    await expect(receiver.receive('open-hook', request('{}', { 'idempotency-key': 'a\u0007b' }))).rejects.toBeInstanceOf(InputError);
  });

  it('names invalid JSON', async () => {
    await expect(receiver.receive('open-hook', request('{"n":'))).rejects.toThrow(/^body is not valid JSON: /);
  });

  it('refuses an empty body unless the plugin accepts one', async () => {
    await expect(receiver.receive('open-hook', request(''))).rejects.toThrow(/^the body is empty: expected JSON/);
  });
});

describe('a FHIR rest-hook subscription', () => {
  it('lets the plugin check the Authorization header, takes an empty body, and never keeps the credential', async () => {
    const empty = { rawBody: '', headers: { authorization: `Bearer ${SECRET}`, 'x-request-id': 'notify-1' }, contentType: '' };
    const accepted = await receiver.receive('ehr-notify', empty);
    expect(accepted.duplicate).toBe(false);
    const kept = await store.getRawEvent('ehr-notify', accepted.eventId);
    expect(kept?.body).toBe('');
    expect(kept?.headers).not.toHaveProperty('authorization');
    expect(JSON.stringify(kept)).not.toContain(SECRET);
    await expect(receiver.receive('ehr-notify', { ...empty, headers: { authorization: 'Bearer guess' } })).rejects.toThrow(/bearer token does not match/);
  });
});

describe('durability', () => {
  it('keeps the event when the queue is down, answers a transient error, and queues it on the sender retry', async () => {
    const body = json({ n: 'queued-later' });
    queue.failOnce(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }));
    const failed = receiver.receive('open-hook', request(body, { 'idempotency-key': 'order-redis-down' }));
    await expect(failed).rejects.toBeInstanceOf(TransientError);
    expect(await store.getRawEvent('open-hook', 'order-redis-down')).toBeDefined();
    expect(queue.calls.some((call) => call.data.eventId === 'order-redis-down')).toBe(false);

    const retried = await receiver.receive('open-hook', request(body, { 'idempotency-key': 'order-redis-down' }));
    expect(retried).toEqual({ eventId: 'order-redis-down', duplicate: true });
    expect(queue.calls.filter((call) => call.data.eventId === 'order-redis-down').map((call) => call.jobId)).toEqual([
      'webhook:open-hook:order-redis-down',
    ]);
  });
});

describe('routing', () => {
  it('answers NotFoundError for an unknown, disabled or webhook-less connector alike', async () => {
    for (const id of ['no-such-connector', 'switched-off']) {
      await expect(receiver.receive(id, request('{}'))).rejects.toEqual(new NotFoundError(`no webhook endpoint for connector "${id}"`));
    }
  });
});

describe('webhookJobId', () => {
  it('keeps plain ids readable', () => {
    expect(webhookJobId('payroll', 'evt_01HX3K5Q0Z')).toBe('webhook:payroll:evt_01HX3K5Q0Z');
  });

  it('hashes ids BullMQ would refuse or that are long, deterministically', () => {
    const id = webhookJobId('fhir', 'urn:uuid:6f1c2b1e-1a2b-4c3d-9e8f-0a1b2c3d4e5f');
    expect(id.split(':')).toHaveLength(3);
    expect(id).toMatch(/^webhook:fhir:~[0-9a-f]{40}$/);
    expect(webhookJobId('fhir', 'urn:uuid:6f1c2b1e-1a2b-4c3d-9e8f-0a1b2c3d4e5f')).toBe(id);
    expect(webhookJobId('fhir', 'x'.repeat(200))).toMatch(/^webhook:fhir:~/);
  });
});
