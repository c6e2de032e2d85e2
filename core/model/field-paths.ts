/**
 * Mapping coverage: which canonical fields records fill, and how often. Counted for every record a
 * plugin emits, so MSO IT can see that one practice's EHR never sends, say, ethnicity. Paths and
 * counts only: nothing here ever keeps a value.
 *
 * Paths are written as the model reference (docs/canonical-model.md) writes them: nested fields
 * joined by `.`, arrays collapsed as `[]` (`identifiers[]`, `identifiers[].value`,
 * `race.ombCategories[]`). A reference (`{ system, id }`) is one field, as its halves are never
 * filled apart. An object is filled through its fields and has no path of its own. `schemaVersion`
 * is always there and left out.
 */
import type { TSchema } from '@sinclair/typebox';
import { entitySchemas, isEntityName, type EntityName } from './schemas.js';

/** How many records of one entity were counted and how many of them filled each field. */
export interface EntityCoverage {
  records: number;
  /** Per field path: in how many of those records it was filled. */
  fields: Record<string, number>;
}

/** Coverage per entity name, as a run stores it (fields never filled are left out). */
export type RunCoverage = Record<string, EntityCoverage>;

// ---- the per-schema plan ------------------------------------------------------------------

const VALUE = 0;
const OBJECT = 1;
const ARRAY = 2;

interface FieldNode {
  key: string;
  kind: typeof VALUE | typeof OBJECT | typeof ARRAY;
  /** Index of the field's path in `EntityPlan.paths`; -1 for an object (filled through its fields). */
  index: number;
  /** An object's fields, or the fields of an array's object items. */
  children: readonly FieldNode[];
}

/** Marks, in `filled`, each path `record` fills; `stamp` and `seq` keep a path inside an array to one count per record. */
/** Marks a record's filled fields; returns how many list items it holds (a size, for batching). */
type CountFn = (record: Record<string, unknown>, filled: Float64Array, stamp: Float64Array, seq: number) => number;

interface EntityPlan {
  /** Every field path of the entity, in schema order. */
  paths: readonly string[];
  count: CountFn;
}

const plans = new Map<EntityName, EntityPlan>();

function planOf(entity: EntityName): EntityPlan {
  let plan = plans.get(entity);
  if (plan === undefined) {
    const paths: string[] = [];
    const roots = compile(entitySchemas[entity] as TSchema, '', paths);
    plan = { paths: Object.freeze(paths), count: generateCount(roots) };
    plans.set(entity, plan);
  }
  return plan;
}

function compile(schema: TSchema, prefix: string, paths: string[]): FieldNode[] {
  const properties = schema.properties as Record<string, TSchema> | undefined;
  if (properties === undefined) return [];
  const nodes: FieldNode[] = [];
  for (const [key, child] of Object.entries(properties)) {
    if (prefix === '' && key === 'schemaVersion') continue;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (child.type === 'array') {
      const items = child.items as TSchema | undefined;
      const index = paths.push(`${path}[]`) - 1;
      const children = items !== undefined && isPlainObject(items) ? compile(items, `${path}[]`, paths) : [];
      nodes.push({ key, kind: ARRAY, index, children });
    } else if (isPlainObject(child)) {
      nodes.push({ key, kind: OBJECT, index: -1, children: compile(child, path, paths) });
    } else {
      nodes.push({ key, kind: VALUE, index: paths.push(path) - 1, children: [] });
    }
  }
  return nodes;
}

/** An object walked into: anything with fields except a reference, which counts as one value. */
function isPlainObject(schema: TSchema): boolean {
  return schema.type === 'object' && schema.properties !== undefined && schema.title !== 'Reference';
}

/**
 * Writes the walk of one entity's fields as straight-line code, as ajv does for validation: every
 * property read has a constant key, so counting a record costs a fraction of validating it. The
 * keys come from the model's own schemas and are quoted with JSON.stringify all the same.
 */
function generateCount(roots: readonly FieldNode[]): CountFn {
  let names = 0;
  const mark = (index: number, inArray: boolean) =>
    // Outside arrays a field is reached once per record; inside, once per item, so stamp it.
    inArray ? `if (s[${index}] !== q) { s[${index}] = q; f[${index}]++; }\n` : `f[${index}]++;\n`;
  const walk = (nodes: readonly FieldNode[], from: string, inArray: boolean): string => {
    let code = '';
    for (const node of nodes) {
      const v = `v${names++}`;
      code += `var ${v} = ${from}[${JSON.stringify(node.key)}];\nif (${v} !== undefined && ${v} !== null && ${v} !== '') {\n`;
      if (node.kind === VALUE) {
        code += mark(node.index, inArray);
      } else if (node.kind === OBJECT) {
        code += `if (typeof ${v} === 'object') {\n${walk(node.children, v, inArray)}}\n`;
      } else {
        code += `if (Array.isArray(${v}) && ${v}.length > 0) {\nn += ${v}.length;\n${mark(node.index, inArray)}`;
        if (node.children.length > 0) {
          const i = `i${names++}`;
          const item = `v${names++}`;
          code += `for (var ${i} = 0; ${i} < ${v}.length; ${i}++) {\nvar ${item} = ${v}[${i}];\n`;
          code += `if (typeof ${item} === 'object' && ${item} !== null) {\n${walk(node.children, item, true)}}\n}\n`;
        }
        code += '}\n';
      }
      code += '}\n';
    }
    return code;
  };
  return new Function('r', 'f', 's', 'q', `'use strict';\nvar n = 0;\n${walk(roots, 'r', false)}return n;\n`) as CountFn;
}

