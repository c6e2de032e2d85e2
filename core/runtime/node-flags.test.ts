import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HUB_NODE_FLAGS, missingNodeFlags } from './node-flags.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

describe('the node options the hub runs with', () => {
  it('are passed by the npm scripts that start the hub', async () => {
    const { scripts } = JSON.parse(await readFile(root('package.json'), 'utf8')) as { scripts: Record<string, string> };
    const flags = HUB_NODE_FLAGS.join(' ');
    expect(scripts.start).toBe(`node ${flags} bin/hub.js start`);
    expect(scripts.hub).toBe(`node ${flags} bin/hub.js`);
  });

  it('are reported missing when node was started without them', () => {
    expect(missingNodeFlags([])).toEqual(['--max-semi-space-size=32']);
    expect(missingNodeFlags(['--enable-source-maps'], '--max-old-space-size=2048')).toEqual(['--max-semi-space-size=32']);
  });

  it('count as given on the command line, in NODE_OPTIONS, or with a value the operator chose', () => {
    expect(missingNodeFlags(['--max-semi-space-size=32'])).toEqual([]);
    expect(missingNodeFlags([], '--inspect --max-semi-space-size=64')).toEqual([]);
    expect(missingNodeFlags(['--max-semi-space-size', '16'])).toEqual([]);
  });
});
