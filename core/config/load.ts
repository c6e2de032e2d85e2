/**
 * Loads the hub's YAML configuration: parse, substitute `${env:…}`/`${file:…}`, validate against
 * the hub schema and each connector's plugin schema, check cross-references, apply env overrides.
 * Every problem found is collected and reported at once, each at its file:line:column, so a person
 * fixes the file in one pass instead of one error per start-up.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type SchemaValidateFunction, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { ConfigurationError, type ValidationIssue } from '../errors.js';
import { REDACTED, redactor as processRedactor, type Redactor } from '../redaction.js';
import { didYouMean } from '../suggest.js';
import { HubConfigSchema, formatChecks, parseEventName, secretPaths } from './schema.js';
import { fromPointer, substituteDocument, toPointer } from './substitute.js';
import type { HubConfig } from './types.js';

export { secretPaths } from './schema.js';

/** What the loader needs to know about a plugin to validate a connector that uses it. */
export interface ResolvedPluginSchema {
  name: string;
  /** JSON Schema of the connector's `config:` block; `'x-secret': true` marks secrets, at any depth. */
  configSchema: TSchema | object;
  /** Canonical entity names (`Claim`) the plugin delivers: routes may only send it these. */
  consumes: string[];
  produces: string[];
  /** Cross-field rules beyond the schema; throws (a ConfigurationError with issues, or any Error). */
  checkConfig?: (config: any) => void;
}

export interface PluginSchemaResolver {
  /** Resolves a connector's `plugin:` reference to its config schema (and names of the entities it consumes), or throws an Error whose message says why (unknown plugin etc.). */
  resolve(ref: string, baseDir: string): Promise<ResolvedPluginSchema>;
}

export interface LoadConfigTextOptions {
  /** Shown in error messages and kept as `sourceFile`. */
  file?: string;
  /** Folder that `${file:…}` and relative paths resolve against. */
  baseDir: string;
  /** @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  plugins: PluginSchemaResolver;
  /** Receives every secret value found. @defaultValue the process-wide redactor */
  redactor?: Redactor;
}

export interface LoadConfigOptions {
  file: string;
  /** @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  plugins: PluginSchemaResolver;
  /** @defaultValue the process-wide redactor */
  redactor?: Redactor;
}

/** Environment variables that override the file, so one file serves every deployment. */
const ENV_OVERRIDES = [
  ['PORT', 'port'],
  ['HOST', 'host'],
  ['REDIS_URL', 'redisUrl'],
  ['DATABASE_URL', 'databaseUrl'],
  ['LOG_LEVEL', 'logLevel'],
] as const;

const HUB_SECRET_PATHS = secretPaths(HubConfigSchema);
const SECTIONS = Object.keys(HubConfigSchema.properties);

type Json = Record<string, unknown>;

/** Reads, checks and returns the configuration in `file`; throws one ConfigurationError listing every problem. */
export async function loadConfig(options: LoadConfigOptions): Promise<HubConfig> {
  const file = path.resolve(options.file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    const issue: ValidationIssue = { path: '', message: `cannot read the configuration file: ${reason}`, file };
    throw new ConfigurationError(formatMessage([issue], file), [issue], { cause: error });
  }
  return loadConfigText(text, { ...options, file, baseDir: path.dirname(file) });
}

