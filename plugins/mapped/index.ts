/**
 * `mapped`: a declarative connector for systems without a code plugin. MSO IT maps NDJSON and CSV
 * files from a watched folder, and JSON webhook bodies, onto canonical entities in YAML alone.
 * The mapping language lives in mapping.ts (pure); this file does the I/O around it: listing,
 * checksums and the ledger, streaming rows, rejects, archive and quarantine.
 */
import type { Readable } from 'node:stream';
import { sha256Stream } from '../../connectors/files/checksum.js';
import { readCsv } from '../../connectors/formats/csv.js';
import { readNdjson } from '../../connectors/formats/ndjson.js';
import {
  ConfigurationError,
  definePlugin,
  entityNames,
  HubError,
  InputError,
  isEntityName,
  NotFoundError,
  PermanentError,
  type EntityData,
  type EntityName,
  type FileInfo,
  type FileTransport,
  type PluginContext,
  type SyncOptions,
  type ValidationIssue,
  type WebhookEvent,
  didYouMean,
} from '../../core/sdk/index.js';
import {
  compileMapping,
  compilePath,
  compileWhere,
  formatLocation,
  locationPointer,
  mappingError,
  PathMismatch,
  type Location,
  type MappingSpec,
  type RowMapper,
} from './mapping.js';
import { mappedConfigSchema, type FileRule, type MappedConfig, type WebhookRule } from './schema.js';

type Context = PluginContext<MappedConfig>;

interface CompiledRule {
  /** `files[0]` or `webhook`: how logs and reasons name the rule. */
  label: string;
  entity: EntityName;
  system: string;
  where?: (row: unknown) => boolean;
  map: RowMapper;
}

interface CompiledFileRule extends CompiledRule {
  pattern: string;
  folder?: string;
  format: 'ndjson' | 'csv';
  delimiter: string;
  header: boolean;
}

interface CompiledWebhookRule extends CompiledRule {
  records?: { path: string; read(body: unknown): unknown };
}

export interface CompiledConfig {
  files: CompiledFileRule[];
  webhook?: CompiledWebhookRule;
}

/**
 * All of a file's first rows failing (to parse or to map) means it is not the file the rules
 * describe — a wrong export, a renamed column — and is quarantined whole rather than rejected row
 * by row, so it can be fed again once the YAML or the sender is fixed.
 */
const FORMAT_PROBE_ROWS = 10;

const compiledConfigs = new WeakMap<object, CompiledConfig>();

/**
 * Compiles every rule of a connector's config. Throws one ConfigurationError listing every problem
 * (bad path syntax, unknown conversions or entities, conflicting targets), each with its location.
 */
