import type { RunCoverage } from '../model/field-paths.js';

export type { EntityCoverage, RunCoverage } from '../model/field-paths.js';

/**
 * The store's contract. PostgreSQL (`pg`) and PGlite implement it with the same SQL and the same
 * migrations; nothing above this interface knows which one is in use.
 */

/** A canonical record as a plugin hands it to the store (after validation). */
export interface RecordInput {
  tenant: string;
  /** Canonical entity name, e.g. `Patient`. */
  type: string;
  /** The external system the id belongs to, e.g. `urn:riverside-ehr` or an identifier system URI. */
  externalSystem: string;
  externalId: string;
  /** The connector that produced it. */
  sourceConnector: string;
  data: Record<string, unknown>;
}

/** A stored record: the envelope plus its canonical data. */
export interface StoredRecord extends RecordInput {
  /** Stable hub id (uuid), the same across versions. */
  id: string;
  /** sha256 hex of the canonical JSON of `data` (keys sorted). */
  hash: string;
  /** 1 on creation, +1 on each change of content. */
  version: number;
  firstSeenAt: string;
  /** When the content last changed (an unchanged re-send writes nothing). */
  updatedAt: string;
}

export interface RecordVersion {
  recordId: string;
  version: number;
  hash: string;
  data: Record<string, unknown>;
  sourceConnector: string;
  recordedAt: string;
}

export type ChangeKind = 'created' | 'updated';

/** One change caused by a commit; also written to the event outbox in the same transaction. */
export interface RecordChange {
  eventId: string;
  recordId: string;
  type: string;
  tenant: string;
  kind: ChangeKind;
  version: number;
  externalSystem: string;
  externalId: string;
  sourceConnector: string;
}

/** A record that failed validation: kept with the reason for a person to review. */
export interface RejectedRecordInput {
  tenant: string;
  type: string;
  sourceConnector: string;
  externalSystem?: string;
  externalId?: string;
  runId?: string;
  /** Human-readable reasons, one per problem, naming the field. */
  reasons: string[];
  data: unknown;
}

export interface RejectedRecord extends RejectedRecordInput {
  id: string;
  createdAt: string;
}

/** Durable per-connector state (cursors and the like), committed with the records it covers. */
export interface StateWrite {
  connectorId: string;
  key: string;
  value: unknown;
}

export type LedgerStatus = 'processed' | 'quarantined';

/** One inbound file as the ledger knows it: processed once, even when listed again. */
export interface LedgerEntry {
  connectorId: string;
  path: string;
  size: number;
  /** sha256 hex of the file's bytes. */
  checksum: string;
  status: LedgerStatus;
  detail?: string;
}

export interface StoredLedgerEntry extends LedgerEntry {
  recordedAt: string;
}

/** Everything one commit writes, in one transaction. */
export interface CommitBatch {
  records?: RecordInput[];
  rejects?: RejectedRecordInput[];
  state?: StateWrite[];
  ledger?: LedgerEntry[];
}