/** As loadConfig, for text already in memory (tests, `hub validate -`). */
export async function loadConfigText(text: string, options: LoadConfigTextOptions): Promise<HubConfig> {
  const env = options.env ?? process.env;
  const secrets = options.redactor ?? processRedactor;
  const baseDir = path.resolve(options.baseDir);
  const file = options.file;
  const lineCounter = new LineCounter();
  // Merge keys (`<<: *defaults`) let operators share connector settings, as compose files do.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
  const where = new Locator(doc, lineCounter, file);

  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error) => where.syntaxIssue(error.message, error.pos[0]));
    throw fail(issues, file, secrets);
  }

  const substitution = substituteDocument(doc, { env, baseDir, lineCounter, file });
  for (const content of substitution.fileContents) secrets.add(content);
  const issues: ValidationIssue[] = [];

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    // Only alias bombs get here: the document parsed without errors.
    throw fail([{ path: '', message: (error as Error).message, file }], file, secrets, error);
  }
  if (!isObject(data)) {
    const issue = where.issue([], 'the configuration must be a mapping with hub:, tenants:, tokens:, connectors: and routes:');
    throw fail([...substitution.issues, issue], file, secrets);
  }
  // `tokens:` with every entry commented out parses as null; it means "none", so let defaults apply.
  for (const section of SECTIONS) if (data[section] === null) delete data[section];

  const overridden = applyEnvOverrides(data, env);
  registerSecrets(data, HUB_SECRET_PATHS, secrets);

  const validateHub = hubValidator();
  if (!validateHub(data)) {
    issues.push(...describeAjvErrors(validateHub.errors ?? [], [], where, overridden));
  }
  // Coercion may have turned a number into a secret string.
  registerSecrets(data, HUB_SECRET_PATHS, secrets);

  const plugins = await resolvePlugins(data, baseDir, options.plugins, where, issues);
  const pluginSecretPaths = validatePluginConfigs(data, plugins, where, issues, secrets);
  issues.push(...crossReferenceIssues(data, plugins, where));

  // A value whose substitution failed still holds its `${…}` text; what the later checks say
  // about that text would only distract from the real problem.
  const unsubstituted = substitution.issues.map((issue) => issue.path);
  const consequences = (issue: ValidationIssue) => unsubstituted.some((p) => issue.path === p || issue.path.startsWith(p + '/'));
  const all = [...substitution.issues, ...issues.filter((issue) => !consequences(issue))];
  if (all.length > 0) throw fail(all, file, secrets);

  for (const key of Object.keys(data)) if (key.startsWith('x-')) delete data[key];
  const config = {
    ...(file ? { sourceFile: path.resolve(file) } : {}),
    baseDir,
    ...data,
  } as unknown as HubConfig;
  loaded.set(config, { secretPaths: pluginSecretPaths, redactor: secrets });
  return config;
}

/**
 * A deep copy of the config with every secret replaced by `[redacted]`: the hub's own secret
 * fields, the secret fields of each connector's plugin schema, and (by value) any secret that
 * found its way into another string. Safe for the API and `hub validate --print`.
 */
export function redactConfig(config: HubConfig): HubConfig {
  const copy = structuredClone(config) as unknown as Json;
  const known = loaded.get(config);
  for (const at of [...HUB_SECRET_PATHS, ...(known?.secretPaths ?? [])]) replaceAt(copy, at, REDACTED);
  return (known?.redactor ?? processRedactor).redact(copy) as unknown as HubConfig;
}

/** What loadConfigText learnt about a config that the config itself does not carry. */
const loaded = new WeakMap<HubConfig, { secretPaths: string[][]; redactor: Redactor }>();

// ---------------------------------------------------------------------------------------------
// ajv

let compiledHubValidator: ValidateFunction | undefined;

function hubValidator(): ValidateFunction {
  // strictSchema catches a typo in our own schema; plugin schemas get the lenient instance.
  compiledHubValidator ??= createAjv(true).compile(HubConfigSchema);
  return compiledHubValidator;
}

function createAjv(strictSchema: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    // YAML and ${env:…} both produce strings where a number is meant (`port: ${env:PORT}`), and
    // unquoted YAML produces numbers where a string is meant (`npi: 1234567893`).
    coerceTypes: true,
    discriminator: true,
    verbose: true,
    allowUnionTypes: true,
    strict: false,
    strictSchema,
  });
  (addFormatsPlugin as unknown as (instance: Ajv) => void)(ajv);
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'x-hint', schemaType: 'string' });
  const check: SchemaValidateFunction = (name: string, value: unknown) => {
    const message = formatChecks[name]?.(value);
    if (message === undefined) return true;
    check.errors = [{ keyword: 'x-check', message, params: { check: name } }];
    return false;
  };
  ajv.addKeyword({ keyword: 'x-check', schemaType: 'string', errors: true, validate: check });
  return ajv;
}

