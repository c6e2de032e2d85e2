/** `hub coverage` as MSO IT runs it: a real process, on the shipped config, after a real run. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'hub-cli-coverage-'));
cpSync(join(ROOT, 'config'), join(work, 'config'), { recursive: true });

function hub(args: string[]) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/hub.js'), ...args, '--config', 'config/hub.yaml'], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'error' },
    timeout: 120_000,
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('hub coverage', () => {
  it("prints how often each field was filled in the connector's last runs, gaps first", { timeout: 120_000 }, () => {
    expect(hub(['run', 'supplier-price-list']).code).toBe(0);

    const r = hub(['coverage', 'supplier-price-list', '--runs', '5']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/supplier-price-list \(tenant \w+\): 1 run\(s\)/);
    expect(r.out).toMatch(/CatalogItem: 6 record\(s\) in 1 run\(s\)/);
    // The price list never sends a lead time; every row has a supplier SKU.
    expect(r.out).toMatch(/leadTimeDays\s+0\s+0\.0%/);
    expect(r.out).toMatch(/supplierSku\s+6\s+100\.0%/);
    expect(r.out.indexOf('leadTimeDays')).toBeLessThan(r.out.indexOf('supplierSku'));
  });

  it('names the known connectors when asked for an unknown one', () => {
    const r = hub(['coverage', 'nope']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no connector "nope".*supplier-price-list/);
  });
});
