/**
 * Ingest throughput: `store.commit()` against a raw multi-row INSERT of the same rows, measured in
 * the same run on the same database, for PostgreSQL and for PGlite.
 *
 *   node --import tsx bench/ingest.ts            (BENCH_RECORDS=50000, BENCH_DATABASE_URL=postgres://…)
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { TransientError } from '../core/errors.js';
import { validateEntity, type EntityName } from '../core/model/index.js';
import { contentHash } from '../core/store/hash.js';
import { createPgDriver, describePostgresUrl } from '../core/store/pg-driver.js';
import { createPgliteDriver } from '../core/store/pglite-driver.js';
import type { SqlDriver } from '../core/store/sql.js';
import { SqlStore } from '../core/store/sql-store.js';
import type { RecordInput } from '../core/store/types.js';
import { benchPostgresUrl } from './support.js';
import type { BenchRow } from './types.js';

export interface IngestBenchOptions {
  /** @defaultValue 50,000 (or BENCH_RECORDS) */
  records?: number;
  /** Records per commit. @defaultValue 1,000 */
  batchSize?: number;
  /** @defaultValue BENCH_DATABASE_URL, DATABASE_URL, or postgres://postgres@127.0.0.1:5432/test (loopback only) */
  databaseUrl?: string;
  /** Canonical type of the generated records. @defaultValue `Patient` */
  type?: string;
  /** The i-th record's canonical data. @defaultValue a synthetic Patient */
  makeRecord?: (i: number) => Record<string, unknown>;
  /** Runs on every record inside the timed commit path, as `emit` would before committing. */
  validate?: (data: Record<string, unknown>, type: string) => unknown;
}