/** Turns ajv's errors into issues a person can act on, each at its YAML line and column. */
function describeAjvErrors(errors: ErrorObject[], base: string[], where: Locator, overridden: Map<string, string>): ValidationIssue[] {
  const combinators = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    // A failed anyOf lists every branch's complaints; one summary line reads better.
    if (combinators.some((c) => c !== error && error.schemaPath.startsWith(c.schemaPath + '/'))) continue;
    const at = [...base, ...fromPointer(error.instancePath)];
    const { segments, message, atKey } = describeAjvError(error, at);
    const envName = overridden.get(toPointer(segments.slice(0, 2)));
    if (envName && segments.length >= 2) {
      issues.push({ path: toPointer(segments), message: `${message} (set by the ${envName} environment variable)` });
    } else {
      issues.push(where.issue(segments, message, { atKey }));
    }
  }
  return issues;
}

function describeAjvError(error: ErrorObject, at: string[]): { segments: string[]; message: string; atKey?: boolean } {
  const params = error.params as Record<string, any>;
  const schema = (error.parentSchema ?? {}) as Record<string, any>;
  const secret = schema['x-secret'] === true;
  const found = secret ? '' : foundValue(error.data);
  switch (error.keyword) {
    case 'required':
      return { segments: [...at, params.missingProperty], message: 'is required but missing' };
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys(schema.properties ?? {});
      const guess = didYouMean(key, known);
      const hint = guess ? `did you mean "${guess}"?` : known.length > 0 ? `expected one of: ${known.join(', ')}` : '';
      return { segments: [...at, key], message: `unknown key "${key}"${hint ? ` (${hint})` : ''}`, atKey: true };
    }
    case 'type':
      return { segments: at, message: `must be ${typeNames(params.type)}, not ${describeType(error.data)}` };
    case 'enum':
      return { segments: at, message: `must be one of: ${(params.allowedValues as unknown[]).join(', ')}${found}` };
    case 'const':
      return { segments: at, message: `must be ${JSON.stringify(params.allowedValue)}${found}` };
    case 'pattern':
      return { segments: at, message: `${schema['x-hint'] ?? `must match the pattern ${params.pattern}`}${found}` };
    case 'format':
      return { segments: at, message: `must be a valid ${params.format}${found}` };
    case 'minLength':
      return { segments: at, message: params.limit === 1 ? 'must not be empty' : `must be at least ${params.limit} characters long` };
    case 'maxLength':
      return { segments: at, message: `must be at most ${params.limit} characters long` };
    case 'minimum':
      return { segments: at, message: `must be at least ${params.limit}${found}` };
    case 'maximum':
      return { segments: at, message: `must be at most ${params.limit}${found}` };
    case 'exclusiveMinimum':
      return { segments: at, message: `must be more than ${params.limit}${found}` };
    case 'exclusiveMaximum':
      return { segments: at, message: `must be less than ${params.limit}${found}` };
    case 'minItems':
      return { segments: at, message: params.limit === 1 ? 'must list at least one item' : `must list at least ${params.limit} items` };
    case 'maxItems':
      return { segments: at, message: `must list at most ${params.limit} items` };
    case 'discriminator': {
      const tag = String(params.tag);
      const values = (schema.oneOf as Json[] | undefined)?.map((branch) => (branch.properties as Json)?.[tag] as Json | undefined).map((p) => p?.const);
      const choices = values?.filter((v) => v !== undefined).join(', ') ?? '';
      return params.error === 'tag'
        ? { segments: [...at, tag], message: `is required: one of ${choices}` }
        : { segments: [...at, tag], message: `must be one of: ${choices}${foundValue(params.tagValue)}` };
    }
    case 'anyOf':
    case 'oneOf': {
      const branches = (error.schema ?? []) as Json[];
      const consts = branches.map((b) => b.const);
      if (branches.length > 0 && consts.every((c) => c !== undefined)) {
        return { segments: at, message: `must be one of: ${consts.join(', ')}${found}` };
      }
      return { segments: at, message: error.keyword === 'oneOf' ? 'must match exactly one of the allowed forms' : 'does not match any of the allowed forms' };
    }
    default:
      return { segments: at, message: error.message ?? 'is invalid' };
  }
}

function foundValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return ` (found ${value})`;
  if (typeof value === 'string' && value.length <= 80) return ` (found ${JSON.stringify(value)})`;
  return '';
}

function typeNames(type: unknown): string {
  const names: Record<string, string> = {
    string: 'text',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
    object: 'a mapping (key: value)',
    array: 'a list',
    null: 'empty',
  };
  const list = Array.isArray(type) ? type : String(type).split(',');
  return list.map((t) => names[t] ?? t).join(' or ');
}

function describeType(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'boolean') return 'true/false';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a number' : `a fraction (${value})`;
  return typeof value;
}

// ---------------------------------------------------------------------------------------------
// Plugins

interface ConnectorPlugin {
  ref: string;
  plugin: ResolvedPluginSchema;
}

async function resolvePlugins(
  data: Json,
  baseDir: string,
  resolver: PluginSchemaResolver,
  where: Locator,
  issues: ValidationIssue[],
): Promise<(ConnectorPlugin | undefined)[]> {
  const byRef = new Map<string, Promise<ResolvedPluginSchema | Error>>();
  const connectors = Array.isArray(data.connectors) ? data.connectors : [];
  return Promise.all(
    connectors.map(async (connector, index) => {
      const ref = isObject(connector) ? connector.plugin : undefined;
      if (typeof ref !== 'string' || ref === '') return undefined;
      let pending = byRef.get(ref);
      if (!pending) {
        pending = resolver.resolve(ref, baseDir).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
        byRef.set(ref, pending);
      }
      const result = await pending;
      if (result instanceof Error) {
        issues.push(where.issue(['connectors', String(index), 'plugin'], `cannot use plugin "${ref}": ${result.message}`));
        return undefined;
      }
      return { ref, plugin: result };
    }),
  );
}

/** Validates each connector's `config:` against its plugin's schema; returns the secret paths found. */
function validatePluginConfigs(
  data: Json,
  plugins: (ConnectorPlugin | undefined)[],
  where: Locator,
  issues: ValidationIssue[],
  secrets: Redactor,
): string[][] {
  // A fresh instance per load: plugin schemas may carry `$id`s, which ajv refuses to register twice.
  const ajv = createAjv(false);
  const compiled = new Map<object, ValidateFunction | Error>();
  const connectors = Array.isArray(data.connectors) ? data.connectors : [];
  const found: string[][] = [];
  connectors.forEach((connector, index) => {
    const resolved = plugins[index];
    if (!resolved || !isObject(connector) || !isObject(connector.config)) return;
    const base = ['connectors', String(index), 'config'];
    const schema = resolved.plugin.configSchema;
    const paths = secretPaths(schema);
    for (const p of paths) found.push([...base, ...p]);
    registerSecrets(connector.config, paths, secrets);

    let validate = compiled.get(schema);
    if (!validate) {
      try {
        validate = ajv.compile(schema);
      } catch (error) {
        validate = error as Error;
      }
      compiled.set(schema, validate);
    }
    if (validate instanceof Error) {
      const message = `plugin "${resolved.ref}" has a config schema that cannot be compiled: ${validate.message}`;
      issues.push(where.issue(['connectors', String(index), 'plugin'], message));
      return;
    }
    if (!validate(connector.config)) {
      issues.push(...describeAjvErrors(validate.errors ?? [], base, where, new Map()));
      return;
    }
    registerSecrets(connector.config, paths, secrets);
    if (resolved.plugin.checkConfig) {
      try {
        resolved.plugin.checkConfig(connector.config);
      } catch (error) {
        issues.push(...checkConfigIssues(error, connector.config, base, where));
      }
    }
  });
  return found;
}

