/**
 * The `mapped` plugin's mapping language: compiled once from YAML, then applied to each source row
 * (an NDJSON line, a CSV row, a webhook record). Pure: no I/O, no clock, no logging.
 *
 * Rules a YAML author relies on (documented in README.md beside this file):
 * - A source path is first looked up as a literal key of the row, so CSV headers such as
 *   `List Price` or `Unit.Price` work as written; otherwise it is read as a path
 *   (`a.b`, `a[0]`, `a[-1]`, `a[*].b`, `a[key.sub=value]`, `a["odd.key"]`, `$` = the record,
 *   `@` = the current element inside `each`). For CSV, a header that is not valid path syntax is
 *   simply a column name.
 * - Empty values (absent, null, blank strings, empty lists) leave the target absent unless a
 *   `default` is given; `required` turns that into a row error.
 * - Row errors name the target field and the source path and describe the value's shape
 *   (`a string shaped 99/99/99`), never the value: rows may carry PHI and reasons reach logs.
 */
import { ConfigurationError, didYouMean, type ValidationIssue } from '../../core/sdk/index.js';
import { FAIL, conversions, convertNames, type ConvertName } from './conversions.js';
import { PathMismatch, PathSyntaxError, compileSourcePath, type Scope, type SourcePath } from './source-path.js';
import { describeShape, isEmpty, isObject, isScalar, normalize, type Scalar } from './values.js';

export { convertNames, convertValue, conversions, type ConvertName } from './conversions.js';
export { PathMismatch, PathSyntaxError, parsePath, type ParsedPath, type SourcePath } from './source-path.js';
export { describeShape, type Scalar } from './values.js';

/** Written into every record that does not map `schemaVersion` itself. */
export const CANONICAL_SCHEMA_VERSION = '1.0.0';

// ---------------------------------------------------------------------------------------------
// Spec types: what YAML may contain. Loose on purpose: compileMapping checks combinations and
// reports each mistake by location, which a JSON Schema union cannot do readably.


/** One source: a bare path string, or an object with exactly one of path, const, template, each. */
export type SourceSpec = string | SourceObject;

export interface SourceObject {
  path?: string;
  template?: string;
  const?: unknown;
  each?: string;
  /** `each` only: keep the elements that pass. */
  where?: WhereSpec;
  /** `each` only: target (relative to each built object) -> source (relative to each element). */
  fields?: FieldsSpec;
  /** A regular expression: the value becomes its first capture group (or the whole match); no match is a row error. */
  match?: string;
  convert?: string | string[];
  map?: Record<string, unknown>;
  default?: unknown;
  required?: boolean;
}

export type FieldsSpec = { [target: string]: SourceSpec };

export interface Condition {
  path: string;
  equals?: Scalar;
  notEquals?: Scalar;
  in?: Scalar[];
  exists?: boolean;
}

/** One condition, or a list that must all hold. */
export type WhereSpec = Condition | Condition[];

export interface MappingSpec {
  externalId: SourceSpec;
  fields: FieldsSpec;
}

/** A location inside the connector's `config:` block, e.g. `['files', 1, 'fields', 'birthDate']`. */
export type Location = (string | number)[];

export interface CompileOptions {
  /** Where the spec sits in the connector config, for error messages. */
  at?: Location;
  /** Rows are flat (CSV): a path that is not valid path syntax is taken as a column name. */
  flat?: boolean;
}

export type MapResult =
  | { ok: true; data: Record<string, unknown>; externalId: string }
  /** `externalId` is set when it could be read, so a rejected row can still be traced. */
  | { ok: false; reasons: string[]; externalId?: string };

export type RowMapper = (row: unknown) => MapResult;

// ---------------------------------------------------------------------------------------------
// Locations and compile problems

/** `files[1].fields["name.family"]` — readable and unambiguous for keys that hold dots. */
export function formatLocation(at: Location): string {
  let out = '';
  for (const segment of at) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out || 'config';
}

/** JSON pointer under the connector's `config:` (how the hub reports schema errors too). */
export function locationPointer(at: Location): string {
  return `/config${at.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')}`;
}

