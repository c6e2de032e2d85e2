/**
 * The plugin test kit: runs a plugin's sync, webhook or deliver hook exactly as a worker would
 * (same context, same validation, same batched commits) against a throwaway in-memory store, with
 * no Redis and no network. Pair it with msw for HTTP APIs and a temp folder for files.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createHttpClient } from '../../connectors/http/client.js';
import { createLocalFolderTransport } from '../../connectors/files/local-folder.js';
import type { HttpClientOptions } from '../../connectors/http/types.js';
import type { FileTransport } from '../../connectors/files/types.js';
import type { ConnectorConfig } from '../config/types.js';
import { createLogger } from '../logging.js';
import { executeJob, type ConnectorRuntime } from '../runtime/execute-job.js';
import { validatePluginConfig } from '../runtime/plugin-config.js';
import { openStore } from '../store/index.js';
import type { RejectedRecord, Run, RunCounts, Store, StoredRecord } from '../store/types.js';
import type { PluginDefinition, TenantInfo } from './types.js';
import type { EntityName } from '../model/index.js';

export interface PluginHarnessOptions {
  config: Record<string, unknown>;
  connectorId?: string;
  tenant?: TenantInfo | string;
  /** A folder served as the connector's files transport, optionally with archive/quarantine sub-folders. */
  files?: string | { path: string; archive?: string; quarantine?: string };
  /** Any other files transport (e.g. SFTP against a test server); wins over `files`. */
  filesTransport?: FileTransport;
  http?: HttpClientOptions;
  timeoutSeconds?: number;
  /** Use this store instead of a fresh in-memory one. */
  store?: Store;
  /** Tenants whose records routes would bring to this connector (`'*'`: all), as `routes[].tenants` sets them. */
  servesTenants?: readonly string[] | '*';
}

export interface PluginRunResult {
  run: Run;
  counts: RunCounts;
  /** The error the job failed with, if it did (the kit does not throw, like a worker). */
  error?: unknown;
  /** All records of this connector in the store after the run. */
  records: StoredRecord[];
  rejects: RejectedRecord[];
}

