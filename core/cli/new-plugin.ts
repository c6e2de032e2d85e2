import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CONFIG_OPTION, type CliContext } from './main.js';
import { PROJECT_ROOT } from '../runtime/compiled-hub.js';

const NAME = /^[a-z][a-z0-9-]{1,62}$/;

/**
 * Scaffolds a plugin folder (index.ts, mapping.ts, tests, a fixture) whose own test passes at
 * once: a sync that pages through a JSON API and maps practitioners, tested with msw and the test kit.
 */
export async function newPluginCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...CONFIG_OPTION, dir: { type: 'string', default: 'plugins' } },
    allowPositionals: true,
  });
  const name = positionals[0];
  if (!name || !NAME.test(name)) {
    ctx.err('hub new-plugin: give a name of lowercase letters, digits and dashes, e.g. `hub new-plugin acme-payroll`');
    return 2;
  }
  const folder = resolve(values.dir ?? 'plugins', name);
  if (existsSync(folder)) {
    ctx.err(`hub new-plugin: ${folder} already exists; pick another name or remove it`);
    return 1;
  }
  const files = scaffold(name, folder);
  mkdirSync(join(folder, 'fixtures'), { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(folder, file), content);
  const rel = relative(process.cwd(), folder) || '.';
  ctx.out(`created ${rel}/ with ${Object.keys(files).join(', ')}`);
  ctx.out(`next: npx vitest run ${rel}   then use it in YAML as  plugin: ./${relative(process.cwd(), folder)}`);
  return 0;
}

/** Imports point into this project when the plugin lives inside it, else at the package name. */
function sdkImports(folder: string): { sdk: string; testkit: string } {
  const inside = !relative(PROJECT_ROOT, folder).startsWith('..');
  if (!inside) return { sdk: 'mso-integration-hub/sdk', testkit: 'mso-integration-hub/testkit' };
  const rel = relative(folder, join(PROJECT_ROOT, 'core/sdk')).split('\\').join('/');
  return { sdk: `${rel}/index.js`, testkit: `${rel}/testkit.js` };
}

export function scaffold(name: string, folder: string): Record<string, string> {
  const { sdk, testkit } = sdkImports(folder);
  const system = `urn:${name}:practitioner`;
  return {
    'index.ts': `import { definePlugin, Type } from '${sdk}';
import { mapPractitioner, type SourcePractitioner } from './mapping.js';

interface Page {
  items: SourcePractitioner[];
  next?: string;
}

export default definePlugin({
  name: '${name}',
  version: '0.1.0',
  description: 'Reads practitioners from the ${name} API.',
  config: Type.Object({
    baseUrl: Type.String({ format: 'uri', description: 'API root, e.g. https://api.example.com/v1' }),
    apiKey: Type.String({ minLength: 1, 'x-secret': true, description: 'API key (use \${env:…} in YAML)' }),
  }),
  produces: ['Practitioner'],
  consumes: [],
  async sync(ctx) {
    let url: string | undefined = \`\${ctx.config.baseUrl}/practitioners\`;
    while (url) {
      const page: Page = await ctx.http.getJson<Page>(url, {
        headers: { authorization: \`Bearer \${ctx.config.apiKey}\` },
        signal: ctx.signal,
      });
      for (const item of page.items) {
        await ctx.emit('Practitioner', mapPractitioner(item), { system: '${system}', id: item.id });
      }
      ctx.count('pages');
      url = page.next;
    }
  },
});
`,
    'mapping.ts': `import type { EntityData } from '${sdk}';

/** The external system's shape (what its API returns). */
export interface SourcePractitioner {
  id: string;
  firstName: string;
  lastName: string;
  npi?: string;
}

/** Pure: the external shape to the canonical Practitioner. No I/O here. */
export function mapPractitioner(source: SourcePractitioner): EntityData<'Practitioner'> {
  return {
    schemaVersion: '1.0.0',
    name: { family: source.lastName, given: [source.firstName] },
    ...(source.npi ? { npi: source.npi } : {}),
  };
}
`,
    'mapping.test.ts': `import { describe, expect, it } from 'vitest';
import { validateEntity } from '${sdk}';
import { mapPractitioner } from './mapping.js';

describe('mapPractitioner', () => {
  it('maps a practitioner to a valid canonical record', () => {
    const data = mapPractitioner({ id: 'p1', firstName: 'Ada', lastName: 'Quill', npi: '1234567893' });
    expect(data.name).toEqual({ family: 'Quill', given: ['Ada'] });
    expect(validateEntity('Practitioner', data)).toEqual([]);
  });
});
`,
    'index.test.ts': `import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPluginSync } from '${testkit}';
import plugin from './index.js';
import page1 from './fixtures/page-1.json' with { type: 'json' };

const api = setupServer(
  http.get('https://api.example.test/v1/practitioners', ({ request }) => {
    if (request.headers.get('authorization') !== 'Bearer test-key') {
      return HttpResponse.json({ error: 'unauthorized' }, { status: 401 });
    }
    const cursor = new URL(request.url).searchParams.get('cursor');
    if (!cursor) return HttpResponse.json({ ...page1, next: 'https://api.example.test/v1/practitioners?cursor=2' });
    return HttpResponse.json({ items: [{ id: 'p3', firstName: 'Noor', lastName: 'Vale', npi: '1245319599' }] });
  }),
);
beforeAll(() => api.listen({ onUnhandledRequest: 'error' }));
afterAll(() => api.close());

// The kit starts an embedded PostgreSQL (PGlite) per run: allow it a few seconds.
const SLOW = { timeout: 30_000 };

describe('${name} sync', () => {
  it('stores every practitioner across pages, and a second run changes nothing', SLOW, async () => {
    const config = { baseUrl: 'https://api.example.test/v1', apiKey: 'test-key' };
    const first = await runPluginSync(plugin, { config });
    expect(first.error).toBeUndefined();
    expect(first.records.map((r) => r.externalId).sort()).toEqual(['p1', 'p2', 'p3']);
    const again = await first.rerun();
    expect(again.counts).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    await first.harness.close();
  });

  it('fails the run without retrying when the API key is wrong', SLOW, async () => {
    const result = await runPluginSync(plugin, { config: { baseUrl: 'https://api.example.test/v1', apiKey: 'wrong' } });
    expect(result.run.status).toBe('failed');
    expect(result.run.error).toMatch(/401/);
    await result.harness.close();
  });
});
`,
    'fixtures/page-1.json': `${JSON.stringify(
      {
        items: [
          { id: 'p1', firstName: 'Ada', lastName: 'Quill', npi: '1234567893' },
          { id: 'p2', firstName: 'Rafael', lastName: 'Osei' },
        ],
      },
      null,
      2,
    )}
`,
  };
}