class Problems {
  readonly issues: ValidationIssue[] = [];
  add(at: Location, message: string): void {
    this.issues.push({ path: locationPointer(at), message: `${formatLocation(at)}: ${message}` });
  }
  throwIfAny(): void {
    if (this.issues.length) throw mappingError(this.issues);
  }
}

/** One ConfigurationError listing every problem, each message already naming its location. */
export function mappingError(issues: ValidationIssue[]): ConfigurationError {
  const message =
    issues.length === 1
      ? `mapped: ${issues[0].message}`
      : `mapped: ${issues.length} problems in the mapping:\n${issues.map((i) => `  - ${i.message}`).join('\n')}`;
  return new ConfigurationError(message, issues);
}

// ---------------------------------------------------------------------------------------------
// Compiling sources

interface Produced {
  value: unknown;
  /**
   * True when the value came from the source row; constants and defaults decorate data but do
   * not make it exist (an identifier with a const system and an empty value is left out).
   */
  fromRow: boolean;
}

interface EvalContext {
  scope: Scope;
  /** Prefix of target labels inside `each`, e.g. `telecom[2].`. */
  label: string;
  reasons: string[];
}

interface Source {
  /** Whether the source reads the row (path, template, each) rather than a constant. */
  readsRow: boolean;
  produce(target: string, ctx: EvalContext): Produced | undefined;
}

const SOURCE_KINDS = ['path', 'const', 'template', 'each'] as const;
const VALUE_OPTIONS = ['match', 'convert', 'map', 'default', 'required'] as const;
const ALLOWED_KEYS: Record<(typeof SOURCE_KINDS)[number], readonly string[]> = {
  path: VALUE_OPTIONS,
  template: VALUE_OPTIONS,
  const: [],
  each: ['where', 'fields', 'required'],
};

/**
 * Compiles a path for callers outside a mapping (e.g. a webhook's `records`). The function returns
 * the value (a list for `[*]`) or undefined, and throws PathMismatch where a list meets `.name`.
 */
export function compilePath(text: string, options: CompileOptions = {}): (value: unknown) => unknown {
  const problems = new Problems();
  const path = compilePathOrReport(text, options.at ?? [], options.flat ?? false, problems);
  problems.throwIfAny();
  return (value) => path!.get({ row: value, record: value });
}

function compilePathOrReport(text: unknown, at: Location, flat: boolean, problems: Problems): SourcePath | undefined {
  if (typeof text !== 'string' || text.trim() === '') {
    problems.add(at, 'a source path must be a non-empty string');
    return undefined;
  }
  try {
    return compileSourcePath(text, flat);
  } catch (error) {
    if (!(error instanceof PathSyntaxError)) throw error;
    problems.add(at, `bad path ${JSON.stringify(text)}: ${error.message}`);
    return undefined;
  }
}

function compileSource(spec: unknown, at: Location, flat: boolean, problems: Problems): Source | undefined {
  if (typeof spec === 'string') return compileValueSource({ path: spec }, 'path', at, flat, problems, true);
  if (!isObject(spec)) {
    problems.add(at, `must be a source path or an object with one of ${SOURCE_KINDS.join(', ')}`);
    return undefined;
  }
  const kinds = SOURCE_KINDS.filter((k) => Object.hasOwn(spec, k));
  if (kinds.length !== 1) {
    problems.add(at, kinds.length ? `has ${kinds.join(' and ')}: use only one` : `needs one of ${SOURCE_KINDS.join(', ')}`);
    return undefined;
  }
  const kind = kinds[0];
  const extra = Object.keys(spec).filter((k) => k !== kind && !ALLOWED_KEYS[kind].includes(k));
  for (const key of extra) {
    const allowed = ALLOWED_KEYS[kind].length ? `; ${kind} allows ${ALLOWED_KEYS[kind].join(', ')}` : '';
    problems.add([...at, key], `is not allowed with ${kind}${allowed}`);
  }
  if (extra.length) return undefined;
  if (kind === 'const') return constSource(spec.const);
  if (kind === 'each') return compileEach(spec as SourceObject, at, flat, problems);
  return compileValueSource(spec as SourceObject, kind, at, flat, problems);
}

function describeSpec(spec: SourceSpec): string {
  if (typeof spec === 'string') return spec;
  if (typeof spec.path === 'string') return spec.path;
  return `template ${JSON.stringify(spec.template)}`;
}

