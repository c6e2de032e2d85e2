/**
 * A fresh mailbox folder per test on either SFTP test server (OpenSSH or ssh2 in-process), and a
 * transport into it pinned to the server's host key: what each SFTP test file starts from.
 */
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { FileTransport } from '../../connectors/files/types.js';
import { createSftpTransport, type SftpTransportOptions } from '../../connectors/sftp/sftp-transport.js';
import type { SftpTestServer } from './sftp-server.js';

/** What a mailbox needs of a test server; both servers have it. */
export type MailboxServer = Pick<SftpTestServer, 'host' | 'port' | 'username' | 'privateKey' | 'hostKeyFingerprint' | 'root' | 'localPath'>;

export interface Mailbox {
  transport: FileTransport;
  folder: string;
  /** The mailbox (or a path under it) on this machine. */
  local(relative?: string): string;
}

/** `opened` collects each transport so the test file can close them all after each test. */
export function mailboxes(server: () => MailboxServer, opened: FileTransport[]): (overrides?: Partial<SftpTransportOptions>, folder?: string) => Promise<Mailbox> {
  let folders = 0;
  return async (overrides = {}, folder = `t-${++folders}`) => {
    const at = server();
    await mkdir(at.localPath(folder), { recursive: true });
    const transport = createSftpTransport({
      host: at.host,
      port: at.port,
      username: at.username,
      privateKey: at.privateKey,
      hostKey: at.hostKeyFingerprint,
      root: `${at.root}/${folder}`,
      backoffMs: 20,
      ...overrides,
    });
    opened.push(transport);
    return { transport, folder, local: (relative = '') => at.localPath(path.join(folder, relative)) };
  };
}
