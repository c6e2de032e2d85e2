/**
 * Accepted webhook events per second: the hub's full intake (createHttpApp → HMAC check → JSON
 * parse → raw event kept in the store → job enqueued on Redis → 202) against a bare hono handler
 * that reads the body and enqueues a BullMQ job on the same Redis. Both are served by
 * @hono/node-server on 127.0.0.1 and driven from this process by the same bounded fetch loops, in
 * slices that alternate between the two, so a busy moment of the machine hits both.
 *
 *   npm run bench -- webhook      (BENCH_WEBHOOK_REQUESTS=5000, BENCH_WEBHOOK_IN_FLIGHT=32, BENCH_ROUNDS=5, REDIS_URL, BENCH_DATABASE_URL)
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Queue } from 'bullmq';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { signHmac } from '../connectors/webhook/hmac.js';
import type { ConnectorConfig } from '../core/config/types.js';
import { createHttpApp } from '../core/http/app.js';
import type { HubServices } from '../core/http/services.js';
import { createLogger } from '../core/logging.js';
import type { HubJobData } from '../core/queue/types.js';
import { HubRuntime } from '../core/runtime/hub-runtime.js';
import { PluginLoader } from '../core/runtime/plugin-loader.js';
import { queueName } from '../core/runtime/queues.js';
import { redisOptionsFromUrl } from '../core/runtime/redis.js';
import { createWebhookReceiver } from '../core/webhooks/receive.js';
import { builtinPlugins } from '../plugins/index.js';
import {
  alternate,
  benchConnector,
  benchHubConfig,
  benchRedisUrl,
  bounded,
  envInteger,
  freshTag,
  openBenchStore,
  removeQueues,
  withCleanUp,
  type BenchStore,
  type Defer,
  type StoreKind,
} from './support.js';
import type { BenchRow } from './types.js';

export interface WebhookBenchOptions {
  /** Timed requests, on each side. @defaultValue 5,000 (or BENCH_WEBHOOK_REQUESTS) */
  requests?: number;
  /** Requests in flight at once (concurrent fetch loops). @defaultValue 32 (or BENCH_WEBHOOK_IN_FLIGHT) */
  inFlight?: number;
  /** The timed requests go in this many alternating slices per side. @defaultValue 5 (or BENCH_ROUNDS) */
  rounds?: number;
  /** Untimed requests first, on each side. @defaultValue 500 */
  warmupRequests?: number;
  /** Longest one slice may take. @defaultValue 120,000 */
  timeoutMs?: number;
}

const CONNECTOR_ID = 'bench-payroll';
const SECRET = 'whsec_bench_payroll_5d1f0c';
const STORES: StoreKind[] = ['pglite', 'postgres'];
/** A single request that takes longer than this fails the run. */
const REQUEST_TIMEOUT_MS = 10_000;

interface Settings {
  requests: number;
  inFlight: number;
  rounds: number;
  warmupRequests: number;
  timeoutMs: number;
  redisUrl: string;
}

export default async function webhookBench(options: WebhookBenchOptions = {}): Promise<BenchRow[]> {
  const settings: Settings = {
    requests: options.requests ?? envInteger('BENCH_WEBHOOK_REQUESTS', 5000),
    inFlight: options.inFlight ?? envInteger('BENCH_WEBHOOK_IN_FLIGHT', 32),
    rounds: options.rounds ?? envInteger('BENCH_ROUNDS', 5),
    warmupRequests: options.warmupRequests ?? 500,
    timeoutMs: options.timeoutMs ?? 120_000,
    redisUrl: await benchRedisUrl(),
  };
  const rows: BenchRow[] = [];
  for (const kind of STORES) {
    const opened = await openBenchStore(kind);
    if (!opened) continue;
    rows.push(
      await withCleanUp(async (defer) => {
        defer(() => opened.dispose());
        const endpoints = [await bareServer(settings.redisUrl, defer), await hubServer(settings.redisUrl, opened, defer)];
        for (const endpoint of endpoints) await timed(endpoint, settings.warmupRequests, settings);
        const [baseline, value] = await alternate(
          settings.requests,
          settings.rounds,
          endpoints.map((endpoint) => (count: number) => timed(endpoint, count, settings)),
        );
        for (const endpoint of endpoints) {
          const queued = await bounded(endpoint.queued(), 10_000, `${endpoint.label}: counting queued jobs`);
          const expected = settings.warmupRequests + settings.requests;
          if (queued !== expected) throw new Error(`${endpoint.label}: ${expected} events accepted but ${queued} jobs queued`);
        }
        return {
          name: `hub POST /webhooks/:id (mapped plugin, HMAC + timestamp, raw event → ${opened.label}, enqueue) (${settings.requests.toLocaleString('en-US')} requests, ${settings.inFlight} in flight)`,
          unit: 'events/s',
          value: value!,
          baselineName: `bare hono handler: read body, queue.add on the same Redis (same client, requests, concurrency; ${settings.rounds} alternating rounds)`,
          baseline: baseline!,
          target: '≥ 0.5× bare',
        };
      }),
    );
  }
  return rows;
}

interface Endpoint {
  label: string;
  url: string;
  /** Jobs the side has queued so far, to check every accepted event was enqueued. */
  queued(): Promise<number>;
}

/** The payroll connector on the `mapped` plugin, signed like a real sender would sign. */
function payrollConnector(): ConnectorConfig {
  return benchConnector({
    id: CONNECTOR_ID,
    plugin: 'mapped',
    webhook: {
      secret: SECRET,
      signature: { header: 'x-signature', algorithm: 'sha256', encoding: 'hex', timestampHeader: 'x-timestamp', toleranceSeconds: 300 },
      eventIdHeader: 'x-event-id',
    },
    config: { externalSystem: 'bench', webhook: { entity: 'Employee', externalId: 'id', fields: { 'name.family': 'last_name' } } },
  });
}