function requiredSource(source: Source, path: string): Source {
  return {
    readsRow: true,
    produce(field, ctx) {
      const before = ctx.reasons.length;
      const produced = source.produce(field, ctx);
      if (!produced && ctx.reasons.length === before) ctx.reasons.push(`${ctx.label}${field}: is required but source ${path} is empty`);
      return produced;
    },
  };
}

function constSource(value: unknown): Source {
  return { readsRow: false, produce: () => (isEmpty(value) ? undefined : { value, fromRow: false }) };
}

interface Template {
  text: string;
  parts: (string | SourcePath)[];
}

function compileTemplate(text: unknown, at: Location, flat: boolean, problems: Problems): Template | undefined {
  if (typeof text !== 'string' || text === '') {
    problems.add(at, 'a template must be a non-empty string');
    return undefined;
  }
  const parts: (string | SourcePath)[] = [];
  let literal = '';
  let ok = true;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if ((char === '{' || char === '}') && text[i + 1] === char) {
      literal += char; // "{{" and "}}" are literal braces
      i++;
    } else if (char === '{') {
      const close = text.indexOf('}', i);
      if (close < 0) {
        problems.add(at, `template ${JSON.stringify(text)}: "{" at position ${i + 1} is never closed`);
        return undefined;
      }
      if (literal) parts.push(literal);
      literal = '';
      const path = compilePathOrReport(text.slice(i + 1, close), at, flat, problems);
      if (path) parts.push(path);
      else ok = false;
      i = close;
    } else if (char === '}') {
      problems.add(at, `template ${JSON.stringify(text)}: "}" at position ${i + 1} has no "{" (write "}}" for a brace)`);
      return undefined;
    } else {
      literal += char;
    }
  }
  if (literal) parts.push(literal);
  if (!ok) return undefined;
  if (!parts.some((p) => typeof p !== 'string')) {
    problems.add(at, `template ${JSON.stringify(text)} has no {placeholder}: use const for a fixed value`);
    return undefined;
  }
  return { text, parts };
}

function renderTemplate(template: Template, scope: Scope, target: string, reasons: string[]): unknown {
  let out = '';
  for (const part of template.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const value = normalize(part.get(scope));
    // One missing piece leaves the whole template absent: "{a}-{b}" must never become "x-".
    if (value === undefined) return undefined;
    if (!isScalar(value)) {
      reasons.push(`${target}: template placeholder {${part.text}} is ${describeShape(value)}, not a single value`);
      return FAIL;
    }
    out += String(value);
  }
  return out;
}

function compileConvert(spec: unknown, at: Location, problems: Problems): ConvertName[] | undefined {
  if (spec === undefined) return [];
  const names = Array.isArray(spec) ? spec : [spec];
  if (!names.length) {
    problems.add(at, 'convert is an empty list');
    return undefined;
  }
  let ok = true;
  for (const name of names) {
    if (typeof name === 'string' && (convertNames as string[]).includes(name)) continue;
    ok = false;
    const hint = typeof name === 'string' ? didYouMean(name, convertNames) : undefined;
    problems.add(
      at,
      `unknown convert ${JSON.stringify(name)}${hint ? ` (did you mean "${hint}"?)` : ''}; use one of ${convertNames.join(', ')}`,
    );
  }
  return ok ? (names as ConvertName[]) : undefined;
}

/** undefined: no match option; null: an invalid one (reported). */
function compileMatch(pattern: unknown, at: Location, problems: Problems): RegExp | undefined | null {
  if (pattern === undefined) return undefined;
  if (typeof pattern !== 'string' || !pattern) {
    problems.add(at, 'must be a regular expression as text');
    return null;
  }
  try {
    return new RegExp(pattern);
  } catch (error) {
    problems.add(at, `is not a valid regular expression: ${(error as Error).message}`);
    return null;
  }
}

