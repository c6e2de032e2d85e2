#!/usr/bin/env node
// Compiles the hub's TypeScript to JavaScript under dist/, file for file (no bundling), and copies
// the files its modules read beside themselves (migrations, the PGlite worker, fixtures). The hub
// then runs without a TypeScript loader: under tsx every process also carries the loader's own
// thread, about 30 MB, and each function made at run time pays for a naming helper.
//
//   node bin/build.js            (npm run build; npm install runs it too, as `prepare`)
import { copyFile, mkdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import { BUILT_STAMP, COMPILED_FOLDERS, DIST, ROOT, filesUnder, isAsset, isCompiledSource } from './build-layout.js';

const started = performance.now();
const startedAt = new Date();
const sources = [];
const assets = [];
for (const folder of COMPILED_FOLDERS) {
  for (const file of filesUnder(join(ROOT, folder))) {
    if (isCompiledSource(file)) sources.push(file);
    else if (isAsset(file)) assets.push(file);
  }
}

// Built beside dist/ and then put in its place, so a hub running from dist/ never finds it half
// written, and a source deleted since the last build leaves no module behind.
const next = `${DIST}.${process.pid}`;
await rm(next, { recursive: true, force: true });
await build({
  entryPoints: sources,
  outdir: next,
  outbase: ROOT,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  tsconfig: join(ROOT, 'tsconfig.json'),
  // Maps on disk for anyone who runs with --enable-source-maps; nothing is loaded otherwise.
  sourcemap: 'linked',
  logLevel: 'warning',
});
for (const file of assets) {
  const target = join(next, relative(ROOT, file));
  await mkdir(dirname(target), { recursive: true });
  await copyFile(file, target);
}
// Dated when the build began: a source saved while it ran is newer, so the next start sees it.
const stamp = join(next, BUILT_STAMP);
await writeFile(stamp, `${startedAt.toISOString()}\n`);
await utimes(stamp, startedAt, startedAt);
await replaceDist(next);
if (!process.argv.includes('--quiet')) {
  const ms = Math.round(performance.now() - started);
  process.stdout.write(`built ${sources.length} modules and ${assets.length} files into ${relative(process.cwd(), DIST) || DIST}/ in ${ms} ms\n`);
}

/** Puts the new build in dist/'s place; another build finishing at the same moment just goes first. */
async function replaceDist(built) {
  const previous = [];
  for (let attempt = 1; ; attempt++) {
    previous.push(`${DIST}.${process.pid}.old${attempt}`);
    await rename(DIST, previous.at(-1)).catch((error) => {
      if (error.code !== 'ENOENT') throw error;
    });
    try {
      await rename(built, DIST);
      break;
    } catch (error) {
      if ((error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') || attempt === 5) throw error;
    }
  }
  for (const folder of previous) await rm(folder, { recursive: true, force: true });
}
