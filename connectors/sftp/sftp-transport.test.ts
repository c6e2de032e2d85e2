import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openFilesTransport } from '../../core/runtime/transports.js';
import type { ConnectorConfig } from '../../core/config/types.js';
import { ConfigurationError, NotFoundError, PermanentError, TransientError } from '../../core/errors.js';
import { freePort } from '../../core/free-port.js';
import { describeFileTransportContract } from '../../tests/support/file-transport-contract.js';
import { mailboxes } from '../../tests/support/sftp-mailbox.js';
import { usableKeyPair } from '../../tests/support/sftp-inprocess-server.js';
import { startSftpServer, type SftpTestServer } from '../../tests/support/sftp-server.js';
import { sha256, sha256Stream } from '../files/checksum.js';
import type { FileTransport } from '../files/types.js';
import { createSftpTransport, type SftpTransportOptions } from './sftp-transport.js';

let server: SftpTestServer;
const opened: FileTransport[] = [];

beforeAll(async () => {
  server = await startSftpServer();
});

afterAll(async () => {
  await server?.stop();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((transport) => transport.close()));
});

const mailbox = mailboxes(() => server, opened);

async function connectionsSeen(): Promise<number> {
  return ((await server.log()).match(/^Connection from /gm) ?? []).length;
}

describeFileTransportContract('sftp', async () => {
  const { transport, local } = await mailbox();
  return { transport, localRoot: local(), cleanup: () => rm(local(), { recursive: true, force: true }) };
});

