import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from './index.js';
import { lockDataDir, StoreInUseError } from './pglite-lock.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-lock-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('one process per embedded database folder', () => {
  it('refuses a second opener while the first holds the store, and names the holder', async () => {
    const dataDir = tempDir();
    const first = await openStore({ dataDir });
    try {
      const error = await openStore({ dataDir }).catch((e) => e);
      expect(error).toBeInstanceOf(StoreInUseError);
      expect(error.message).toMatch(new RegExp(`in use by process ${process.pid}.*DATABASE_URL`));
    } finally {
      await first.close();
    }
    // Closing lets the next one in.
    const again = await openStore({ dataDir });
    await again.close();
  });

  it('takes over the lock of a process that died without releasing it (SIGKILL)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'hub.lock'), '2147483646');
    const release = lockDataDir(dir);
    expect(readFileSync(join(dir, 'hub.lock'), 'utf8')).toBe(String(process.pid));
    release();
    expect(existsSync(join(dir, 'hub.lock'))).toBe(false);
  });

  it('respects the lock of another live process', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'hub.lock'), String(process.ppid));
    expect(() => lockDataDir(dir)).toThrow(StoreInUseError);
  });
});
