/**
 * What every FileTransport promises, as one suite each transport runs against its own backend
 * (a local folder, a real SFTP server), so a plugin behaves the same whichever one YAML picks.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256, sha256Stream } from '../../connectors/files/checksum.js';
import type { FileTransport } from '../../connectors/files/types.js';
import { ConfigurationError, NotFoundError, PermanentError } from '../../core/errors.js';

export interface ContractSubject {
  transport: FileTransport;
  /** The transport's root on this machine, where the tests put files as another system would. */
  localRoot: string;
  cleanup(): Promise<void>;
}

export function describeFileTransportContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`${name}: the FileTransport contract`, () => {
    let subject: ContractSubject;
    let transport: FileTransport;
    // A sibling of the root, reachable only by a path or link that escapes it.
    let outside: string;

    const drop = async (relative: string, content: string | Buffer): Promise<void> => {
      const absolute = path.join(subject.localRoot, relative);
      await mkdir(path.dirname(absolute), { recursive: true });
      await writeFile(absolute, content);
    };

    beforeEach(async () => {
      subject = await setup();
      transport = subject.transport;
      outside = `${subject.localRoot}-outside`;
    });

    afterEach(async () => {
      await transport.close();
      await subject.cleanup();
      await rm(outside, { recursive: true, force: true });
    });

    it('lists a supplier drop sorted by name, without folders, dot-files or uploads in progress', async () => {
      await drop('inbox/supplier-b/2024-05-02-prices.csv', 'sku,price\n');
      await drop('inbox/supplier-b/2024-05-01-prices.csv', 'sku,price\n');
      await drop('inbox/supplier-b/.2024-05-03-prices.csv.tmp-abc123', 'half');
      await drop('inbox/supplier-b/2024-05-03-prices.csv.part', 'half');
      await drop('inbox/supplier-b/.DS_Store', '');
      await drop('inbox/supplier-b/archive/old.csv', 'x');

      const files = await transport.list('inbox/supplier-b');

      expect(files.map((file) => file.path)).toEqual([
        'inbox/supplier-b/2024-05-01-prices.csv',
        'inbox/supplier-b/2024-05-02-prices.csv',
      ]);
      expect(files[0]).toMatchObject({ name: '2024-05-01-prices.csv', size: 10 });
      expect(files[0].modifiedAt).toBeInstanceOf(Date);
    });

    it('lists the root by default', async () => {
      await drop('b.txt', 'b');
      await drop('a.txt', 'a');
      expect((await transport.list()).map((file) => file.path)).toEqual(['a.txt', 'b.txt']);
    });

    it('filters with *, ? and {a,b} patterns', async () => {
      for (const file of ['export-1.ndjson', 'export-2.jsonl', 'export-10.ndjson', 'export.csv', 'readme.md']) {
        await drop(`ehr/${file}`, '{}\n');
      }
      const names = async (pattern: string) => (await transport.list('ehr', { pattern })).map((file) => file.name);

      expect(await names('*.{ndjson,jsonl}')).toEqual(['export-1.ndjson', 'export-10.ndjson', 'export-2.jsonl']);
      expect(await names('export-?.*')).toEqual(['export-1.ndjson', 'export-2.jsonl']);
      expect(await names('*.x12')).toEqual([]);
    });

    it('treats a folder nobody has written to yet as empty', async () => {
      expect(await transport.list('inbox/not-yet')).toEqual([]);
    });

    it('rejects a malformed pattern as a configuration mistake', async () => {
      await expect(transport.list('', { pattern: '*.{csv' })).rejects.toThrow(ConfigurationError);
    });

    it.each(['../outside.txt', 'inbox/../../outside.txt', '/etc/passwd', '..', 'C:\\Windows\\win.ini'])(
      'refuses the path %s, naming it, and writes nothing outside the root',
      async (bad) => {
        await expect(transport.read(bad)).rejects.toThrow(PermanentError);
        await expect(transport.read(bad)).rejects.toThrow(JSON.stringify(bad));
        await expect(transport.readStream(bad)).rejects.toThrow(PermanentError);
        await expect(transport.write(bad, 'x')).rejects.toThrow(PermanentError);
        await expect(transport.list(bad)).rejects.toThrow(PermanentError);
        await expect(transport.move('a.txt', bad)).rejects.toThrow(PermanentError);
        await expect(transport.exists(bad)).rejects.toThrow(PermanentError);
        expect(existsSync(path.join(path.dirname(subject.localRoot), 'outside.txt'))).toBe(false);
      },
    );

    it('refuses to read through a link that leads outside the root, and follows one that stays inside', async () => {
      await mkdir(outside, { recursive: true });
      await writeFile(path.join(outside, 'other-practice.csv'), 'MRN,Name\n1,Someone\n');
      // Relative links, so they resolve the same on this machine and inside an SFTP chroot.
      await symlink(`../${path.basename(outside)}/other-practice.csv`, path.join(subject.localRoot, 'roster.csv'));
      await drop('inbox/real.csv', 'a,b\n');
      await symlink('inbox/real.csv', path.join(subject.localRoot, 'alias.csv'));

      await expect(transport.read('roster.csv')).rejects.toThrow(PermanentError);
      await expect(transport.readStream('roster.csv')).rejects.toThrow(/link to a place outside/);
      expect((await transport.read('alias.csv')).toString()).toBe('a,b\n');
    });

    it('writes a claim file atomically, leaves no temporary file, and reads it back', async () => {
      const content = 'ISA*00*          *00*          *ZZ*MSOHUB         *ZZ*CLEARINGHOUSE  *240502*1200*^*00501*000000001*0*P*:~';
      await transport.write('outbox/837/claims-0001.x12', content);

      expect((await transport.read('outbox/837/claims-0001.x12')).toString()).toBe(content);
      expect(await transport.exists('outbox/837/claims-0001.x12')).toBe(true);
      expect(await readdir(path.join(subject.localRoot, 'outbox/837'))).toEqual(['claims-0001.x12']);
    });

    it('replaces an existing file whole', async () => {
      await transport.write('state.json', '{"cursor":1}');
      await transport.write('state.json', Buffer.from('{"cursor":2}'));
      expect((await transport.read('state.json')).toString()).toBe('{"cursor":2}');
    });

    it('streams a file', async () => {
      await drop('big.ndjson', '{"a":1}\n'.repeat(10_000));
      const stream = await transport.readStream('big.ndjson');
      expect(await sha256Stream(stream)).toBe(sha256('{"a":1}\n'.repeat(10_000)));
    });

    it('reports a missing file as not found, naming it', async () => {
      await expect(transport.read('inbox/missing.csv')).rejects.toThrow(NotFoundError);
      await expect(transport.read('inbox/missing.csv')).rejects.toThrow('"inbox/missing.csv"');
      await expect(transport.readStream('inbox/missing.csv')).rejects.toThrow(NotFoundError);
      expect(await transport.exists('inbox/missing.csv')).toBe(false);
    });

    it('archives a processed file into a new folder and returns where it went', async () => {
      await drop('inbox/835-0001.x12', 'remit');
      const moved = await transport.move('inbox/835-0001.x12', 'archive/2024-05-02/835-0001.x12');

      expect(moved).toBe('archive/2024-05-02/835-0001.x12');
      expect(await transport.exists('inbox/835-0001.x12')).toBe(false);
      expect((await transport.read(moved)).toString()).toBe('remit');
    });

    it('never overwrites on move: the same name arriving twice gets -1, -2 before the extension', async () => {
      const finals: string[] = [];
      for (const content of ['first', 'second', 'third']) {
        await drop('inbox/prices.csv', content);
        finals.push(await transport.move('inbox/prices.csv', 'archive/prices.csv'));
      }
      expect(finals).toEqual(['archive/prices.csv', 'archive/prices-1.csv', 'archive/prices-2.csv']);
      expect((await transport.read('archive/prices.csv')).toString()).toBe('first');
      expect((await transport.read('archive/prices-2.csv')).toString()).toBe('third');
    });

    it('keeps the name when the move target is a folder ending in /', async () => {
      await drop('inbox/999-0001.x12', 'ack');
      expect(await transport.move('inbox/999-0001.x12', 'failed/')).toBe('failed/999-0001.x12');
    });

    it('gives each of several concurrent moves its own name', async () => {
      for (let i = 0; i < 8; i++) await drop(`inbox/${i}/same.csv`, String(i));
      const finals = await Promise.all(
        Array.from({ length: 8 }, (_, i) => transport.move(`inbox/${i}/same.csv`, 'archive/same.csv')),
      );
      expect(new Set(finals).size).toBe(8);
      const contents = await Promise.all(finals.map(async (final) => (await transport.read(final)).toString()));
      expect(contents.sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    });

    it('reports a missing move source as not found', async () => {
      await expect(transport.move('inbox/gone.csv', 'archive/gone.csv')).rejects.toThrow(NotFoundError);
    });
  });
}
