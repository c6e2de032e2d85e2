import { resolve } from 'node:path';
import { Registry } from 'prom-client';
import { loadConfig } from '../config/load.js';
import type { HubConfig } from '../config/types.js';
import { createLogger } from '../logging.js';
import { HubRuntime } from '../runtime/hub-runtime.js';
import { PluginLoader, pluginSchemaResolver } from '../runtime/plugin-loader.js';
import { resolveRedis } from '../runtime/redis.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { DEFAULT_CONFIG, type CliContext } from './main.js';

export interface Connected {
  config: HubConfig;
  store: Store;
  runtime: HubRuntime;
  close(): Promise<void>;
}

/** Connects to a running hub's store and Redis (without starting workers) for operator commands. */
export async function connectToHub(configFile: string | undefined, ctx: CliContext): Promise<Connected> {
  const loader = new PluginLoader(ctx.builtins);
  const config = await loadConfig({ file: configFile ?? DEFAULT_CONFIG, plugins: pluginSchemaResolver(loader) });
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'error' });
  const dataDir = resolve(config.hub.dataDir);
  const redis = await resolveRedis({ url: config.hub.redisUrl, dataDir, log: logger, startPrivate: false });
  const store = await openStore({ databaseUrl: config.hub.databaseUrl, dataDir });
  const runtime = await HubRuntime.create({ config, store, logger, redisUrl: redis.url, metrics: new Registry(), plugins: loader });
  return {
    config,
    store,
    runtime,
    async close() {
      await runtime.close(0);
      await store.close();
    },
  };
}