function checkConfigIssues(error: unknown, config: Json, base: string[], where: Locator): ValidationIssue[] {
  if (error instanceof ConfigurationError && error.issues.length > 0) {
    return error.issues.map((issue) => {
      let segments = fromPointer(issue.path);
      // Paths are relative to the `config:` block; accept ones written from the connector too.
      if (segments[0] === 'config' && !('config' in config)) segments = segments.slice(1);
      return where.issue([...base, ...segments], issue.message);
    });
  }
  return [where.issue(base, error instanceof Error ? error.message : String(error))];
}

// ---------------------------------------------------------------------------------------------
// Cross-references

function crossReferenceIssues(data: Json, plugins: (ConnectorPlugin | undefined)[], where: Locator): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const tenants = uniqueIds(data, 'tenants', 'id', 'tenant id', where, issues);
  const connectors = uniqueIds(data, 'connectors', 'id', 'connector id', where, issues);
  uniqueIds(data, 'tokens', 'name', 'token name', where, issues);

  const tokenValues = new Map<string, number>();
  list(data.tokens).forEach((token, index) => {
    if (!isObject(token) || typeof token.token !== 'string') return;
    const first = tokenValues.get(token.token);
    // The audit log names a caller by token; two callers sharing one could not be told apart.
    if (first !== undefined) issues.push(where.issue(['tokens', String(index), 'token'], `is the same token as /tokens/${first}: give each caller its own`));
    else tokenValues.set(token.token, index);
    list(token.tenants).forEach((tenant, t) => {
      if (typeof tenant === 'string' && tenant !== '*' && !tenants.has(tenant)) {
        issues.push(where.issue(['tokens', String(index), 'tenants', String(t)], unknownReference('tenant', tenant, tenants)));
      }
    });
  });

  list(data.connectors).forEach((connector, index) => {
    if (!isObject(connector)) return;
    if (typeof connector.tenant === 'string' && !tenants.has(connector.tenant)) {
      issues.push(where.issue(['connectors', String(index), 'tenant'], unknownReference('tenant', connector.tenant, tenants)));
    }
    const webhook = connector.webhook;
    if (isObject(webhook) && webhook.signature !== undefined && webhook.secret === undefined) {
      issues.push(where.issue(['connectors', String(index), 'webhook', 'signature'], 'needs webhook.secret to check signatures with'));
    }
  });

  list(data.routes).forEach((route, index) => {
    if (!isObject(route)) return;
    list(route.tenants).forEach((tenant, t) => {
      if (typeof tenant === 'string' && tenant !== '*' && !tenants.has(tenant)) {
        issues.push(where.issue(['routes', String(index), 'tenants', String(t)], unknownReference('tenant', tenant, tenants)));
      }
    });
    if (typeof route.to !== 'string') return;
    const target = connectors.get(route.to);
    if (target === undefined) {
      issues.push(where.issue(['routes', String(index), 'to'], unknownReference('connector', route.to, connectors)));
      return;
    }
    const plugin = plugins[target]?.plugin;
    if (!plugin) return; // its plugin could not be resolved: already reported at the connector
    const consumes = new Map(plugin.consumes.map((entity) => [entity.toLowerCase(), entity]));
    const described = `connector "${route.to}" (plugin ${plugin.name})`;
    list(route.on).forEach((name, e) => {
      const event = typeof name === 'string' ? parseEventName(name) : undefined;
      if (!event) return; // the schema reported the syntax
      const at = ['routes', String(index), 'on', String(e)];
      if (event.entity === '*') {
        if (consumes.size === 0) issues.push(where.issue(at, `${described} consumes no entities, so no event can be routed to it`));
      } else if (!consumes.has(event.entity)) {
        const accepts = consumes.size > 0 ? `it consumes ${[...consumes.values()].join(', ')}` : 'it consumes no entities';
        issues.push(where.issue(at, `${described} cannot take ${event.entity} events: ${accepts}`));
      }
    });
  });
  return issues;
}

