import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Registry } from 'prom-client';
import { loadConfig } from '../config/load.js';
import type { HubConfig } from '../config/types.js';
import { ConfigurationError, NotFoundError, UpstreamError } from '../errors.js';
import type { ConnectorStatus } from '../http/services.js';
import { createLogger } from '../logging.js';
import { HubRuntime } from '../runtime/hub-runtime.js';
import { PluginLoader, pluginSchemaResolver } from '../runtime/plugin-loader.js';
import { resolveRedis } from '../runtime/redis.js';
import { openStore } from '../store/index.js';
import { StoreInUseError } from '../store/pglite-lock.js';
import { API_URL_FILE } from '../hub.js';
import { DEFAULT_CONFIG, type CliContext } from './main.js';

/** What operator commands (status, replay) do to a running hub. */
export interface HubOperator {
  connectors(): Promise<ConnectorStatus[]>;
  /** Replays one dead letter; with a connector, only among that connector's. */
  replay(jobId: string, connectorId?: string): Promise<void>;
  replayAll(connectorId?: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Reaches the hub the config describes: straight through its store and Redis, or, when a running
 * hub holds the embedded (PGlite) store, which one process alone may open, through its HTTP API.
 */
export async function connectToHub(configFile: string | undefined, ctx: CliContext): Promise<HubOperator> {
  const loader = new PluginLoader(ctx.builtins);
  const config = await loadConfig({ file: configFile ?? DEFAULT_CONFIG, plugins: pluginSchemaResolver(loader) });
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'error' });
  const dataDir = resolve(config.hub.dataDir);
  let store;
  try {
    store = await openStore({ databaseUrl: config.hub.databaseUrl, dataDir });
  } catch (error) {
    if (error instanceof StoreInUseError) return apiOperator(config, dataDir);
    throw error;
  }
  try {
    const redis = await resolveRedis({ url: config.hub.redisUrl, dataDir, log: logger, startPrivate: false });
    const runtime = await HubRuntime.create({ config, store, logger, redisUrl: redis.url, metrics: new Registry(), plugins: loader });
    const scope = (connectorId?: string) => (connectorId ? [runtime.connector(connectorId).config.id] : [...runtime.connectors.keys()]);
    const s = store;
    return {
      connectors: () => runtime.list(),
      async replay(jobId, connectorId) {
        await runtime.queues.replay(jobId, scope(connectorId));
        await s.audit({ actor: 'cli', action: 'dead-letters.replay', target: jobId });
      },
      async replayAll(connectorId) {
        const replayed = await runtime.queues.replayAll(scope(connectorId));
        await s.audit({ actor: 'cli', action: 'dead-letters.replay-all', target: connectorId ?? '*', detail: { replayed } });
        return replayed;
      },
      async close() {
        await runtime.close(0);
        await s.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** The running hub's API, as the config's first all-tenant admin (or operator) token. */
function apiOperator(config: HubConfig, dataDir: string): HubOperator {
  const token =
    config.tokens.find((t) => t.role === 'admin' && t.tenants.includes('*')) ??
    config.tokens.find((t) => t.role === 'operator' && t.tenants.includes('*'));
  if (!token) {
    throw new ConfigurationError(
      "a running hub holds the embedded store, and the config has no admin or operator token with tenants ['*'] to ask it through its API",
    );
  }
  // The hub notes where it listens (PORT may differ from the YAML); the YAML is the fallback.
  const noted = join(dataDir, API_URL_FILE);
  const host = config.hub.host === '0.0.0.0' ? '127.0.0.1' : config.hub.host;
  const base = `${existsSync(noted) ? readFileSync(noted, 'utf8').trim() : `http://${host}:${config.hub.port}`}/api`;
  const call = async <T>(method: string, path: string): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token.token}` } });
    } catch (cause) {
      throw new UpstreamError(`the hub holds the embedded store but its API at ${base} does not answer (is it running with --role api or all?)`, undefined, {
        cause,
      });
    }
    const body = (await response.json().catch(() => ({}))) as T & { error?: { message?: string } };
    if (response.status === 404) throw new NotFoundError(body.error?.message ?? `not found: ${path}`);
    if (!response.ok) throw new UpstreamError(`the hub answered ${response.status}: ${body.error?.message ?? 'no reason given'}`, response.status);
    return body;
  };
  const connectorQuery = (connectorId?: string) => (connectorId ? `?connector=${encodeURIComponent(connectorId)}` : '');
  return {
    connectors: async () => (await call<{ items: ConnectorStatus[] }>('GET', '/connectors')).items,
    async replay(jobId) {
      // Job ids are unique across connectors, so the API needs no connector to find one.
      await call('POST', `/dead-letters/${encodeURIComponent(jobId)}/replay`);
    },
    replayAll: async (connectorId) => (await call<{ replayed: number }>('POST', `/dead-letters/replay${connectorQuery(connectorId)}`)).replayed,
    close: async () => {},
  };
}
