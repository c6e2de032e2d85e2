/**
 * The plugin SDK: everything a plugin author imports. Plugins see only this module (and
 * `connectors/`), never core internals, so a third-party plugin has exactly a built-in one's powers.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { PluginDefinition } from './types.js';

export type * from './types.js';
export { Type, type Static, type TSchema } from '@sinclair/typebox';
export {
  HubError,
  ConfigurationError,
  InputError,
  UpstreamError,
  TransientError,
  PermanentError,
  NotFoundError,
  type ValidationIssue,
} from '../errors.js';
export { CLAIM_LIFECYCLE_SYSTEM, entityNames, isEntityName, validateEntity, type EntityName, type EntityData } from '../model/index.js';
export type { StoredRecord } from '../store/types.js';
/** The key `ctx.records.findMany` answers under for a ref. */
export { refKey } from '../store/ids.js';
/** Mapping coverage: the canonical field paths a record fills, counted per entity (paths and counts, never values). */
export { FieldCoverageCounter, fieldPaths, filledFieldPaths, type EntityCoverage, type RunCoverage } from '../model/field-paths.js';
/** One canonical field's own rules as a predicate on a value: ask before placing an optional value. */
export { fieldCheck } from '../model/field-check.js';
/** Milliseconds from a YAML duration ('30s', '5m', '1h', '2d', or a number of ms). */
export { parseDuration } from '../config/schema.js';
/** "Did you mean …?" for a name a person typed, e.g. in a plugin's checkConfig. */
export { didYouMean } from '../suggest.js';
export type { FileTransport, FileInfo } from '../../connectors/files/types.js';
export type { HttpClient } from '../../connectors/http/types.js';

/**
 * A config field holding a duration, checked when the config loads (a typo is reported at its YAML
 * line, not when the timer first runs); read it with `parseDuration`.
 */
export function Duration(options: { description: string; default?: string }) {
  return Type.Unsafe<string | number>({ type: ['string', 'integer'], 'x-check': 'duration', ...options });
}

const PLUGIN_NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Declares a plugin. Checks the definition at once so a mistake shows when the hub loads the
 * plugin, naming the field, rather than when the first job runs.
 */
export function definePlugin<S extends TSchema>(definition: PluginDefinition<S>): PluginDefinition<S> {
  const problems: string[] = [];
  if (!PLUGIN_NAME.test(definition.name ?? '')) problems.push(`name must be lowercase letters, digits and dashes (got ${JSON.stringify(definition.name)})`);
  if (typeof definition.version !== 'string' || !definition.version) problems.push('version is required');
  if (!definition.config || typeof definition.config !== 'object') problems.push('config must be a JSON Schema (e.g. Type.Object({...}))');
  if (!Array.isArray(definition.produces)) problems.push('produces must list the canonical entities the plugin emits');
  if (!Array.isArray(definition.consumes)) problems.push('consumes must list the canonical entities the plugin delivers');
  if (!definition.sync && !definition.deliver && !definition.webhook) problems.push('a plugin needs at least one of sync, deliver or webhook');
  if (definition.consumes?.length && !definition.deliver) problems.push('consumes is set but deliver is missing');
  if (problems.length) {
    throw new TypeError(`definePlugin(${definition.name ?? '?'}): ${problems.join('; ')}`);
  }
  return Object.freeze(definition);
}
