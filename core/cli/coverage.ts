import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { ConfigurationError, InputError, NotFoundError } from '../errors.js';
import { COVERAGE_DEFAULT_RUNS, COVERAGE_MAX_RUNS } from '../http/limits.js';
import { summarizeCoverage } from '../model/field-paths.js';
import { PluginLoader, pluginSchemaResolver } from '../runtime/plugin-loader.js';
import { openStore } from '../store/index.js';
import { StoreInUseError } from '../store/pglite-lock.js';
import { CONFIG_OPTION, DEFAULT_CONFIG, table, type CliContext } from './main.js';

/**
 * Mapping coverage of one connector: per entity, how often each canonical field was filled over its
 * latest runs that emitted records, gaps first. Reads the store only (no Redis); paths and counts,
 * never values.
 */
export async function coverageCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...CONFIG_OPTION, runs: { type: 'string' } }, allowPositionals: true });
  const id = positionals[0];
  if (!id) {
    ctx.err('hub coverage: which connector? usage: hub coverage <connector> [--runs N]');
    return 2;
  }
  const runs = runsOption(values.runs);
  const config = await loadConfig({ file: values.config ?? DEFAULT_CONFIG, plugins: pluginSchemaResolver(new PluginLoader(ctx.builtins)) });
  const connector = config.connectors.find((c) => c.id === id);
  if (!connector) {
    throw new NotFoundError(`no connector "${id}" in the config (known: ${config.connectors.map((c) => c.id).join(', ') || 'none'})`);
  }
  const store = await openStore({ databaseUrl: config.hub.databaseUrl, dataDir: resolve(config.hub.dataDir) }).catch((error) => {
    if (!(error instanceof StoreInUseError)) throw error;
    throw new ConfigurationError(
      `a running hub (process ${error.pid}) holds the embedded store; ask it instead: ` +
        `curl -H 'Authorization: Bearer <token>' '<hub url>/api/connectors/${id}/coverage?runs=${runs}'`,
      [],
      { cause: error },
    );
  });
  try {
    const entries = await store.runCoverage({ connectorId: id, limit: runs });
    await store.audit({ actor: 'cli', action: 'connectors.coverage', tenant: connector.tenant, target: id, detail: { runs, count: entries.length } });
    if (entries.length === 0) {
      ctx.out(`${id}: no finished run has emitted records yet`);
      return 0;
    }
    ctx.out(`${id} (tenant ${connector.tenant}): ${entries.length} run(s), finished ${entries.at(-1)!.finishedAt} to ${entries[0]!.finishedAt}`);
    for (const entity of summarizeCoverage(entries.map((e) => e.coverage))) {
      ctx.out('');
      ctx.out(`${entity.entity}: ${entity.records} record(s) in ${entity.runs} run(s)`);
      const rows = [['FIELD', 'FILLED', 'RATE']];
      for (const field of entity.fields) rows.push([field.path, String(field.filled), `${(field.rate * 100).toFixed(1)}%`]);
      ctx.out(table(rows));
    }
    return 0;
  } finally {
    await store.close();
  }
}

function runsOption(raw: string | undefined): number {
  if (raw === undefined) return COVERAGE_DEFAULT_RUNS;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new InputError(`--runs must be a whole number from 1 to ${COVERAGE_MAX_RUNS}`, [{ path: '--runs', message: 'must be a positive whole number' }]);
  }
  return Math.min(Number(raw), COVERAGE_MAX_RUNS);
}
