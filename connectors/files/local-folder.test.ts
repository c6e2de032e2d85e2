import { mkdtemp, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError, PermanentError } from '../../core/errors.js';
import { describeFileTransportContract } from '../../tests/support/file-transport-contract.js';
import { sha256, sha256Stream } from './checksum.js';
import { compileGlob } from './glob.js';
import { createLocalFolderTransport } from './local-folder.js';
import type { FileTransport } from './types.js';

let root: string;
let transport: FileTransport;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'hub-local-folder-'));
  transport = createLocalFolderTransport({ root });
});

afterEach(async () => {
  await transport.close();
  await rm(root, { recursive: true, force: true });
});

async function drop(relative: string, content: string): Promise<void> {
  const absolute = path.join(root, relative);
  await mkdir(path.dirname(absolute), { recursive: true });
  await writeFile(absolute, content);
}

describe('createLocalFolderTransport', () => {
  it('refuses missing or empty root at once, naming the option', () => {
    expect(() => createLocalFolderTransport({ root: '' })).toThrow(ConfigurationError);
    expect(() => createLocalFolderTransport({ root: '' })).toThrow(/root/);
    expect(() => createLocalFolderTransport({} as { root: string })).toThrow(/root/);
  });

  it('describes where it points', () => {
    expect(transport.description).toBe(`local folder ${path.resolve(root)}`);
  });
});

describe('paths', () => {
  it.each(['../outside.txt', 'inbox/../../outside.txt', '/etc/passwd', '..', 'C:\\Windows\\win.ini'])(
    'refuses %s, naming it',
    async (bad) => {
      const failure = transport.read(bad);
      await expect(failure).rejects.toThrow(PermanentError);
      await expect(transport.read(bad)).rejects.toThrow(JSON.stringify(bad));
      await expect(transport.write(bad, 'x')).rejects.toThrow(PermanentError);
      await expect(transport.list(bad)).rejects.toThrow(PermanentError);
      await expect(transport.move('a.txt', bad)).rejects.toThrow(PermanentError);
      await expect(transport.exists(bad)).rejects.toThrow(PermanentError);
    },
  );

  it('writes nothing outside the root when refusing', async () => {
    const parent = path.dirname(root);
    const before = await readdir(parent);
    await transport.write('../escaped.txt', 'x').catch(() => undefined);
    expect(await readdir(parent)).toEqual(before);
  });

  it('refuses to read through a link that leads outside the folder, and follows one that stays inside', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'hub-outside-'));
    try {
      await writeFile(path.join(outside, 'other-practice.csv'), 'MRN,Name\n1,Someone\n');
      await symlink(path.join(outside, 'other-practice.csv'), path.join(root, 'roster.csv'));
      await drop('inbox/real.csv', 'a,b\n');
      await symlink(path.join(root, 'inbox/real.csv'), path.join(root, 'alias.csv'));

      await expect(transport.read('roster.csv')).rejects.toThrow(PermanentError);
      await expect(transport.readStream('roster.csv')).rejects.toThrow(/link to a place outside/);
      expect((await transport.read('alias.csv')).toString()).toBe('a,b\n');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe('read, write, exists', () => {
  it('writes a claim file atomically and reads it back', async () => {
    const content = 'ISA*00*          *00*          *ZZ*MSOHUB         *ZZ*CLEARINGHOUSE  *240502*1200*^*00501*000000001*0*P*:~';
    await transport.write('outbox/837/claims-0001.x12', content);

    expect((await transport.read('outbox/837/claims-0001.x12')).toString()).toBe(content);
    expect(await transport.exists('outbox/837/claims-0001.x12')).toBe(true);
    // No temporary file is left behind next to it.
    expect(await readdir(path.join(root, 'outbox/837'))).toEqual(['claims-0001.x12']);
  });
});

describe('compileGlob', () => {
  it('escapes regex characters and keeps matching within one name', () => {
    expect(compileGlob('a+b(1).csv').test('a+b(1).csv')).toBe(true);
    expect(compileGlob('*.csv').test('dir/x.csv')).toBe(false);
    expect(compileGlob('{837,835}-{a,b{1,2}}.x12').test('835-b2.x12')).toBe(true);
  });

  it('rejects an unbalanced brace naming the pattern', () => {
    expect(() => compileGlob('a}.csv')).toThrow(/pattern "a}\.csv"/);
  });
});

describe('checksum', () => {
  it('hashes a buffer and the same bytes as a stream alike', async () => {
    const bytes = Buffer.from('GTIN,Price\n00312345678906,12.50\n');
    const stream = Readable.from([bytes.subarray(0, 7), bytes.subarray(7)]);
    expect(await sha256Stream(stream)).toBe(sha256(bytes));
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describeFileTransportContract('local folder', async () => {
  const localRoot = await mkdtemp(path.join(tmpdir(), 'hub-local-contract-'));
  return {
    transport: createLocalFolderTransport({ root: localRoot }),
    localRoot,
    cleanup: () => rm(localRoot, { recursive: true, force: true }),
  };
});