export default async function ingestBench(options: IngestBenchOptions = {}): Promise<BenchRow[]> {
  const count = options.records ?? Number(process.env.BENCH_RECORDS ?? 50_000);
  const batchSize = options.batchSize ?? 1000;
  const type = options.type ?? 'Patient';
  const makeRecord = options.makeRecord ?? syntheticPatient;
  const validate = options.validate ?? (options.makeRecord ? undefined : validatePatient);
  // The benchmark drops the schema it made, so by default it only runs against a loopback server.
  const databaseUrl = options.databaseUrl ?? benchPostgresUrl();
  if (!Number.isInteger(count) || count < batchSize) throw new RangeError(`records must be an integer ≥ batchSize (${batchSize}), got ${count}`);

  const records = makeInputs(count, type, makeRecord, 'bench');
  const warmup = makeInputs(Math.min(5 * batchSize, count), type, (i) => makeRecord(count + i), 'warmup');
  const rows: BenchRow[] = [];

  rows.push(...(await measure('PGlite (in memory)', await createPgliteDriver(), records, warmup, batchSize, validate)));

  const schema = `bench_ingest_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  let pgDriver: SqlDriver | undefined;
  try {
    pgDriver = await createPgDriver({ connectionString: databaseUrl, schema });
  } catch (error) {
    if (!(error instanceof TransientError)) throw error;
    process.emitWarning(`PostgreSQL unreachable at ${describePostgresUrl(databaseUrl)}: PostgreSQL rows skipped`);
  }
  if (pgDriver) {
    try {
      rows.unshift(...(await measure('PostgreSQL', pgDriver, records, warmup, batchSize, validate, schema)));
    } finally {
      await pgDriver.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await pgDriver.close();
    }
  }
  return rows;
}

function makeInputs(count: number, type: string, makeRecord: (i: number) => Record<string, unknown>, tenant: string): RecordInput[] {
  return Array.from({ length: count }, (_, i) => ({
    tenant: `${tenant}-${i % 3}`,
    type,
    externalSystem: 'urn:riverside-ehr',
    externalId: `MRN-${String(i).padStart(8, '0')}`,
    sourceConnector: 'riverside-ehr',
    data: makeRecord(i),
  }));
}

/**
 * Raw inserts, new-record commits and unchanged re-commits run batch by batch in turn, so that all
 * three see the same table sizes and the same background load (a shared machine is noisy).
 */
async function measure(
  label: string,
  driver: SqlDriver,
  records: RecordInput[],
  warmup: RecordInput[],
  batchSize: number,
  validate: IngestBenchOptions['validate'],
  schema?: string,
): Promise<BenchRow[]> {
  const store = new SqlStore(driver);
  try {
    await store.migrate();
    // Same columns and the same indexes as records, but a plain INSERT: no upsert, history or outbox.
    await driver.exec('DROP TABLE IF EXISTS raw_records; CREATE TABLE raw_records (LIKE records INCLUDING ALL)');

    const commit = async (batch: RecordInput[]) => {
      if (validate) for (const record of batch) validate(record.data, record.type);
      await store.commit({ records: batch });
    };
    // The raw insert gets its hashes for free, computed before the clock starts.
    const hashes = new Map([...warmup, ...records].map((r) => [r, contentHash(r.data)]));
    const batches = (inputs: RecordInput[]) =>
      Array.from({ length: Math.ceil(inputs.length / batchSize) }, (_, i) => inputs.slice(i * batchSize, (i + 1) * batchSize));

    for (const batch of batches(warmup)) {
      await rawInsert(driver, batch, hashes);
      await commit(batch);
      await commit(batch);
    }
    if (schema) await driver.exec('ANALYZE records; ANALYZE raw_records; ANALYZE record_history; ANALYZE record_events');

    const seconds = { raw: 0, created: 0, unchanged: 0 };
    for (const batch of batches(records)) {
      seconds.raw += await time(() => rawInsert(driver, batch, hashes));
      seconds.created += await time(() => commit(batch));
      seconds.unchanged += await time(() => commit(batch));
    }
    const check = await store.countRecords({ type: records[0]!.type });
    if (check !== records.length + warmup.length) throw new Error(`${label}: expected ${records.length + warmup.length} records, found ${check}`);

    const perSecond = (s: number) => Math.round(records.length / s);
    const baselineName = `raw multi-row INSERT … VALUES of the same rows (${label}; same indexes; no upsert, history or outbox)`;
    return [
      {
        name: `commit() new records → ${label}, batches of ${batchSize}, incl. hashing${validate ? ' + validation' : ''}`,
        unit: 'records/s',
        value: perSecond(seconds.created),
        baselineName,
        baseline: perSecond(seconds.raw),
        target: label === 'PostgreSQL' ? '≥ 10,000 records/s and ≥ 0.5× raw' : undefined,
      },
      {
        name: `commit() unchanged re-send → ${label}`,
        unit: 'records/s',
        value: perSecond(seconds.unchanged),
        baselineName,
        baseline: perSecond(seconds.raw),
      },
    ];
  } finally {
    await driver.exec('DROP TABLE IF EXISTS raw_records').catch(() => undefined);
    if (!schema) await store.close();
  }
}

/**
 * A plain multi-row INSERT … VALUES with one parameter per column: of the plain inserts tried
 * (unnest() arrays, one JSON document through json_to_recordset, VALUES) the fastest on PostgreSQL.
 */
async function rawInsert(driver: SqlDriver, batch: RecordInput[], hashes: Map<RecordInput, string>): Promise<void> {
  const params: unknown[] = [];
  const tuples: string[] = [];
  for (const r of batch) {
    const p = params.length;
    tuples.push(`($${p + 1}::uuid, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7}::jsonb, $${p + 8}, 1)`);
    params.push(randomUUID(), r.tenant, r.type, r.externalSystem, r.externalId, r.sourceConnector, JSON.stringify(r.data), hashes.get(r)!);
  }
  await driver.query(
    `INSERT INTO raw_records (id, tenant, type, external_system, external_id, source_connector, data, hash, version) VALUES ${tuples.join(', ')}`,
    params,
  );
}

async function time(run: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const FAMILIES = ['Rivera', 'Okafor', 'Nguyen', 'Schmidt', 'Haddad', 'Kowalski', 'Tanaka', 'Silva', 'Moreau', 'Johansson'];
const GIVEN = ['Ana', 'Chidi', 'Linh', 'Jonas', 'Layla', 'Piotr', 'Yuki', 'Mateus', 'Claire', 'Erik', 'Sofia', 'Omar'];
const CITIES = [
  ['Springfield', 'IL', '62701'],
  ['Riverside', 'CA', '92501'],
  ['Franklin', 'TN', '37064'],
  ['Greenville', 'SC', '29601'],
] as const;

/** A synthetic canonical Patient (about 700 bytes of JSON) that passes validation. */
export function syntheticPatient(i: number): Record<string, unknown> {
  const [city, state, postalCode] = CITIES[i % CITIES.length]!;
  return {
    schemaVersion: '1.0.0',
    name: { family: FAMILIES[i % FAMILIES.length], given: [GIVEN[i % GIVEN.length], GIVEN[(i * 7) % GIVEN.length]], use: 'official' },
    birthDate: `${1940 + (i % 70)}-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
    gender: i % 2 === 0 ? 'female' : 'male',
    identifiers: [
      { system: 'urn:riverside-ehr-mrn', value: `MRN-${String(i).padStart(8, '0')}`, type: 'MR' },
      { system: 'http://hl7.org/fhir/sid/us-mbi', value: `1EG4TE5MK${String(i % 100).padStart(2, '0')}`, type: 'MB' },
    ],
    address: [{ use: 'home', line: [`${100 + (i % 900)} Main St`, ...(i % 5 === 0 ? ['Apt 2'] : [])], city, state, postalCode }],
    telecom: [
      { system: 'phone', value: `555-01${String(i % 100).padStart(2, '0')}`, use: 'mobile' },
      { system: 'email', value: `patient${i}@example.org` },
    ],
    race: { ombCategories: ['2106-3'] },
    language: i % 4 === 0 ? 'es' : 'en',
    managingOrganization: { system: 'hub-directory', id: `practice-${i % 3}` },
    active: true,
  };
}

/** The canonical schema check `emit` runs; a record that fails it would be a bug in the generator. */
export function validatePatient(data: Record<string, unknown>, type: string): void {
  const issues = validateEntity(type as EntityName, data);
  if (issues.length) throw new Error(`generated ${type} is invalid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`);
}

function printTable(rows: BenchRow[]): void {
  const lines = rows.map((row) => [
    row.name,
    `${row.value.toLocaleString('en-US')} ${row.unit}`,
    `${row.baseline.toLocaleString('en-US')} ${row.unit}`,
    `${(row.value / row.baseline).toFixed(2)}×`,
    row.target ?? '',
  ]);
  const header = ['measurement', 'value', 'baseline', 'ratio', 'target'];
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c]!.length)));
  const format = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ');
  process.stdout.write(`ingest benchmark — ${availableParallelism()} cores, Node ${process.version}\n`);
  process.stdout.write(`${format(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const line of lines) process.stdout.write(`${format(line)}\n`);
  for (const row of rows.filter((r, i, all) => all.findIndex((o) => o.baselineName === r.baselineName) === i)) {
    process.stdout.write(`baseline: ${row.baselineName}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await ingestBench());
}
