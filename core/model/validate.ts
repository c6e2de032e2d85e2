import { _, Ajv2020, str, type ErrorObject, type KeywordCxt, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidationIssue } from '../errors.js';
import { builtinFormatMessages, compareDates, isValidDate, modelFormats } from './formats.js';
import { entityRules, type EntityRule } from './rules.js';
import { entitySchemas, isEntityName, type EntityName } from './schemas.js';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule.default;

/** Annotation keywords the model puts in its schemas; ajv's strict mode rejects unknown keywords. */
const ANNOTATION_KEYWORDS = ['x-phi'];

/**
 * An ajv instance that understands the canonical schemas: draft 2020-12, the model's identifier
 * formats, the `x-decimals` keyword for money and the `x-phi` annotation. Anyone compiling
 * canonical schemas (or schemas that embed them) should start from this: plain ajv knows neither
 * the formats nor the keywords.
 */
export function createModelAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv, ['date-time']);
  ajv.addFormat('date', { type: 'string', validate: isValidDate, compare: compareDates });
  for (const [name, format] of Object.entries(modelFormats)) {
    ajv.addFormat(name, { type: 'string', validate: format.validate });
  }
  for (const keyword of ANNOTATION_KEYWORDS) ajv.addKeyword({ keyword, schemaType: 'boolean' });
  ajv.addKeyword({
    keyword: 'x-decimals',
    type: 'number',
    schemaType: 'number',
    // Inlined into the compiled validator: exact for |x| < 2^53 / 10^decimals, since division is
    // correctly rounded and so lands on the same double as the decimal literal would.
    code(cxt: KeywordCxt) {
      const factor = 10 ** (cxt.schema as number);
      cxt.fail(_`Math.round(${cxt.data} * ${factor}) / ${factor} !== ${cxt.data}`);
    },
    error: {
      message: ({ schema }) => str`must have at most ${schema as number} decimal places`,
      params: ({ schema }) => _`{decimals: ${schema as number}}`,
    },
  });
  return ajv;
}

let ajv: Ajv2020 | undefined;
const validators = new Map<EntityName, ValidateFunction>();

/** The process's one model ajv, created on first use: whole records and single fields compile into it. */
export function modelAjv(): Ajv2020 {
  ajv ??= createModelAjv();
  return ajv;
}

function validatorFor(name: EntityName): ValidateFunction {
  let validate = validators.get(name);
  if (validate === undefined) {
    validate = modelAjv().compile(entitySchemas[name]);
    validators.set(name, validate);
  }
  return validate;
}

/**
 * Checks one record against its entity's schema and cross-field rules. Returns `[]` when the
 * record is valid, else one issue per problem, each naming the field by JSON pointer
 * (e.g. `/serviceLines/0/procedure/code`). Schemas compile once per process, on first use.
 */
export function validateEntity(name: EntityName, data: unknown): ValidationIssue[] {
  // Callers in plain JavaScript (third-party plugins) can pass any string.
  if (!isEntityName(name)) {
    return [{ path: '/', message: `is not a known entity type: ${JSON.stringify(name)}` }];
  }
  const validate = validatorFor(name);
  if (!validate(data)) return (validate.errors ?? []).map(toIssue);
  const rules = entityRules[name] as readonly EntityRule<EntityName>[] | undefined;
  if (rules === undefined) return [];
  const issues: ValidationIssue[] = [];
  for (const rule of rules) rule.check(data as never, issues);
  return issues;
}

const formatMessages: Record<string, string> = Object.fromEntries([
  ...Object.entries(modelFormats).map(([name, f]) => [name, f.message]),
  ...Object.entries(builtinFormatMessages).map(([name, f]) => [name, f.message]),
]);

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function toIssue(error: ErrorObject): ValidationIssue {
  let path = error.instancePath;
  let message = error.message ?? 'is invalid';
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      path += `/${escapePointer(String(params.missingProperty))}`;
      message = 'is required';
      break;
    case 'additionalProperties':
      path += `/${escapePointer(String(params.additionalProperty))}`;
      message = 'is not a field of the canonical model (check the spelling, or the schema version)';
      break;
    case 'format':
      message = formatMessages[String(params.format)] ?? message;
      break;
    case 'enum':
      message = `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
      break;
    case 'const':
      message = `must be ${JSON.stringify(params.allowedValue)}`;
      break;
    case 'minProperties':
    case 'minLength':
      if (params.limit === 1) message = 'must not be empty';
      break;
    case 'type':
      message = params.type === 'integer' ? 'must be a whole number' : `must be of type ${String(params.type)}`;
      break;
  }
  return { path: path === '' ? '/' : path, message };
}
