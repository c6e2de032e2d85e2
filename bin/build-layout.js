// What bin/build.js compiles and where, and whether what it compiled is still current: shared by
// the build and by bin/hub.js, which runs the compiled hub only when it is.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(ROOT, 'dist');
/** Compiled as a whole: the bench measures the hub's code as the hub runs it. */
export const COMPILED_FOLDERS = ['core', 'connectors', 'plugins', 'bench'];
/** Marks a finished build; its time is what sources are compared with. */
export const BUILT_STAMP = '.built';
/** Besides the sources, a change to these makes another build's output. */
const BUILD_INPUTS = ['tsconfig.json', 'bin/build.js', 'bin/build-layout.js'];

/** A module of the hub: TypeScript, not a test nor a declaration file. */
export function isCompiledSource(file) {
  return file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.d.ts');
}

/** A file the modules read beside themselves (migrations, the PGlite worker, fixtures), copied as it is. */
export function isAsset(file) {
  return !file.endsWith('.ts') && !file.endsWith('.md') && !relative(ROOT, file).startsWith(join('bench', 'results'));
}

export function filesUnder(folder) {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/**
 * Why dist/ cannot be run as it is (no build yet, or a source changed after it), or undefined
 * when it is current. Reads only modification times: a few milliseconds for the whole tree.
 */
export function staleBuild() {
  let built;
  try {
    built = statSync(join(DIST, BUILT_STAMP)).mtimeMs;
  } catch {
    return 'there is no build yet';
  }
  for (const input of BUILD_INPUTS) {
    if (statSync(join(ROOT, input)).mtimeMs > built) return `${input} changed after the last build`;
  }
  for (const folder of COMPILED_FOLDERS) {
    for (const file of filesUnder(join(ROOT, folder))) {
      // A copied file changed since counts as much as a source: dist/ holds the old copy.
      if ((isCompiledSource(file) || isAsset(file)) && statSync(file).mtimeMs > built) return `${file.slice(ROOT.length + 1)} changed after the last build`;
    }
  }
  return undefined;
}
