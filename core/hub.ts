import { serve, type ServerType } from '@hono/node-server';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadConfig } from './config/load.js';
import type { HubConfig } from './config/types.js';
import { createHttpApp } from './http/app.js';
import type { HubServices, ReadyCheck } from './http/services.js';
import { createLogger } from './logging.js';
import { HubRuntime, type WorkerTuning } from './runtime/hub-runtime.js';
import { PluginLoader, pluginSchemaResolver, type BuiltinPlugins } from './runtime/plugin-loader.js';
import { resolveRedis, type ResolvedRedis } from './runtime/redis.js';
import { openStore } from './store/index.js';
import type { Store } from './store/types.js';
import { createWebhookReceiver } from './webhooks/receive.js';

export type HubRole = 'all' | 'api' | 'worker' | 'scheduler';

export interface StartOptions {
  configFile: string;
  role?: HubRole;
  builtins: BuiltinPlugins;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  tuning?: WorkerTuning;
}

export interface RunningHub {
  config: HubConfig;
  store: Store;
  runtime: HubRuntime;
  redis: ResolvedRedis;
  /** The URL the API listens on, when this process serves HTTP. */
  url?: string;
  stop(): Promise<void>;
}

const DAY_MS = 24 * 3600 * 1000;

/** In the data folder: where this hub's API listens, for CLI commands on the same machine. */
export const API_URL_FILE = 'api.url';

/**
 * Starts the hub in one process or one role of it: `api` serves HTTP, `worker` runs jobs,
 * `scheduler` reconciles schedules and sweeps the route outbox; `all` does everything.
 */
export async function startHub(options: StartOptions): Promise<RunningHub> {
  const role = options.role ?? 'all';
  const loader = new PluginLoader(options.builtins);
  const config = await loadConfig({ file: options.configFile, env: options.env, plugins: pluginSchemaResolver(loader) });
  const logger = options.logger ?? createLogger({ level: config.hub.logLevel });
  const dataDir = resolve(config.hub.dataDir);
  logger.info({ config: config.sourceFile, role, tenants: config.tenants.length, connectors: config.connectors.length }, 'configuration loaded');

  const store = await openStore({ databaseUrl: config.hub.databaseUrl, dataDir });
  logger.info({ store: store.description }, `store: ${store.description}`);
  let redis: ResolvedRedis | undefined;
  let runtime: HubRuntime | undefined;
  let server: ServerType | undefined;
  const timers: NodeJS.Timeout[] = [];
  try {
    redis = await resolveRedis({ url: config.hub.redisUrl, dataDir, log: logger });
    logger.info({ redis: redis.description }, `redis: ${redis.description}`);

    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    runtime = await HubRuntime.create({ config, store, logger, redisUrl: redis.url, metrics, plugins: loader, tuning: options.tuning });

    if (role === 'all' || role === 'scheduler') {
      await runtime.startScheduler();
      const prune = async () => {
        try {
          const cutoff = new Date(Date.now() - config.hub.rawEventRetentionDays * DAY_MS);
          const rawEvents = await store.pruneRawEvents(cutoff);
          const outbox = await store.pruneDispatchedEvents(cutoff);
          if (rawEvents || outbox) logger.info({ rawEvents, outbox }, 'pruned raw webhook events and dispatched outbox rows past retention');
        } catch (error) {
          logger.warn({ err: error }, 'pruning past retention failed; will try again');
        }
      };
      void prune();
      const timer = setInterval(prune, 6 * 3600 * 1000);
      timer.unref();
      timers.push(timer);
    }
    if (role === 'all' || role === 'worker') {
      await runtime.startWorkers();
      logger.info({ workers: config.connectors.filter((c) => c.enabled).length }, 'workers started');
    }

    let url: string | undefined;
    if (role === 'all' || role === 'api') {
      const rt = runtime;
      const services: HubServices = {
        config,
        store,
        logger,
        metrics,
        ...rt.services(),
        webhooks: createWebhookReceiver({
          config,
          store,
          enqueuer: rt.queues,
          plugin: (id) => rt.connectors.get(id)?.plugin,
          logger,
        }),
        ready: () => readiness(store, rt),
      };
      const app = createHttpApp(services);
      const { port, host } = config.hub;
      server = await listen(app.fetch, port, host);
      url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
      logger.info({ url }, `listening on ${url}`);
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(join(dataDir, API_URL_FILE), url);
    }

    let stopping: Promise<void> | undefined;
    const running: RunningHub = {
      config,
      store,
      runtime,
      redis,
      url,
      stop() {
        stopping ??= (async () => {
          for (const t of timers) clearInterval(t);
          if (server) {
            await new Promise<void>((r) => server!.close(() => r()));
            rmSync(join(dataDir, API_URL_FILE), { force: true });
          }
          await runtime!.close();
          await store.close();
          await redis!.stop();
          logger.info('hub stopped');
        })();
        return stopping;
      },
    };
    return running;
  } catch (error) {
    for (const t of timers) clearInterval(t);
    server?.close();
    await runtime?.close(1000).catch(() => {});
    await store.close().catch(() => {});
    await redis?.stop().catch(() => {});
    throw error;
  }
}

async function readiness(store: Store, runtime: HubRuntime): Promise<ReadyCheck[]> {
  const check = async (name: string, probe: () => Promise<void>): Promise<ReadyCheck> => {
    try {
      await probe();
      return { name, ok: true };
    } catch (error) {
      return { name, ok: false, detail: (error as Error).message };
    }
  };
  return Promise.all([check('store', () => store.ping()), check('redis', () => runtime.pingRedis())]);
}

function listen(fetch: (request: Request) => Response | Promise<Response>, port: number, hostname: string): Promise<ServerType> {
  return new Promise((resolveServer, reject) => {
    const server = serve({ fetch, port, hostname }, () => resolveServer(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} is already in use: stop the other process or set PORT=<another port>`, { cause: error })
          : error,
      );
    });
  });
}