describe('createSftpTransport options', () => {
  const valid: SftpTransportOptions = { host: 'sftp.clearinghouse.example', port: 22, username: 'mso', password: 'pa55-word-secret', root: '/inbound' };

  it.each([
    [{ host: '' }, /host/],
    [{ username: undefined }, /username/],
    [{ password: undefined }, /password or privateKey/],
    [{ root: 'inbound' }, /root must be an absolute path/],
    [{ root: '/in/../etc' }, /root/],
    [{ port: 70_000 }, /port/],
    [{ hostKey: 'd4:1f:aa' }, /hostKey must be a SHA256 fingerprint/],
    [{ privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nnot really\n-----END OPENSSH PRIVATE KEY-----\n' }, /privateKey does not give a usable private key/],
    [{ timeoutMs: -1 }, /timeoutMs/],
  ] as Array<[Partial<SftpTransportOptions>, RegExp]>)('refuses %o at once, naming the option', (change, message) => {
    expect(() => createSftpTransport({ ...valid, ...change })).toThrow(ConfigurationError);
    expect(() => createSftpTransport({ ...valid, ...change })).toThrow(message);
  });

  it('describes where it points without the password or the key', () => {
    const withPassword = createSftpTransport(valid);
    const withKey = createSftpTransport({ ...valid, password: undefined, privateKey: server.privateKey });
    expect(withPassword.description).toBe('sftp mso@sftp.clearinghouse.example:22/inbound');
    expect(withPassword.description).not.toContain('pa55');
    expect(withKey.description).not.toContain('PRIVATE');
  });

  it('is what a connector with transport.files.kind sftp gets, and it works', async () => {
    await mkdir(server.localPath('from-config/outbox'), { recursive: true });
    const connector = {
      id: 'clearinghouse-outbox',
      transport: {
        files: {
          kind: 'sftp',
          host: server.host,
          port: server.port,
          username: server.username,
          privateKey: server.privateKey,
          hostKey: server.hostKeyFingerprint,
          path: `${server.root}/from-config`,
          archive: 'done',
          quarantine: 'failed',
        },
      },
    } as unknown as ConnectorConfig;
    const transport = openFilesTransport(connector, '/unused')!;
    opened.push(transport);
    expect(transport).toMatchObject({ archiveFolder: 'done', quarantineFolder: 'failed' });
    await transport.write('outbox/837-0001.x12', 'ISA*00~');
    expect((await transport.list('outbox')).map((file) => file.name)).toEqual(['837-0001.x12']);
  });

  it('takes retries from the YAML: a server that hangs up at once is tried exactly 1 + retries times', async () => {
    const rude: Server = createServer((socket) => socket.destroy());
    let connections = 0;
    rude.on('connection', () => connections++);
    await new Promise<void>((resolve) => rude.listen(0, '127.0.0.1', resolve));
    const port = (rude.address() as { port: number }).port;
    try {
      for (const retries of [0, 2]) {
        connections = 0;
        const connector = {
          id: 'impatient',
          transport: { files: { kind: 'sftp', host: '127.0.0.1', port, username: 'mso', password: 'secret-pass', path: '/in', retries, timeoutMs: 2_000 } },
        } as unknown as ConnectorConfig;
        const transport = openFilesTransport(connector, '/unused')!;
        opened.push(transport);
        await expect(transport.list()).rejects.toThrow(TransientError);
        expect(connections).toBe(1 + retries);
      }
    } finally {
      rude.close();
    }
  });
});

describe('a day at the clearinghouse mailbox', () => {
  it('uploads a claim batch under a hidden temporary name, so a poller listing the folder never sees half of it', async () => {
    const { transport, folder, local } = await mailbox();
    // The poller lists the same folder through a connection of its own, as the clearinghouse would.
    const poller = (await mailbox({}, folder)).transport;
    const claims = Buffer.alloc(8 * 1024 * 1024, 'CLM*PCN-0001*125.50***11:B:1*Y*A*Y*Y~\n');
    await mkdir(local('outbox'), { recursive: true });

    let uploading = true;
    const seenByPoller: Array<{ name: string; size: number }> = [];
    const seenOnDisk = new Set<string>();
    const watch = (async () => {
      while (uploading) {
        for (const name of await readdir(local('outbox'))) seenOnDisk.add(name);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const poll = (async () => {
      while (uploading) {
        for (const file of await poller.list('outbox')) seenByPoller.push({ name: file.name, size: file.size });
      }
    })();
    try {
      await transport.write('outbox/837P-2024-05-02-0001.x12', claims);
    } finally {
      uploading = false;
      await Promise.all([watch, poll]);
    }

    expect([...seenOnDisk].some((name) => /^\.837P-2024-05-02-0001\.x12\.tmp-[0-9a-f]+$/.test(name))).toBe(true);
    for (const seen of seenByPoller) expect(seen).toEqual({ name: '837P-2024-05-02-0001.x12', size: claims.length });
    expect(await readdir(local('outbox'))).toEqual(['837P-2024-05-02-0001.x12']);
    expect(sha256(await transport.read('outbox/837P-2024-05-02-0001.x12'))).toBe(sha256(claims));
  });

  it('picks the acknowledgments and remittances out of the inbox by pattern', async () => {
    const { transport, local } = await mailbox();
    await mkdir(local('inbox'), { recursive: true });
    for (const name of ['999-0002.x12', '835-0001.x12', '277CA-0001.x12', '999-0001.x12', 'README.txt']) {
      await writeFile(local(`inbox/${name}`), 'ISA*00~');
    }
    expect((await transport.list('inbox', { pattern: '{999,835}-*.x12' })).map((file) => file.path)).toEqual([
      'inbox/835-0001.x12',
      'inbox/999-0001.x12',
      'inbox/999-0002.x12',
    ]);
  });

  it('streams a 20 MB remittance file whole', async () => {
    const { transport, local } = await mailbox();
    const remittance = randomBytes(20 * 1024 * 1024);
    await writeFile(local('835-big.x12'), remittance);
    const stream = await transport.readStream('835-big.x12');
    expect(await sha256Stream(stream)).toBe(sha256(remittance));
  });

  it('archives a processed 835 without overwriting the one archived yesterday under the same name', async () => {
    const { transport, local } = await mailbox();
    await mkdir(local('inbox'), { recursive: true });
    await mkdir(local('archive'), { recursive: true });
    await writeFile(local('archive/835-0001.x12'), 'yesterday');
    await writeFile(local('inbox/835-0001.x12'), 'today');

    expect(await transport.move('inbox/835-0001.x12', 'archive/')).toBe('archive/835-0001-1.x12');
    expect((await transport.read('archive/835-0001.x12')).toString()).toBe('yesterday');
    expect((await transport.read('archive/835-0001-1.x12')).toString()).toBe('today');
  });

  it('reports a file the clearinghouse has not sent as not found', async () => {
    const { transport } = await mailbox();
    await expect(transport.read('inbox/999-9999.x12')).rejects.toThrow(NotFoundError);
    await expect(transport.move('inbox/999-9999.x12', 'archive/')).rejects.toThrow(NotFoundError);
  });
});

describe('security', () => {
  it('refuses a server whose host key is not the pinned one, naming both fingerprints, without retrying', async () => {
    const pinned = `SHA256:${Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '')}`;
    const { transport } = await mailbox({ hostKey: pinned, retries: 3 });
    const before = await connectionsSeen();

    const failure = transport.list();
    await expect(failure).rejects.toThrow(PermanentError);
    await expect(failure).rejects.toThrow(/host key changed \(possible man-in-the-middle\)/);
    await expect(failure).rejects.toThrow(pinned);
    await expect(failure).rejects.toThrow(server.hostKeyFingerprint);
    expect(await connectionsSeen()).toBe(before + 1);
  });

  it('refuses a key the server does not know as an authentication failure, without retrying', async () => {
    const stranger = usableKeyPair().private;
    const { transport } = await mailbox({ privateKey: stranger, retries: 3 });
    const before = await connectionsSeen();

    const failure = transport.read('inbox/anything.x12');
    await expect(failure).rejects.toThrow(PermanentError);
    await expect(failure).rejects.toThrow(/authentication failed for root/);
    expect(await connectionsSeen()).toBe(before + 1);
    expect(await server.log()).toMatch(/Connection closed by authenticating user root|Failed publickey|authentication/i);
  });

  it('never lets a path reach a neighbouring mailbox', async () => {
    const mine = await mailbox();
    const neighbour = await mailbox();
    await writeFile(neighbour.local('roster.csv'), 'MRN,Name\n');
    await expect(mine.transport.read(`../${neighbour.folder}/roster.csv`)).rejects.toThrow(/escapes the root/);
    await expect(mine.transport.list(`../${neighbour.folder}`)).rejects.toThrow(PermanentError);
  });
});

describe('an unreliable connection', () => {
  it('reconnects after the connection was dropped between operations', async () => {
    const { transport } = await mailbox();
    await transport.write('outbox/837-0001.x12', 'first batch');
    await server.killConnections();
    await transport.write('outbox/837-0002.x12', 'second batch');
    expect((await transport.list('outbox')).map((file) => file.name)).toEqual(['837-0001.x12', '837-0002.x12']);
  });

  it('comes back after the server restarts, retrying while it is down', async () => {
    const { transport } = await mailbox({ retries: 6, backoffMs: 100 });
    await transport.write('a.x12', 'a');
    await server.stopListening();
    const listing = transport.list();
    // Down long enough for the first attempts to be refused.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.start();
    expect((await listing).map((file) => file.name)).toEqual(['a.x12']);
  });

  it('drops a hung connection after timeoutMs and repeats the operation on a new one', async () => {
    const { transport } = await mailbox({ timeoutMs: 500 });
    await transport.write('a.x12', 'a');
    const thaw = await server.freezeConnections();
    try {
      expect(await transport.exists('a.x12')).toBe(true);
    } finally {
      await thaw();
    }
  });

  it('gives up with a TransientError when nothing answers, after its retries', async () => {
    const silent: Server = createServer(() => undefined);
    let accepted = 0;
    silent.on('connection', () => accepted++);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const transport = createSftpTransport({ host: '127.0.0.1', port, username: 'mso', password: 'secret-pass', root: '/in', readyTimeoutMs: 200, retries: 2, backoffMs: 10 });
      opened.push(transport);
      await expect(transport.list()).rejects.toThrow(TransientError);
      expect(accepted).toBe(3);
    } finally {
      silent.close();
    }
    const refused = createSftpTransport({ host: '127.0.0.1', port: await freePort(), username: 'mso', password: 'secret-pass', root: '/in', retries: 1, backoffMs: 10 });
    await expect(refused.exists('x')).rejects.toThrow(TransientError);
  });

  it('fails a stream dropped mid-download with a TransientError, never a clean end', async () => {
    // A short idle timeout: on a loaded machine a dropped peer may go unnoticed until it fires,
    // and the default (30 s) would race the test's own timeout.
    const { transport, local } = await mailbox({ timeoutMs: 5_000 });
    const remittance = randomBytes(20 * 1024 * 1024);
    await writeFile(local('835-big.x12'), remittance);
    const stream = await transport.readStream('835-big.x12');

    let received = 0;
    const consume = (async () => {
      for await (const chunk of stream) {
        if (received === 0) await server.killConnections();
        received += (chunk as Buffer).length;
      }
    })();
    await expect(consume).rejects.toThrow(TransientError);
    expect(received).toBeLessThan(remittance.length);
  });

  it('fails a download whose server falls silent mid-stream, rather than waiting for ever', async () => {
    const { transport, local } = await mailbox({ timeoutMs: 1_000 });
    await writeFile(local('835-silent.x12'), randomBytes(20 * 1024 * 1024));
    const stream = await transport.readStream('835-silent.x12');
    let thaw: (() => Promise<void>) | undefined;
    try {
      const consume = (async () => {
        for await (const _chunk of stream) thaw ??= await server.freezeConnections();
      })();
      await expect(consume).rejects.toThrow(/no data from the server for 1000 ms/);
    } finally {
      await thaw?.();
    }
  });

  it('never returns a truncated download: with no retries left it fails, with retries it downloads again', async () => {
    const remittance = randomBytes(20 * 1024 * 1024);

    const once = await mailbox({ retries: 0, timeoutMs: 5_000 });
    await writeFile(once.local('835-big.x12'), remittance);
    const dropped = server.killConnectionsAfterServerReads(2 * 1024 * 1024);
    await expect(once.transport.read('835-big.x12')).rejects.toThrow(TransientError);
    await dropped;

    const patient = await mailbox({ retries: 3, timeoutMs: 5_000 });
    await writeFile(patient.local('835-big.x12'), remittance);
    const droppedAgain = server.killConnectionsAfterServerReads(2 * 1024 * 1024);
    const downloaded = await patient.transport.read('835-big.x12');
    await droppedAgain;
    expect(downloaded.length).toBe(remittance.length);
    expect(sha256(downloaded)).toBe(sha256(remittance));
  });
});