export function compileConfig(config: MappedConfig): CompiledConfig {
  const cached = compiledConfigs.get(config);
  if (cached) return cached;
  const issues: ValidationIssue[] = [];
  const problem = (at: Location, message: string) =>
    issues.push({ path: locationPointer(at), message: `${formatLocation(at)}: ${message}` });
  const attempt = <T>(compile: () => T): T | undefined => {
    try {
      return compile();
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      issues.push(...error.issues);
      return undefined;
    }
  };

  const compileRule = (spec: FileRule | WebhookRule, at: Location, flat: boolean): CompiledRule | undefined => {
    if (!isEntityName(spec.entity)) {
      const hint = didYouMean(spec.entity, entityNames);
      problem([...at, 'entity'], `unknown entity "${spec.entity}"${hint ? ` (did you mean "${hint}"?)` : ''}; canonical entities: ${entityNames.join(', ')}`);
    }
    const where = spec.where === undefined ? undefined : attempt(() => compileWhere(spec.where!, { at: [...at, 'where'], flat }));
    const mapping: MappingSpec = { externalId: spec.externalId, fields: spec.fields };
    const map = attempt(() => compileMapping(mapping, { at, flat }));
    if (!map || !isEntityName(spec.entity)) return undefined;
    return { label: formatLocation(at), entity: spec.entity, system: spec.externalSystem ?? config.externalSystem, where, map };
  };

  const files: CompiledFileRule[] = [];
  (config.files ?? []).forEach((spec, i) => {
    const at = ['files', i];
    const csv = spec.format === 'csv';
    if (!csv && spec.delimiter !== undefined) problem([...at, 'delimiter'], 'is for csv files only');
    if (!csv && spec.header !== undefined) problem([...at, 'header'], 'is for csv files only');
    if (spec.delimiter !== undefined && /["\r\n]/.test(spec.delimiter)) problem([...at, 'delimiter'], 'cannot be a quote or a line break');
    const rule = compileRule(spec, at, csv);
    if (rule) {
      files.push({ ...rule, pattern: spec.pattern, folder: spec.folder, format: spec.format, delimiter: spec.delimiter ?? ',', header: spec.header ?? true });
    }
  });

  let webhook: CompiledWebhookRule | undefined;
  if (config.webhook) {
    const spec = config.webhook;
    const rule = compileRule(spec, ['webhook'], false);
    const records = spec.records === undefined ? undefined : attempt(() => compilePath(spec.records!, { at: ['webhook', 'records'] }));
    if (rule && (spec.records === undefined || records)) {
      webhook = { ...rule, records: records && { path: spec.records!, read: records } };
    }
  }

  if (!config.files?.length && !config.webhook) problem([], 'nothing to do: add files (with transport.files) or webhook, or both');
  if (issues.length) throw mappingError(issues);
  const compiled = { files, webhook };
  compiledConfigs.set(config, compiled);
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Files

interface InboxEntry {
  file: FileInfo;
  /** Every rule whose pattern matches, in YAML order; each row is offered to all of them. */
  rules: CompiledFileRule[];
}

/** Lists the files of all rules, each once, in rule order then name order (YAML order is processing order). */
async function listInbox(transport: FileTransport, rules: CompiledFileRule[]): Promise<InboxEntry[]> {
  const byPath = new Map<string, InboxEntry>();
  for (const rule of rules) {
    for (const file of await transport.list(rule.folder, { pattern: rule.pattern })) {
      const entry = byPath.get(file.path);
      if (entry) entry.rules.push(rule);
      else byPath.set(file.path, { file, rules: [rule] });
    }
  }
  return [...byPath.values()];
}

interface Digest {
  checksum: string;
  size: number;
}

async function digestFile(transport: FileTransport, path: string): Promise<Digest> {
  const stream = await transport.readStream(path);
  let size = 0;
  const counted = (async function* () {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      yield chunk;
    }
  })();
  try {
    return { checksum: await sha256Stream(counted), size };
  } finally {
    stream.destroy();
  }
}

async function syncFiles(ctx: Context, { full, path }: SyncOptions): Promise<void> {
  const { files } = compileConfig(ctx.config);
  if (!files.length) return;
  const transport = ctx.transports.files;
  if (!transport) {
    throw new ConfigurationError('mapped: files in config need transport.files', [
      { path: '/transport/files', message: 'is required when config.files is set' },
    ]);
  }
  let inbox = await listInbox(transport, files);
  if (path !== undefined) {
    inbox = inbox.filter((entry) => entry.file.path === path);
    if (!inbox.length) throw new PermanentError(`mapped: no file rule matches "${path}", or the file is not in the folder`);
  }
  for (const entry of inbox) {
    ctx.signal.throwIfAborted();
    await processFile(ctx, transport, entry, full);
  }
}

async function processFile(ctx: Context, transport: FileTransport, { file, rules }: InboxEntry, full: boolean): Promise<void> {
  let digest: Digest;
  try {
    digest = await digestFile(transport, file.path);
  } catch (error) {
    // Another worker archived it between list and read: nothing to do.
    if (error instanceof NotFoundError) return;
    if (!(error instanceof HubError) || error.retryable) throw error;
    // Unreadable for good (permissions): its bytes are unknown, so its listing stands in for a checksum.
    const standIn = { checksum: `unreadable:${file.size}:${file.modifiedAt.getTime()}`, size: file.size };
    if (!full && (await ctx.ledger.seen(file.path, standIn.checksum))) return;
    await quarantine(ctx, transport, file, standIn, `cannot be read: ${error.message}`);
    return;
  }
  if (!full && (await ctx.ledger.seen(file.path, digest.checksum))) {
    ctx.count('filesSkipped');
    ctx.log.debug({ file: file.path }, 'file already processed');
    return;
  }
  const readings = new Set(rules.map((r) => `${r.format}|${r.delimiter}|${r.header}`));
  if (readings.size > 1) {
    const labels = rules.map((r) => r.label).join(', ');
    await quarantine(ctx, transport, file, digest, `rules ${labels} all match this file but read it differently (format, delimiter or header)`);
    return;
  }

  const outcome = await mapFile(ctx, transport, file, rules);
  if (outcome.quarantine) {
    await quarantine(ctx, transport, file, digest, outcome.quarantine);
    return;
  }
  ctx.ledger.record({
    path: file.path,
    size: digest.size,
    checksum: digest.checksum,
    status: 'processed',
    detail: `${outcome.rows} rows, ${outcome.failedRows} not mapped`,
  });
  // The ledger entry commits with the file's last records: a crash repeats the file, never skips it.
  await ctx.flush();
  ctx.count('files');
  ctx.log.info({ file: file.path, rows: outcome.rows, rowErrors: outcome.failedRows }, 'file processed');
  if (transport.archiveFolder) await transport.move(file.path, folderTarget(transport.archiveFolder));
}

function folderTarget(folder: string): string {
  return folder.endsWith('/') ? folder : `${folder}/`;
}

async function quarantine(ctx: Context, transport: FileTransport, file: FileInfo, digest: Digest, detail: string): Promise<void> {
  ctx.ledger.record({ path: file.path, size: digest.size, checksum: digest.checksum, status: 'quarantined', detail });
  await ctx.flush();
  ctx.count('filesQuarantined');
  ctx.log.warn({ file: file.path, detail }, 'file quarantined');
  const folder = transport.quarantineFolder;
  if (!folder) return;
  const moved = await transport.move(file.path, folderTarget(folder));
  await transport.write(`${moved}.reason.txt`, `${file.path} was quarantined: ${detail}\n`);
}

interface RowFailure {
  line: number;
  entity: EntityName;
  rule?: CompiledRule;
  data: unknown;
  reasons: string[];
  externalId?: string;
}

interface FileOutcome {
  rows: number;
  failedRows: number;
  /** Why the whole file is set aside; absent when it was processed. */
  quarantine?: string;
}

/**
 * Reads a file's rows and offers each to every rule whose `where` accepts it. Failures before the
 * first mapped row are held back: if the first rows all fail, the file is not what the rules
 * describe and is quarantined without a flood of rejects.
 */
async function mapFile(ctx: Context, transport: FileTransport, file: FileInfo, rules: CompiledFileRule[]): Promise<FileOutcome> {
  const reading = rules[0];
  let stream: Readable;
  try {
    stream = await transport.readStream(file.path);
  } catch (error) {
    if (error instanceof NotFoundError) return { rows: 0, failedRows: 0 };
    throw error;
  }
  const items =
    reading.format === 'csv'
      ? readCsv(stream, { delimiter: reading.delimiter, header: reading.header })
      : readNdjson(stream);

  let rows = 0;
  let failedRows = 0;
  let proven = false;
  const held: RowFailure[] = [];

  const report = async (failure: RowFailure): Promise<void> => {
    ctx.count('rowErrors');
    ctx.log.warn({ file: file.path, line: failure.line, rule: failure.rule?.label, reasons: failure.reasons }, 'row not mapped');
    await ctx.reject(
      failure.entity,
      failure.data,
      failure.reasons.map((reason) => `${file.path} line ${failure.line}: ${reason}`),
      failure.rule ? { system: failure.rule.system, id: failure.externalId } : undefined,
    );
  };

  try {
    for await (const item of items) {
      ctx.signal.throwIfAborted();
      rows++;
      ctx.count('rows');
      const failures: RowFailure[] = [];
      let offered = false;
      if (item.error !== undefined) {
        failures.push({ line: item.line, entity: reading.entity, data: null, reasons: [parseProblem(reading.format, item.error)] });
      } else {
        for (const rule of rules) {
          if (rule.where && !rule.where(item.value)) continue;
          offered = true;
          const result = rule.map(item.value);
          if (result.ok) {
            if (!proven) {
              proven = true;
              for (const failure of held.splice(0)) await report(failure);
            }
            await ctx.emit(rule.entity, result.data as EntityData<EntityName>, { system: rule.system, id: result.externalId });
          } else {
            failures.push({ line: item.line, entity: rule.entity, rule, data: item.value, reasons: result.reasons, externalId: result.externalId });
          }
        }
        if (!offered) ctx.count('rowsFiltered');
      }
      if (!failures.length) continue;
      failedRows++;
      if (proven) for (const failure of failures) await report(failure);
      else held.push(...failures);
      if (!proven && failedRows >= FORMAT_PROBE_ROWS) {
        return { rows, failedRows, quarantine: `the first ${failedRows} rows could not be read or mapped; ${summarize(held)}` };
      }
    }
  } catch (error) {
    // The reader gave up on the file (an unusable CSV header, a runaway record): nothing after it can be trusted.
    if (!(error instanceof InputError)) throw error;
    const kept = proven ? '; rows before it were processed' : '';
    return { rows, failedRows, quarantine: `reading stopped after ${rows} rows: ${error.message}${kept}` };
  } finally {
    stream.destroy();
  }
  if (!proven && held.length) {
    return { rows, failedRows, quarantine: `none of its ${rows} rows could be read or mapped; ${summarize(held)}` };
  }
  return { rows, failedRows };
}

function summarize(failures: RowFailure[]): string {
  const shown = failures.slice(0, 3).map((f) => `line ${f.line}: ${f.reasons.join('; ')}`);
  return shown.join(' | ');
}

/**
 * Parser messages can quote the line they choke on (V8's JSON.parse does), and a line may hold PHI:
 * only messages known to carry counts alone are passed on.
 */
function parseProblem(format: 'ndjson' | 'csv', error: string): string {
  if (format === 'ndjson') return /^line is longer than \d+ bytes$/.test(error) ? error : 'is not valid JSON';
  return /^expected [\w’' ]+ fields as in the (header|first row), got \d+$/.test(error) ? error : 'is not valid CSV';
}

// ---------------------------------------------------------------------------------------------
// Webhooks

async function handleWebhook(ctx: Context, event: WebhookEvent): Promise<void> {
  const rule = compileConfig(ctx.config).webhook;
  if (!rule) {
    throw new ConfigurationError('mapped: this connector has no webhook mapping (config.webhook)', [
      { path: '/config/webhook', message: 'is required to accept webhooks' },
    ]);
  }
  const records = selectRecords(rule, event.body);
  if (!records.length) ctx.log.info({ event: event.eventId, recordsPath: rule.records?.path }, 'webhook body holds no records');
  for (const [index, record] of records.entries()) {
    ctx.signal.throwIfAborted();
    ctx.count('rows');
    if (rule.where && !rule.where(record)) {
      ctx.count('rowsFiltered');
      continue;
    }
    const result = rule.map(record);
    if (result.ok) {
      await ctx.emit(rule.entity, result.data as EntityData<EntityName>, { system: rule.system, id: result.externalId });
      continue;
    }
    ctx.count('rowErrors');
    ctx.log.warn({ event: event.eventId, index, reasons: result.reasons }, 'webhook record not mapped');
    const where = rule.records ? `event ${event.eventId} record ${index}` : `event ${event.eventId}`;
    await ctx.reject(
      rule.entity,
      record,
      result.reasons.map((reason) => `${where}: ${reason}`),
      { system: rule.system, id: result.externalId },
    );
  }
}

function selectRecords(rule: CompiledWebhookRule, body: unknown): unknown[] {
  if (!rule.records) return [body];
  let found: unknown;
  try {
    found = rule.records.read(body);
  } catch (error) {
    if (!(error instanceof PathMismatch)) throw error;
    throw new InputError(`webhook body: ${error.message}`, [{ path: '/body', message: error.message }], { cause: error });
  }
  // Senders often leave out an empty list rather than send [].
  if (found === undefined || found === null) return [];
  return Array.isArray(found) ? found : [found];
}

// ---------------------------------------------------------------------------------------------

export default definePlugin({
  name: 'mapped',
  version: '1.0.0',
  description: 'Maps NDJSON/CSV files from a watched folder and JSON webhook bodies onto canonical entities, declared in YAML.',
  config: mappedConfigSchema,
  produces: [...entityNames],
  consumes: [],
  checkConfig(config) {
    compileConfig(config);
  },
  sync: syncFiles,
  webhook: { handle: handleWebhook },
});
