import { ConfigurationError, InputError, NotFoundError, TransientError } from '../errors.js';
import { canonicalJson, sha256Hex } from './hash.js';
import { isUuid, KEY_SEPARATOR, naturalKey, uuidv7 } from './ids.js';
import { migrate } from './migrate.js';
import type { SqlDriver, SqlExecutor } from './sql.js';
import { GroupCommit } from './group-commit.js';
import type {
  AuditEntry,
  AuditEntryInput,
  CommitBatch,
  CommitResult,
  LedgerEntry,
  Page,
  PendingEvent,
  RawEvent,
  RawEventInput,
  RecordChange,
  RecordInput,
  RecordQuery,
  RecordVersion,
  RejectedRecord,
  RejectedRecordInput,
  Run,
  RunCounts,
  RunCoverage,
  RunCoverageEntry,
  RunQuery,
  RunResult,
  RunStart,
  RunStatus,
  StateWrite,
  Store,
  StoredLedgerEntry,
  StoredRecord,
} from './types.js';

export interface SqlStoreOptions {
  /**
   * Records per upsert statement. Larger batches mean fewer round trips but bigger parameters.
   * @defaultValue 1000
   */
  batchSize?: number;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** Ids or keys per statement of `findRecords` and `getStates`. */
const LOOKUP_CHUNK = 1000;
// Headers that carry credentials never reach the raw-event table, whatever a caller passes.
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);

/**
 * The store on PostgreSQL or PGlite. Writes are set-based: one statement upserts a whole batch of
 * records and appends the history and outbox rows of those that changed, so a commit of 1,000
 * records costs one round trip, and an unchanged re-send touches no row at all.
 */
export class SqlStore implements Store {
  readonly kind: 'postgres' | 'pglite';
  readonly description: string;
  private readonly batchSize: number;
  private readonly rawEvents = new GroupCommit<RawEventInput, { id: string; duplicate: boolean }>((events) => this.insertRawEvents(events));
  /** Records this process created since it last refreshed the table's statistics, and the rows they then counted. */
  private createdSinceAnalyze = 0;
  private rowsAtAnalyze = 0;