/** Reports repeated ids in one list; returns each id with the index that defined it first. */
function uniqueIds(data: Json, section: string, key: string, label: string, where: Locator, issues: ValidationIssue[]): Map<string, number> {
  const seen = new Map<string, number>();
  list(data[section]).forEach((item, index) => {
    if (!isObject(item) || typeof item[key] !== 'string') return;
    const id = item[key] as string;
    const first = seen.get(id);
    if (first === undefined) {
      seen.set(id, index);
      return;
    }
    const firstAt = where.position([section, String(first), key]);
    const origin = firstAt ? `line ${firstAt.line}` : `/${section}/${first}`;
    issues.push(where.issue([section, String(index), key], `duplicate ${label} "${id}" (first defined at ${origin})`));
  });
  return seen;
}

function unknownReference(kind: string, value: string, known: Map<string, number>): string {
  const guess = didYouMean(value, [...known.keys()]);
  const names = [...known.keys()];
  const hint = guess ? `did you mean "${guess}"?` : names.length > 0 ? `known: ${names.join(', ')}` : `no ${kind}s are defined`;
  return `${kind} "${value}" is not defined (${hint})`;
}

// ---------------------------------------------------------------------------------------------
// Locations and messages

/** Maps a JSON path in the loaded data back to the YAML node it came from. */
class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
    private readonly file: string | undefined,
  ) {}

  issue(segments: string[], message: string, options: { atKey?: boolean } = {}): ValidationIssue {
    const position = this.position(segments, options.atKey);
    return { path: toPointer(segments), message, file: this.file, line: position?.line, column: position?.column };
  }

  syntaxIssue(message: string, offset: number): ValidationIssue {
    let at = offset;
    let text = `YAML syntax error: ${message}`;
    // The parser notices a missing closing quote only where the text ends; the quote that opened
    // the string is what a person needs to find.
    if (/closing .*quote/i.test(message)) {
      const opening = this.openQuoteBefore(offset);
      if (opening !== undefined) {
        at = opening;
        const end = this.lineCounter.linePos(offset);
        text = `YAML syntax error: this quoted string is never closed (it runs on to line ${end.line})`;
      }
    }
    const { line, col } = this.lineCounter.linePos(at);
    return { path: '', message: text, file: this.file, line, column: col };
  }

  position(segments: string[], atKey = false): { line: number; column: number } | undefined {
    const node = this.find(segments, atKey);
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  /** The deepest node along the path that exists (a missing key points at its parent mapping). */
  private find(segments: string[], atKey: boolean): { range?: readonly number[] | null } | undefined {
    let node: unknown = this.doc.contents;
    let found = node as { range?: readonly number[] | null } | undefined;
    for (const [i, segment] of segments.entries()) {
      node = this.deref(node);
      if (isMap(node)) {
        const pair = this.findPair(node, segment);
        if (!pair) break;
        const value = pair.value;
        const empty = !value || (isScalar(value) && value.value === null && !value.source);
        const last = i === segments.length - 1;
        found = (atKey && last) || empty ? (pair.key as typeof found) : (value as typeof found);
        if (empty) break;
        node = value;
      } else if (isSeq(node) && /^\d+$/.test(segment) && node.items[Number(segment)] !== undefined) {
        node = node.items[Number(segment)];
        found = node as typeof found;
      } else {
        break;
      }
    }
    return found;
  }

  private findPair(map: unknown, key: string, depth = 0): { key: unknown; value: unknown } | undefined {
    if (!isMap(map) || depth > 10) return undefined;
    const direct = map.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === key);
    if (direct) return direct;
    for (const pair of map.items) {
      if (!isScalar(pair.key) || (typeof pair.key.value !== 'symbol' && pair.key.value !== '<<')) continue;
      const sources = this.deref(pair.value);
      for (const source of isSeq(sources) ? sources.items.map((s) => this.deref(s)) : [sources]) {
        const merged = this.findPair(source, key, depth + 1);
        if (merged) return merged;
      }
    }
    return undefined;
  }

  private deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  private openQuoteBefore(offset: number): number | undefined {
    let start: number | undefined;
    const visitNode = (node: unknown): void => {
      if (isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && node.range) {
        if (node.range[0] < offset && node.range[1] >= offset) start = node.range[0];
      } else if (isMap(node)) {
        for (const pair of node.items) {
          visitNode(pair.key);
          visitNode(pair.value);
        }
      } else if (isSeq(node)) {
        node.items.forEach(visitNode);
      }
    };
    visitNode(this.doc.contents);
    return start;
  }
}

