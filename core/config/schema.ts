/**
 * The hub's configuration file as JSON Schema (TypeBox), the single source the loader validates
 * against. Defaults live here as `default:` keywords (applied by ajv `useDefaults`), secret fields
 * carry `'x-secret': true`, and syntax that JSON Schema cannot express readably (durations, cron,
 * time zones, event names) is named with `'x-check'`, whose checks live in `formatChecks` below.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type {
  ConnectorConfig,
  FilesTransportConfig,
  HubConfig,
  ScheduleConfig,
} from './types.js';

export const ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
const ID_HINT = "must be a lowercase id: letters a-z, digits and '-', starting with a letter or digit, at most 63 characters";

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const Id = (description: string) => Type.String({ pattern: ID_PATTERN, 'x-hint': ID_HINT, description });

const Text = (description: string) => Type.String({ minLength: 1, description });

/** A secret: redacted from logs, errors and API answers; should come from `${env:…}` or `${file:…}`. */
const Secret = (description: string, options: Record<string, unknown> = {}) =>
  Type.String({ minLength: 1, 'x-secret': true, description, ...options });

// Strings an operator writes by hand must not be silently accepted as something else, so every
// object rejects unknown keys: a typo (`shedule:`) is an error, not a connector without a schedule.
const strict = { additionalProperties: false } as const;

export const HubSettingsSchema = Type.Object(
  {
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 8080, description: 'HTTP port; PORT overrides.' }),
    host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Interface to listen on; HOST overrides.' }),
    dataDir: Type.String({ minLength: 1, default: './data', description: 'Where PGlite and the private Redis keep their data.' }),
    logLevel: Type.Unsafe<string>({ type: 'string', enum: [...LOG_LEVELS], default: 'info', description: 'LOG_LEVEL overrides.' }),
    redisUrl: Type.Optional(
      Secret('Redis URL (may hold a password); REDIS_URL overrides.', {
        pattern: '^rediss?://',
        'x-hint': 'must be a redis:// or rediss:// URL',
      }),
    ),
    databaseUrl: Type.Optional(
      Secret('PostgreSQL URL (may hold a password); DATABASE_URL overrides.', {
        pattern: '^postgres(ql)?://',
        'x-hint': 'must be a postgres:// or postgresql:// URL',
      }),
    ),
    queuePrefix: Type.String({
      pattern: '^[A-Za-z0-9_.-]+$',
      'x-hint': "must use only letters, digits, '_', '.' and '-'",
      default: 'hub',
      description: 'Prefix of every BullMQ key.',
    }),
    rawEventRetentionDays: Type.Integer({ minimum: 1, default: 30 }),
    maxWebhookBytes: Type.Integer({ minimum: 1, default: 1_048_576 }),
  },
  { ...strict, default: {} },
);

export const TenantSchema = Type.Object(
  {
    id: Id('Tenant (practice) id, used in connectors, routes and tokens.'),
    name: Text('Display name.'),
    npi: Type.Optional(Type.String({ pattern: '^[0-9]{10}$', 'x-hint': 'must be a 10-digit NPI', description: 'Organization NPI.' })),
    taxId: Type.Optional(Type.String({ pattern: '^[0-9]{2}-?[0-9]{7}$', 'x-hint': 'must be a 9-digit EIN (12-3456789)' })),
  },
  strict,
);

export const ApiTokenSchema = Type.Object(
  {
    name: Text('Who it is, as written to the audit log.'),
    // A bearer token short enough to guess is no protection for PHI.
    token: Secret('The bearer token.', { minLength: 16, pattern: '^\\S+$', 'x-hint': 'must not contain spaces' }),
    role: Type.Unsafe<'viewer' | 'operator' | 'admin'>({ type: 'string', enum: ['viewer', 'operator', 'admin'] }),
    tenants: Type.Array(
      Type.String({ pattern: '^(\\*|[a-z0-9][a-z0-9-]{0,62})$', 'x-hint': "must be a tenant id or '*'" }),
      { minItems: 1, description: "Tenant ids this token may see; ['*'] for all." },
    ),
  },
  strict,
);