function compileValueSource(
  spec: SourceObject,
  kind: 'path' | 'template',
  at: Location,
  flat: boolean,
  problems: Problems,
  bare = false,
): Source | undefined {
  const read =
    kind === 'path'
      ? compilePathOrReport(spec.path, bare ? at : [...at, 'path'], flat, problems)
      : compileTemplate(spec.template, [...at, 'template'], flat, problems);
  const convert = compileConvert(spec.convert, [...at, 'convert'], problems);
  const matcher = compileMatch(spec.match, [...at, 'match'], problems);
  if (matcher === null) return undefined;
  if (spec.map !== undefined && !isObject(spec.map)) problems.add([...at, 'map'], 'must be an object of source value -> target value');
  if (spec.required !== undefined && typeof spec.required !== 'boolean') problems.add([...at, 'required'], 'must be true or false');
  if (!read || !convert || (spec.map !== undefined && !isObject(spec.map))) return undefined;

  const map = spec.map;
  const hasDefault = spec.default !== undefined && spec.default !== null;
  const required = spec.required === true;
  const sourceName = kind === 'path' ? (read as SourcePath).text : `template ${JSON.stringify((read as Template).text)}`;

  const readRaw = (scope: Scope, target: string, reasons: string[]): unknown => {
    if (kind === 'template') return renderTemplate(read as Template, scope, target, reasons);
    return (read as SourcePath).get(scope);
  };

  const transform = (value: unknown, target: string, reasons: string[], element: string): unknown => {
    let current = value;
    if (matcher) {
      const found = isScalar(current) ? matcher.exec(String(current)) : null;
      if (!found) {
        reasons.push(`${target}: does not match ${JSON.stringify(spec.match)} (source ${sourceName}${element}: ${describeShape(current)})`);
        return FAIL;
      }
      current = found[1] ?? found[0];
    }
    for (const name of convert) {
      if (current === undefined) return undefined;
      const before = current;
      current = conversions[name](current);
      if (current === FAIL) {
        reasons.push(`${target}: cannot convert to ${name} (source ${sourceName}${element}: ${describeShape(before)})`);
        return FAIL;
      }
    }
    if (current === undefined || !map) return current;
    if (!isScalar(current)) {
      reasons.push(`${target}: map needs a single value (source ${sourceName}${element}: ${describeShape(current)})`);
      return FAIL;
    }
    const key = String(current);
    if (Object.hasOwn(map, key)) return map[key] ?? undefined;
    if (hasDefault) return spec.default;
    reasons.push(`${target}: no entry in map for the value (source ${sourceName}${element}: ${describeShape(current)})`);
    return FAIL;
  };

  return {
    readsRow: true,
    produce(field, ctx) {
      const target = ctx.label + field;
      let raw: unknown;
      try {
        raw = readRaw(ctx.scope, target, ctx.reasons);
      } catch (error) {
        if (!(error instanceof PathMismatch)) throw error;
        ctx.reasons.push(`${target}: ${error.message}`);
        return undefined;
      }
      if (raw === FAIL) return undefined;
      let value = normalize(raw);
      if (value !== undefined) {
        if (Array.isArray(value)) {
          const out: unknown[] = [];
          let failed = false;
          value.forEach((element, i) => {
            const converted = transform(element, target, ctx.reasons, `, element ${i}`);
            if (converted === FAIL) failed = true;
            else if (!isEmpty(converted)) out.push(converted);
          });
          if (failed) return undefined;
          value = out.length ? out : undefined;
        } else {
          const converted = transform(value, target, ctx.reasons, '');
          if (converted === FAIL) return undefined;
          value = isEmpty(converted) ? undefined : converted;
        }
      }
      if (value !== undefined) return { value, fromRow: true };
      if (hasDefault) return { value: spec.default, fromRow: false };
      if (required) ctx.reasons.push(`${target}: is required but source ${sourceName} is empty`);
      return undefined;
    },
  };
}