  constructor(
    private readonly driver: SqlDriver,
    options: SqlStoreOptions = {},
  ) {
    this.kind = driver.kind;
    this.description = driver.description;
    this.batchSize = options.batchSize ?? 1000;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new ConfigurationError(`store batchSize must be a positive integer, got ${options.batchSize}`, [
        { path: 'batchSize', message: 'must be a positive integer' },
      ]);
    }
  }

  async migrate(): Promise<void> {
    await migrate(this.driver);
  }

  async ping(): Promise<void> {
    await this.driver.query('SELECT 1');
  }

  async commit(batch: CommitBatch): Promise<CommitResult> {
    const records = batch.records ?? [];
    const rejects = batch.rejects ?? [];
    // Everything is serialized before the transaction opens: bad input fails fast and holds no locks.
    const upserts = prepareRecords(records);
    const rejectRows = prepareRejects(rejects);
    const stateRows = prepareState(batch.state ?? []);
    const ledgerRows = prepareLedger(batch.ledger ?? []);

    const changes: RecordChange[] = [];
    if (upserts.length + rejectRows.length + stateRows.length + ledgerRows.length > 0) {
      await this.driver.transaction(async (tx) => {
        for (let start = 0; start < upserts.length; start += this.batchSize) {
          changes.push(...(await upsertRecords(tx, upserts.slice(start, start + this.batchSize))));
        }
        for (let start = 0; start < rejectRows.length; start += this.batchSize) {
          await insertRejects(tx, rejectRows.slice(start, start + this.batchSize));
        }
        if (stateRows.length > 0) await upsertState(tx, stateRows);
        if (ledgerRows.length > 0) await upsertLedger(tx, ledgerRows);
      });
    }

    // Report changes in the order the caller gave the records (upserts ran in key order).
    const position = new Map(upserts.map((row) => [row.key, row.position]));
    changes.sort((a, b) => position.get(changeKey(a))! - position.get(changeKey(b))!);
    let created = 0;
    for (const change of changes) if (change.kind === 'created') created++;
    const updated = changes.length - created;
    this.createdSinceAnalyze += created;
    if (this.createdSinceAnalyze >= Math.max(ANALYZE_AFTER_CREATED, this.rowsAtAnalyze)) await this.analyzeRecords();
    // A key repeated within one commit counts once; its superseded copies count as unchanged.
    return { created, updated, unchanged: records.length - created - updated, rejected: rejects.length, changes };
  }

  /**
   * Refreshes the planner's statistics of `records` once it has grown by half again (and at least
   * ANALYZE_AFTER_CREATED rows) since. Without them, a table filled by a first bulk sync faster
   * than autovacuum looks (or with autovacuum off) is planned as if still tiny: a lookup by natural
   * key (findRecord, a plugin's ctx.find) then scans the tenant and type index instead of the
   * natural key, and walks every record of the type. Statistics are an optimization, so a failure
   * here never fails a commit.
   */
  private async analyzeRecords(): Promise<void> {
    this.createdSinceAnalyze = 0;
    try {
      // The columns the store's queries filter on: sampling `data` too doubled the time (0.2 s to
      // 0.4 s at 30,000 records) for statistics no query of ours reads.
      await this.driver.query('ANALYZE records (tenant, type, external_system, external_id, source_connector)');
      const [row] = await this.driver.query<{ rows: number }>(`SELECT reltuples::float8 AS rows FROM pg_class WHERE oid = 'records'::regclass`);
      this.rowsAtAnalyze = Math.max(0, Number(row?.rows ?? 0)) / 2;
    } catch {
      // The next threshold tries again.
    }
  }

  async getRecord(id: string): Promise<StoredRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.driver.query<RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records WHERE id = $1`, [id]);
    return rows[0] && toRecord(rows[0]);
  }

  async getRecords(ids: string[]): Promise<StoredRecord[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    const rows = await this.driver.query<RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records WHERE id = ANY($1::uuid[])`, [valid]);
    const byId = new Map(rows.map((row) => [row.id, toRecord(row)]));
    return valid.flatMap((id) => byId.get(id.toLowerCase()) ?? []);
  }

  async findRecord(key: { tenant: string; type: string; externalSystem: string; externalId: string }): Promise<StoredRecord | undefined> {
    const rows = await this.driver.query<RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM records WHERE tenant = $1 AND type = $2 AND external_system = $3 AND external_id = $4`,
      [key.tenant, key.type, key.externalSystem, key.externalId],
    );
    return rows[0] && toRecord(rows[0]);
  }

  async findRecords(key: { tenant: string; type: string; externalSystem: string; externalIds: readonly string[] }): Promise<StoredRecord[]> {
    const ids = [...new Set(key.externalIds)];
    const found: StoredRecord[] = [];
    // Chunked so one statement's array parameter (and its plan's work) stays bounded.
    for (let start = 0; start < ids.length; start += LOOKUP_CHUNK) {
      const rows = await this.driver.query<RecordRow>(
        `SELECT ${RECORD_COLUMNS} FROM records WHERE tenant = $1 AND type = $2 AND external_system = $3 AND external_id = ANY($4::text[])`,
        [key.tenant, key.type, key.externalSystem, ids.slice(start, start + LOOKUP_CHUNK)],
      );
      for (const row of rows) found.push(toRecord(row));
    }
    return found;
  }

  async listRecords(query: RecordQuery): Promise<Page<StoredRecord>> {
    const limit = pageLimit(query.limit);
    const where = recordFilters(query);
    if (query.after !== undefined) where.add((p) => `id > ${p}::uuid`, decodeCursor(query.after, 'record'));
    const rows = await this.driver.query<RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM records ${where.sql()} ORDER BY id LIMIT ${limit + 1}`,
      where.params,
    );
    return page(rows.map(toRecord), limit, (record) => encodeCursor('record', record.id));
  }

  async countRecords(query: Omit<RecordQuery, 'limit' | 'after'>): Promise<number> {
    const where = recordFilters(query);
    const rows = await this.driver.query<{ count: number }>(`SELECT count(*)::int AS count FROM records ${where.sql()}`, where.params);
    return rows[0]!.count;
  }

  async recordHistory(id: string): Promise<RecordVersion[]> {
    if (!isUuid(id)) return [];
    const rows = await this.driver.query<HistoryRow>(
      `SELECT record_id, version, hash, data, source_connector, recorded_at FROM record_history WHERE record_id = $1 ORDER BY version`,
      [id],
    );
    return rows.map((row) => ({
      recordId: row.record_id,
      version: row.version,
      hash: row.hash,
      data: row.data,
      sourceConnector: row.source_connector,
      recordedAt: iso(row.recorded_at),
    }));
  }

  async listRejects(query: { tenants?: string[]; sourceConnector?: string; limit?: number; after?: string }): Promise<Page<RejectedRecord>> {
    const limit = pageLimit(query.limit);
    const where = new Where();
    where.any('tenant', query.tenants);
    where.eq('source_connector', query.sourceConnector);
    if (query.after !== undefined) where.add((p) => `seq < ${p}::bigint`, decodeCursor(query.after, 'reject'));
    const rows = await this.driver.query<RejectRow>(
      `SELECT seq::text AS seq, id, tenant, type, source_connector, external_system, external_id, run_id, reasons, data, created_at
       FROM rejected_records ${where.sql()} ORDER BY seq DESC LIMIT ${limit + 1}`,
      where.params,
    );
    return page(rows, limit, (row) => encodeCursor('reject', row.seq), (row) => {
      const reject: RejectedRecord = {
        id: row.id,
        tenant: row.tenant,
        type: row.type,
        sourceConnector: row.source_connector,
        reasons: row.reasons,
        data: row.data,
        createdAt: iso(row.created_at),
      };
      if (row.external_system !== null) reject.externalSystem = row.external_system;
      if (row.external_id !== null) reject.externalId = row.external_id;
      if (row.run_id !== null) reject.runId = row.run_id;
      return reject;
    });
  }

  async getState<T = unknown>(connectorId: string, key: string): Promise<T | undefined> {
    const rows = await this.driver.query<{ value: T }>('SELECT value FROM sync_state WHERE connector_id = $1 AND key = $2', [connectorId, key]);
    return rows[0]?.value;
  }

  async getStates(connectorId: string, keys: readonly string[]): Promise<Map<string, unknown>> {
    const unique = [...new Set(keys)];
    const found = new Map<string, unknown>();
    for (let start = 0; start < unique.length; start += LOOKUP_CHUNK) {
      const rows = await this.driver.query<{ key: string; value: unknown }>('SELECT key, value FROM sync_state WHERE connector_id = $1 AND key = ANY($2::text[])', [
        connectorId,
        unique.slice(start, start + LOOKUP_CHUNK),
      ]);
      for (const row of rows) found.set(row.key, row.value);
    }
    return found;
  }

  async setState(write: StateWrite): Promise<void> {
    await upsertState(this.driver, prepareState([write]));
  }

  async getLedgerEntry(connectorId: string, path: string, checksum: string): Promise<StoredLedgerEntry | undefined> {
    const rows = await this.driver.query<LedgerRow>(
      `SELECT connector_id, path, checksum, size::float8 AS size, status, detail, recorded_at
       FROM file_ledger WHERE connector_id = $1 AND path = $2 AND checksum = $3`,
      [connectorId, path, checksum],
    );
    const row = rows[0];
    if (!row) return undefined;
    const entry: StoredLedgerEntry = {
      connectorId: row.connector_id,
      path: row.path,
      checksum: row.checksum,
      size: row.size,
      status: row.status,
      recordedAt: iso(row.recorded_at),
    };
    if (row.detail !== null) entry.detail = row.detail;
    return entry;
  }

  async startRun(run: RunStart): Promise<void> {
    // A run id seen again (a job re-run under the same id) starts afresh rather than failing.
    await this.driver.query(
      `INSERT INTO runs (id, connector_id, tenant, kind, job_id, trigger, attempt, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'running')
       ON CONFLICT (id) DO UPDATE SET
         connector_id = EXCLUDED.connector_id, tenant = EXCLUDED.tenant, kind = EXCLUDED.kind, job_id = EXCLUDED.job_id,
         trigger = EXCLUDED.trigger, attempt = EXCLUDED.attempt, status = 'running', started_at = now(),
         finished_at = NULL, counts = DEFAULT, error = NULL, coverage = NULL`,
      [run.id, run.connectorId, run.tenant, run.kind, run.jobId ?? null, run.trigger, run.attempt ?? null],
    );
  }

  async finishRun(id: string, result: RunResult): Promise<Run> {
    const coverage = result.coverage && Object.keys(result.coverage).length > 0 ? JSON.stringify(result.coverage) : null;
    const rows = await this.driver.query<RunRow>(
      `UPDATE runs SET status = $2, counts = $3::jsonb, error = $4, coverage = $5::jsonb, finished_at = now()
       WHERE id = $1 RETURNING ${RUN_COLUMNS}, coverage`,
      [id, result.status, JSON.stringify(result.counts), result.error ?? null, coverage],
    );
    if (rows.length === 0) throw new NotFoundError(`run ${id} not found`);
    return toRun(rows[0]!);
  }

  async getRun(id: string): Promise<Run | undefined> {
    const rows = await this.driver.query<RunRow>(`SELECT ${RUN_COLUMNS}, coverage FROM runs WHERE id = $1`, [id]);
    return rows[0] && toRun(rows[0]);
  }

  async listRuns(query: RunQuery): Promise<Page<Run>> {
    const limit = pageLimit(query.limit);
    const where = new Where();
    where.any('tenant', query.tenants);
    where.eq('connector_id', query.connectorId);
    where.eq('status', query.status);
    if (query.after !== undefined) where.add((p) => `seq < ${p}::bigint`, decodeCursor(query.after, 'run'));
    const rows = await this.driver.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM runs ${where.sql()} ORDER BY seq DESC LIMIT ${limit + 1}`,
      where.params,
    );
    return page(rows, limit, (row) => encodeCursor('run', row.seq), toRun);
  }

  async lastRuns(connectorIds: string[]): Promise<Map<string, Run>> {
    if (connectorIds.length === 0) return new Map();
    const rows = await this.driver.query<RunRow>(
      `SELECT DISTINCT ON (connector_id) ${RUN_COLUMNS} FROM runs
       WHERE connector_id = ANY($1::text[]) AND status <> 'running'
       ORDER BY connector_id, finished_at DESC, seq DESC`,
      [connectorIds],
    );
    return new Map(rows.map((row) => [row.connector_id, toRun(row)]));
  }

  async runCoverage(query: { connectorId: string; tenants?: string[]; limit: number }): Promise<RunCoverageEntry[]> {
    const where = new Where();
    where.eq('connector_id', query.connectorId);
    where.any('tenant', query.tenants);
    // Only a finished run has coverage (a start clears it), so this needs no status filter.
    const rows = await this.driver.query<{ id: string; tenant: string; finished_at: Timestamp; coverage: RunCoverage }>(
      `SELECT id, tenant, finished_at, coverage FROM runs ${where.sql()} AND coverage IS NOT NULL
       ORDER BY seq DESC LIMIT ${pageLimit(query.limit)}`,
      where.params,
    );
    return rows.map((row) => ({ runId: row.id, tenant: row.tenant, finishedAt: iso(row.finished_at), coverage: row.coverage }));
  }

  saveRawEvent(event: RawEventInput): Promise<{ id: string; duplicate: boolean }> {
    // Webhooks arrive concurrently: those that come while one insert runs share the next one.
    return this.rawEvents.submit(event);
  }

  private async insertRawEvents(events: RawEventInput[]): Promise<{ id: string; duplicate: boolean }[]> {
    // A lone event takes the plain statement: the batch statement costs about three times as much to plan and run.
    if (events.length === 1) return [await this.insertRawEvent(events[0]!)];
    const input = events.map((event, ord) => ({
      ord,
      connector_id: event.connectorId,
      tenant: event.tenant,
      event_id: event.eventId,
      content_type: event.contentType,
      headers: keptHeaders(event.headers),
      body: event.body,
    }));
    // One statement: the first of each (connector, event id) is inserted unless kept already; every
    // later one in the batch, or one kept before, is a duplicate of that row.
    const rows = await this.driver.query<{ ord: number; id: string | null; inserted: boolean }>(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb)
           AS x(ord int, connector_id text, tenant text, event_id text, content_type text, headers jsonb, body text)
       ), firsts AS (
         SELECT DISTINCT ON (connector_id, event_id) * FROM input ORDER BY connector_id, event_id, ord
       ), ins AS (
         INSERT INTO raw_events (connector_id, tenant, event_id, content_type, headers, body)
         SELECT connector_id, tenant, event_id, content_type, headers, body FROM firsts
         ON CONFLICT (connector_id, event_id) DO NOTHING
         RETURNING id, connector_id, event_id
       )
       SELECT input.ord, COALESCE(ins.id, kept.id) AS id, (ins.id IS NOT NULL AND input.ord = firsts.ord) AS inserted
       FROM input
       JOIN firsts ON firsts.connector_id = input.connector_id AND firsts.event_id = input.event_id
       LEFT JOIN ins ON ins.connector_id = input.connector_id AND ins.event_id = input.event_id
       LEFT JOIN raw_events kept ON kept.connector_id = input.connector_id AND kept.event_id = input.event_id
       ORDER BY input.ord`,
      [JSON.stringify(input)],
    );
    const results: { id: string; duplicate: boolean }[] = [];
    for (const row of rows) {
      if (row.id !== null) {
        results.push({ id: row.id, duplicate: !row.inserted });
        continue;
      }
      // A row another process committed while this statement waited on it is not in its snapshot;
      // a separate statement sees it.
      results.push(await this.keptRawEvent(events[row.ord]!));
    }
    return results;
  }

  private async insertRawEvent(event: RawEventInput): Promise<{ id: string; duplicate: boolean }> {
    const inserted = await this.driver.query<{ id: string }>(
      `INSERT INTO raw_events (connector_id, tenant, event_id, content_type, headers, body)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6)
       ON CONFLICT (connector_id, event_id) DO NOTHING RETURNING id`,
      [event.connectorId, event.tenant, event.eventId, event.contentType, JSON.stringify(keptHeaders(event.headers)), event.body],
    );
    return inserted[0] ? { id: inserted[0].id, duplicate: false } : this.keptRawEvent(event);
  }

  private async keptRawEvent(event: RawEventInput): Promise<{ id: string; duplicate: true }> {
    const existing = await this.driver.query<{ id: string }>('SELECT id FROM raw_events WHERE connector_id = $1 AND event_id = $2', [
      event.connectorId,
      event.eventId,
    ]);
    // Only a prune in between gets here; the sender's retry will find a clean slate.
    if (!existing[0]) throw new TransientError(`raw event ${event.connectorId}/${event.eventId} vanished while being saved`);
    return { id: existing[0].id, duplicate: true };
  }

  async getRawEvent(connectorId: string, eventId: string): Promise<RawEvent | undefined> {
    const rows = await this.driver.query<RawEventRow>(
      `SELECT id, connector_id, tenant, event_id, content_type, headers, body, received_at, processed_at
       FROM raw_events WHERE connector_id = $1 AND event_id = $2`,
      [connectorId, eventId],
    );
    const row = rows[0];
    return (
      row && {
        id: row.id,
        connectorId: row.connector_id,
        tenant: row.tenant,
        eventId: row.event_id,
        contentType: row.content_type,
        headers: row.headers,
        body: row.body,
        receivedAt: iso(row.received_at),
        ...(row.processed_at ? { processedAt: iso(row.processed_at) } : {}),
      }
    );
  }

  async markRawEventProcessed(connectorId: string, eventId: string): Promise<void> {
    await this.driver.query('UPDATE raw_events SET processed_at = now() WHERE connector_id = $1 AND event_id = $2 AND processed_at IS NULL', [
      connectorId,
      eventId,
    ]);
  }

  pruneRawEvents(olderThan: Date): Promise<number> {
    return this.deleteOlderThan('raw_events', 'received_at', olderThan);
  }

  async pendingEvents(limit: number): Promise<PendingEvent[]> {
    if (!Number.isInteger(limit) || limit < 1) throw new InputError(`pendingEvents limit must be a positive integer, got ${limit}`);
    // Oldest first; a seq may commit after a higher one, which is why this asks for "undispatched"
    // rather than "after the last seq seen": a late commit is still picked up.
    const rows = await this.driver.query<EventRow>(
      `SELECT seq::text AS seq, event_id, record_id, type, tenant, kind, version, external_system, external_id, source_connector
       FROM record_events WHERE dispatched_at IS NULL ORDER BY seq LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({ seq: row.seq, ...toChange(row) }));
  }

  async markEventsDispatched(seqs: string[]): Promise<void> {
    if (seqs.length === 0) return;
    for (const seq of seqs) if (!/^\d{1,19}$/.test(seq)) throw new InputError(`not an outbox seq: ${seq}`);
    await this.driver.query('UPDATE record_events SET dispatched_at = now() WHERE seq = ANY($1::bigint[]) AND dispatched_at IS NULL', [
      seqs,
    ]);
  }

  pruneDispatchedEvents(olderThan: Date): Promise<number> {
    // A pending event has no dispatched_at, so it never matches.
    return this.deleteOlderThan('record_events', 'dispatched_at', olderThan);
  }

  /** Retention: deletes the rows of `table` whose `column` is before the cutoff; returns how many. */
  private async deleteOlderThan(table: 'raw_events' | 'record_events', column: string, olderThan: Date): Promise<number> {
    const rows = await this.driver.query<{ count: number }>(
      `WITH gone AS (DELETE FROM ${table} WHERE ${column} < $1 RETURNING 1) SELECT count(*)::int AS count FROM gone`,
      [olderThan.toISOString()],
    );
    return rows[0]!.count;
  }

  async audit(entry: AuditEntryInput): Promise<void> {
    await this.driver.query('INSERT INTO audit_log (actor, action, tenant, target, detail) VALUES ($1, $2, $3, $4, $5::jsonb)', [
      entry.actor,
      entry.action,
      entry.tenant ?? null,
      entry.target ?? null,
      entry.detail === undefined ? null : JSON.stringify(entry.detail),
    ]);
  }

  async listAudit(query: { tenants?: string[]; actor?: string; limit?: number; after?: string }): Promise<Page<AuditEntry>> {
    const limit = pageLimit(query.limit);
    const where = new Where();
    where.any('tenant', query.tenants);
    where.eq('actor', query.actor);
    if (query.after !== undefined) where.add((p) => `seq < ${p}::bigint`, decodeCursor(query.after, 'audit'));
    const rows = await this.driver.query<AuditRow>(
      `SELECT seq::text AS seq, id, at, actor, action, tenant, target, detail FROM audit_log ${where.sql()} ORDER BY seq DESC LIMIT ${limit + 1}`,
      where.params,
    );
    return page(rows, limit, (row) => encodeCursor('audit', row.seq), (row) => {
      const entry: AuditEntry = { id: row.id, at: iso(row.at), actor: row.actor, action: row.action };
      if (row.tenant !== null) entry.tenant = row.tenant;
      if (row.target !== null) entry.target = row.target;
      if (row.detail !== null) entry.detail = row.detail;
      return entry;
    });
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Commit: preparing parameters, and the set-based statements.

interface PreparedRecord {
  key: string;
  /** Index of this key's last occurrence in the caller's list. */
  position: number;
  id: string;
  input: RecordInput;
  json: string;
  hash: string;
}

/** New records (in this process) before the first refresh of the records table's statistics. */
const ANALYZE_AFTER_CREATED = 5000;

function changeKey(change: RecordChange): string {
  return naturalKey(change.tenant, change.type, change.externalSystem, change.externalId);
}

/**
 * Keeps the last record per key (ON CONFLICT cannot touch one row twice in a statement), hashes
 * each from the same canonical JSON that is then stored, and sorts by key so that concurrent
 * commits lock rows in one order and cannot deadlock each other.
 */
function prepareRecords(records: RecordInput[]): PreparedRecord[] {
  const byKey = new Map<string, PreparedRecord>();
  for (let i = 0; i < records.length; i++) {
    const input = records[i]!;
    const key = naturalKey(input.tenant, input.type, input.externalSystem, input.externalId);
    let json: string;
    try {
      json = canonicalJson(input.data);
    } catch (error) {
      throw new InputError(`records[${i}] (${input.type}): data cannot be serialized as JSON`, [{ path: `/records/${i}/data`, message: String(error) }], {
        cause: error,
      });
    }
    byKey.delete(key); // so the map's order follows last occurrences
    byKey.set(key, { key, position: i, id: '', input, json, hash: sha256Hex(json) });
  }
  const prepared = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const row of prepared) row.id = uuidv7();
  return prepared;
}

// Unchanged rows are skipped by ON CONFLICT's WHERE: the arbiter is always the natural key, so
// the plan cannot depend on the table's statistics. An earlier NOT EXISTS probe ahead of the
// insert skipped them without a row lock, but the planner chose which index served it: on a table
// filled faster than its statistics (a first bulk load, or a type the last ANALYZE had not seen)
// it walked every record of the type per row and a 900-row commit took 1-3 s instead of 50 ms.
// Without it an unchanged re-send locks the rows it matches, measured 1.25x slower in the
// database (about 24,000 rows/s against 30,000, far above what a sync maps per second), and a
// first load is 1.3-5x faster. Rows that are written get a history row and an outbox event;
// inserted rows are the ones at version 1.
// The batch travels as one JSON document rather than as unnest() arrays: each record's canonical
// JSON is spliced in as it is, where a text[] parameter would escape every quote in it for the
// server to unescape again (about a third faster). It is read as jsonb at once: as json, each
// record's data was parsed twice, once to check the document and once more into jsonb (reading
// the rows alone took 20-25% longer, for 1,000 FHIR resources and for two 5,000-claim payments).
const UPSERT_RECORDS = `
WITH upserted AS (
  INSERT INTO records AS r (id, tenant, type, external_system, external_id, source_connector, data, hash, version)
  SELECT i.id, i.tenant, i.type, i.external_system, i.external_id, i.source_connector, i.data, i.hash, 1
  FROM jsonb_to_recordset($1::jsonb)
    AS i (id uuid, tenant text, type text, external_system text, external_id text, source_connector text, hash text, data jsonb)
  ON CONFLICT (tenant, type, external_system, external_id) DO UPDATE
    SET data = EXCLUDED.data, hash = EXCLUDED.hash, source_connector = EXCLUDED.source_connector,
        version = r.version + 1, updated_at = now()
    WHERE r.hash <> EXCLUDED.hash
  RETURNING r.id, r.tenant, r.type, r.external_system, r.external_id, r.source_connector, r.data, r.hash, r.version
), history AS (
  INSERT INTO record_history (record_id, version, hash, data, source_connector)
  SELECT id, version, hash, data, source_connector FROM upserted
)
INSERT INTO record_events (record_id, type, tenant, kind, version, external_system, external_id, source_connector)
SELECT id, type, tenant, CASE WHEN version = 1 THEN 'created' ELSE 'updated' END, version, external_system, external_id, source_connector
FROM upserted
RETURNING event_id, record_id, type, tenant, kind, version, external_system, external_id, source_connector`;

async function upsertRecords(tx: SqlExecutor, rows: PreparedRecord[]): Promise<RecordChange[]> {
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const { id, input, hash, json } = rows[i]!;
    parts[i] =
      `{"id":"${id}","tenant":${JSON.stringify(input.tenant)},"type":${JSON.stringify(input.type)},` +
      `"external_system":${JSON.stringify(input.externalSystem)},"external_id":${JSON.stringify(input.externalId)},` +
      `"source_connector":${JSON.stringify(input.sourceConnector)},"hash":"${hash}","data":${json}}`;
  }
  const result = await tx.query<EventRow>(UPSERT_RECORDS, [`[${parts.join(',')}]`]);
  return result.map(toChange);
}

interface PreparedReject {
  tenant: string;
  type: string;
  sourceConnector: string;
  externalSystem: string | null;
  externalId: string | null;
  runId: string | null;
  reasons: string;
  data: string;
}

function prepareRejects(rejects: RejectedRecordInput[]): PreparedReject[] {
  return rejects.map((reject) => ({
    tenant: reject.tenant,
    type: reject.type,
    sourceConnector: reject.sourceConnector,
    externalSystem: reject.externalSystem ?? null,
    externalId: reject.externalId ?? null,
    runId: reject.runId ?? null,
    reasons: JSON.stringify(reject.reasons),
    data: rejectedDataJson(reject.data),
  }));
}

/**
 * A reject exists to keep what was wrong, so its data is stored whatever it holds: NUL characters
 * (which jsonb refuses) are replaced, and a value JSON cannot express is kept as its description.
 */
function rejectedDataJson(data: unknown): string {
  try {
    const json = JSON.stringify(data, (_key, value: unknown) =>
      typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '\ufffd') : value,
    );
    return json ?? 'null';
  } catch (error) {
    return JSON.stringify({ unserializable: String(error) });
  }
}

async function insertRejects(tx: SqlExecutor, rows: PreparedReject[]): Promise<void> {
  await tx.query(
    `INSERT INTO rejected_records (tenant, type, source_connector, external_system, external_id, run_id, reasons, data)
     SELECT tenant, type, source_connector, external_system, external_id, run_id, reasons::jsonb, data::jsonb
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
       AS i (tenant, type, source_connector, external_system, external_id, run_id, reasons, data)`,
    [
      rows.map((r) => r.tenant),
      rows.map((r) => r.type),
      rows.map((r) => r.sourceConnector),
      rows.map((r) => r.externalSystem),
      rows.map((r) => r.externalId),
      rows.map((r) => r.runId),
      rows.map((r) => r.reasons),
      rows.map((r) => r.data),
    ],
  );
}

function prepareState(writes: StateWrite[]): { connectorId: string; key: string; value: string }[] {
  const byKey = new Map<string, { connectorId: string; key: string; value: string }>();
  writes.forEach((write, i) => {
    let value: string | undefined;
    try {
      value = JSON.stringify(write.value);
    } catch (error) {
      throw new InputError(`state ${write.connectorId}/${write.key}: value cannot be serialized as JSON`, [{ path: `/state/${i}/value`, message: String(error) }], {
        cause: error,
      });
    }
    byKey.set(write.connectorId + KEY_SEPARATOR + write.key, { connectorId: write.connectorId, key: write.key, value: value ?? 'null' });
  });
  return [...byKey.values()];
}

async function upsertState(tx: SqlExecutor, rows: { connectorId: string; key: string; value: string }[]): Promise<void> {
  await tx.query(
    `INSERT INTO sync_state (connector_id, key, value)
     SELECT connector_id, key, value::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS i (connector_id, key, value)
     ON CONFLICT (connector_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [rows.map((r) => r.connectorId), rows.map((r) => r.key), rows.map((r) => r.value)],
  );
}

function prepareLedger(entries: LedgerEntry[]): LedgerEntry[] {
  const byKey = new Map<string, LedgerEntry>();
  for (const entry of entries) byKey.set(entry.connectorId + KEY_SEPARATOR + entry.path + KEY_SEPARATOR + entry.checksum, entry);
  return [...byKey.values()];
}

async function upsertLedger(tx: SqlExecutor, rows: LedgerEntry[]): Promise<void> {
  await tx.query(
    `INSERT INTO file_ledger (connector_id, path, checksum, size, status, detail)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[])
     ON CONFLICT (connector_id, path, checksum) DO UPDATE
       SET size = EXCLUDED.size, status = EXCLUDED.status, detail = EXCLUDED.detail, recorded_at = now()`,
    [
      rows.map((r) => r.connectorId),
      rows.map((r) => r.path),
      rows.map((r) => r.checksum),
      rows.map((r) => r.size),
      rows.map((r) => r.status),
      rows.map((r) => r.detail ?? null),
    ],
  );
}

function keptHeaders(headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!SECRET_HEADERS.has(name.toLowerCase())) kept[name] = value;
  return kept;
}

