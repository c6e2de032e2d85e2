import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exampleRecords } from './examples.js';
import { createModelAjv, entityNames } from './index.js';
import { renderJsonSchemas, renderReference } from './reference.js';

const docs = new URL('../../docs/', import.meta.url);
const ajv = createModelAjv();
const regenerate = 'run `npm run docs:model` and commit the result';

describe('generated reference', () => {
  it('docs/canonical-model.md matches the schemas', () => {
    const committed = readFileSync(new URL('canonical-model.md', docs), 'utf8');
    expect(committed === renderReference(), `docs/canonical-model.md is stale: ${regenerate}`).toBe(true);
  });

  it.each(entityNames)('docs/schemas/%s.schema.json matches the schema and validates the example', (name) => {
    const committed = readFileSync(new URL(`schemas/${name}.schema.json`, docs), 'utf8');
    expect(committed === renderJsonSchemas()[name], `docs/schemas/${name}.schema.json is stale: ${regenerate}`).toBe(true);
    // A tool outside TypeScript gets the same verdict from the JSON file.
    const validate = ajv.compile(JSON.parse(committed));
    expect(validate(exampleRecords[name]), JSON.stringify(validate.errors)).toBe(true);
  });

  it('documents every entity, rule and format', () => {
    const text = renderReference();
    for (const name of entityNames) expect(text).toContain(`### ${name}\n`);
    expect(text).toContain('must be a valid NPI (10 digits with a Luhn check digit)');
    expect(text).toContain('835 BPR02 = sum CLP04 - sum PLB04');
  });
});