function fail(issues: ValidationIssue[], file: string | undefined, secrets: Redactor, cause?: unknown): ConfigurationError {
  const seen = new Set<string>();
  const unique = issues
    .map((issue) => ({ ...issue, message: secrets.redactString(issue.message) }))
    .filter((issue) => {
      const key = `${issue.line}:${issue.column}:${issue.path}:${issue.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
  return new ConfigurationError(formatMessage(unique, file), unique, cause === undefined ? undefined : { cause });
}

/** `file:line:column  path  message`, one problem a line, under a one-line summary. */
function formatMessage(issues: ValidationIssue[], file: string | undefined): string {
  const label = displayPath(file ?? '<config>');
  const count = `${issues.length} problem${issues.length === 1 ? '' : 's'}`;
  const lines = issues.map((issue) => {
    const location =
      issue.line !== undefined ? `${displayPath(issue.file ?? label)}:${issue.line}:${issue.column ?? 1}` : issue.file ? displayPath(issue.file) : '(environment)';
    return `${location}  ${issue.path || '-'}  ${issue.message}`;
  });
  return [`Invalid configuration in ${label} (${count}):`, ...lines].join('\n');
}

function displayPath(file: string): string {
  if (!path.isAbsolute(file)) return file;
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

// ---------------------------------------------------------------------------------------------
// Data helpers

function applyEnvOverrides(data: Json, env: NodeJS.ProcessEnv): Map<string, string> {
  const overridden = new Map<string, string>();
  for (const [name, key] of ENV_OVERRIDES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (data.hub === undefined) data.hub = {};
    if (!isObject(data.hub)) continue; // the schema reports a non-mapping `hub:`
    data.hub[key] = value;
    overridden.set(toPointer(['hub', key]), name);
  }
  return overridden;
}

function registerSecrets(data: unknown, paths: string[][], secrets: Redactor): void {
  for (const at of paths) for (const value of valuesAt(data, at)) secrets.add(value);
}

function valuesAt(data: unknown, at: string[]): unknown[] {
  if (at.length === 0) return [data];
  const [head, ...rest] = at;
  if (Array.isArray(data)) {
    if (head === '*') return data.flatMap((item) => valuesAt(item, rest));
    return /^\d+$/.test(head) ? valuesAt(data[Number(head)], rest) : [];
  }
  if (!isObject(data)) return [];
  if (head === '*') return Object.values(data).flatMap((value) => valuesAt(value, rest));
  return head in data ? valuesAt(data[head], rest) : [];
}

function replaceAt(data: unknown, at: string[], replacement: string): void {
  if (at.length === 0 || data === null || typeof data !== 'object') return;
  const [head, ...rest] = at;
  const container = data as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(container) : head in container ? [head] : [];
  for (const key of keys) {
    if (rest.length > 0) replaceAt(container[key], rest, replacement);
    else if (container[key] !== undefined && container[key] !== null) container[key] = replacement;
  }
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}