// ---------------------------------------------------------------------------------------------
// Reading: rows, filters, pages.

const RECORD_COLUMNS = 'id, tenant, type, external_system, external_id, source_connector, data, hash, version, first_seen_at, updated_at';
const RUN_COLUMNS =
  'seq::text AS seq, id, connector_id, tenant, kind, job_id, trigger, attempt, status, started_at, finished_at, counts, error';

type Timestamp = Date | string;

interface RecordRow {
  id: string;
  tenant: string;
  type: string;
  external_system: string;
  external_id: string;
  source_connector: string;
  data: Record<string, unknown>;
  hash: string;
  version: number;
  first_seen_at: Timestamp;
  updated_at: Timestamp;
}

interface HistoryRow {
  record_id: string;
  version: number;
  hash: string;
  data: Record<string, unknown>;
  source_connector: string;
  recorded_at: Timestamp;
}

interface EventRow {
  seq: string;
  event_id: string;
  record_id: string;
  type: string;
  tenant: string;
  kind: 'created' | 'updated';
  version: number;
  external_system: string;
  external_id: string;
  source_connector: string;
}

interface RejectRow {
  seq: string;
  id: string;
  tenant: string;
  type: string;
  source_connector: string;
  external_system: string | null;
  external_id: string | null;
  run_id: string | null;
  reasons: string[];
  data: unknown;
  created_at: Timestamp;
}