function compileEach(spec: SourceObject, at: Location, flat: boolean, problems: Problems): Source | undefined {
  const list = compilePathOrReport(spec.each, [...at, 'each'], flat, problems);
  const where = spec.where === undefined ? undefined : compileConditions(spec.where, [...at, 'where'], flat, problems);
  if (spec.required !== undefined && typeof spec.required !== 'boolean') problems.add([...at, 'required'], 'must be true or false');
  const tree = compileFields(spec.fields, [...at, 'fields'], flat, problems);
  if (!list || !tree || (spec.where !== undefined && !where)) return undefined;
  const required = spec.required === true;

  return {
    readsRow: true,
    produce(field, ctx) {
      const target = ctx.label + field;
      let found: unknown;
      try {
        found = normalize(list.get(ctx.scope));
      } catch (error) {
        if (!(error instanceof PathMismatch)) throw error;
        ctx.reasons.push(`${target}: ${error.message}`);
        return undefined;
      }
      const built: unknown[] = [];
      if (found !== undefined) {
        const elements = Array.isArray(found) ? found : [found];
        elements.forEach((element, i) => {
          const scope = { row: element, record: ctx.scope.record };
          if (where && !where(scope)) return;
          const object = buildNode(tree, { scope, label: `${target}[${i}].`, reasons: ctx.reasons });
          if (object) built.push(object.value);
        });
      }
      if (built.length) return { value: built, fromRow: true };
      if (required) ctx.reasons.push(`${target}: is required but source ${list.text} gives no elements`);
      return undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Target tree

type TargetNode =
  | { kind: 'leaf'; field: string; source: Source }
  | { kind: 'object'; children: Map<string, TargetNode>; readsRow: boolean }
  | { kind: 'array'; children: Map<number, TargetNode>; readsRow: boolean };

type ObjectNode = Extract<TargetNode, { kind: 'object' }>;

/** Target paths: names and `[n]` only; `[n]` orders list elements (empty ones are closed up). */
export function parseTarget(text: string): (string | number)[] {
  if (typeof text !== 'string' || text === '') throw new PathSyntaxError('target path is empty');
  const segments: (string | number)[] = [];
  const pattern = /([^.[\]]+)|\[(\d+)\]|(\.)/gy;
  let expectName = true;
  let match: RegExpExecArray | null;
  pattern.lastIndex = 0;
  while (pattern.lastIndex < text.length) {
    const at = pattern.lastIndex;
    match = pattern.exec(text);
    if (!match) {
      const rest = text.slice(at);
      const problem = rest.startsWith('[')
        ? 'a target index must be a number like [0] (selectors and [*] are for source paths)'
        : `unexpected "${text[at]}"`;
      throw new PathSyntaxError(`${problem} (at position ${at + 1})`);
    }
    if (match[1] !== undefined) {
      if (!expectName) throw new PathSyntaxError(`a "." is missing before "${match[1]}" (at position ${at + 1})`);
      segments.push(match[1]);
      expectName = false;
    } else if (match[2] !== undefined) {
      if (segments.length === 0) throw new PathSyntaxError('a target path must start with a name');
      if (expectName) throw new PathSyntaxError(`a name is missing (at position ${at + 1})`);
      segments.push(Number(match[2]));
    } else {
      if (expectName) throw new PathSyntaxError(`a name is missing (at position ${at + 1})`);
      expectName = true;
    }
  }
  if (expectName) throw new PathSyntaxError('a name is missing at the end');
  return segments;
}

function compileFields(spec: unknown, at: Location, flat: boolean, problems: Problems): ObjectNode | undefined {
  if (!isObject(spec) || Object.keys(spec).length === 0) {
    problems.add(at, 'must map at least one target field (target: source)');
    return undefined;
  }
  const root: ObjectNode = { kind: 'object', children: new Map(), readsRow: false };
  const owners = new Map<TargetNode, string>();
  let ok = true;
  for (const [field, sourceSpec] of Object.entries(spec)) {
    const fieldAt = [...at, field];
    let segments: (string | number)[];
    try {
      segments = parseTarget(field);
    } catch (error) {
      if (!(error instanceof PathSyntaxError)) throw error;
      problems.add(fieldAt, `bad target path: ${error.message}`);
      ok = false;
      continue;
    }
    const source = compileSource(sourceSpec, fieldAt, flat, problems);
    if (!source) {
      ok = false;
      continue;
    }
    const conflict = insertLeaf(root, segments, { kind: 'leaf', field, source }, owners, field);
    if (conflict) {
      problems.add(fieldAt, conflict);
      ok = false;
    }
  }
  if (!ok) return undefined;
  markReadsRow(root);
  return root;
}

function insertLeaf(
  root: ObjectNode,
  segments: (string | number)[],
  leaf: TargetNode,
  owners: Map<TargetNode, string>,
  field: string,
): string | undefined {
  let node: TargetNode = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const last = i === segments.length - 1;
    const container = node as Exclude<TargetNode, { kind: 'leaf' }>;
    const wantsKind = typeof segment === 'number' ? 'array' : 'object';
    if (container.kind !== wantsKind) {
      return `conflicts with ${owners.get(container)}: one treats it as ${container.kind === 'array' ? 'a list' : 'an object'}, this one as ${wantsKind === 'array' ? 'a list' : 'an object'}`;
    }
    const children = container.children as Map<string | number, TargetNode>;
    const existing = children.get(segment);
    if (last) {
      if (existing) return `conflicts with ${owners.get(existing) ?? 'another field'}: both set the same target`;
      children.set(segment, leaf);
      owners.set(leaf, field);
      return undefined;
    }
    if (existing?.kind === 'leaf') return `conflicts with ${existing.field}, which sets the whole value`;
    if (!existing) {
      const next: TargetNode =
        typeof segments[i + 1] === 'number'
          ? { kind: 'array', children: new Map(), readsRow: false }
          : { kind: 'object', children: new Map(), readsRow: false };
      children.set(segment, next);
      owners.set(next, field);
      node = next;
    } else {
      node = existing;
    }
  }
  return undefined;
}

function markReadsRow(node: TargetNode): boolean {
  if (node.kind === 'leaf') return node.source.readsRow;
  let reads = false;
  for (const child of node.children.values()) reads = markReadsRow(child) || reads;
  node.readsRow = reads;
  return reads;
}

function buildNode(node: TargetNode, ctx: EvalContext): Produced | undefined {
  if (node.kind === 'leaf') return node.source.produce(node.field, ctx);
  let fromRow = false;
  let any = false;
  let value: Record<string, unknown> | unknown[];
  if (node.kind === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of node.children) {
      const produced = buildNode(child, ctx);
      if (!produced) continue;
      out[key] = produced.value;
      any = true;
      fromRow ||= produced.fromRow;
    }
    value = out;
  } else {
    const out: unknown[] = [];
    for (const index of [...node.children.keys()].sort((a, b) => a - b)) {
      const produced = buildNode(node.children.get(index)!, ctx);
      if (!produced) continue;
      out.push(produced.value);
      any = true;
      fromRow ||= produced.fromRow;
    }
    value = out;
  }
  if (!any) return undefined;
  if (node.readsRow && !fromRow) return undefined;
  return { value, fromRow };
}

/** Builds the object a fields tree describes; nested objects obey the same pruning as in records. */
function buildRecord(tree: ObjectNode, ctx: EvalContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of tree.children) {
    const produced = buildNode(child, ctx);
    if (produced) out[key] = produced.value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Conditions

const OPERATORS = ['equals', 'notEquals', 'in', 'exists'] as const;

function compileConditions(
  spec: unknown,
  at: Location,
  flat: boolean,
  problems: Problems,
): ((scope: Scope) => boolean) | undefined {
  const list = Array.isArray(spec) ? spec : [spec];
  if (!list.length) {
    problems.add(at, 'where is an empty list');
    return undefined;
  }
  const tests: ((scope: Scope) => boolean)[] = [];
  list.forEach((condition, i) => {
    const cAt = Array.isArray(spec) ? [...at, i] : at;
    if (!isObject(condition)) {
      problems.add(cAt, `must be { path, equals | notEquals | in | exists }`);
      return;
    }
    const path = compilePathOrReport(condition.path, [...cAt, 'path'], flat, problems);
    const operators = OPERATORS.filter((op) => Object.hasOwn(condition, op));
    const unknown = Object.keys(condition).filter((k) => k !== 'path' && !(OPERATORS as readonly string[]).includes(k));
    for (const key of unknown) problems.add([...cAt, key], `is not a condition; use one of ${OPERATORS.join(', ')}`);
    if (operators.length !== 1) {
      problems.add(cAt, operators.length ? `has ${operators.join(' and ')}: use one per condition` : `needs one of ${OPERATORS.join(', ')}`);
      return;
    }
    const op = operators[0];
    const operand = condition[op];
    if (op === 'exists' && typeof operand !== 'boolean') problems.add([...cAt, op], 'must be true or false');
    else if (op === 'in' && !(Array.isArray(operand) && operand.every(isScalar))) problems.add([...cAt, op], 'must be a list of values');
    else if ((op === 'equals' || op === 'notEquals') && !isScalar(operand)) problems.add([...cAt, op], 'must be a string, number or boolean');
    else if (path && !unknown.length) tests.push(conditionTest(path, op, operand));
  });
  if (tests.length !== list.length) return undefined;
  return (scope) => tests.every((test) => test(scope));
}

function conditionTest(path: SourcePath, op: (typeof OPERATORS)[number], operand: unknown): (scope: Scope) => boolean {
  const expected = op === 'in' ? (operand as Scalar[]).map(String) : [String(operand)];
  return (scope) => {
    let found: unknown;
    try {
      found = normalize(path.get(scope));
    } catch (error) {
      // A list where one value was expected matches nothing; the row is filtered, not failed.
      if (error instanceof PathMismatch) return false;
      throw error;
    }
    if (op === 'exists') return (found !== undefined) === operand;
    const values = found === undefined ? [] : Array.isArray(found) ? found : [found];
    const hit = values.some((v) => isScalar(v) && expected.includes(String(v)));
    return op === 'notEquals' ? !hit : hit;
  };
}

/** Compiles a `where` filter for whole rows. Throws ConfigurationError naming each problem. */
export function compileWhere(spec: WhereSpec, options: CompileOptions = {}): (row: unknown) => boolean {
  const problems = new Problems();
  const test = compileConditions(spec, options.at ?? ['where'], options.flat ?? false, problems);
  problems.throwIfAny();
  return (row) => test!({ row, record: row });
}

// ---------------------------------------------------------------------------------------------
// Whole mappings

/**
 * Compiles a mapping once. The returned function maps one source row to canonical data plus its
 * external id, or to reasons (each naming the target field and source path, never a value).
 * Throws ConfigurationError listing every problem in the spec, each with its location.
 */
export function compileMapping(spec: MappingSpec, options: CompileOptions = {}): RowMapper {
  const at = options.at ?? [];
  const flat = options.flat ?? false;
  const problems = new Problems();
  if (!isObject(spec)) {
    problems.add(at, 'a mapping needs externalId and fields');
    problems.throwIfAny();
  }
  let externalId: Source | undefined;
  if (spec.externalId === undefined) {
    problems.add([...at, 'externalId'], 'is required: the source of each record\'s id in the external system');
  } else if (isObject(spec.externalId) && (Object.hasOwn(spec.externalId, 'const') || Object.hasOwn(spec.externalId, 'each'))) {
    problems.add([...at, 'externalId'], 'must read the row (a path or a template), not a const or each');
  } else {
    const source = compileSource(spec.externalId, [...at, 'externalId'], flat, problems);
    // An id is never optional: a row without one cannot be upserted idempotently.
    if (source) externalId = requiredSource(source, describeSpec(spec.externalId));
  }
  const tree = compileFields(spec.fields, [...at, 'fields'], flat, problems);
  problems.throwIfAny();
  const setsVersion = tree!.children.has('schemaVersion');

  return (row) => {
    if (!isObject(row)) return { ok: false, reasons: [`row: expected an object, got ${describeShape(row)}`] };
    const ctx: EvalContext = { scope: { row, record: row }, label: '', reasons: [] };
    const id = externalId!.produce('externalId', ctx);
    let idText: string | undefined;
    if (id === undefined) {
      // produce() has already said why.
    } else if (!isScalar(id.value)) {
      ctx.reasons.push(`externalId: must be a single value, the source gives ${describeShape(id.value)}`);
    } else {
      idText = String(id.value);
    }
    const built = buildRecord(tree!, ctx);
    if (ctx.reasons.length) return idText === undefined ? { ok: false, reasons: ctx.reasons } : { ok: false, reasons: ctx.reasons, externalId: idText };
    const data = setsVersion ? built : { schemaVersion: CANONICAL_SCHEMA_VERSION, ...built };
    return { ok: true, data, externalId: idText! };
  };
}
