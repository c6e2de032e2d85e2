/** The CLI as MSO IT and plugin authors use it: each command run as a real process. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'hub-cli-'));
cpSync(join(ROOT, 'config'), join(work, 'config'), { recursive: true });

function hub(args: string[], cwd = work) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/hub.js'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'error' },
    timeout: 120_000,
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A config file from its lines; the tests' assertions name those lines by number. */
function writeYaml(file: string, lines: string[]): void {
  writeFileSync(file, [...lines, ''].join('\n'));
}

/** Lines 1-4 of a test config: one tenant, then the connectors that follow. */
const ONE_TENANT = ['tenants:', '  - id: riverside', '    name: Riverside', 'connectors:'];

describe('hub CLI', () => {
  it('validate says OK for the shipped config', () => {
    const r = hub(['validate', 'config/hub.yaml']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/OK — 3 tenant\(s\), 8 connector\(s\), 1 route\(s\)/);
  });

  it('validate lists every problem with file:line:column and exits 1', () => {
    const file = join(work, 'broken.yaml');
    writeYaml(file, [...ONE_TENANT, '  - id: riverside-drop', '    tenant: lakeside', '    plugin: no-such-plugin', '    schedule: { every: soon }']);
    const r = hub(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/broken\.yaml:6:\d+.*tenant/);
    expect(r.err).toMatch(/broken\.yaml:7:\d+.*no-such-plugin/);
    expect(r.err).toMatch(/broken\.yaml:8:\d+.*every/);
  });

  it('validate reports malformed YAML at its line', () => {
    const file = join(work, 'malformed.yaml');
    writeFileSync(file, 'tenants:\n  - id: a\n    name: "unclosed\nconnectors: []\n');
    const r = hub(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/malformed\.yaml:3:\d+/);
  });

  it('run performs one sync in-process and prints a summary', () => {
    const r = hub(['run', 'supplier-price-list', '--config', 'config/hub.yaml']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/supplier-price-list: succeeded .* created 6, updated 0, unchanged 0, rejected 1/);
    const again = hub(['run', 'supplier-price-list', '--config', 'config/hub.yaml']);
    // The file ledger remembers the file: nothing is read twice.
    expect(again.out).toMatch(/created 0, updated 0, unchanged 0, rejected 0/);
  });

  it('run names the known connectors when asked for an unknown one', () => {
    const r = hub(['run', 'nope', '--config', 'config/hub.yaml']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no connector "nope".*supplier-price-list/);
  });

  it('plugins lists the built-ins', () => {
    const r = hub(['plugins', '--config', 'config/hub.yaml']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/mapped\s+\S+\s+built-in/);
  });

  it('an unknown command prints the usage and exits 2', () => {
    const r = hub(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command "frobnicate"[\s\S]*Usage: hub/);
  });

  it('a TypeScript plugin by path runs in the compiled hub on the hub\'s own SDK', () => {
    // Inside the project, as `hub new-plugin` makes them: it imports the SDK by relative path.
    const dir = join(ROOT, '.tmp', `plugin-by-path-${process.pid}`);
    mkdirSync(join(dir, 'acme-check'), { recursive: true });
    try {
      writeFileSync(
        join(dir, 'acme-check', 'index.ts'),
        [
          "import { ConfigurationError, definePlugin, Type } from '../../../core/sdk/index.js';",
          "import { RUNNING_COMPILED } from '../../../core/runtime/compiled-hub.js';",
          'export default definePlugin({',
          "  name: 'acme-check',",
          "  version: '1.0.0',",
          '  config: Type.Object({ baseUrl: Type.String() }),',
          '  produces: [],',
          '  consumes: [],',
          '  checkConfig(config: { baseUrl: string }) {',
          "    const message = `must use https (hub compiled: ${RUNNING_COMPILED})`;",
          "    if (!config.baseUrl.startsWith('https://')) throw new ConfigurationError(message, [{ path: '/baseUrl', message }]);",
          '  },',
          '  async sync() {},',
          '});',
          '',
        ].join('\n'),
      );
      const file = join(dir, 'hub.yaml');
      writeYaml(file, [...ONE_TENANT, '  - id: acme', '    tenant: riverside', '    plugin: ./acme-check', '    config:', '      baseUrl: http://acme.example']);
      const r = hub(['validate', file]);
      expect(r.code).toBe(1);
      // Placed at the field itself: the hub recognised the plugin's ConfigurationError as its own
      // class, so the plugin shared the compiled hub's modules rather than loading a second copy.
      expect(r.err).toMatch(/hub\.yaml:9:\d+\s+\/connectors\/0\/config\/baseUrl\s+must use https \(hub compiled: true\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Its own vitest run starts cold: on a loaded machine that alone can take most of a minute.
  it('new-plugin scaffolds a plugin whose own tests pass', { timeout: 150_000 }, () => {
    const dir = join(ROOT, '.tmp', `scaffold-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      const r = hub(['new-plugin', 'acme-directory', '--dir', dir], ROOT);
      expect(r.code).toBe(0);
      writeFileSync(join(dir, 'vitest.config.ts'), "export default { test: { include: ['**/*.test.ts'] } };\n");
      const test = spawnSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', join(dir, 'vitest.config.ts'), '--root', dir], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(test.stdout + test.stderr).toMatch(/Tests\s+.*3 passed/);
      expect(test.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
