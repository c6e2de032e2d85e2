/**
 * FHIR Bulk Data ingest (issue 4): resources per second from a `$export` of synthetic, Synthea-shaped
 * NDJSON (Patient, Practitioner, Organization, Location, Coverage, Encounter, Claim) served by a
 * real local HTTP server, through the fhir-ehr plugin's bulk sync as a hub worker runs it
 * (executeJob: plugin context, mapping, canonical validation at emit, batched upserts with history
 * and outbox, cursors, the run row) into a fresh PostgreSQL schema. Beside it, in the same run and
 * on the same server: a raw multi-row INSERT … VALUES of the same rows into a plain copy of the
 * records table. The job runs in a child process, at two export sizes, so its peak RSS shows
 * whether memory grows with the file.
 *
 * The records table starts empty and grows by the whole export within one job; the store refreshes
 * its statistics as it grows (SqlStore.analyzeRecords), as production does, so nothing is analyzed
 * from outside here.
 *
 *   npm run bench -- fhir     (BENCH_FHIR_RESOURCES=100000, BENCH_FHIR_SMALL=25000, BENCH_DATABASE_URL)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateExport } from './fhir-data.js';
import { runIngestChild, type ChildMeasurement, type IngestMeasurement } from './fhir-child.js';
import { startBulkExportServer } from './fhir-server.js';
import { measureInChild } from './child.js';
import { benchPostgresUrl, dropSchema, envInteger, freshTag, withCleanUp } from './support.js';
import type { BenchRow } from './types.js';

export interface FhirBenchOptions {
  /** Resources in the large export. @defaultValue 100,000 (or BENCH_FHIR_RESOURCES) */
  resources?: number;
  /** Resources in the small export, for the memory comparison. @defaultValue 25,000 (or BENCH_FHIR_SMALL) */
  smallResources?: number;
}

const CHILD_FLAG = '--fhir-bench-child';
const CHILD_TIMEOUT_MS = 20 * 60_000;
const TARGET_RATE = 5000;

export default async function fhirBench(options: FhirBenchOptions = {}): Promise<BenchRow[]> {
  const large = options.resources ?? envInteger('BENCH_FHIR_RESOURCES', 100_000);
  const small = options.smallResources ?? envInteger('BENCH_FHIR_SMALL', 25_000);
  if (small >= large) throw new RangeError(`BENCH_FHIR_SMALL (${small}) must be below BENCH_FHIR_RESOURCES (${large})`);
  const databaseUrl = benchPostgresUrl();

  const atSmall = await measureExport(small, databaseUrl);
  const atLarge = await measureExport(large, databaseUrl);

  const rate = (m: IngestMeasurement): BenchRow => ({
    name:
      `bulk $export → fhir-ehr sync → PostgreSQL, ${m.resources.toLocaleString('en-US')} resources (${(m.bytes / 1e6).toFixed(0)} MB NDJSON, 7 types); ` +
      `load avg ${m.loadBefore.toFixed(1)} → ${m.loadAfter.toFixed(1)}`,
    unit: 'resources/s',
    value: m.resourcesPerSecond,
    baselineName: 'raw multi-row INSERT … VALUES of the same rows (batches of 1,000; same indexes; no mapping, validation, upsert, history or outbox)',
    baseline: m.rawRowsPerSecond,
    target: `≥ ${TARGET_RATE.toLocaleString('en-US')} resources/s`,
  });
  return [
    rate(atLarge),
    rate(atSmall),
    {
      name: `peak RSS of the sync, ${atSmall.resources.toLocaleString('en-US')} resources`,
      unit: 'MB',
      value: atSmall.peakRssMB,
      baselineName: 'the same process before the sync (modules loaded, store open)',
      baseline: atSmall.idleRssMB,
    },
    {
      name: `peak RSS of the sync, ${atLarge.resources.toLocaleString('en-US')} resources`,
      unit: 'MB',
      value: atLarge.peakRssMB,
      baselineName: `peak RSS of the sync at ${atSmall.resources.toLocaleString('en-US')} resources`,
      baseline: atSmall.peakRssMB,
      target: 'constant memory: ≈ 1.0× the smaller export',
    },
  ];
}

/** One export size: generate, serve, sync in a child, then remove the files, the server and the schema. */
async function measureExport(resources: number, databaseUrl: string): Promise<IngestMeasurement> {
  return withCleanUp(async (defer) => {
    const dir = await mkdtemp(join(tmpdir(), 'fhir-bench-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const data = await generateExport(dir, resources);
    const server = await startBulkExportServer(data);
    defer(() => server.close());
    const schema = `bench_fhir_${freshTag()}`;
    // Dropped here, not by the child, so a child that crashed leaves nothing behind either.
    defer(() => dropSchema(databaseUrl, schema));

    const loadBefore = loadavg()[0]!;
    const result = await runChild({ baseUrl: server.baseUrl, databaseUrl, schema, expected: data.total });
    if (server.stats.kickOffs !== 1 || server.stats.filesServed !== data.files.length) {
      throw new Error(`the sync did not run the bulk export as planned: ${JSON.stringify(server.stats)}`);
    }
    return { ...result, bytes: data.files.reduce((sum, f) => sum + f.bytes, 0), loadBefore, loadAfter: loadavg()[0]! };
  });
}


interface ChildArgs {
  baseUrl: string;
  databaseUrl: string;
  schema: string;
  expected: number;
}

function runChild(args: ChildArgs): Promise<ChildMeasurement> {
  const nodeOptions = process.env.BENCH_FHIR_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [];
  return measureInChild(import.meta.url, [CHILD_FLAG, JSON.stringify(args)], { timeoutMs: CHILD_TIMEOUT_MS, label: 'the fhir bench child', nodeOptions });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === CHILD_FLAG) {
    const result = await runIngestChild(JSON.parse(process.argv[3]!) as ChildArgs);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    for (const row of await fhirBench()) process.stdout.write(`${JSON.stringify(row)}\n`);
  }
}
