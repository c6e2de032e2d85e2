import type { Static, TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { FileTransport } from '../../connectors/files/types.js';
import type { HttpClient } from '../../connectors/http/types.js';
import type { EntityData, EntityName } from '../model/index.js';
import type { StoredRecord } from '../store/types.js';

/** A practice (or the MSO itself) as configured in YAML. */
export interface TenantInfo {
  id: string;
  name: string;
  npi?: string;
  taxId?: string;
}

/** Where an emitted record comes from: its id in the external system. */
export interface ExternalRef {
  /** The id's namespace: an identifier system URI, or a short name such as `riverside-ehr`. */
  system: string;
  id: string;
}

/** Durable key/value state for one connector (cursors, watermarks). */
export interface PluginState {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /**
   * Reads many keys at once (staged and still-committing values first, then one store query per
   * 1,000 keys) rather than a round trip per `get`; a key with no value is absent from the map.
   */
  getMany(keys: readonly string[]): Promise<Map<string, unknown>>;
  /**
   * Stages a value that is committed in the same transaction as the next flush of emitted records,
   * so a cursor never runs ahead of the records it covers. Set it after emitting those records.
   */
  set(key: string, value: unknown): void;
}

/** The inbound-file ledger: each file is processed once, even when a folder lists it again. */
export interface FileLedger {
  /** True when this exact file (path + checksum) was already processed or quarantined. */
  seen(path: string, checksum: string): Promise<boolean>;
  /** Stages the file's entry; committed with the next flush (with the records read from it). */
  record(entry: { path: string; size: number; checksum: string; status: 'processed' | 'quarantined'; detail?: string }): void;
}

export interface EmitResult {
  /** False when the record failed its schema: it was kept with the reasons for review, not stored. */
  accepted: boolean;
  reasons?: string[];
}

/** What every plugin hook receives. */
export interface PluginContext<C = Record<string, unknown>> {
  connectorId: string;
  tenant: TenantInfo;
  /** The connector's `config:` block, validated against the plugin's schema. */
  config: C;
  /** A child logger tagged with connector, plugin, job and run. Never log payloads or PHI. */
  log: Logger;
  /** Aborted when the job times out or the worker shuts down. Pass it to I/O. */
  signal: AbortSignal;
  state: PluginState;
  ledger: FileLedger;
  /**
   * Validates one canonical record and stages it for a batched upsert. A record that fails its
   * schema is rejected (kept with the reasons) and the rest of the batch still lands.
   */
  emit<N extends EntityName>(type: N, data: EntityData<N>, ref: ExternalRef): Promise<EmitResult>;
  /**
   * Keeps a source row that could not even be mapped (a conversion failed, a line was not JSON),
   * with reasons naming the field or line, for a person to review. The rest of the batch still lands.
   */
  reject(type: string, data: unknown, reasons: string[], ref?: Partial<ExternalRef>): Promise<void>;
  /** Commits staged records, state and ledger entries in one transaction. Called for you at the end of a job. */
  flush(): Promise<void>;
  /** Adds to this run's counters (shown in run summaries). */
  count(name: string, by?: number): void;
  /** Transports configured from the connector's `transport:` block. */
  transports: {
    files?: FileTransport;
  };
  /** An HTTP client with timeouts and retries (429/5xx honouring Retry-After). */
  http: HttpClient;
  /**
   * Reads records already in the store (for this tenant only). Records staged or still committing
   * are not seen: `await ctx.flush()` first when a lookup needs what this job emitted.
   */
  records: {
    get(id: string): Promise<StoredRecord | undefined>;
    find(type: EntityName, ref: ExternalRef): Promise<StoredRecord | undefined>;
    /**
     * Finds many records of one type at once (one query per external system, in chunks of 1,000
     * ids) rather than a round trip per `find`. The map is keyed `refKey(ref)`, `<system>|<id>`
     * (refs may span systems, so the id alone could collide); a ref with no record is absent.
     */
    findMany(type: EntityName, refs: readonly ExternalRef[]): Promise<Map<string, StoredRecord>>;
  };
  /**
   * Emits and finds records under another tenant, one whose records routes bring to this connector
   * (`routes[].tenants`). An MSO-wide clearinghouse keeps each practice's claim lifecycle under the
   * practice, so the practice's own token sees it. Throws a PermanentError for any other tenant.
   */
  forTenant(tenantId: string): TenantScope;
}

/** Emit and find for one tenant the connector serves (see `PluginContext.forTenant`). */
export interface TenantScope {
  tenant: string;
  emit<N extends EntityName>(type: N, data: EntityData<N>, ref: ExternalRef): Promise<EmitResult>;
  find(type: EntityName, ref: ExternalRef): Promise<StoredRecord | undefined>;
  /** As `ctx.records.findMany`, under this tenant. */
  findMany(type: EntityName, refs: readonly ExternalRef[]): Promise<Map<string, StoredRecord>>;
}

export interface SyncOptions {
  /** A full resync was asked for (first run, or an operator's request); ignore cursors. */
  full: boolean;
  /** A `file` job: process just this inbound file (path relative to the files transport). */
  path?: string;
}

/** An inbound webhook, after size, content-type and signature checks. */
export interface WebhookEvent {
  eventId: string;
  receivedAt: string;
  contentType: string;
  headers: Record<string, string>;
  /** Parsed JSON body. */
  body: unknown;
}

export interface WebhookRequestView {
  headers: Record<string, string>;
  rawBody: string;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

export interface PluginWebhook<C> {
  /**
   * Checks the sender's signature. When absent, the hub's generic HMAC check from the connector's
   * `webhook.signature` YAML applies (if configured).
   */
  verify?(request: WebhookRequestView, options: { secret: string | undefined; config: C }): VerifyResult;
  /** JSON Schema the parsed body must satisfy; failures answer 400 with the reasons. */
  bodySchema?: TSchema;
  /** The sender's event id, used to acknowledge repeats once; default: a hash of the body. */
  eventId?(request: WebhookRequestView, body: unknown): string | undefined;
  /**
   * Accept a POST with no body at all (the body is then `null`), as a FHIR R4 rest-hook
   * subscription without a payload sends. Otherwise an empty body is refused with 400.
   */
  acceptsEmptyBody?: boolean;
  handle(ctx: PluginContext<C>, event: WebhookEvent): Promise<void>;
}

export interface PluginDefinition<S extends TSchema = TSchema> {
  /** Unique name used in YAML `plugin:`. */
  name: string;
  version: string;
  description?: string;
  /**
   * JSON Schema of the connector's `config:` block. Mark secret fields with `'x-secret': true`
   * (e.g. `Type.String({ 'x-secret': true })`) so they are redacted from logs, errors and the API.
   */
  config: S;
  /** Canonical entities this plugin emits. */
  produces: EntityName[];
  /** Canonical entities this plugin can deliver (routes may only target these). */
  consumes: EntityName[];
  /** Checks the config beyond its schema (cross-field rules); throw ConfigurationError. */
  checkConfig?(config: Static<S>): void;
  /** Pulls from the external system. */
  sync?(ctx: PluginContext<Static<S>>, options: SyncOptions): Promise<void>;
  /** Pushes canonical records to the external system. Must be idempotent: it is at-least-once. */
  deliver?(ctx: PluginContext<Static<S>>, records: StoredRecord[]): Promise<void>;
  webhook?: PluginWebhook<Static<S>>;
}
