import type { TSchema } from '@sinclair/typebox';
import { entitySchemas, type EntityName } from './schemas.js';

const cache = new Map<EntityName, readonly string[]>();

/**
 * Paths of the fields marked `x-phi` in an entity's schema, as JSON pointers with `*` standing for
 * every array index (e.g. `/claimPayments/*\/patient/name`). A marked object or array is listed once,
 * not its parts, because redacting it redacts everything inside.
 */
export function phiPaths(name: EntityName): string[] {
  let paths = cache.get(name);
  if (paths === undefined) {
    const found: string[] = [];
    collect(entitySchemas[name], '', found);
    paths = Object.freeze(found);
    cache.set(name, paths);
  }
  return [...paths];
}

function collect(schema: TSchema, path: string, found: string[]): void {
  if (schema['x-phi'] === true) {
    found.push(path);
    return;
  }
  const properties = schema.properties as Record<string, TSchema> | undefined;
  if (properties !== undefined) {
    for (const [key, child] of Object.entries(properties)) collect(child, `${path}/${key}`, found);
  }
  const items = schema.items as TSchema | undefined;
  if (items !== undefined && typeof items === 'object') collect(items, `${path}/*`, found);
}