interface LedgerRow {
  connector_id: string;
  path: string;
  checksum: string;
  size: number;
  status: 'processed' | 'quarantined';
  detail: string | null;
  recorded_at: Timestamp;
}

interface RunRow {
  seq: string;
  id: string;
  connector_id: string;
  tenant: string;
  kind: Run['kind'];
  job_id: string | null;
  trigger: string;
  attempt: number | null;
  status: RunStatus;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  counts: RunCounts;
  error: string | null;
  /** Selected for one run only. */
  coverage?: RunCoverage | null;
}

interface RawEventRow {
  id: string;
  connector_id: string;
  tenant: string;
  event_id: string;
  content_type: string;
  headers: Record<string, string>;
  body: string;
  received_at: Timestamp;
  processed_at: Timestamp | null;
}

interface AuditRow {
  seq: string;
  id: string;
  at: Timestamp;
  actor: string;
  action: string;
  tenant: string | null;
  target: string | null;
  detail: Record<string, unknown> | null;
}

function iso(value: Timestamp): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function toRecord(row: RecordRow): StoredRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    type: row.type,
    externalSystem: row.external_system,
    externalId: row.external_id,
    sourceConnector: row.source_connector,
    data: row.data,
    hash: row.hash,
    version: row.version,
    firstSeenAt: iso(row.first_seen_at),
    updatedAt: iso(row.updated_at),
  };
}