export interface CommitResult {
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  changes: RecordChange[];
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` to get the next page; absent on the last page. */
  next?: string;
}

export interface RecordQuery {
  /** Only these tenants (a token's scope); undefined means all. */
  tenants?: string[];
  tenant?: string;
  type?: string;
  externalSystem?: string;
  externalId?: string;
  sourceConnector?: string;
  limit?: number;
  after?: string;
}

export type RunStatus = 'running' | 'succeeded' | 'failed';
export type JobKind = 'sync' | 'deliver' | 'webhook' | 'file';

export interface RunCounts {
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** Plugin-specific extra counters (files, pages, deliveries...). */
  [key: string]: number;
}

export interface RunStart {
  id: string;
  connectorId: string;
  tenant: string;
  kind: JobKind;
  jobId?: string;
  trigger: string;
  attempt?: number;
}

export interface Run extends RunStart {
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  counts: RunCounts;
  error?: string;
  /**
   * Mapping coverage: per entity, records emitted and how many filled each canonical field path
   * (paths and counts only). Present on one run (`getRun`, `finishRun`) that emitted records; left
   * out of lists, which a console polls.
   */
  coverage?: RunCoverage;
}

export interface RunResult {
  status: Exclude<RunStatus, 'running'>;
  counts: RunCounts;
  error?: string;
  /** Coverage of the records the run emitted; absent when it emitted none. */
  coverage?: RunCoverage;
}

/** One run's coverage, for summaries over a connector's latest runs. */
export interface RunCoverageEntry {
  runId: string;
  tenant: string;
  finishedAt: string;
  coverage: RunCoverage;
}

export interface RunQuery {
  tenants?: string[];
  connectorId?: string;
  status?: RunStatus;
  limit?: number;
  after?: string;
}

export interface RawEventInput {
  connectorId: string;
  tenant: string;
  /** The sender's event id when it gives one, else a hash of the body. */
  eventId: string;
  contentType: string;
  /** Headers worth keeping for replay (never Authorization). */
  headers: Record<string, string>;
  body: string;
}

export interface RawEvent extends RawEventInput {
  id: string;
  receivedAt: string;
  /** When a webhook job finished processing it; absent until then. */
  processedAt?: string;
}

export interface AuditEntryInput {
  /** Token name, `cli`, or `system`. */
  actor: string;
  action: string;
  tenant?: string;
  target?: string;
  detail?: Record<string, unknown>;
}

export interface AuditEntry extends AuditEntryInput {
  id: string;
  at: string;
}

/** An outbox row: a change not yet fanned out to routes. */
export interface PendingEvent extends RecordChange {
  seq: string;
}

export interface Store {
  readonly kind: 'postgres' | 'pglite';
  /** Where it is, for the start-up log (no password). */
  readonly description: string;

  /** Applies pending migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;

  /**
   * Writes records (idempotent upsert by tenant+type+externalSystem+externalId with a content
   * hash), rejects, state and ledger entries in ONE transaction. Unchanged content writes nothing
   * and yields no change. Each change is also appended to the event outbox.
   */
  commit(batch: CommitBatch): Promise<CommitResult>;

  getRecord(id: string): Promise<StoredRecord | undefined>;
  getRecords(ids: string[]): Promise<StoredRecord[]>;
  findRecord(key: { tenant: string; type: string; externalSystem: string; externalId: string }): Promise<StoredRecord | undefined>;
  /**
   * The records of one tenant, type and external system among `externalIds`, in no particular
   * order; ids with no record are simply absent. Long lists are asked in chunks of 1,000 ids.
   */
  findRecords(key: { tenant: string; type: string; externalSystem: string; externalIds: readonly string[] }): Promise<StoredRecord[]>;
  listRecords(query: RecordQuery): Promise<Page<StoredRecord>>;
  countRecords(query: Omit<RecordQuery, 'limit' | 'after'>): Promise<number>;
  recordHistory(id: string): Promise<RecordVersion[]>;
  listRejects(query: { tenants?: string[]; sourceConnector?: string; limit?: number; after?: string }): Promise<Page<RejectedRecord>>;

  getState<T = unknown>(connectorId: string, key: string): Promise<T | undefined>;
  /** The values of those of `keys` that are set, by key; long lists are asked in chunks of 1,000. */
  getStates(connectorId: string, keys: readonly string[]): Promise<Map<string, unknown>>;
  /** State outside of a record commit (e.g. a reset by an operator). */
  setState(write: StateWrite): Promise<void>;
  getLedgerEntry(connectorId: string, path: string, checksum: string): Promise<StoredLedgerEntry | undefined>;

  startRun(run: RunStart): Promise<void>;
  /** Records how a run ended and returns it as stored. */
  finishRun(id: string, result: RunResult): Promise<Run>;
  getRun(id: string): Promise<Run | undefined>;
  listRuns(query: RunQuery): Promise<Page<Run>>;
  /** Latest finished run per connector, for status views. */
  lastRuns(connectorIds: string[]): Promise<Map<string, Run>>;
  /** Coverage of a connector's latest `limit` finished runs that emitted records, newest first. */
  runCoverage(query: { connectorId: string; tenants?: string[]; limit: number }): Promise<RunCoverageEntry[]>;

  /** Keeps an inbound webhook body. `duplicate` is true when (connectorId, eventId) was already kept. */
  saveRawEvent(event: RawEventInput): Promise<{ id: string; duplicate: boolean }>;
  getRawEvent(connectorId: string, eventId: string): Promise<RawEvent | undefined>;
  /** Marks an event processed, so a later repeat from its sender is acknowledged without running again. */
  markRawEventProcessed(connectorId: string, eventId: string): Promise<void>;
  /** Deletes raw events older than the cutoff; returns how many went. */
  pruneRawEvents(olderThan: Date): Promise<number>;

  /** Takes up to `limit` undispatched outbox events, oldest first. */
  pendingEvents(limit: number): Promise<PendingEvent[]>;
  markEventsDispatched(seqs: string[]): Promise<void>;
  /** Deletes outbox rows dispatched before the cutoff (record history keeps the versions); returns how many went. */
  pruneDispatchedEvents(olderThan: Date): Promise<number>;

  audit(entry: AuditEntryInput): Promise<void>;
  listAudit(query: { tenants?: string[]; actor?: string; limit?: number; after?: string }): Promise<Page<AuditEntry>>;

  close(): Promise<void>;
}
