/**
 * Vitest global setup: compiles the hub once before any test file runs, so the tests that start
 * `bin/hub.js` run what `npm start` runs (the compiled hub) on the sources under test, never on
 * a build older than them.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export default function buildHub(): void {
  const root = resolve(import.meta.dirname, '..');
  const result = spawnSync(process.execPath, [join(root, 'bin/build.js'), '--quiet'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bin/build.js failed (exit ${result.status}): ${result.stderr.trim()}`);
}
