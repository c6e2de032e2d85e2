/**
 * The `mapped` plugin's `config:` block as JSON Schema. The hub validates YAML against it and
 * reports errors with line numbers; meaning (path syntax, conversion names, one source kind per
 * field, target conflicts, entity names) is checked when the mapping compiles, in `checkConfig`.
 */
import { Type, type Static, type TSchema } from '../../core/sdk/index.js';
import { convertNames, type FieldsSpec, type Scalar, type SourceSpec, type WhereSpec } from './mapping.js';

const scalar = (description: string) =>
  Type.Unsafe<Scalar>({ type: ['string', 'number', 'boolean'], description });

const condition = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'Source path to test, e.g. `resourceType` or `status`.' }),
    equals: Type.Optional(scalar('Holds when the value (or any value of a list) equals this, compared as text.')),
    notEquals: Type.Optional(scalar('Holds when no value equals this (also when the path is empty).')),
    in: Type.Optional(Type.Array(scalar('One accepted value.'), { minItems: 1, description: 'Holds when a value equals one of these.' })),
    exists: Type.Optional(Type.Boolean({ description: '`true`: holds when the path has a value; `false`: when it is empty.' })),
  },
  { additionalProperties: false, description: 'One test: `path` plus exactly one of equals, notEquals, in, exists.' },
);

const whereSchema = Type.Unsafe<WhereSpec>(
  Type.Union([condition, Type.Array(condition, { minItems: 1 })], {
    description: 'Row filter: one condition or a list that must all hold. Rows that fail are skipped (counted as rowsFiltered), not rejected.',
  }),
);

/** `each` nests fields; three levels cover real data (contact -> telecom), and compile checks deeper ones. */
const MAX_SCHEMA_DEPTH = 3;

function sourceSchema(depth: number, description = 'Where a target value comes from: a source path, or an object (path / const / template / each).'): TSchema {
  const nestedFields =
    depth >= MAX_SCHEMA_DEPTH
      ? Type.Unsafe<FieldsSpec>(Type.Record(Type.String(), Type.Unknown(), { description: 'Target -> source, relative to each element.' }))
      : fieldsSchema(depth + 1, 'Target (relative to each built object) -> source (relative to each element; `$.x` reads the whole record, `@` is the element itself).');
  const object = Type.Object(
    {
      path: Type.Optional(Type.String({ minLength: 1, description: 'Source path: `a.b`, `a[0].b`, `a[-1]`, `a[*].b` (all), `a[key=value].b`, `a[key.sub=value]`, `a["odd.key"]`. A CSV column name works as written.' })),
      const: Type.Optional(Type.Unknown({ description: 'A fixed value (any JSON). Constants alone never make a nested object or list element exist.' })),
      template: Type.Optional(Type.String({ minLength: 1, description: 'Text with `{path}` placeholders, e.g. `"{Supplier SKU}-{UOM}"`; `{{` and `}}` are literal braces. Empty when any placeholder is empty.' })),
      each: Type.Optional(Type.String({ minLength: 1, description: 'Builds a list: one object per element of this source list (a lone object counts as one element).' })),
      where: Type.Optional(whereSchema),
      fields: Type.Optional(nestedFields),
      match: Type.Optional(Type.String({ minLength: 1, description: 'A regular expression applied before convert: the value becomes its first capture group (or the whole match), e.g. `"\\|(\\d{10})$"` for the NPI at the end of `Practitioner?identifier=…|1234567893`. No match is a row error.' })),
      convert: Type.Optional(
        Type.Unsafe<string | string[]>({
          type: ['string', 'array'],
          items: { type: 'string' },
          description: `Conversion, or a list applied in order, before map: ${convertNames.join(', ')}. A value that does not convert is a row error naming the field.`,
        }),
      ),
      map: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Translates source values (after convert) to target values, e.g. `{ M: male, F: female }`. A value with no entry takes `default`, else is a row error. `null` means "leave absent".' })),
      default: Type.Optional(Type.Unknown({ description: 'Used when the source is empty (absent, null, blank) or has no entry in map. Not converted.' })),
      required: Type.Optional(Type.Boolean({ description: 'An empty source (and no default) is a row error. @default false' })),
    },
    {
      additionalProperties: false,
      description: 'A source with exactly one of path, const, template, each; path and template take convert, map, default, required; each takes where, fields, required.',
    },
  );
  return Type.Unsafe<SourceSpec>(
    Type.Union([Type.String({ minLength: 1, description: 'A source path (see `path`).' }), object], { description }),
  );
}

