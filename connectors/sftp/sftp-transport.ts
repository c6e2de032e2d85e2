import { createHash, randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
// ssh2 is CommonJS: Node's ESM loader gives it as a default export only (named imports fail at run time).
import ssh2, { type SFTPWrapper } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import {
  ConfigurationError,
  HubError,
  NETWORK_ERROR_CODES,
  NotFoundError,
  PermanentError,
  TransientError,
} from '../../core/errors.js';
import { compileGlob } from '../files/glob.js';
import {
  byName,
  isHiddenOrInProgress,
  moveTargetOf,
  relativeSegments,
  temporaryNameFor,
  withSuffix,
} from '../files/paths.js';
import type { FileInfo, FileTransport, ListOptions } from '../files/types.js';

const posix = path.posix;

export interface SftpTransportOptions {
  host: string;
  /** @defaultValue 22 */
  port?: number;
  username: string;
  /** Password auth; give this or `privateKey`. */
  password?: string;
  /** Private key text (OpenSSH or PEM), e.g. from `${file:…}`; give this or `password`. */
  privateKey?: string;
  /** Decrypts an encrypted `privateKey`. */
  passphrase?: string;
  /**
   * The server's host key fingerprint to pin, as `ssh-keygen -lf` prints it (`SHA256:<base64>`).
   * Absent: any host key is accepted (fine on a trusted network, never across the internet).
   */
  hostKey?: string;
  /** Absolute folder on the server every path is relative to. */
  root: string;
  /** Where processed files go, relative to root. */
  archiveFolder?: string;
  /** Where files that fail go, relative to root. */
  quarantineFolder?: string;
  /**
   * Longest wait for the server to answer or make progress in one operation; then the connection
   * is dropped and the operation retried.
   * @defaultValue 30000
   */
  timeoutMs?: number;
  /**
   * Repeats of an operation after a connection-level failure (drop, timeout, refused); never
   * after not-found, permission or authentication failures.
   * @defaultValue 3
   */
  retries?: number;
  /**
   * First delay between repeats; doubled each time, with full jitter.
   * @defaultValue 500
   */
  backoffMs?: number;
  /**
   * Longest wait for the SSH handshake and authentication.
   * @defaultValue 20000
   */
  readyTimeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_BACKOFF_MS = 500;
const DEFAULT_READY_TIMEOUT_MS = 20_000;
const MAX_BACKOFF_MS = 30_000;
/**
 * Transfers move in slices this large; progress (and so the idle timeout) is seen per slice. Large,
 * because ssh2 waits for each slice before asking for the next, while it pipelines the packets
 * within one: 64 KiB slices made uploads 20 times and downloads twice as slow.
 */
const TRANSFER_CHUNK_BYTES = 1024 * 1024;
/** Upload slices written at once, so the server is never idle waiting for the next request. */
const UPLOAD_SLICES_IN_FLIGHT = 4;

/** SFTP v3 status codes (draft-ietf-secsh-filexfer-02 §7) as ssh2 reports them in `error.code`. */
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;
const SFTP_FAILURE = 4;
const SFTP_OP_UNSUPPORTED = 8;

const CONNECTION_CODES = new Set(['ERR_NOT_CONNECTED', ...NETWORK_ERROR_CODES]);
const CONNECTION_MESSAGES = /No response from server|Unexpected (end|close) event|No SFTP connection|Not connected|socket|channel/i;

interface Session {
  client: SftpClient;
  /** ssh2's own channel, for uploads (see `upload`). */
  sftp: SFTPWrapper;
  alive: boolean;
  /** The root as the server resolves it (links followed), for the confinement check. */
  realRoot?: string;
  posixRename?: boolean;
}

/** The connection is gone: worth reconnecting and repeating. A TransientError to everyone outside. */
class ConnectionFailure extends TransientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/**
 * A file transport over SFTP (ssh2-sftp-client): the clearinghouse's mailbox. One connection,
 * opened on first use, reused, and reopened after a drop; every operation has a timeout and is
 * repeated with backoff after a connection-level failure. Paths are relative to `root` and
 * follow the same rules as the local folder transport.
 */
export function createSftpTransport(options: SftpTransportOptions): FileTransport {
  const settings = checkOptions(options);
  const { host, port, username, root } = settings;
  const where = `${username}@${host}:${port}`;
  const description = `sftp ${where}${root}`;

  let session: Session | undefined;
  let opening: Promise<Session> | undefined;

  const connection = (): Promise<Session> => {
    if (session?.alive) return Promise.resolve(session);
    opening ??= open().finally(() => {
      opening = undefined;
    });
    return opening;
  };

  const open = async (): Promise<Session> => {
    const next: Session = { client: undefined as unknown as SftpClient, sftp: undefined as unknown as SFTPWrapper, alive: false };
    const dead = () => {
      next.alive = false;
    };
    // ssh2-sftp-client's default callbacks print to the console; the connection's state is all we need.
    const client = new SftpClient(description, { error: dead, end: dead, close: dead });
    client.on('close', dead);
    client.on('end', dead);
    next.client = client;
    let presented: string | undefined;
    try {
      const wrapper = await client.connect({
        host,
        port,
        username,
        password: settings.password,
        privateKey: settings.privateKey,
        passphrase: settings.passphrase,
        readyTimeout: settings.readyTimeoutMs,
        // Finds a peer that vanished without a FIN (a NAT or firewall dropping the flow) between transfers.
        keepaliveInterval: 10_000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          presented = fingerprintOf(key);
          return settings.hostKey === undefined || sameFingerprint(presented, settings.hostKey);
        },
      });
      // ssh2 emits protocol errors on the SFTP channel too; with no listener one would crash the process.
      wrapper.on('error', dead);
      wrapper.on('close', dead);
      next.sftp = wrapper;
    } catch (error) {
      destroy(client);
      if (settings.hostKey !== undefined && presented !== undefined && !sameFingerprint(presented, settings.hostKey)) {
        throw new PermanentError(
          `${description}: the server's host key changed (possible man-in-the-middle): expected ${settings.hostKey}, the server presented ${presented}; ` +
            'if the clearinghouse rotated its key, confirm the new fingerprint with them and update hostKey',
          { cause: error },
        );
      }
      const message = messageOf(error);
      if (/authentication methods failed|authentication failed/i.test(message)) {
        throw new PermanentError(`${description}: authentication failed for ${username} (check the key or password)`, {
          cause: error,
        });
      }
      throw new ConnectionFailure(`${description}: cannot connect: ${message}`, { cause: error });
    }
    next.alive = true;
    session = next;
    return next;
  };

  const drop = (dropped: Session): void => {
    dropped.alive = false;
    if (session === dropped) session = undefined;
    destroy(dropped.client);
  };

  /**
   * Runs one operation on the shared connection with an idle timeout (`touch` restarts it), and
   * repeats it on a fresh connection after a connection-level failure.
   */
  const perform = async <T>(
    operation: string,
    subject: string,
    run: (client: SftpClient, touch: () => void, current: Session, attempt: number) => Promise<T>,
  ): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      let current: Session | undefined;
      try {
        current = await connection();
        const session = current;
        const work = async (touch: () => void): Promise<T> => {
          if (stranded.length > 0) await tidyStranded(session);
          return run(session.client, touch, session, attempt);
        };
        return await withIdleTimeout(settings.timeoutMs, work, () => {
          drop(current!);
          return new ConnectionFailure(
            `${description}: ${operation} ${JSON.stringify(subject)} timed out: no answer from the server for ${settings.timeoutMs} ms`,
          );
        });
      } catch (error) {
        const failure = classify(error, operation, subject, current);
        if (failure instanceof ConnectionFailure && current) drop(current);
        if (!(failure instanceof ConnectionFailure) || attempt >= settings.retries) throw failure;
        await sleep(backoffDelay(settings.backoffMs, attempt));
      }
    }
  };

  /**
   * Temp files (and old versions set aside) from writes that failed when they could not be dealt
   * with at once, usually because the connection had gone; tidied on the next connection.
   */
  const stranded: Leftover[] = [];

  /** A temp file is deleted; an old version set aside goes back in place unless a new one took it. */
  const tidy = async (client: SftpClient, leftover: Leftover): Promise<void> => {
    if (leftover.restoreTo !== undefined && !(await remoteExists(client, leftover.restoreTo))) {
      try {
        await client.rename(leftover.path, leftover.restoreTo);
      } catch (error) {
        if (!(await remoteExists(client, leftover.path))) return;
        throw error;
      }
      return;
    }
    await client.delete(leftover.path, true);
  };

  /** Best effort: a leftover that cannot be tidied must not fail the operation that found it. */
  const tidyStranded = async (current: Session): Promise<void> => {
    const pending = stranded.splice(0);
    while (pending.length > 0) {
      try {
        await tidy(current.client, pending[0]);
      } catch {
        if (!current.alive) {
          stranded.push(...pending);
          return;
        }
        // A temp file the server will not delete is given up on; an old version is never.
        if (pending[0].restoreTo !== undefined) stranded.push(pending[0]);
      }
      pending.shift();
    }
  };

  const classify = (error: unknown, operation: string, subject: string, current: Session | undefined): Error => {
    if (error instanceof HubError) return error;
    const code = (error as { code?: unknown } | null)?.code;
    const message = messageOf(error);
    const label = `${description}: cannot ${operation} ${JSON.stringify(subject)}`;
    if (code === SFTP_NO_SUCH_FILE || code === 'ENOENT') return new NotFoundError(`${label}: not found`, { cause: error });
    if (code === SFTP_PERMISSION_DENIED || code === 'EACCES') {
      return new PermanentError(`${label}: permission denied`, { cause: error });
    }
    if (code === SFTP_OP_UNSUPPORTED) return new PermanentError(`${label}: the server does not support it`, { cause: error });
    if (
      (typeof code === 'string' && CONNECTION_CODES.has(code)) ||
      CONNECTION_MESSAGES.test(message) ||
      (current !== undefined && !current.alive)
    ) {
      return new ConnectionFailure(`${label}: connection lost (${message})`, { cause: error });
    }
    // A generic SFTP failure on a live connection (a full disk, a file in the way) may clear up
    // later, so the job may retry it, but repeating it here at once would only fail again.
    return new TransientError(`${label}: ${message}`, { cause: error });
  };

  const absolute = (relative: string, allowRoot = false): string =>
    posix.join(root, ...relativeSegments(relative, allowRoot));

  const relativeOf = (remote: string): string => posix.relative(root, remote);

  /** A link on the server may point out of the root (another practice's mailbox): follow it only when it stays in. */
  const confined = async (client: SftpClient, current: Session, remote: string, relative: string): Promise<void> => {
    current.realRoot ??= (await client.realPath(root)) || root;
    const real = await client.realPath(remote);
    if (real === '') throw Object.assign(new Error(`No such file ${remote}`), { code: SFTP_NO_SUCH_FILE });
    if (real !== current.realRoot && !real.startsWith(`${current.realRoot.replace(/\/$/, '')}/`)) {
      throw new PermanentError(`${description}: cannot read ${JSON.stringify(relative)}: it is a link to a place outside the transport's folder`);
    }
  };

  /** Opens a remote file for reading after checking it, and wraps it so a short read is an error, not an end. */
  const openChecked = async (client: SftpClient, current: Session, relative: string): Promise<Readable> => {
    const remote = absolute(relative);
    await confined(client, current, remote, relative);
    const stats = await client.stat(remote);
    if (!stats.isFile) throw new PermanentError(`${description}: cannot read ${JSON.stringify(relative)}: not a file`);
    const source = client.createReadStream(remote, { highWaterMark: TRANSFER_CHUNK_BYTES }) as unknown as Readable;
    return sizeChecked(source, stats.size, `${description}: reading ${JSON.stringify(relative)}`, current, settings.timeoutMs);
  };

  const isDirectory = async (client: SftpClient, remote: string): Promise<boolean> => {
    try {
      return (await client.stat(remote)).isDirectory;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return false;
      throw error;
    }
  };

  const ensureFolder = async (client: SftpClient, remote: string): Promise<void> => {
    if (await isDirectory(client, remote)) return;
    const parent = posix.dirname(remote);
    if (parent !== remote) await ensureFolder(client, parent);
    try {
      await client.mkdir(remote, false);
    } catch (error) {
      // Another worker may have created it a moment ago.
      if (!(await isDirectory(client, remote))) throw error;
    }
  };

  const remoteExists = async (client: SftpClient, remote: string): Promise<boolean> => {
    try {
      await client.stat(remote);
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return false;
      throw error;
    }
  };

  /**
   * Moves `from` over `to`. posix-rename@openssh.com replaces the target atomically; plain SFTP
   * rename refuses an existing target, so `leftovers` records what to tidy if this fails part-way.
   */
  const replace = async (client: SftpClient, current: Session, from: string, to: string, leftovers: Leftover[]): Promise<void> => {
    if (current.posixRename !== false) {
      try {
        await client.posixRename(from, to);
        current.posixRename = true;
        return;
      } catch (error) {
        if (!/does not support/i.test(messageOf(error))) throw error;
        current.posixRename = false;
      }
    }
    // Without the extension the old version steps aside under a hidden name and comes back if the
    // new one cannot take its place (a refused rename must not lose it). There is a moment with no
    // file at `to`, never one with half a file.
    if (!(await remoteExists(client, to))) {
      await client.rename(from, to);
      return;
    }
    const aside: Leftover = { path: hiddenNameFor(to), restoreTo: to };
    await client.rename(to, aside.path);
    leftovers.push(aside);
    try {
      await client.rename(from, to);
    } catch (error) {
      try {
        await client.rename(aside.path, to);
        leftovers.pop();
      } catch {
        // Still recorded in `leftovers`: put back on the next connection (see `tidy`).
      }
      throw error;
    }
    leftovers.pop();
    await client.delete(aside.path, true).catch(() => stranded.push({ path: aside.path }));
  };

  return {
    description,
    archiveFolder: settings.archiveFolder,
    quarantineFolder: settings.quarantineFolder,

    async list(folder = '', listOptions: ListOptions = {}): Promise<FileInfo[]> {
      const matcher = listOptions.pattern === undefined ? undefined : compileGlob(listOptions.pattern);
      const segments = relativeSegments(folder, true);
      const remote = posix.join(root, ...segments);
      let entries: SftpClient.FileInfo[];
      try {
        entries = await perform('list', folder, (client) => client.list(remote));
      } catch (error) {
        // As on a local folder: a folder nobody has written to yet is empty, not wrong.
        if (error instanceof NotFoundError) return [];
        throw error;
      }
      const files: FileInfo[] = [];
      for (const entry of entries) {
        if (isHiddenOrInProgress(entry.name)) continue;
        if (matcher && !matcher.test(entry.name)) continue;
        let { size, modifyTime } = entry;
        if (entry.type === 'l') {
          const target = await perform('list', folder, async (client) => {
            try {
              return await client.stat(posix.join(remote, entry.name));
            } catch (error) {
              // A dangling link, or a file moved away since the listing: nothing to process.
              if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
              throw error;
            }
          });
          if (!target?.isFile) continue;
          ({ size, modifyTime } = target);
        } else if (entry.type !== '-') {
          continue;
        }
        files.push({ path: [...segments, entry.name].join('/'), name: entry.name, size, modifiedAt: new Date(modifyTime) });
      }
      return files.sort(byName);
    },

    async read(filePath: string): Promise<Buffer> {
      absolute(filePath);
      // The whole download is one operation: a drop part-way starts it again rather than returning less.
      return perform('read', filePath, async (client, touch, current) => {
        const stream = await openChecked(client, current, filePath);
        const chunks: Buffer[] = [];
        try {
          for await (const chunk of stream) {
            touch();
            chunks.push(chunk as Buffer);
          }
        } finally {
          stream.destroy();
        }
        return Buffer.concat(chunks);
      });
    },

    async readStream(filePath: string): Promise<Readable> {
      absolute(filePath);
      // Opening is retried; a drop after the first bytes reach the caller surfaces as a TransientError
      // on the stream (the caller may have acted on those bytes, so only it can start over).
      return perform('read', filePath, (client, _touch, current) => openChecked(client, current, filePath));
    },

    async write(filePath: string, data: Buffer | string): Promise<void> {
      const remote = absolute(filePath);
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      const folder = posix.dirname(remote);
      await perform('write', filePath, async (client, touch, current) => {
        // A failed attempt's temp file is tidied by the next attempt (see `perform`), on a connection that works.
        const temporary: Leftover = { path: hiddenNameFor(remote) };
        const leftovers = [temporary];
        try {
          await ensureFolder(client, folder);
          await upload(current.sftp, temporary.path, bytes, touch);
          const written = await client.stat(temporary.path);
          if (written.size !== bytes.length) {
            throw new ConnectionFailure(
              `${description}: write ${JSON.stringify(filePath)}: the server holds ${written.size} of ${bytes.length} bytes`,
            );
          }
          await replace(client, current, temporary.path, remote, leftovers);
        } catch (error) {
          stranded.push(...leftovers);
          throw error;
        }
      }).catch(async (error: unknown) => {
        // No attempt left to tidy up: do it now if the connection allows, else on the next one.
        const current = session;
        if (stranded.length > 0 && current?.alive) {
          await withIdleTimeout(settings.timeoutMs, () => tidyStranded(current), () => {
            drop(current);
            return new ConnectionFailure(`${description}: tidying up after write ${JSON.stringify(filePath)} timed out`);
          }).catch(() => undefined);
        }
        throw error;
      });
    },

    async move(from: string, to: string): Promise<string> {
      const source = absolute(from);
      const target = absolute(moveTargetOf(to, posix.basename(source)));
      if (source === target) {
        const present = await perform('move', from, (client) => remoteExists(client, source));
        if (!present) throw new NotFoundError(`${description}: cannot move ${JSON.stringify(from)}: not found`);
        return relativeOf(target);
      }
      let attempted: string | undefined;
      return perform('move', from, async (client, _touch, _current, attempt) => {
        // The previous attempt's rename may have happened with only its answer lost in the drop.
        if (attempt > 0 && attempted !== undefined && !(await remoteExists(client, source)) && (await remoteExists(client, attempted))) {
          return relativeOf(attempted);
        }
        await ensureFolder(client, posix.dirname(target));
        for (let n = 0; ; n++) {
          const candidate = withSuffix(target, n);
          // Checked first because not every server refuses to rename over an existing file; OpenSSH
          // does (it links, then unlinks), which settles a race between two workers.
          if (await remoteExists(client, candidate)) continue;
          attempted = candidate;
          try {
            await client.rename(source, candidate);
            return relativeOf(candidate);
          } catch (error) {
            if ((error as { code?: unknown }).code === SFTP_FAILURE && (await remoteExists(client, candidate))) continue;
            throw error;
          }
        }
      });
    },

    async exists(filePath: string): Promise<boolean> {
      const remote = absolute(filePath);
      return perform('stat', filePath, (client) => remoteExists(client, remote));
    },

    async close(): Promise<void> {
      const current = session;
      session = undefined;
      if (!current) return;
      current.alive = false;
      await withIdleTimeout(settings.timeoutMs, () => current.client.end(), () => {
        destroy(current.client);
        return new ConnectionFailure(`${description}: close timed out`);
      }).catch(() => destroy(current.client));
    },
  };
}