function toChange(row: EventRow): RecordChange {
  return {
    eventId: row.event_id,
    recordId: row.record_id,
    type: row.type,
    tenant: row.tenant,
    kind: row.kind,
    version: row.version,
    externalSystem: row.external_system,
    externalId: row.external_id,
    sourceConnector: row.source_connector,
  };
}

function toRun(row: RunRow): Run {
  const run: Run = {
    id: row.id,
    connectorId: row.connector_id,
    tenant: row.tenant,
    kind: row.kind,
    trigger: row.trigger,
    status: row.status,
    startedAt: iso(row.started_at),
    counts: row.counts,
  };
  if (row.job_id !== null) run.jobId = row.job_id;
  if (row.attempt !== null) run.attempt = row.attempt;
  if (row.finished_at !== null) run.finishedAt = iso(row.finished_at);
  if (row.error !== null) run.error = row.error;
  if (row.coverage) run.coverage = row.coverage;
  return run;
}

/** Collects WHERE clauses with numbered parameters. */
class Where {
  readonly params: unknown[] = [];
  private readonly clauses: string[] = [];

  add(clause: (placeholder: string) => string, value: unknown): void {
    this.params.push(value);
    this.clauses.push(clause(`$${this.params.length}`));
  }

  eq(column: string, value: string | undefined): void {
    if (value !== undefined) this.add((p) => `${column} = ${p}`, value);
  }

