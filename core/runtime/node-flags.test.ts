import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HUB_NODE_FLAGS } from './node-flags.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const flags = HUB_NODE_FLAGS.join(' ');

describe('the node options the hub runs with', () => {
  it('are in bin/hub.js so that an installed `hub` command starts with them', async () => {
    const [shebang] = (await readFile(root('bin/hub.js'), 'utf8')).split('\n');
    expect(shebang).toBe(`#!/usr/bin/env -S node ${flags}`);
  });

  it('are passed by the npm scripts that start the hub', async () => {
    const { scripts } = JSON.parse(await readFile(root('package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.start).toBe(`node ${flags} bin/hub.js start`);
    expect(scripts.hub).toBe(`node ${flags} bin/hub.js`);
  });
});
