// TEMPORARY profiling helper (deleted after use): serves the hub or bare side, prints URL, exits on SIGTERM
import { serve } from '@hono/node-server';
import { Queue } from 'bullmq';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { createHttpApp } from '../core/http/app.js';
import type { HubServices } from '../core/http/services.js';
import { createLogger } from '../core/logging.js';
import { HubRuntime } from '../core/runtime/hub-runtime.js';
import { PluginLoader } from '../core/runtime/plugin-loader.js';
import { createWebhookReceiver } from '../core/webhooks/receive.js';
import { builtinPlugins } from '../plugins/index.js';
import { benchConnector, benchHubConfig, openBenchStore, removeQueues } from './support.js';
const side = process.argv[2]; const kind = (process.argv[3] ?? 'pglite') as 'pglite' | 'postgres';
const prefix = `bench-prof-${Date.now()}`; const redisUrl = 'redis://127.0.0.1:6379';
let fetchFn: (r: Request) => Response | Promise<Response>; let close: () => Promise<void>;
if (side === 'hub') {
  const connector = benchConnector({ id: 'bench-payroll', plugin: 'mapped', webhook: { secret: 'whsec_bench_payroll_5d1f0c', signature: { header: 'x-signature', algorithm: 'sha256', encoding: 'hex', timestampHeader: 'x-timestamp', toleranceSeconds: 300 }, eventIdHeader: 'x-event-id' }, config: { externalSystem: 'bench', webhook: { entity: 'Employee', externalId: 'id', fields: { 'name.family': 'last_name' } } } });
  const config = benchHubConfig({ queuePrefix: prefix, connectors: [connector] });
  const logger = createLogger({ level: 'silent', pretty: false }); const metrics = new Registry();
  const opened = (await openBenchStore(kind))!;
  const runtime = await HubRuntime.create({ config, store: opened.store, logger, redisUrl, metrics, plugins: new PluginLoader(builtinPlugins) });
  const services: HubServices = { config, store: opened.store, logger, metrics, ...runtime.services(), webhooks: createWebhookReceiver({ config, store: opened.store, enqueuer: runtime.queues, plugin: (id) => runtime.connectors.get(id)?.plugin, logger }), ready: async () => [] };
  fetchFn = createHttpApp(services).fetch;
  close = async () => { await runtime.close(1000); await opened.dispose(); };
} else {
  const queue = new Queue('connector.bench-payroll', { connection: { host: '127.0.0.1', port: 6379 }, prefix });
  const app = new Hono();
  app.post('/webhooks/:connectorId', async (c) => { const connectorId = c.req.param('connectorId'); await c.req.text(); const eventId = c.req.header('x-event-id') ?? ''; await queue.add('webhook', { kind: 'webhook', connectorId, eventId }, { jobId: `webhook:${connectorId}:${eventId}` }); return c.json({ eventId, duplicate: false }, 202); });
  fetchFn = app.fetch; close = () => queue.close();
}
const server = serve({ fetch: fetchFn, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`URL http://127.0.0.1:${info.port}/webhooks/bench-payroll`));
process.on('SIGTERM', async () => { server.close(); (server as any).closeAllConnections(); await close(); await removeQueues(redisUrl, prefix, ['connector.bench-payroll']); process.exit(0); });
