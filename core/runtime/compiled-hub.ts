/**
 * Whether this hub runs compiled (from dist/, see bin/build.js) or from its TypeScript sources,
 * and what a compiled hub must do before it imports code that was not compiled with it.
 */
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// This module is <project>/core/runtime/compiled-hub.ts, or <project>/dist/core/runtime/compiled-hub.js.
const layoutRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const RUNNING_COMPILED = basename(layoutRoot) === 'dist' && existsSync(join(layoutRoot, '.built'));
/** The project's own folder (package.json, core/, plugins/…), whichever way the hub runs. */
export const PROJECT_ROOT = RUNNING_COMPILED ? dirname(layoutRoot) : layoutRoot;

let prepared = false;

/**
 * Called before a plugin is imported by path or by package name. A compiled hub then also loads
 * TypeScript (tsx), since a plugin's sources may be TypeScript, and sends every import of this
 * project's sources to their compiled copy: a plugin that imports `../../core/sdk/index.js` or
 * `mso-integration-hub/sdk` gets the very modules the hub runs, so the errors it throws are the
 * hub's own classes (a PermanentError stays permanent) rather than a second copy's.
 */
export async function prepareForPluginSources(): Promise<void> {
  if (!RUNNING_COMPILED || prepared) return;
  prepared = true;
  const tsx = await import('tsx/esm/api');
  tsx.register();
  // Registered after tsx, so it runs first and sees what tsx resolved a specifier to.
  register(new URL('./compiled-redirect-hooks.js', import.meta.url), {
    data: { projectUrl: pathToFileURL(`${PROJECT_ROOT}/`).href, compiledUrl: pathToFileURL(`${layoutRoot}/`).href },
  });
}
