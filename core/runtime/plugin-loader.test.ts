import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinPlugins } from '../../plugins/index.js';
import { PluginLoader } from './plugin-loader.js';

const SDK = resolve(import.meta.dirname, '../sdk/index.ts');
const work = mkdtempSync(join(tmpdir(), 'hub-plugins-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const pluginSource = (name: string) => `import { definePlugin, Type } from ${JSON.stringify(SDK)};
export default definePlugin({
  name: '${name}', version: '2.1.0', config: Type.Object({}), produces: ['Supplier'], consumes: [],
  async sync() {},
});
`;

describe('PluginLoader finds plugins the way YAML names them', () => {
  const loader = new PluginLoader(builtinPlugins);

  it('by built-in name', async () => {
    const plugin = await loader.load('mapped', work);
    expect(plugin.name).toBe('mapped');
  });

  it('by path, relative to the config folder, TypeScript included', async () => {
    mkdirSync(join(work, 'plugins/acme-supply'), { recursive: true });
    writeFileSync(join(work, 'plugins/acme-supply/index.ts'), pluginSource('acme-supply'));
    const plugin = await loader.load('./plugins/acme-supply', work);
    expect(plugin).toMatchObject({ name: 'acme-supply', version: '2.1.0' });
  });

  it('by npm package name, installed beside the config', async () => {
    const pkg = join(work, 'node_modules/@acme/hub-plugin');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@acme/hub-plugin', version: '3.0.0', main: 'index.ts', type: 'module' }));
    writeFileSync(join(pkg, 'index.ts'), pluginSource('acme-hub-plugin'));
    const plugin = await loader.load('@acme/hub-plugin', work);
    expect(plugin.name).toBe('acme-hub-plugin');
  });

  it('explains an unknown name: not built in, not a path, no such package', async () => {
    await expect(loader.load('acme-nothing', work)).rejects.toThrow(/unknown plugin "acme-nothing": not a built-in \(clearinghouse, clearinghouse-simulator, fhir-ehr, mapped\), not a path/);
  });

  it('refuses a module that does not export a plugin definition', async () => {
    writeFileSync(join(work, 'not-a-plugin.ts'), 'export default { hello: 1 };\n');
    await expect(loader.load('./not-a-plugin.ts', work)).rejects.toThrow(/does not export a definePlugin/);
  });

  it('names the path when a plugin file is missing', async () => {
    await expect(loader.load('./plugins/gone', work)).rejects.toThrow(/could not be loaded from .*plugins\/gone/);
  });
});
