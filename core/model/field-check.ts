/**
 * One canonical field's own rules (its format, pattern, enum, bounds), as a predicate on a single
 * value. A mapping asks before it places an optional value, so one malformed value is left out
 * and reported instead of sinking the whole record at emit; asking the model's schema keeps the
 * answer identical to what `validateEntity` would say, with no copy of the rules to drift.
 */
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { TSchema } from '@sinclair/typebox';
import { modelAjv } from './validate.js';
import { entitySchemas, type EntityName } from './schemas.js';

const checks = new Map<string, (value: unknown) => boolean>();

/**
 * `path` is written as the model reference writes fields: nested names joined by `.`, an array's
 * items as `[]` (`address.state`, `race.ombCategories[]`, `serviceLines[].procedure.code`).
 * Throws for a path the entity does not have: that is a mistake in the mapping, not in the data.
 */
export function fieldCheck(entity: EntityName, path: string): (value: unknown) => boolean {
  const key = `${entity}:${path}`;
  let check = checks.get(key);
  if (!check) {
    const validate: ValidateFunction = modelAjv().compile(withoutId(schemaAt(entity, path)));
    check = (value) => validate(value) === true;
    checks.set(key, check);
  }
  return check;
}

function schemaAt(entity: EntityName, path: string): TSchema {
  let schema: TSchema = entitySchemas[entity];
  for (const segment of path.split('.')) {
    const name = segment.endsWith('[]') ? segment.slice(0, -2) : segment;
    const next = propertyOf(schema, name);
    if (!next) throw new Error(`${entity} has no field "${path}" (no "${name}" there)`);
    schema = next;
    if (segment.endsWith('[]')) {
      if (schema.type !== 'array' || !schema.items) throw new Error(`${entity} field "${path}": "${name}" is not a list`);
      schema = schema.items as TSchema;
    }
  }
  return schema;
}

/** A property of an object schema, or of the first branch of a union that has it. */
function propertyOf(schema: TSchema, name: string): TSchema | undefined {
  const own = (schema.properties as Record<string, TSchema> | undefined)?.[name];
  if (own) return own;
  for (const branch of (schema.anyOf ?? schema.oneOf ?? []) as TSchema[]) {
    const found = propertyOf(branch, name);
    if (found) return found;
  }
  return undefined;
}

/** A sub-schema compiles on its own; only the entity root carries an `$id`. */
function withoutId(schema: TSchema): TSchema {
  if (!('$id' in schema)) return schema;
  const { $id: _id, ...rest } = schema;
  return rest as TSchema;
}
