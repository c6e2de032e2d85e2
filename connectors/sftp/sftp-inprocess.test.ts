/**
 * The SFTP transport against a second server implementation: ssh2's, in this process
 * (tests/support/sftp-inprocess-server.ts). It runs the same FileTransport contract as OpenSSH does
 * in sftp-transport.test.ts, and the faults OpenSSH cannot easily be made to produce: a disk that
 * fills up mid-upload, a connection dropped part-way through an upload, a rename the server refuses.
 * It also speaks SFTP without the posix-rename extension, so the transport's plain-rename path runs.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../core/errors.js';
import { describeFileTransportContract } from '../../tests/support/file-transport-contract.js';
import { mailboxes } from '../../tests/support/sftp-mailbox.js';
import { startInProcessSftpServer, type InProcessSftpServer } from '../../tests/support/sftp-inprocess-server.js';
import { sha256 } from '../files/checksum.js';
import type { FileTransport } from '../files/types.js';

const { STATUS_CODE } = ssh2.utils.sftp;

let server: InProcessSftpServer;
const opened: FileTransport[] = [];
const rawClients: ssh2.Client[] = [];

beforeAll(async () => {
  server = await startInProcessSftpServer({ password: 'mailbox-pass-for-tests' });
});

afterAll(async () => {
  await server?.stop();
});

afterEach(async () => {
  server.faults.reset();
  for (const client of rawClients.splice(0)) client.end();
  await Promise.all(opened.splice(0).map((transport) => transport.close()));
});

const mailbox = mailboxes(() => server, opened);

describeFileTransportContract('sftp on ssh2 in-process server', async () => {
  const { transport, local } = await mailbox();
  return { transport, localRoot: local(), cleanup: () => rm(local(), { recursive: true, force: true }) };
});

describe('the in-process server', () => {
  it('lets a mailbox in by password too, and refuses a wrong one without retrying', async () => {
    const { transport } = await mailbox({ privateKey: undefined, password: server.password });
    await transport.write('outbox/837-0001.x12', 'ISA*00~');
    expect((await transport.list('outbox')).map((file) => file.name)).toEqual(['837-0001.x12']);

    const wrong = await mailbox({ privateKey: undefined, password: 'not-the-password', retries: 3 });
    const before = server.connections();
    await expect(wrong.transport.list()).rejects.toThrow(/authentication failed/);
    expect(server.connections()).toBe(before + 1);
  });

  it('keeps a client inside its root: `..` past it is refused', async () => {
    // The transport never sends such a path; a raw client shows the server holds the line itself.
    const client = new ssh2.Client();
    rawClients.push(client);
    const sftp = await new Promise<ssh2.SFTPWrapper>((resolve, reject) => {
      client.on('error', reject);
      client.on('ready', () => client.sftp((error, channel) => (error ? reject(error) : resolve(channel))));
      client.connect({ host: server.host, port: server.port, username: server.username, privateKey: server.privateKey });
    });
    const code = (run: (done: (error?: Error | null) => void) => void) =>
      new Promise<unknown>((resolve) => run((error) => resolve((error as { code?: unknown } | null | undefined)?.code)));
    expect(await code((done) => sftp.stat('/../../etc/passwd', done))).toBe(STATUS_CODE.PERMISSION_DENIED);
    expect(await code((done) => sftp.readdir('..', done))).toBe(STATUS_CODE.PERMISSION_DENIED);
    expect(await code((done) => sftp.open('../escaped.txt', 'w', done))).toBe(STATUS_CODE.PERMISSION_DENIED);
    expect(existsSync(path.join(path.dirname(server.localPath()), '..', 'escaped.txt'))).toBe(false);
  });
});

describe('an upload that goes wrong on the server', () => {
  const claims = Buffer.alloc(3 * 1024 * 1024, 'CLM*PCN-0001*125.50***11:B:1*Y*A*Y*Y~\n');

  it('dropped mid-transfer: never renamed into place; the retry lands exactly one whole file', async () => {
    const { transport, local } = await mailbox({ retries: 2 });
    const dropped = server.faults.dropUploadAfter(1024 * 1024);

    await transport.write('outbox/837P-0001.x12', claims);
    await dropped;

    // The first attempt's hidden temp file was removed on the new connection, not left to pile up.
    expect(await readdir(local('outbox'))).toEqual(['837P-0001.x12']);
    expect(sha256(await readFile(local('outbox/837P-0001.x12')))).toBe(sha256(claims));
    expect(server.connections()).toBeGreaterThanOrEqual(2);
  });

  it('dropped mid-transfer with no retries: a TransientError naming the file, nothing under the final name, and the leftover cleaned up next time', async () => {
    const { transport, local } = await mailbox({ retries: 0 });
    const dropped = server.faults.dropUploadAfter(1024 * 1024);

    const failure = transport.write('outbox/837P-0002.x12', claims);
    await expect(failure).rejects.toThrow(TransientError);
    await expect(failure).rejects.toThrow('"outbox/837P-0002.x12"');
    await dropped;

    // What was received sits under the hidden temp name only: no poller sees half a claim batch.
    const left = await readdir(local('outbox'));
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^\.837P-0002\.x12\.tmp-[0-9a-f]+$/);
    expect(await transport.list('outbox')).toEqual([]);

    // The job's retry writes the file whole; the earlier attempt's temp file goes with it.
    await transport.write('outbox/837P-0002.x12', claims);
    expect(await readdir(local('outbox'))).toEqual(['837P-0002.x12']);
    expect(sha256(await readFile(local('outbox/837P-0002.x12')))).toBe(sha256(claims));
  });

  it('a full disk (a WRITE answered with a failure): a clear error naming the file, no partial file, and the mailbox still works', async () => {
    const { transport, local } = await mailbox({ retries: 3 });
    server.faults.failWrite(20, 'No space left on device');
    const opensBefore = server.requests('OPEN');

    const failure = transport.write('outbox/837P-0003.x12', claims);
    await expect(failure).rejects.toThrow(TransientError);
    await expect(failure).rejects.toThrow(/cannot write "outbox\/837P-0003\.x12".*No space left on device/);
    // Not repeated at once: a full disk will not have emptied a moment later.
    expect(server.requests('OPEN') - opensBefore).toBe(1);

    expect(existsSync(local('outbox/837P-0003.x12'))).toBe(false);
    expect(await readdir(local('outbox'))).toEqual([]);

    // The connection and the process are fine: the next upload goes through.
    await transport.write('outbox/837P-0003.x12', claims);
    expect(sha256(await transport.read('outbox/837P-0003.x12'))).toBe(sha256(claims));
  });

  it('a refused rename: an error naming the file, no file under the final name, and no temp file left behind', async () => {
    const { transport, local } = await mailbox();
    server.faults.refuseRenames({ code: STATUS_CODE.PERMISSION_DENIED, message: 'Permission denied' });

    const failure = transport.write('outbox/837P-0004.x12', claims);
    await expect(failure).rejects.toThrow(PermanentError);
    await expect(failure).rejects.toThrow(/cannot write "outbox\/837P-0004\.x12": permission denied/);

    expect(await readdir(local('outbox'))).toEqual([]);
  });

  it('a refused rename while replacing a file keeps the version that was there', async () => {
    const { transport, local } = await mailbox();
    await transport.write('state/cursor.json', '{"cursor":41}');
    server.faults.refuseRenames();

    await expect(transport.write('state/cursor.json', '{"cursor":42}')).rejects.toThrow(/cannot write "state\/cursor\.json"/);

    expect(await readdir(local('state'))).toEqual(['cursor.json']);
    expect(await readFile(local('state/cursor.json'), 'utf8')).toBe('{"cursor":41}');
    server.faults.reset();
    await transport.write('state/cursor.json', '{"cursor":42}');
    expect(await readdir(local('state'))).toEqual(['cursor.json']);
    expect((await transport.read('state/cursor.json')).toString()).toBe('{"cursor":42}');
  });

  it('a rename into place refused after the old version stepped aside puts the old version back', async () => {
    const { transport, local } = await mailbox();
    await transport.write('state/cursor.json', '{"cursor":41}');
    // The first rename (the old version to a hidden name) goes through; the one into place does not.
    server.faults.refuseRenames({ allow: 1, times: 1 });

    await expect(transport.write('state/cursor.json', '{"cursor":42}')).rejects.toThrow(/cannot write "state\/cursor\.json"/);

    expect(await readdir(local('state'))).toEqual(['cursor.json']);
    expect(await readFile(local('state/cursor.json'), 'utf8')).toBe('{"cursor":41}');
  });

  it('an old version stuck aside (the server refused to put it back) returns once renames work again', async () => {
    const { transport, local } = await mailbox();
    await transport.write('state/cursor.json', '{"cursor":41}');
    server.faults.refuseRenames({ allow: 1 });

    await expect(transport.write('state/cursor.json', '{"cursor":42}')).rejects.toThrow(/cannot write "state\/cursor\.json"/);
    // Hidden, not lost: no half-written file under the name, and no temp file of the new version.
    const aside = await readdir(local('state'));
    expect(aside).toHaveLength(1);
    expect(aside[0]).toMatch(/^\.cursor\.json\.tmp-[0-9a-f]+$/);
    expect(await readFile(local(`state/${aside[0]}`), 'utf8')).toBe('{"cursor":41}');

    server.faults.reset();
    expect((await transport.read('state/cursor.json')).toString()).toBe('{"cursor":41}');
    expect(await readdir(local('state'))).toEqual(['cursor.json']);
  });

  it('an archive move the server refuses leaves the remittance in the inbox', async () => {
    const { transport, local } = await mailbox();
    await mkdir(local('inbox'), { recursive: true });
    await writeFile(local('inbox/835-0001.x12'), 'remit');
    server.faults.refuseRenames();

    await expect(transport.move('inbox/835-0001.x12', 'archive/')).rejects.toThrow(/cannot move "inbox\/835-0001\.x12"/);
    expect(await readFile(local('inbox/835-0001.x12'), 'utf8')).toBe('remit');
    expect(await readdir(local('archive'))).toEqual([]);
  });

  it('a server too slow to answer within timeoutMs: a TransientError naming the file, and nothing written', async () => {
    const { transport, local } = await mailbox({ timeoutMs: 200, retries: 1 });
    server.faults.delayAnswers(1_000);

    await expect(transport.write('outbox/837P-0005.x12', 'ISA*00~')).rejects.toThrow(/write "outbox\/837P-0005\.x12" timed out/);

    server.faults.reset();
    expect(await transport.list('outbox')).toEqual([]);
    await transport.write('outbox/837P-0005.x12', 'ISA*00~');
    expect(await readdir(local('outbox'))).toEqual(['837P-0005.x12']);
  });
});
