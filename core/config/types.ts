/**
 * The hub's configuration after loading: `${env:…}`/`${file:…}` substituted, defaults applied,
 * validated against the hub schema and each connector's plugin schema.
 */

export type Role = 'viewer' | 'operator' | 'admin';

export interface HubSettings {
  /** HTTP port; the PORT env var overrides. @defaultValue 8080 */
  port: number;
  /** @defaultValue '127.0.0.1'... overridden by HOST */
  host: string;
  /** Where PGlite and the private Redis keep their data; relative to the config file's folder's parent (the project). @defaultValue './data' */
  dataDir: string;
  /** @defaultValue 'info' */
  logLevel: string;
  /** Redis URL; REDIS_URL overrides. Absent: 127.0.0.1:6379 if it answers, else a private redis-server. */
  redisUrl?: string;
  /** postgres://… ; DATABASE_URL overrides. Absent: PGlite under dataDir. */
  databaseUrl?: string;
  /** Prefix of every BullMQ key. @defaultValue 'hub' */
  queuePrefix: string;
  /** Raw webhook bodies are kept this many days. @defaultValue 30 */
  rawEventRetentionDays: number;
  /** Default largest webhook body in bytes. @defaultValue 1048576 */
  maxWebhookBytes: number;
}

export interface TenantConfig {
  id: string;
  name: string;
  npi?: string;
  taxId?: string;
}

export interface ApiTokenConfig {
  /** Who it is, as written to the audit log. */
  name: string;
  /** The bearer token itself (a secret: use ${env:…} or ${file:…}). */
  token: string;
  role: Role;
  /** Tenant ids this token may see; `['*']` for all. */
  tenants: string[];
}

/**
 * Either an interval or a cron expression. `every` is `'30s'`, `'5m'`, `'1h'`, `'2d'`, `'500ms'` or a
 * number of milliseconds; read it with `parseDuration` from `core/config/schema.ts`. `cron` has 5
 * fields (6 with seconds first); `timezone` is an IANA zone, for cron only.
 */
export type ScheduleConfig =
  | { every: string | number; cron?: undefined; timezone?: undefined }
  | { cron: string; every?: undefined; timezone?: string };

export interface RetryConfig {
  /** Total attempts including the first. @defaultValue 5 */
  attempts: number;
  /** First backoff step, doubled each attempt, with jitter. @defaultValue 2000 */
  backoffMs: number;
}

export interface RateLimitConfig {
  /** At most `max` jobs per `perSeconds`. */
  max: number;
  perSeconds: number;
}

export interface LocalFilesTransportConfig {
  kind: 'local';
  /** Folder to watch/write; relative paths resolve against the config file's folder. */
  path: string;
  /** Sub-folder of path where processed files are moved; absent: files stay (the ledger prevents reprocessing). */
  archive?: string;
  /** Sub-folder of path where files that fail go, with a `.reason.txt` beside them; absent: they stay, recorded in the ledger. */
  quarantine?: string;
}

export interface SftpTransportConfig {
  kind: 'sftp';
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: string;
  /** Passphrase of an encrypted private key (a secret). */
  passphrase?: string;
  /** SHA256 host key fingerprint to pin (`SHA256:…`). */
  hostKey?: string;
  path: string;
  /** Idle timeout of one operation, ms. */
  timeoutMs?: number;
  /** Repeats after a connection-level failure. */
  retries?: number;
  archive?: string;
  quarantine?: string;
}

export type FilesTransportConfig = LocalFilesTransportConfig | SftpTransportConfig;

export interface HttpTransportConfig {
  baseUrl: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  retries?: number;
}

export interface WebhookSignatureConfig {
  /** Header carrying the signature, e.g. `x-signature`. */
  header: string;
  /** @defaultValue 'sha256' */
  algorithm: 'sha256' | 'sha1' | 'sha512';
  /** @defaultValue 'hex' */
  encoding: 'hex' | 'base64';
  /** Text before the digest in the header, e.g. `sha256=`. */
  prefix?: string;
  /** Header carrying a unix timestamp that is signed as `<timestamp>.<body>`; enables the tolerance check. */
  timestampHeader?: string;
  /** @defaultValue 300 */
  toleranceSeconds: number;
}

export interface WebhookConfig {
  /** Shared secret for the signature (a secret). */
  secret?: string;
  signature?: WebhookSignatureConfig;
  /** Header carrying the sender's event id (repeats are acknowledged once). */
  eventIdHeader?: string;
  /** Largest body in bytes; default hub.maxWebhookBytes. */
  maxBytes?: number;
}

export interface ConnectorConfig {
  id: string;
  tenant: string;
  /** Built-in plugin name, a path (`./plugins/x` relative to the config file), or an npm package name. */
  plugin: string;
  /** @defaultValue true */
  enabled: boolean;
  schedule?: ScheduleConfig;
  /** Jobs of this connector run at most this many at once, across every worker process. @defaultValue 1 */
  concurrency: number;
  rateLimit?: RateLimitConfig;
  retry: RetryConfig;
  /** A job is aborted after this long. @defaultValue 600 */
  timeoutSeconds: number;
  transport: {
    files?: FilesTransportConfig;
    http?: HttpTransportConfig;
  };
  webhook?: WebhookConfig;
  /** The plugin's own settings, validated against its schema. */
  config: Record<string, unknown>;
}

export interface RouteConfig {
  /** Canonical event names (`patient.created`, `claim.*`, `*.updated`). */
  on: string[];
  /** Only events of these tenants; absent: the target connector's own tenant only; `['*']`: every tenant. */
  tenants?: string[];
  /** Target connector id (its plugin must `consume` the entity). */
  to: string;
}

export interface HubConfig {
  /** Absolute path of the file it was loaded from (undefined when built in code). */
  sourceFile?: string;
  /** Folder that relative paths in the config resolve against. */
  baseDir: string;
  hub: HubSettings;
  tenants: TenantConfig[];
  tokens: ApiTokenConfig[];
  connectors: ConnectorConfig[];
  routes: RouteConfig[];
}