  /** `undefined` means no restriction; an empty list matches nothing (a token scoped to no tenant). */
  any(column: string, values: string[] | undefined): void {
    if (values !== undefined) this.add((p) => `${column} = ANY(${p}::text[])`, values);
  }

  sql(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

function recordFilters(query: Omit<RecordQuery, 'limit' | 'after'>): Where {
  const where = new Where();
  where.any('tenant', query.tenants);
  where.eq('tenant', query.tenant);
  where.eq('type', query.type);
  where.eq('external_system', query.externalSystem);
  where.eq('external_id', query.externalId);
  where.eq('source_connector', query.sourceConnector);
  return where;
}

function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new InputError(`limit must be a positive integer, got ${limit}`, [{ path: 'limit', message: 'must be a positive integer' }]);
  }
  return Math.min(limit, MAX_LIMIT);
}

/** Rows were fetched with one extra to learn whether another page follows. */
function page<R, T = R>(rows: R[], limit: number, cursorOf: (row: R) => string, map?: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const items = map ? kept.map(map) : (kept as unknown as T[]);
  return more ? { items, next: cursorOf(kept[kept.length - 1]!) } : { items };
}

type CursorKind = 'record' | 'reject' | 'run' | 'audit';

function encodeCursor(kind: CursorKind, position: string): string {
  return Buffer.from(`${kind}:${position}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, kind: CursorKind): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const prefix = `${kind}:`;
  const position = text.startsWith(prefix) ? text.slice(prefix.length) : '';
  const valid = kind === 'record' ? isUuid(position) : /^\d{1,19}$/.test(position);
  if (!valid) throw new InputError('after is not a cursor from this list', [{ path: 'after', message: `not a ${kind} cursor` }]);
  return position;
}
