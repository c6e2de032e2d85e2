import type { Logger } from 'pino';
import type { FileTransport } from '../../connectors/files/types.js';
import type { HttpClient } from '../../connectors/http/types.js';
import { FieldCoverageCounter } from '../model/field-paths.js';
import { naturalKey, refKey } from '../store/ids.js';
import { validateEntity, type EntityName } from '../model/index.js';
import { PermanentError } from '../errors.js';
import type { EmitResult, ExternalRef, PluginContext, TenantInfo, TenantScope } from '../sdk/types.js';
import type {
  CommitBatch,
  CommitResult,
  LedgerEntry,
  RecordInput,
  RejectedRecordInput,
  RunCounts,
  StateWrite,
  Store,
  StoredRecord,
} from '../store/types.js';

export interface PluginContextOptions {
  connectorId: string;
  tenant: TenantInfo;
  config: Record<string, unknown>;
  store: Store;
  log: Logger;
  signal: AbortSignal;
  http: HttpClient;
  files?: FileTransport;
  /** Staged records are committed when this many are waiting. @defaultValue 1000 */
  batchSize?: number;
  /**
   * Staged records are also committed when their list fields hold this many items in all (nested
   * lists included), so a few huge records are not held until a thousand have come: a 5,000-claim
   * 835 payment holds about 35,000 (claims, their lines and adjustments). @defaultValue 50,000
   */
  batchItems?: number;
  /**
   * Commits of this job that may run at once, each on its own database connection, when their
   * batches are independent (see `flush`). @defaultValue 2
   */
  concurrentCommits?: number;
  /** Called after each commit that changed something (the runtime fans changes out to routes). */
  onCommit?: (result: CommitResult) => Promise<void> | void;
  /**
   * Other tenants whose records routes bring to this connector (`'*'`: every tenant): it may keep
   * records about those records under their tenant (`ctx.forTenant`).
   */
  servesTenants?: readonly string[] | '*';
}

/** A plugin context plus what the runtime needs to read back after the job. */
export interface PluginContextHandle {
  context: PluginContext<any>;
  counts: RunCounts;
  /** Which canonical fields the records emitted so far filled (paths and counts, never values). */
  coverage: FieldCoverageCounter;
  /** Commits whatever is still staged. */
  flush(): Promise<void>;
}

export function emptyCounts(): RunCounts {
  return { created: 0, updated: 0, unchanged: 0, rejected: 0 };
}

/**
 * Builds the context one job's plugin hook runs with. Records, rejects, state and ledger entries are
 * staged and committed together, so a cursor or a file's ledger entry never lands without the
 * records it covers: a crash can repeat work but never skip it.
 */