/**
 * One object rather than a union of `{every}` and `{cron}`: a union makes ajv report every
 * branch's complaints, which reads as nonsense to a person; the `schedule` check says it plainly.
 */
export const ScheduleSchema = Type.Unsafe<ScheduleConfig>(
  Type.Object(
    {
      every: Type.Optional(
        Type.Unsafe<string | number>({
          type: ['string', 'integer'],
          'x-check': 'duration',
          description: "'30s', '5m', '1h', '2d' or a number of milliseconds.",
        }),
      ),
      cron: Type.Optional(Type.String({ 'x-check': 'cron', description: 'Cron expression, 5 fields or 6 with seconds.' })),
      timezone: Type.Optional(Type.String({ 'x-check': 'timezone', description: 'IANA time zone for cron, e.g. America/Chicago.' })),
    },
    { ...strict, 'x-check': 'schedule' },
  ),
);

export const RetrySchema = Type.Object(
  {
    attempts: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
    backoffMs: Type.Integer({ minimum: 0, default: 2000 }),
  },
  { ...strict, default: {} },
);

export const RateLimitSchema = Type.Object(
  {
    max: Type.Integer({ minimum: 1 }),
    perSeconds: Type.Number({ exclusiveMinimum: 0 }),
  },
  strict,
);

const fileFolders = {
  archive: Type.Optional(Text('Where processed files are moved.')),
  quarantine: Type.Optional(Text('Where failed files go, with a .reason.txt beside them.')),
};

export const LocalFilesTransportSchema = Type.Object(
  {
    kind: Type.Literal('local'),
    path: Text('Folder; relative paths resolve against the config file folder.'),
    ...fileFolders,
  },
  strict,
);

export const SftpTransportSchema = Type.Object(
  {
    kind: Type.Literal('sftp'),
    host: Text('SFTP server host name.'),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 22 }),
    username: Text('Login name.'),
    password: Type.Optional(Secret('Password.')),
    privateKey: Type.Optional(Secret('PEM private key (use ${file:…}).')),
    passphrase: Type.Optional(Secret('Passphrase of an encrypted private key.')),
    hostKey: Type.Optional(Type.String({ pattern: '^SHA256:', 'x-hint': "must be a SHA256 fingerprint ('SHA256:…')" })),
    path: Text('Remote folder.'),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 86_400_000, description: 'An operation fails when the server stays silent this long (ms); default 30000.' }),
    ),
    retries: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 100, description: 'Repeats after a dropped, refused or timed-out connection (never after a refusal such as a missing file); default 3.' }),
    ),
    ...fileFolders,
  },
  strict,
);

// A discriminated oneOf: ajv then checks only the branch `kind` names, so a person sees the
// problems of the transport they meant, and defaults (sftp port 22) are applied.
export const FilesTransportSchema = Type.Unsafe<FilesTransportConfig>({
  type: 'object',
  discriminator: { propertyName: 'kind' },
  oneOf: [LocalFilesTransportSchema, SftpTransportSchema],
});

