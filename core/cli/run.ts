import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { ConfigurationError, NotFoundError } from '../errors.js';
import { createLogger } from '../logging.js';
import { executeJob } from '../runtime/execute-job.js';
import { loadConnectorRuntimes } from '../runtime/hub-runtime.js';
import { PluginLoader, pluginSchemaResolver } from '../runtime/plugin-loader.js';
import { openStore } from '../store/index.js';
import { StoreInUseError } from '../store/pglite-lock.js';
import { DEFAULT_CONFIG, CONFIG_OPTION, type CliContext } from './main.js';

/**
 * One sync, now, in this process: no Redis needed, the same code path as a worker. Records land in
 * the configured store; a running hub picks their route events up from the outbox.
 */
export async function runCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...CONFIG_OPTION, full: { type: 'boolean', default: false }, file: { type: 'string' } },
    allowPositionals: true,
  });
  const id = positionals[0];
  if (!id) {
    ctx.err('hub run: which connector? usage: hub run <connector> [--full] [--file PATH]');
    return 2;
  }
  const loader = new PluginLoader(ctx.builtins);
  const config = await loadConfig({ file: values.config ?? DEFAULT_CONFIG, plugins: pluginSchemaResolver(loader) });
  const connectorConfig = config.connectors.find((c) => c.id === id);
  if (!connectorConfig) {
    throw new NotFoundError(`no connector "${id}" in the config (known: ${config.connectors.map((c) => c.id).join(', ') || 'none'})`);
  }
  const runtimes = await loadConnectorRuntimes({ ...config, connectors: [connectorConfig] }, loader);
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  const store = await openStore({ databaseUrl: config.hub.databaseUrl, dataDir: resolve(config.hub.dataDir) }).catch((error) => {
    if (!(error instanceof StoreInUseError)) throw error;
    throw new ConfigurationError(
      `a running hub (process ${error.pid}) holds the embedded store; ask it to run the connector instead: ` +
        `curl -X POST -H 'Authorization: Bearer <operator token>' <hub url>/api/connectors/${id}/run`,
      [],
      { cause: error },
    );
  });
  try {
    const { run, error } = await executeJob(
      { store, logger },
      runtimes[0],
      {
        kind: values.file === undefined ? 'sync' : 'file',
        connectorId: id,
        tenant: connectorConfig.tenant,
        trigger: 'manual',
        full: values.full,
        path: values.file,
        requestedBy: 'cli',
      },
      { attempt: 1 },
    );
    const seconds = run.finishedAt ? (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000 : 0;
    const extras = Object.entries(run.counts)
      .filter(([k]) => !['created', 'updated', 'unchanged', 'rejected'].includes(k))
      .map(([k, v]) => `${k} ${v}`);
    ctx.out(
      `${id}: ${run.status} in ${seconds.toFixed(1)}s — created ${run.counts.created}, updated ${run.counts.updated}, ` +
        `unchanged ${run.counts.unchanged}, rejected ${run.counts.rejected}${extras.length ? `; ${extras.join(', ')}` : ''} (run ${run.id})`,
    );
    if (error !== undefined) {
      ctx.err(`error: ${run.error}`);
      return 1;
    }
    return 0;
  } finally {
    await store.close();
    await Promise.allSettled(runtimes.map((r) => r.files?.close()));
  }
}