export function createPluginContext(options: PluginContextOptions): PluginContextHandle {
  const { store, connectorId, tenant } = options;
  const batchSize = options.batchSize ?? 1000;
  const batchItems = options.batchItems ?? 50_000;
  const counts = emptyCounts();
  const coverage = new FieldCoverageCounter();
  const concurrentCommits = options.concurrentCommits ?? 2;
  let records: RecordInput[] = [];
  /** List items the staged records hold (see `batchItems`). */
  let stagedItems = 0;
  let rejects: RejectedRecordInput[] = [];
  let state = new Map<string, StateWrite>();
  let ledger: LedgerEntry[] = [];
  // Commits started and not yet landed, oldest first, and the first that failed.
  const pending: PendingCommit[] = [];
  let failure: { error: unknown } | undefined;

  const commit = async (batch: CommitBatch): Promise<void> => {
    if (failure) throw failure.error;
    let result: CommitResult;
    try {
      result = await store.commit(batch);
    } catch (error) {
      failure ??= { error };
      throw error;
    }
    counts.created += result.created;
    counts.updated += result.updated;
    counts.unchanged += result.unchanged;
    counts.rejected += result.rejected;
    if (result.changes.length && options.onCommit) await options.onCommit(result);
  };

  /** Whether the staged records should be committed now (see `batchSize` and `batchItems`). */
  const batchFull = (): boolean => records.length + rejects.length >= batchSize || stagedItems >= batchItems;

  /** Stages a record that failed, with its reasons, for a person to review. */
  const keepReject = (type: string, data: unknown, reasons: string[], ref: Partial<ExternalRef> | undefined, tenantId = tenant.id): void => {
    rejects.push({
      tenant: tenantId,
      type,
      sourceConnector: connectorId,
      externalSystem: typeof ref?.system === 'string' ? ref.system : undefined,
      externalId: typeof ref?.id === 'string' ? ref.id : undefined,
      reasons,
      data,
    });
  };

  /**
   * Commits what is staged now and resolves once it and every earlier commit have landed. Up to
   * `concurrentCommits` run at once (the database then works on one batch on each of two cores
   * while this process maps the next), but a batch waits for an earlier one when order matters:
   * when it carries state or ledger entries (a cursor never lands before the records it covers),
   * and when both write the same record (the later version must land last). Once a commit has
   * failed no other starts, and every flush that covers it rejects, after all have settled.
   */
  const flush = (): Promise<void> => {
    const earlier = pending.map((commit) => commit.landed);
    if (!records.length && !rejects.length && !state.size && !ledger.length) return allLanded(earlier);
    const batch: CommitBatch = { records, rejects, state: [...state.values()], ledger };
    const entry: PendingCommit = { keys: new Set(records.map((r) => naturalKey(r.tenant, r.type, r.externalSystem, r.externalId))), state, ledger, landed: Promise.resolve() };
    records = [];
    stagedItems = 0;
    rejects = [];
    state = new Map();
    ledger = [];

    const ordered = entry.state.size > 0 || entry.ledger.length > 0;
    const before = pending.filter((other, index) => ordered || index <= pending.length - concurrentCommits || overlaps(other.keys, entry.keys));
    const own = Promise.all(before.map((other) => other.landed)).then(() => commit(batch));
    entry.landed = own;
    pending.push(entry);
    // Settling also observes a failure: it is reported to whoever awaits this flush or a later one.
    const settle = () => {
      const index = pending.indexOf(entry);
      if (index >= 0) pending.splice(index, 1);
    };
    own.then(settle, settle);
    return allLanded([...earlier, own]);
  };

  /** A state value staged or on its way to the store, newest first, before the store's. */
  const unlandedState = (key: string): StateWrite | undefined => {
    const staged = state.get(key);
    if (staged) return staged;
    for (let i = pending.length - 1; i >= 0; i--) {
      const inFlight = pending[i]!.state.get(key);
      if (inFlight) return inFlight;
    }
    return undefined;
  };
  const unlandedLedger = (path: string, checksum: string): boolean =>
    [ledger, ...pending.map((commit) => commit.ledger)].some((entries) => entries.some((e) => e.path === path && e.checksum === checksum));

  async function emitFor(tenantId: string, type: EntityName, data: unknown, ref: ExternalRef): Promise<EmitResult> {
    if (options.signal.aborted) throw options.signal.reason ?? new Error('aborted');
    const reasons = checkRef(ref);
    const issues = validateEntity(type, data);
    for (const issue of issues) reasons.push(`${issue.path || '/'} ${issue.message}`);
    if (reasons.length) {
      keepReject(type, data, reasons, ref, tenantId);
    } else {
      records.push({
        tenant: tenantId,
        type,
        externalSystem: ref.system,
        externalId: ref.id,
        sourceConnector: connectorId,
        data: data as Record<string, unknown>,
      });
      // Valid records only: a rejected one is kept with its reasons instead.
      stagedItems += coverage.add(type, data);
    }
    if (batchFull()) await flush();
    return reasons.length ? { accepted: false, reasons } : { accepted: true };
  }

  const serves = (tenantId: string): boolean =>
    tenantId === tenant.id || options.servesTenants === '*' || (options.servesTenants?.includes(tenantId) ?? false);

  const context: PluginContext<any> = {
    connectorId,
    tenant,
    config: options.config,
    log: options.log,
    signal: options.signal,
    http: options.http,
    transports: { files: options.files },
    state: {
      async get<T>(key: string): Promise<T | undefined> {
        const unlanded = unlandedState(key);
        if (unlanded) return unlanded.value as T;
        return store.getState<T>(connectorId, key);
      },
      async getMany(keys: readonly string[]) {
        const found = new Map<string, unknown>();
        const unread: string[] = [];
        for (const key of keys) {
          const unlanded = unlandedState(key);
          if (unlanded) found.set(key, unlanded.value);
          else unread.push(key);
        }
        if (unread.length) for (const [key, value] of await store.getStates(connectorId, unread)) found.set(key, value);
        return found;
      },
      set(key: string, value: unknown) {
        state.set(key, { connectorId, key, value });
      },
    },
    ledger: {
      async seen(path: string, checksum: string) {
        if (unlandedLedger(path, checksum)) return true;
        return (await store.getLedgerEntry(connectorId, path, checksum)) !== undefined;
      },
      record(entry) {
        ledger.push({ connectorId, ...entry });
      },
    },
    emit: (type: EntityName, data: unknown, ref: ExternalRef) => emitFor(tenant.id, type, data, ref),
    async reject(type: string, data: unknown, reasons: string[], ref?: Partial<ExternalRef>) {
      keepReject(type, data, reasons, ref);
      if (batchFull()) await flush();
    },
    flush,
    count(name: string, by = 1) {
      counts[name] = (counts[name] ?? 0) + by;
    },
    records: {
      async get(id: string) {
        const record = await store.getRecord(id);
        return record && record.tenant === tenant.id ? record : undefined;
      },
      find(type: EntityName, ref: ExternalRef) {
        return store.findRecord({ tenant: tenant.id, type, externalSystem: ref.system, externalId: ref.id });
      },
      findMany: (type: EntityName, refs: readonly ExternalRef[]) => findManyRecords(store, tenant.id, type, refs),
    },
    forTenant(tenantId: string): TenantScope {
      if (!serves(tenantId)) {
        throw new PermanentError(
          `connector ${connectorId} keeps no records for tenant "${tenantId}": no route brings that tenant's records to it (routes[].tenants)`,
        );
      }
      return {
        tenant: tenantId,
        emit: (type: EntityName, data: unknown, ref: ExternalRef) => emitFor(tenantId, type, data, ref),
        find: (type: EntityName, ref: ExternalRef) => store.findRecord({ tenant: tenantId, type, externalSystem: ref.system, externalId: ref.id }),
        findMany: (type: EntityName, refs: readonly ExternalRef[]) => findManyRecords(store, tenantId, type, refs),
      } as TenantScope;
    },
  };

  return { context, counts, coverage, flush };
}