export interface PluginHarness {
  store: Store;
  connectorId: string;
  sync(options?: { full?: boolean }): Promise<PluginRunResult>;
  /** A `file` job: the plugin's sync narrowed to one inbound file. */
  file(path: string, options?: { full?: boolean }): Promise<PluginRunResult>;
  webhook(body: unknown, options?: { eventId?: string; headers?: Record<string, string> }): Promise<PluginRunResult>;
  /**
   * Stores the given canonical records (as if another connector produced them, under `tenant` or
   * the connector's own), then delivers them.
   */
  deliver(records: { type: EntityName; data: Record<string, unknown>; ref: { system: string; id: string }; tenant?: string }[]): Promise<PluginRunResult>;
  state<T = unknown>(key: string): Promise<T | undefined>;
  /** Captured log lines (JSON objects), to check what a plugin logs. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function createPluginHarness(plugin: PluginDefinition, options: PluginHarnessOptions): Promise<PluginHarness> {
  const connectorId = options.connectorId ?? `${plugin.name}-test`;
  const tenant: TenantInfo =
    typeof options.tenant === 'object' ? options.tenant : { id: options.tenant ?? 'test-practice', name: 'Test Practice' };
  const files = typeof options.files === 'string' ? { path: options.files } : options.files;
  const config = validatePluginConfig(plugin, options.config, `connector ${connectorId}`);
  const connectorConfig: ConnectorConfig = {
    id: connectorId,
    tenant: tenant.id,
    plugin: plugin.name,
    enabled: true,
    concurrency: 1,
    retry: { attempts: 1, backoffMs: 0 },
    timeoutSeconds: options.timeoutSeconds ?? 60,
    transport: files ? { files: { kind: 'local', ...files } } : {},
    config,
  };
  const ownStore = !options.store;
  const store = options.store ?? (await openStore({}));
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    pretty: false,
    destination: new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
        done();
      },
    }),
  });
  const runtime: ConnectorRuntime = {
    config: connectorConfig,
    plugin,
    tenant,
    servesTenants: options.servesTenants,
    files:
      options.filesTransport ??
      (files ? createLocalFolderTransport({ root: files.path, archiveFolder: files.archive, quarantineFolder: files.quarantine }) : undefined),
    http: createHttpClient({ retries: 2, backoffMs: 10, ...options.http }),
  };
  let attempt = 0;

  const collect = async (run: Run, error: unknown): Promise<PluginRunResult> => {
    const records = await listAll((after) => store.listRecords({ sourceConnector: connectorId, limit: 500, after }));
    const rejects = await listAll((after) => store.listRejects({ sourceConnector: connectorId, limit: 500, after }));
    return { run, counts: run.counts, error, records, rejects };
  };
  const exec = async (data: Parameters<typeof executeJob>[2]) => {
    const { run, error } = await executeJob({ store, logger }, runtime, data, { jobId: `test-${++attempt}`, attempt: 1 });
    return collect(run, error);
  };

  return {
    store,
    connectorId,
    logs,
    sync: (opts) => exec({ kind: 'sync', connectorId, tenant: tenant.id, trigger: 'manual', full: opts?.full }),
    file: (path, opts) => exec({ kind: 'file', connectorId, tenant: tenant.id, trigger: 'file', path, full: opts?.full }),
    async webhook(body, opts) {
      const eventId = opts?.eventId ?? randomUUID();
      await store.saveRawEvent({
        connectorId,
        tenant: tenant.id,
        eventId,
        contentType: 'application/json',
        headers: opts?.headers ?? {},
        body: JSON.stringify(body),
      });
      return exec({ kind: 'webhook', connectorId, tenant: tenant.id, trigger: 'webhook', eventId });
    },
    async deliver(records) {
      const inputs = records.map((r) => ({
        tenant: r.tenant ?? tenant.id,
        type: r.type,
        externalSystem: r.ref.system,
        externalId: r.ref.id,
        sourceConnector: 'test-source',
        data: r.data,
      }));
      await store.commit({ records: inputs });
      // Delivered again when unchanged too: a route may repeat a delivery (at least once).
      const ids: string[] = [];
      for (const input of inputs) {
        const stored = await store.findRecord(input);
        if (stored) ids.push(stored.id);
      }
      return exec({ kind: 'deliver', connectorId, tenant: tenant.id, trigger: 'route', recordIds: ids });
    },
    state: (key) => store.getState(connectorId, key),
    async close() {
      if (ownStore) await store.close();
    },
  };
}

/** One sync of a plugin on a fresh store; `rerun` syncs again on the same store. */
export async function runPluginSync(
  plugin: PluginDefinition,
  options: PluginHarnessOptions & { full?: boolean },
): Promise<PluginRunResult & { harness: PluginHarness; rerun(options?: { full?: boolean }): Promise<PluginRunResult> }> {
  const harness = await createPluginHarness(plugin, options);
  const result = await harness.sync({ full: options.full });
  return { ...result, harness, rerun: (opts) => harness.sync(opts) };
}

/** One webhook event through a plugin on a fresh store. */
export async function runPluginWebhook(
  plugin: PluginDefinition,
  options: PluginHarnessOptions & { body: unknown; eventId?: string; headers?: Record<string, string> },
): Promise<PluginRunResult & { harness: PluginHarness }> {
  const harness = await createPluginHarness(plugin, options);
  const result = await harness.webhook(options.body, { eventId: options.eventId, headers: options.headers });
  return { ...result, harness };
}

async function listAll<T>(page: (after?: string) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const all: T[] = [];
  let after: string | undefined;
  do {
    const result = await page(after);
    all.push(...result.items);
    after = result.next;
  } while (after);
  return all;
}
