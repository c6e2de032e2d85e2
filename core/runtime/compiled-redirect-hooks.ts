/**
 * Module hooks a compiled hub registers before it imports a plugin's own code (see
 * compiled-hub.ts): an import that resolves to one of the project's sources that has a compiled
 * copy gets that copy. Runs in the module loader's thread: it shares nothing with the hub.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Roots {
  projectUrl: string;
  compiledUrl: string;
}

interface Resolved {
  url: string;
  format?: string | null;
}

let roots: Roots | undefined;

export function initialize(data: Roots): void {
  roots = data;
}

const COMPILED_SOURCE = /^(core|connectors|plugins)\/.+\.(ts|js)$/;

export async function resolve(
  specifier: string,
  context: unknown,
  nextResolve: (specifier: string, context: unknown) => Promise<Resolved>,
): Promise<Resolved> {
  const resolved = await nextResolve(specifier, context);
  if (!roots || !resolved.url.startsWith(roots.projectUrl) || resolved.url.startsWith(roots.compiledUrl)) return resolved;
  const path = resolved.url.slice(roots.projectUrl.length);
  if (!COMPILED_SOURCE.test(path)) return resolved;
  const compiled = `${roots.compiledUrl}${path.replace(/\.ts$/, '.js')}`;
  // A plugin added since the build has no copy: its sources are all there is.
  return existsSync(fileURLToPath(compiled)) ? { url: compiled, format: 'module' } : resolved;
}
