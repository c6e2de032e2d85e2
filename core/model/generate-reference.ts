/**
 * Writes docs/canonical-model.md and docs/schemas/<Entity>.schema.json from the schemas.
 * Run from the repository root: node --import tsx core/model/generate-reference.ts
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderJsonSchemas, renderReference } from './reference.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const docs = join(root, 'docs');
const schemasDir = join(docs, 'schemas');

await mkdir(schemasDir, { recursive: true });
await writeFile(join(docs, 'canonical-model.md'), renderReference());

const files = renderJsonSchemas();
const wanted = new Set(Object.keys(files).map((name) => `${name}.schema.json`));
// Drop schema files of entities that no longer exist, so docs/schemas mirrors the model exactly.
for (const file of await readdir(schemasDir)) {
  if (file.endsWith('.schema.json') && !wanted.has(file)) await rm(join(schemasDir, file));
}
for (const [name, json] of Object.entries(files)) {
  await writeFile(join(schemasDir, `${name}.schema.json`), json);
}
process.stdout.write(`wrote docs/canonical-model.md and ${wanted.size} schemas in docs/schemas/\n`);