export const HttpTransportSchema = Type.Object(
  {
    baseUrl: Type.String({ pattern: '^https?://', 'x-hint': 'must be an http:// or https:// URL' }),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    retries: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  strict,
);

export const WebhookSignatureSchema = Type.Object(
  {
    header: Text('Header carrying the signature.'),
    algorithm: Type.Unsafe<'sha256' | 'sha1' | 'sha512'>({ type: 'string', enum: ['sha256', 'sha1', 'sha512'], default: 'sha256' }),
    encoding: Type.Unsafe<'hex' | 'base64'>({ type: 'string', enum: ['hex', 'base64'], default: 'hex' }),
    prefix: Type.Optional(Type.String()),
    timestampHeader: Type.Optional(Text('Header carrying the signed unix timestamp.')),
    toleranceSeconds: Type.Integer({ minimum: 1, default: 300 }),
  },
  strict,
);

export const WebhookSchema = Type.Object(
  {
    secret: Type.Optional(Secret('Shared secret for the signature.')),
    signature: Type.Optional(WebhookSignatureSchema),
    eventIdHeader: Type.Optional(Text("Header carrying the sender's event id.")),
    maxBytes: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  strict,
);

export const ConnectorSchema = Type.Object(
  {
    id: Id('Connector id, used in routes, the API and the CLI.'),
    tenant: Id('Tenant this connector works for.'),
    plugin: Text('Built-in plugin name, ./path relative to the config file, or npm package.'),
    enabled: Type.Boolean({ default: true }),
    schedule: Type.Optional(ScheduleSchema),
    concurrency: Type.Integer({ minimum: 1, default: 1 }),
    rateLimit: Type.Optional(RateLimitSchema),
    retry: RetrySchema,
    timeoutSeconds: Type.Integer({ minimum: 1, default: 600 }),
    transport: Type.Object(
      {
        files: Type.Optional(FilesTransportSchema),
        http: Type.Optional(HttpTransportSchema),
      },
      { ...strict, default: {} },
    ),
    webhook: Type.Optional(WebhookSchema),
    // Left open here: the plugin's own schema validates it in a second pass.
    config: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
  },
  strict,
);

export const RouteSchema = Type.Object(
  {
    on: Type.Array(Type.String({ 'x-check': 'event' }), {
      minItems: 1,
      description: "Canonical events: 'claim.created', 'patient.*', '*.updated' or '*'.",
    }),
    tenants: Type.Optional(
      Type.Array(Type.String({ pattern: '^(\\*|[a-z0-9][a-z0-9-]{0,62})$', 'x-hint': "must be a tenant id or '*'" }), {
        minItems: 1,
        description: "Whose records the route carries; absent: only the target connector's own tenant (PHI never crosses practices by default); ['*'] for every tenant.",
      }),
    ),
    to: Id('Target connector id.'),
  },
  strict,
);

/** The YAML document: a HubConfig without the fields the loader adds (sourceFile, baseDir). */
export const HubConfigSchema = Type.Object(
  {
    hub: HubSettingsSchema,
    tenants: Type.Array(TenantSchema, { default: [] }),
    tokens: Type.Array(ApiTokenSchema, { default: [] }),
    connectors: Type.Array(ConnectorSchema, { default: [] }),
    routes: Type.Array(RouteSchema, { default: [] }),
  },
  // `x-…` top-level keys hold YAML anchors for reuse (`x-defaults: &defaults`), as in compose files.
  { ...strict, patternProperties: { '^x-': {} } },
);

export type HubConfigDocument = Static<typeof HubConfigSchema>;

// Schema and hand-written types must not drift: each must be assignable to the other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesTypes: Same<HubConfigDocument, Omit<HubConfig, 'sourceFile' | 'baseDir'>> = true;
const connectorMatchesTypes: Same<Static<typeof ConnectorSchema>, ConnectorConfig> = true;
void schemaMatchesTypes;
void connectorMatchesTypes;

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Reads a schedule interval: `'30s'`, `'5m'`, `'1h'`, `'2d'`, `'500ms'`, or a number (or digits)
 * of milliseconds. Throws an Error saying what is accepted when the text is none of those.
 */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    if (Number.isInteger(text) && text > 0) return text;
    throw new Error(`${text} is not a duration: a number of milliseconds must be a whole number above 0`);
  }
  const match = DURATION.exec(text);
  if (!match) {
    throw new Error(`"${text}" is not a duration: write a number with a unit (500ms, 30s, 5m, 1h, 2d) or a number of milliseconds`);
  }
  const ms = Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 'ms']);
  if (ms <= 0) throw new Error(`"${text}" is not a duration: it must be longer than 0`);
  return ms;
}

const CRON_FIELD = /^[0-9A-Za-z*?,/#LW-]+$/;

function checkCron(value: string): string | undefined {
  const fields = value.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5 && fields.length !== 6) {
    return `"${value}" has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron expression has 5 (minute hour day month weekday) or 6 (seconds first)`;
  }
  const bad = fields.find((f) => !CRON_FIELD.test(f));
  return bad === undefined ? undefined : `"${value}" is not a cron expression: field "${bad}" has characters cron does not use`;
}