/**
 * `records.findMany`: one store query per external system among the refs (the store chunks long
 * id lists), keyed `<system>|<id>` since the same id may exist in two systems.
 */
async function findManyRecords(store: Store, tenantId: string, type: EntityName, refs: readonly ExternalRef[]): Promise<Map<string, StoredRecord>> {
  const idsBySystem = new Map<string, Set<string>>();
  for (const ref of refs) {
    // A malformed ref names no record; skipping it beats failing the whole lookup.
    if (typeof ref?.system !== 'string' || !ref.system || typeof ref.id !== 'string' || !ref.id) continue;
    let ids = idsBySystem.get(ref.system);
    if (!ids) idsBySystem.set(ref.system, (ids = new Set()));
    ids.add(ref.id);
  }
  const found = new Map<string, StoredRecord>();
  for (const [externalSystem, ids] of idsBySystem) {
    const records = await store.findRecords({ tenant: tenantId, type, externalSystem, externalIds: [...ids] });
    for (const record of records) found.set(refKey({ system: record.externalSystem, id: record.externalId }), record);
  }
  return found;
}

interface PendingCommit {
  keys: Set<string>;
  state: Map<string, StateWrite>;
  ledger: LedgerEntry[];
  landed: Promise<void>;
}

/** Waits for every commit to settle, then fails with the first failure among them, if any. */
async function allLanded(commits: Promise<void>[]): Promise<void> {
  const outcomes = await Promise.allSettled(commits);
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

function overlaps(a: Set<string>, b: Set<string>): boolean {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const key of small) if (large.has(key)) return true;
  return false;
}

function checkRef(ref: ExternalRef | undefined): string[] {
  const reasons: string[] = [];
  if (!ref || typeof ref.system !== 'string' || !ref.system) reasons.push('external id system is missing');
  if (!ref || typeof ref.id !== 'string' || !ref.id) reasons.push('external id is missing');
  return reasons;
}