function fieldsSchema(depth: number, description: string) {
  return Type.Unsafe<FieldsSpec>(Type.Record(Type.String({ minLength: 1 }), sourceSchema(depth), { minProperties: 1, description }));
}

const FIELDS_DESCRIPTION =
  'Canonical target path (`name.family`, `identifiers[0].value`) -> source. Targets left empty are omitted; `schemaVersion` is set for you unless mapped.';

const externalIdSchema = Type.Unsafe<SourceSpec>(
  sourceSchema(
    MAX_SCHEMA_DEPTH,
    "Source of each record's id in the external system (a path or a template), e.g. `id` or `{ template: \"{Supplier SKU}\" }`. Records upsert by it.",
  ),
);

const entityDescription = 'Canonical entity each mapped row becomes: Patient, Practitioner, CatalogItem, Employee, ...';

const externalSystemOverride = Type.String({
  minLength: 1,
  description: 'Namespace of this rule\'s external ids; default the top-level `externalSystem`.',
});

export const fileRuleSchema = Type.Object(
  {
    pattern: Type.String({ minLength: 1, description: 'File-name glob in the watched folder: `*`, `?`, `{a,b}`, e.g. `Patient*.ndjson`. Files matching several rules are read once and each row is offered to every rule.' }),
    folder: Type.Optional(Type.String({ minLength: 1, description: 'Sub-folder of transport.files to list, relative to its root; default the root.' })),
    format: Type.Unsafe<'ndjson' | 'csv'>({ type: 'string', enum: ['ndjson', 'csv'], description: '`ndjson` (one JSON object per line, e.g. FHIR bulk export) or `csv` (first row names the columns unless header: false).' }),
    delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1, description: 'CSV only: field separator, one character (`";"`, `"|"`, `"\\t"`). @default ","' })),
    header: Type.Optional(Type.Boolean({ description: 'CSV only: false when the file has no header row; columns are then named `0`, `1`, ... @default true' })),
    entity: Type.String({ minLength: 1, description: entityDescription }),
    externalSystem: Type.Optional(externalSystemOverride),
    where: Type.Optional(whereSchema),
    externalId: externalIdSchema,
    fields: fieldsSchema(1, FIELDS_DESCRIPTION),
  },
  { additionalProperties: false, description: 'One kind of file in the watched folder and how its rows map to one canonical entity.' },
);

export const webhookRuleSchema = Type.Object(
  {
    entity: Type.String({ minLength: 1, description: entityDescription }),
    records: Type.Optional(Type.String({ minLength: 1, description: 'Path to the list of records in the body, e.g. `data.employees`; default: the body is one record. A lone object at the path counts as one record.' })),
    externalSystem: Type.Optional(externalSystemOverride),
    where: Type.Optional(whereSchema),
    externalId: externalIdSchema,
    fields: fieldsSchema(1, FIELDS_DESCRIPTION),
  },
  { additionalProperties: false, description: 'How JSON webhook bodies map to one canonical entity.' },
);

export const mappedConfigSchema = Type.Object(
  {
    externalSystem: Type.String({
      minLength: 1,
      description: 'Default namespace of the external ids this connector emits, e.g. `riverside-ehr`. Records upsert by (tenant, entity, externalSystem, externalId).',
    }),
    files: Type.Optional(Type.Array(fileRuleSchema, { minItems: 1, description: 'File rules, in processing order (put referenced entities first). Needs transport.files.' })),
    webhook: Type.Optional(webhookRuleSchema),
  },
  { additionalProperties: false, description: 'Declarative mapping of files and webhook bodies onto canonical entities, for systems without a code plugin.' },
);

export type MappedConfig = Static<typeof mappedConfigSchema>;
export type FileRule = Static<typeof fileRuleSchema>;
export type WebhookRule = Static<typeof webhookRuleSchema>;
