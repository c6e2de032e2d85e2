import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ConfigurationError, type ValidationIssue } from '../errors.js';
import type { PluginDefinition } from '../sdk/types.js';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Validates a connector's `config:` block against its plugin's schema (applying defaults) and the
 * plugin's own cross-field check. Returns a validated copy; throws ConfigurationError listing every
 * problem by path.
 */
export function validatePluginConfig(plugin: PluginDefinition, config: unknown, where: string): Record<string, unknown> {
  let validate = compiled.get(plugin.config);
  if (!validate) {
    validate = ajv.compile(plugin.config);
    compiled.set(plugin.config, validate);
  }
  const copy = structuredClone(config ?? {}) as Record<string, unknown>;
  if (!validate(copy)) {
    const issues: ValidationIssue[] = (validate.errors ?? []).map((e) => ({
      path: `/config${e.instancePath}`,
      message: e.keyword === 'additionalProperties' ? `unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"` : e.message ?? 'is invalid',
    }));
    throw new ConfigurationError(
      `${where}: plugin ${plugin.name} config is invalid:\n${issues.map((i) => `  ${i.path}  ${i.message}`).join('\n')}`,
      issues,
    );
  }
  if (plugin.checkConfig) {
    try {
      plugin.checkConfig(copy);
    } catch (error) {
      if (error instanceof ConfigurationError) throw error;
      throw new ConfigurationError(`${where}: ${(error as Error).message}`, [{ path: '/config', message: (error as Error).message }], {
        cause: error,
      });
    }
  }
  return copy;
}