/** The options after checking: every default filled in. */
type Settings = SftpTransportOptions & Required<Pick<SftpTransportOptions, 'port' | 'timeoutMs' | 'retries' | 'backoffMs' | 'readyTimeoutMs'>>;

function checkOptions(options: SftpTransportOptions): Settings {
  if (options === null || typeof options !== 'object') throw invalid('host', 'options are required');
  const text = (name: keyof SftpTransportOptions): string | undefined => {
    const value = options[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') throw invalid(name, 'must be a non-empty string');
    return value;
  };
  const host = text('host');
  if (host === undefined) throw invalid('host', 'is required');
  const username = text('username');
  if (username === undefined) throw invalid('username', 'is required');
  const password = text('password');
  const privateKey = text('privateKey');
  const passphrase = text('passphrase');
  if (password === undefined && privateKey === undefined) throw invalid('password', 'or privateKey is required');
  if (privateKey !== undefined) {
    const parsed = ssh2.utils.parseKey(privateKey, passphrase);
    // The parser's message may quote the key; name the option and nothing of its content.
    if (parsed instanceof Error) {
      throw invalid(passphrase === undefined ? 'privateKey' : 'passphrase', 'does not give a usable private key (wrong format, or encrypted without the right passphrase)');
    }
  }
  const hostKey = text('hostKey');
  if (hostKey !== undefined && !/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(hostKey.trim())) {
    throw invalid('hostKey', "must be a SHA256 fingerprint as `ssh-keygen -lf` prints it ('SHA256:' and 43 base64 characters)");
  }
  const root = text('root');
  if (root === undefined) throw invalid('root', 'is required');
  if (!root.startsWith('/') || root.includes('\0') || root.split('/').includes('..')) {
    throw invalid('root', `must be an absolute path on the server without "..", got ${JSON.stringify(root)}`);
  }
  return {
    host,
    port: integer('port', options.port, 22, 1, 65_535),
    username,
    password,
    privateKey,
    passphrase,
    hostKey: hostKey?.trim(),
    root: posix.normalize(root).replace(/(.)\/$/, '$1'),
    archiveFolder: options.archiveFolder,
    quarantineFolder: options.quarantineFolder,
    timeoutMs: integer('timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS, 1, 24 * 3_600_000),
    retries: integer('retries', options.retries, DEFAULT_RETRIES, 0, 100),
    backoffMs: integer('backoffMs', options.backoffMs, DEFAULT_BACKOFF_MS, 0, MAX_BACKOFF_MS),
    readyTimeoutMs: integer('readyTimeoutMs', options.readyTimeoutMs, DEFAULT_READY_TIMEOUT_MS, 1, 24 * 3_600_000),
  };
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(name, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function invalid(option: string, problem: string): ConfigurationError {
  const message = `sftp transport: ${option} ${problem}`;
  return new ConfigurationError(message, [{ path: option, message: `${option} ${problem}` }]);
}

/** The fingerprint `ssh-keygen -lf` prints: SHA-256 of the key blob, base64 without padding. */
function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function sameFingerprint(a: string, b: string): boolean {
  const bare = (value: string) => value.trim().replace(/=+$/, '');
  return bare(a) === bare(b);
}

/**
 * Passes a download through while counting it: a stream that ends before the size the server
 * gave fails with a TransientError, so a truncated file is never mistaken for a whole one.
 */
function sizeChecked(source: Readable, expected: number, label: string, current: Session, idleMs: number): Readable {
  let received = 0;
  // A peer that vanished without closing the socket leaves the stream silent, neither ending nor
  // failing: after idleMs with nothing arriving while the reader waits, it fails as a lost connection.
  let idle: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      // The reader is still busy with what it has: not the server's silence.
      if (checked.readableLength > 0) return arm();
      checked.destroy(new ConnectionFailure(`${label}: no data from the server for ${idleMs} ms after ${received} of ${expected} bytes`));
    }, idleMs);
    idle.unref();
  };
  const checked = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      arm();
      callback(null, chunk);
    },
    flush(callback) {
      if (received < expected) {
        callback(new ConnectionFailure(`${label}: the file ended after ${received} of ${expected} bytes`));
      } else {
        callback();
      }
    },
  });
  source.on('error', (error: unknown) => {
    const lost = !current.alive || CONNECTION_MESSAGES.test(messageOf(error));
    checked.destroy(
      lost
        ? new ConnectionFailure(`${label}: connection lost after ${received} of ${expected} bytes (${messageOf(error)})`, { cause: error })
        : new TransientError(`${label}: ${messageOf(error)}`, { cause: error }),
    );
  });
  // A caller that stops reading early must not leave the remote file handle open.
  checked.on('close', () => {
    clearTimeout(idle);
    if (!source.destroyed) source.destroy();
  });
  source.pipe(checked);
  arm();
  return checked;
}