function checkTimezone(value: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return undefined;
  } catch {
    return `"${value}" is not a known IANA time zone (e.g. America/New_York, UTC)`;
  }
}

const EVENT = /^(\*|[a-z][a-z0-9]*)\.(created|updated|\*)$/;

/** Splits `claim.created` into entity and change; `*` matches any entity or change. */
export function parseEventName(name: string): { entity: string; change: 'created' | 'updated' | '*' } | undefined {
  if (name === '*') return { entity: '*', change: '*' };
  const match = EVENT.exec(name);
  return match ? { entity: match[1], change: match[2] as 'created' | 'updated' | '*' } : undefined;
}

function checkEvent(value: string): string | undefined {
  return parseEventName(value)
    ? undefined
    : `"${value}" is not an event name: write <entity>.<created|updated|*> in lowercase (claim.created, patient.*), *.updated, or *`;
}

function checkSchedule(value: Record<string, unknown>): string | undefined {
  const hasEvery = value.every !== undefined;
  const hasCron = value.cron !== undefined;
  if (hasEvery && hasCron) return 'has both `every` and `cron`: choose one';
  if (!hasEvery && !hasCron) return "needs `every` (e.g. every: 5m) or `cron` (e.g. cron: '0 6 * * *')";
  if (hasEvery && value.timezone !== undefined) return '`timezone` applies to `cron` schedules only';
  return undefined;
}

/**
 * The checks named by `'x-check'` in the schema. Each returns a message a person can act on, or
 * undefined when the value is fine. Values of other types are left to the `type` keyword.
 */
export const formatChecks: Record<string, (value: unknown) => string | undefined> = {
  duration: (value) => {
    if (typeof value !== 'string' && typeof value !== 'number') return undefined;
    try {
      parseDuration(value);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  },
  cron: (value) => (typeof value === 'string' ? checkCron(value) : undefined),
  timezone: (value) => (typeof value === 'string' ? checkTimezone(value) : undefined),
  event: (value) => (typeof value === 'string' ? checkEvent(value) : undefined),
  schedule: (value) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) ? checkSchedule(value as Record<string, unknown>) : undefined,
};

/**
 * Every path to a field marked `'x-secret': true`, as segments (`'*'` for any array item or map
 * key), e.g. `[['tokens', '*', 'token'], ['hub', 'redisUrl']]`. Follows properties, items,
 * additionalProperties, patternProperties, combinators and local `$ref`s.
 */
export function secretPaths(schema: TSchema | object): string[][] {
  const found = new Map<string, string[]>();
  const root = schema as Record<string, unknown>;
  const walk = (node: unknown, at: string[], seenRefs: Set<string>): void => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    const s = node as Record<string, unknown>;
    if (s['x-secret'] === true) found.set(JSON.stringify(at), at);
    if (typeof s.$ref === 'string' && s.$ref.startsWith('#') && !seenRefs.has(s.$ref)) {
      walk(resolveLocalRef(root, s.$ref), at, new Set([...seenRefs, s.$ref]));
    }
    for (const [key, child] of Object.entries(asRecord(s.properties))) walk(child, [...at, key], seenRefs);
    for (const child of Object.values(asRecord(s.patternProperties))) walk(child, [...at, '*'], seenRefs);
    if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, [...at, '*'], seenRefs);
    if (Array.isArray(s.prefixItems)) s.prefixItems.forEach((child, i) => walk(child, [...at, String(i)], seenRefs));
    if (Array.isArray(s.items)) s.items.forEach((child, i) => walk(child, [...at, String(i)], seenRefs));
    else if (typeof s.items === 'object') walk(s.items, [...at, '*'], seenRefs);
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      if (Array.isArray(s[key])) for (const child of s[key] as unknown[]) walk(child, at, seenRefs);
    }
    for (const key of ['then', 'else'] as const) walk(s[key], at, seenRefs);
  };
  walk(schema, [], new Set());
  return [...found.values()];
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function resolveLocalRef(root: Record<string, unknown>, ref: string): unknown {
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = asRecord(node)[key];
  }
  return node;
}
