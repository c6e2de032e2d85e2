import { createRequire } from 'node:module';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginDefinition } from '../sdk/types.js';
import { prepareForPluginSources } from './compiled-hub.js';

/** Built-in plugins by name, loaded lazily; the composition root hands this in (core knows no plugin). */
export type BuiltinPlugins = Record<string, () => Promise<{ default: PluginDefinition }>>;

/**
 * Finds plugins the way YAML names them: a built-in name (`mapped`), a path (`./plugins/acme`,
 * relative to the config file), or an npm package name resolved from the config's folder.
 */
export class PluginLoader {
  private readonly cache = new Map<string, Promise<PluginDefinition>>();

  constructor(private readonly builtins: BuiltinPlugins) {}

  builtinNames(): string[] {
    return Object.keys(this.builtins).sort();
  }

  load(ref: string, baseDir: string): Promise<PluginDefinition> {
    const key = isPathRef(ref) ? resolve(baseDir, ref) : ref;
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.importPlugin(ref, baseDir);
      this.cache.set(key, pending);
      // A failed import is not cached: the operator may fix the path and validate again.
      pending.catch(() => this.cache.delete(key));
    }
    return pending;
  }

  private async importPlugin(ref: string, baseDir: string): Promise<PluginDefinition> {
    const builtin = this.builtins[ref];
    let module: unknown;
    if (builtin) {
      module = await builtin();
    } else if (isPathRef(ref)) {
      const path = resolve(baseDir, ref);
      await prepareForPluginSources();
      try {
        module = await import(pathToFileURL(resolveModuleFile(path)).href);
      } catch (error) {
        throw new Error(`plugin "${ref}" could not be loaded from ${path}: ${(error as Error).message}`, { cause: error });
      }
    } else {
      let entry: string;
      try {
        entry = createRequire(resolve(baseDir, 'package.json')).resolve(ref);
      } catch (error) {
        const known = this.builtinNames().join(', ');
        throw new Error(
          `unknown plugin "${ref}": not a built-in (${known}), not a path (start it with ./), and no npm package of that name is installed`,
          { cause: error },
        );
      }
      await prepareForPluginSources();
      module = await import(pathToFileURL(entry).href);
    }
    const definition = (module as { default?: unknown }).default ?? module;
    if (!isPluginDefinition(definition)) {
      throw new Error(`plugin "${ref}" does not export a definePlugin(...) definition as its default export`);
    }
    return definition;
  }
}

function isPathRef(ref: string): boolean {
  return ref.startsWith('./') || ref.startsWith('../') || isAbsolute(ref);
}

/** A folder means its index module; TypeScript sources are fine (see prepareForPluginSources). */
function resolveModuleFile(path: string): string {
  if (!existsSync(path) || !statSync(path).isDirectory()) return path;
  const pkgFile = join(path, 'package.json');
  if (existsSync(pkgFile)) {
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { main?: string; exports?: unknown };
    if (typeof pkg.main === 'string') return join(path, pkg.main);
  }
  for (const name of ['index.ts', 'index.js', 'index.mjs']) {
    if (existsSync(join(path, name))) return join(path, name);
  }
  return path;
}

function isPluginDefinition(value: unknown): value is PluginDefinition {
  const v = value as Partial<PluginDefinition> | null;
  return (
    !!v &&
    typeof v.name === 'string' &&
    typeof v.version === 'string' &&
    typeof v.config === 'object' &&
    Array.isArray(v.produces) &&
    Array.isArray(v.consumes)
  );
}

/** Adapts the loader to what config validation needs from each `plugin:` reference. */
export function pluginSchemaResolver(loader: PluginLoader) {
  return {
    async resolve(ref: string, baseDir: string) {
      const plugin = await loader.load(ref, baseDir);
      return {
        name: plugin.name,
        configSchema: plugin.config,
        consumes: plugin.consumes as string[],
        produces: plugin.produces as string[],
        checkConfig: plugin.checkConfig as ((config: unknown) => void) | undefined,
      };
    },
  };
}