/** A file of ours on the server to delete, or (with `restoreTo`) an old version to put back. */
interface Leftover {
  path: string;
  restoreTo?: string;
}

/** A hidden, unique name beside `remote`: where an upload goes before the rename, or an old version steps aside. */
function hiddenNameFor(remote: string): string {
  return posix.join(posix.dirname(remote), temporaryNameFor(posix.basename(remote), randomBytes(6).toString('hex')));
}

/**
 * Uploads with ssh2's own calls rather than ssh2-sftp-client's `put`: its write stream closes itself
 * before reporting a refused WRITE, so the refusal (a full disk) was lost and the upload looked
 * finished. A few slices are in flight at once; ssh2 sends each slice's packets one after another.
 */
async function upload(sftp: SFTPWrapper, remote: string, bytes: Buffer, touch: () => void): Promise<void> {
  const handle = await new Promise<Buffer>((resolve, reject) => {
    sftp.open(remote, 'w', (error, opened) => (error ? reject(error) : resolve(opened)));
  });
  let next = 0;
  let failed = false;
  const writer = async (): Promise<void> => {
    while (!failed && next < bytes.length) {
      const offset = next;
      const length = Math.min(TRANSFER_CHUNK_BYTES, bytes.length - offset);
      next += length;
      await new Promise<void>((resolve, reject) => {
        sftp.write(handle, bytes, offset, length, offset, (error) => {
          if (error) {
            failed = true;
            reject(error);
          } else {
            resolve();
          }
        });
      });
      touch();
    }
  };
  try {
    await Promise.all(Array.from({ length: UPLOAD_SLICES_IN_FLIGHT }, writer));
  } catch (error) {
    // The handle goes with the connection if that is what failed; on a live one it must not stay open.
    sftp.close(handle, () => undefined);
    throw error;
  }
  await new Promise<void>((resolve, reject) => {
    sftp.close(handle, (error) => (error ? reject(error) : resolve()));
  });
}

function withIdleTimeout<T>(ms: number, run: (touch: () => void) => Promise<T>, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const touch = () => {
      if (settled) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        settled = true;
        reject(onTimeout());
      }, ms);
    };
    touch();
    run(touch).then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Full jitter: workers that lost the same server do not all come back at the same instant. */
function backoffDelay(backoffMs: number, attempt: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** attempt);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Ends the socket at once: after a drop or a timeout a polite goodbye could wait forever. */
function destroy(client: SftpClient): void {
  const ssh = (client as unknown as { client?: { destroy?: () => void } }).client;
  try {
    ssh?.destroy?.();
  } catch {
    // already closed
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
