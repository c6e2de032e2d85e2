import type { Logger } from 'pino';
import type { FileTransport } from '../../connectors/files/types.js';
import type { HttpClient } from '../../connectors/http/types.js';
import { FieldCoverageCounter } from '../model/field-paths.js';
import { validateEntity, type EntityName } from '../model/index.js';
import { PermanentError } from '../errors.js';
import type { EmitResult, ExternalRef, PluginContext, TenantInfo, TenantScope } from '../sdk/types.js';
import type {
  CommitResult,
  LedgerEntry,
  RecordInput,
  RejectedRecordInput,
  RunCounts,
  StateWrite,
  Store,
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
  const counts = emptyCounts();
  const coverage = new FieldCoverageCounter();
  let records: RecordInput[] = [];
  let rejects: RejectedRecordInput[] = [];
  let state = new Map<string, StateWrite>();
  let ledger: LedgerEntry[] = [];
  // One commit at a time: emit() may trigger a flush while the plugin awaits something else.
  let committing: Promise<void> = Promise.resolve();

  const commitStaged = async (): Promise<void> => {
    if (!records.length && !rejects.length && !state.size && !ledger.length) return;
    const batch = { records, rejects, state: [...state.values()], ledger };
    records = [];
    rejects = [];
    state = new Map();
    ledger = [];
    const result = await store.commit(batch);
    counts.created += result.created;
    counts.updated += result.updated;
    counts.unchanged += result.unchanged;
    counts.rejected += result.rejected;
    if (result.changes.length && options.onCommit) await options.onCommit(result);
  };

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

  const flush = (): Promise<void> => {
    committing = committing.then(commitStaged);
    return committing;
  };

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
      coverage.add(type, data);
    }
    if (records.length + rejects.length >= batchSize) await flush();
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
        const staged = state.get(key);
        if (staged) return staged.value as T;
        return store.getState<T>(connectorId, key);
      },
      set(key: string, value: unknown) {
        state.set(key, { connectorId, key, value });
      },
    },
    ledger: {
      async seen(path: string, checksum: string) {
        if (ledger.some((e) => e.path === path && e.checksum === checksum)) return true;
        return (await store.getLedgerEntry(connectorId, path, checksum)) !== undefined;
      },
      record(entry) {
        ledger.push({ connectorId, ...entry });
      },
    },
    emit: (type: EntityName, data: unknown, ref: ExternalRef) => emitFor(tenant.id, type, data, ref),
    async reject(type: string, data: unknown, reasons: string[], ref?: Partial<ExternalRef>) {
      keepReject(type, data, reasons, ref);
      if (records.length + rejects.length >= batchSize) await flush();
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
      } as TenantScope;
    },
  };

  return { context, counts, coverage, flush };
}

function checkRef(ref: ExternalRef | undefined): string[] {
  const reasons: string[] = [];
  if (!ref || typeof ref.system !== 'string' || !ref.system) reasons.push('external id system is missing');
  if (!ref || typeof ref.id !== 'string' || !ref.id) reasons.push('external id is missing');
  return reasons;
}