// ---- counting -----------------------------------------------------------------------------

/** Per-entity counters, sized once from the plan: counting a record allocates nothing. */
class EntityTally {
  records = 0;
  readonly filled: Float64Array;
  /** The record number that last marked each path, so a path inside an array counts once per record. */
  readonly stamp: Float64Array;

  constructor(readonly plan: EntityPlan) {
    this.filled = new Float64Array(plan.paths.length);
    this.stamp = new Float64Array(plan.paths.length);
  }

  add(record: Record<string, unknown>): number {
    this.records += 1;
    return this.plan.count(record, this.filled, this.stamp, this.records);
  }
}

/**
 * Counts, per entity, how many records were added and how many filled each canonical field. The
 * runtime keeps one per run and adds every record a plugin emits that passed validation.
 */
export class FieldCoverageCounter {
  private readonly tallies = new Map<string, EntityTally>();

  /**
   * Counts one record, and returns how many list items it holds (every item of every list field,
   * nested ones included): the walk visits them anyway, and it tells a 5,000-claim payment from a
   * patient. An unknown entity name is ignored (0): only canonical records have fields to count.
   */
  add(entity: string, record: unknown): number {
    if (record === null || typeof record !== 'object') return 0;
    let tally = this.tallies.get(entity);
    if (tally === undefined) {
      if (!isEntityName(entity)) return 0;
      tally = new EntityTally(planOf(entity));
      this.tallies.set(entity, tally);
    }
    return tally.add(record as Record<string, unknown>);
  }

  /** True until a record was counted. */
  get empty(): boolean {
    return this.tallies.size === 0;
  }

  /** Per entity: records counted and, per field filled at least once, how many filled it. */
  toJSON(): RunCoverage {
    const out: RunCoverage = {};
    for (const [entity, tally] of this.tallies) {
      const fields: Record<string, number> = {};
      for (let i = 0; i < tally.filled.length; i++) if (tally.filled[i]! > 0) fields[tally.plan.paths[i]!] = tally.filled[i]!;
      out[entity] = { records: tally.records, fields };
    }
    return out;
  }
}

/** Every canonical field path of an entity, in schema order (`schemaVersion` left out). */
export function fieldPaths(entity: EntityName): readonly string[] {
  return planOf(entity).paths;
}

/** The canonical field paths that carry a value in `record`, sorted. */
export function filledFieldPaths(entity: EntityName, record: unknown): string[] {
  const plan = planOf(entity);
  if (record === null || typeof record !== 'object') return [];
  const tally = new EntityTally(plan);
  tally.add(record as Record<string, unknown>);
  const paths: string[] = [];
  for (let i = 0; i < tally.filled.length; i++) if (tally.filled[i]! > 0) paths.push(plan.paths[i]!);
  return paths.sort();
}

// ---- summaries over runs ------------------------------------------------------------------

export interface FieldCoverageSummary {
  path: string;
  /** Records that filled the field. */
  filled: number;
  /** filled / records, 0..1, rounded to 4 decimals. */
  rate: number;
}

export interface EntityCoverageSummary {
  entity: string;
  /** Records counted over the runs. */
  records: number;
  /** How many of the runs emitted this entity. */
  runs: number;
  /** Every field of the entity, never-filled ones at 0; lowest rate first, so gaps lead. */
  fields: FieldCoverageSummary[];
}

/**
 * Adds up the coverage of several runs per entity. Every field the entity's schema has is listed,
 * those no record filled at 0, sorted by rate (lowest first) then path; entities by name.
 */
export function summarizeCoverage(runs: readonly RunCoverage[]): EntityCoverageSummary[] {
  const totals = new Map<string, { records: number; runs: number; fields: Map<string, number> }>();
  for (const coverage of runs) {
    for (const [entity, counted] of Object.entries(coverage)) {
      let total = totals.get(entity);
      if (total === undefined) {
        const known = isEntityName(entity) ? fieldPaths(entity) : [];
        total = { records: 0, runs: 0, fields: new Map(known.map((path) => [path, 0])) };
        totals.set(entity, total);
      }
      total.records += counted.records;
      total.runs += 1;
      // A path the schema no longer has (a run from before a model change) is still shown.
      for (const [path, filled] of Object.entries(counted.fields)) total.fields.set(path, (total.fields.get(path) ?? 0) + filled);
    }
  }
  return [...totals.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([entity, total]) => ({
      entity,
      records: total.records,
      runs: total.runs,
      fields: [...total.fields.entries()]
        .map(([path, filled]) => ({ path, filled, rate: total.records === 0 ? 0 : Math.round((filled / total.records) * 10_000) / 10_000 }))
        .sort((a, b) => a.rate - b.rate || a.filled - b.filled || a.path.localeCompare(b.path)),
    }));
}
