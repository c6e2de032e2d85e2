/**
 * The measured side of the fhir bench, run in a child process of its own so that its peak RSS is
 * the sync's alone: one `sync` job of a `fhir-ehr` connector through executeJob (what a BullMQ
 * worker calls per job), then the raw INSERT baseline over the rows that job stored.
 */
import { randomUUID } from 'node:crypto';
import { createLogger } from '../core/logging.js';
import { executeJob } from '../core/runtime/execute-job.js';
import { loadConnectorRuntimes } from '../core/runtime/hub-runtime.js';
import { validatePluginConfig } from '../core/runtime/plugin-config.js';
import { PluginLoader } from '../core/runtime/plugin-loader.js';
import { openStore } from '../core/store/index.js';
import { createPgDriver } from '../core/store/pg-driver.js';
import type { SqlDriver } from '../core/store/sql.js';
import { builtinPlugins } from '../plugins/index.js';
import { MRN_SYSTEM, MEMBER_ID_SYSTEM } from './fhir-data.js';
import { benchConnector, benchHubConfig } from './support.js';

export interface IngestMeasurement {
  resources: number;
  /** NDJSON bytes served (filled in by the parent, as are the next three). */
  bytes: number;
  /** The machine's 1-minute load average before and after the job: other work shares the cores. */
  loadBefore: number;
  loadAfter: number;
  seconds: number;
  resourcesPerSecond: number;
  rawSeconds: number;
  rawRowsPerSecond: number;
  /** RSS once modules are loaded and the store is open, before the job. */
  idleRssMB: number;
  /** Peak RSS of the process up to the end of the job (before the baseline runs). */
  peakRssMB: number;
  counts: Record<string, number>;
}

/** What the child measures; the parent adds the rest. */
export type ChildMeasurement = Omit<IngestMeasurement, 'bytes' | 'loadBefore' | 'loadAfter'>;

const CONNECTOR_ID = 'bench-ehr';
const RAW_BATCH = 1000;

export async function runIngestChild(args: { baseUrl: string; databaseUrl: string; schema: string; expected: number }): Promise<ChildMeasurement> {
  const store = await openStore({ databaseUrl: args.databaseUrl, schema: args.schema });
  try {
    const loader = new PluginLoader(builtinPlugins);
    const plugin = await loader.load('fhir-ehr', process.cwd());
    // The connector as YAML would give it, with the plugin's defaults applied as at start-up.
    const config = validatePluginConfig(
      plugin,
      { baseUrl: args.baseUrl, externalSystem: 'bench-ehr', mrnSystems: [MRN_SYSTEM], memberIdSystems: [MEMBER_ID_SYSTEM], mode: 'bulk' },
      `connector ${CONNECTOR_ID}`,
    );
    const connector = benchConnector({ id: CONNECTOR_ID, plugin: 'fhir-ehr', timeoutSeconds: 3600, config });
    const [runtime] = await loadConnectorRuntimes(benchHubConfig({ queuePrefix: 'bench-fhir-unused', connectors: [connector] }), loader);
    const logger = createLogger({ level: 'silent', pretty: false });

    const idleRssMB = process.memoryUsage().rss / 2 ** 20;
    const started = performance.now();
    const { run, error } = await executeJob(
      { store, logger },
      runtime!,
      { kind: 'sync', connectorId: CONNECTOR_ID, tenant: 'bench', trigger: 'manual', full: true },
      { attempt: 1 },
    );
    const seconds = (performance.now() - started) / 1000;
    // maxRSS is in kilobytes.
    const peakRssMB = process.resourceUsage().maxRSS / 1024;
    if (error) throw error;
    const counts = run.counts as Record<string, number>;
    if (counts.created !== args.expected || counts.rejected !== 0 || counts.resourcesRead !== args.expected) {
      throw new Error(`expected ${args.expected} resources read and created with no rejects, got ${JSON.stringify(counts)}`);
    }
    const stored = await store.countRecords({ sourceConnector: CONNECTOR_ID });
    if (stored !== args.expected) throw new Error(`expected ${args.expected} records in the store, found ${stored}`);

    const rawSeconds = await rawInsertBaseline(args.databaseUrl, args.schema);
    return {
      resources: args.expected,
      seconds,
      resourcesPerSecond: Math.round(args.expected / seconds),
      rawSeconds,
      rawRowsPerSecond: Math.round(args.expected / rawSeconds),
      idleRssMB: Math.round(idleRssMB),
      peakRssMB: Math.round(peakRssMB),
      counts,
    };
  } finally {
    await store.close();
  }
}

interface StoredRow {
  id: string;
  tenant: string;
  type: string;
  external_system: string;
  external_id: string;
  source_connector: string;
  data: string;
  hash: string;
}

/**
 * The rows the sync stored, inserted again into a plain copy of the records table (same columns
 * and indexes) with one multi-row INSERT … VALUES per 1,000 rows, as bench/ingest.ts does. Rows are
 * read a page at a time; only the INSERTs are timed.
 */
async function rawInsertBaseline(databaseUrl: string, schema: string): Promise<number> {
  const driver: SqlDriver = await createPgDriver({ connectionString: databaseUrl, schema, maxConnections: 1 });
  try {
    await driver.exec('DROP TABLE IF EXISTS raw_records; CREATE TABLE raw_records (LIKE records INCLUDING ALL)');
    let elapsed = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await driver.query<StoredRow>(
        `SELECT id, tenant, type, external_system, external_id, source_connector, data::text AS data, hash
         FROM records WHERE id > $1::uuid ORDER BY id LIMIT ${RAW_BATCH}`,
        [after],
      );
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.id;
      const params: unknown[] = [];
      const tuples: string[] = [];
      for (const r of rows) {
        const p = params.length;
        tuples.push(`($${p + 1}::uuid, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7}::jsonb, $${p + 8}, 1)`);
        params.push(randomUUID(), r.tenant, r.type, r.external_system, r.external_id, r.source_connector, r.data, r.hash);
      }
      const started = performance.now();
      await driver.query(
        `INSERT INTO raw_records (id, tenant, type, external_system, external_id, source_connector, data, hash, version) VALUES ${tuples.join(', ')}`,
        params,
      );
      elapsed += performance.now() - started;
    }
    await driver.exec('DROP TABLE raw_records');
    return elapsed / 1000;
  } finally {
    await driver.close();
  }
}