/** Services assembled as core/hub.ts does for the `api` role; no workers, so jobs stay queued. */
async function hubServer(redisUrl: string, opened: BenchStore, defer: Defer): Promise<Endpoint> {
  const prefix = `bench-webhook-hub-${freshTag()}`;
  defer(() => removeQueues(redisUrl, prefix, [queueName(CONNECTOR_ID)]));
  const connector = payrollConnector();
  const config = benchHubConfig({ queuePrefix: prefix, connectors: [connector] });
  const logger = createLogger({ level: 'silent', pretty: false });
  const metrics = new Registry();
  const loader = new PluginLoader(builtinPlugins);
  // What config loading would check: the mapping compiles.
  (await loader.load('mapped', config.baseDir)).checkConfig?.(connector.config);
  const runtime = await HubRuntime.create({ config, store: opened.store, logger, redisUrl, metrics, plugins: loader });
  defer(() => runtime.close(5000));
  const services: HubServices = {
    config,
    store: opened.store,
    logger,
    metrics,
    ...runtime.services(),
    webhooks: createWebhookReceiver({
      config,
      store: opened.store,
      enqueuer: runtime.queues,
      plugin: (id) => runtime.connectors.get(id)?.plugin,
      logger,
    }),
    ready: async () => [],
  };
  const url = await listen(createHttpApp(services).fetch, defer);
  const queue = runtime.queues.get(CONNECTOR_ID);
  return { label: 'hub', url: `${url}/webhooks/${CONNECTOR_ID}`, queued: () => queue.getWaitingCount() };
}

async function bareServer(redisUrl: string, defer: Defer): Promise<Endpoint> {
  const prefix = `bench-webhook-bare-${freshTag()}`;
  const name = queueName(CONNECTOR_ID);
  defer(() => removeQueues(redisUrl, prefix, [name]));
  // The same connection settings the hub gives its queues.
  const queue = new Queue<HubJobData>(name, { connection: { ...redisOptionsFromUrl(redisUrl), enableOfflineQueue: false, maxRetriesPerRequest: 1 }, prefix });
  queue.on('error', () => {});
  defer(() => queue.close());
  const app = new Hono();
  app.post('/webhooks/:connectorId', async (c) => {
    const connectorId = c.req.param('connectorId');
    await c.req.text();
    const eventId = c.req.header('x-event-id') ?? '';
    await queue.add('webhook', { kind: 'webhook', connectorId, tenant: 'bench', trigger: 'webhook', eventId }, { jobId: `webhook:${connectorId}:${eventId}` });
    return c.json({ eventId, duplicate: false }, 202);
  });
  const url = await listen(app.fetch, defer);
  return { label: 'bare', url: `${url}/webhooks/${CONNECTOR_ID}`, queued: () => queue.getWaitingCount() };
}

function listen(fetch: (request: Request) => Response | Promise<Response>, defer: Defer): Promise<string> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`)) as Server;
    server.once('error', reject);
    defer(
      () =>
        new Promise<void>((closed) => {
          server.close(() => closed());
          // The client's keep-alive sockets would otherwise hold close() open.
          server.closeAllConnections();
        }),
    );
  });
}

interface PreparedRequest {
  headers: Record<string, string>;
  body: string;
}

/**
 * Signed requests with unique event ids, built before the clock starts so the client's own work
 * stays out of both figures. Timestamps are taken now, well inside the 300 s tolerance.
 */
function prepare(count: number, tag: string): PreparedRequest[] {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const occurredAt = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => {
    const body = JSON.stringify({
      id: `E-${tag}-${i}`,
      event: 'employee.updated',
      occurred_at: occurredAt,
      first_name: 'Ana',
      last_name: 'Rivera',
      department: 'Revenue Cycle',
      title: 'Medical Billing Specialist',
    });
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'x-event-id': `evt-${tag}-${i}`,
        'x-timestamp': timestamp,
        'x-signature': signHmac({ secret: SECRET, rawBody: body, algorithm: 'sha256', encoding: 'hex', timestamp }),
      },
    };
  });
}

/** Milliseconds to send `count` fresh signed requests; preparing them is not timed. */
async function timed(endpoint: Endpoint, count: number, settings: Settings): Promise<number> {
  const requests = prepare(count, freshTag());
  const started = performance.now();
  await drive(endpoint.label, endpoint.url, requests, settings);
  return performance.now() - started;
}

/** Sends every request with `inFlight` loops; any answer but 202, a network error or the time limit fails the run. */
async function drive(label: string, url: string, requests: PreparedRequest[], settings: Settings): Promise<void> {
  const deadline = performance.now() + settings.timeoutMs;
  let next = 0;
  let failure: Error | undefined;
  const loop = async () => {
    while (failure === undefined && next < requests.length) {
      if (performance.now() > deadline) {
        failure = new Error(`${label}: ${next} of ${requests.length} requests sent after ${settings.timeoutMs / 1000}s`);
        return;
      }
      const index = next++;
      const request = requests[index]!;
      try {
        const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        const text = await response.text();
        if (response.status !== 202) failure ??= new Error(`${label}: request ${index} answered ${response.status}: ${text.slice(0, 300)}`);
      } catch (error) {
        failure ??= new Error(`${label}: request ${index} failed: ${(error as Error).message}`, { cause: error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.inFlight, requests.length) }, loop));
  if (failure) throw failure;
}
