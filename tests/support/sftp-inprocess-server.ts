/**
 * An SFTP server inside the test process, on ssh2's `Server`: faster to start than sshd, needs no
 * root, and can misbehave on cue (a full disk, a connection dropped mid-upload, a refused rename,
 * slow answers), which a real OpenSSH server cannot easily be made to do. Files live in a real temp
 * folder, so a test can put files in place and check them as another system would.
 *
 * It speaks SFTP v3 without extensions: ssh2's server always sends a bare VERSION packet, so a
 * client sees no posix-rename@openssh.com and falls back to plain RENAME, which, as the draft says
 * and OpenSSH does, refuses to replace an existing file.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Stats } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readdir, realpath, rename, rm, rmdir, stat, unlink, link, type FileHandle } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
// ssh2 is CommonJS: Node's ESM loader gives it as a default export only.
import ssh2 from 'ssh2';
import type { Attributes, AuthContext, Connection, FileEntry, SFTPWrapper } from 'ssh2';
import { freePort } from '../../core/free-port.js';

const { OPEN_MODE, STATUS_CODE } = ssh2.utils.sftp;

/** Requests the server counts, for tests that ask how often the client did something. */
export type SftpRequestName =
  | 'OPEN' | 'CLOSE' | 'READ' | 'WRITE' | 'LSTAT' | 'FSTAT' | 'STAT' | 'SETSTAT' | 'FSETSTAT' | 'OPENDIR'
  | 'READDIR' | 'REMOVE' | 'MKDIR' | 'RMDIR' | 'REALPATH' | 'RENAME';

export interface InProcessSftpServerOptions {
  /** @defaultValue 'mso' */
  username?: string;
  /** Also accept this password (public-key auth with `privateKey` always works). */
  password?: string;
  /** The folder under the server's `/` that transports use as their root. @defaultValue 'clearinghouse' */
  rootFolder?: string;
}

export interface InProcessSftpServer {
  host: '127.0.0.1';
  port: number;
  username: string;
  password?: string;
  /** The client key (OpenSSH format, unencrypted) the server accepts. */
  privateKey: string;
  /** The server's host key fingerprint as `ssh-keygen -lf` prints it (`SHA256:…`). */
  hostKeyFingerprint: string;
  /** The folder a transport should use as its root, as the client sees it. */
  root: string;
  /** The same folder (or a path under it) on this machine. */
  localPath(relative?: string): string;
  /** SSH connections accepted since the server started (authenticated or not). */
  connections(): number;
  /** How many requests of this kind the server has received since it started. */
  requests(name: SftpRequestName): number;
  /** Drops every client connection at once (the socket is destroyed, no goodbye), as a network failure would. */
  killConnections(): void;
  faults: SftpFaults;
  stop(): Promise<void>;
}

/** Misbehaviour on cue; each applies to every connection, and `reset()` ends them all. */
export interface SftpFaults {
  /** Answers the `nth` WRITE from now on (1: the next one) with FAILURE and writes nothing, as a full disk would; once. */
  failWrite(nth?: number, message?: string): void;
  /**
   * Drops the connection (socket destroyed) of the first upload whose file has received at least
   * `bytes` bytes, after storing them; once. Resolves when it has dropped it.
   */
  dropUploadAfter(bytes: number): Promise<void>;
  /**
   * Answers RENAMEs with `code` (FAILURE by default): `times` of them (all until reset by default),
   * after letting the first `allow` through (none by default).
   */
  refuseRenames(options?: { code?: number; message?: string; allow?: number; times?: number }): void;
  /** Holds back every answer this long until reset (0: answer at once). */
  delayAnswers(ms: number): void;
  reset(): void;
}

/** An SFTP status the handlers throw; anything else that fails becomes one via the errno. */
class StatusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

type Reply =
  | { status: number; message?: string }
  | { handle: Buffer }
  | { data: Buffer }
  | { names: FileEntry[] }
  | { attrs: Attributes };

const OK: Reply = { status: STATUS_CODE.OK };

type OpenHandle =
  | { kind: 'file'; file: FileHandle; local: string; received: number }
  | { kind: 'dir'; entries: FileEntry[] | undefined; local: string; virtual: string };

/** Longest READ answer; ssh2 clients ask for about 32 KiB, OpenSSH's for 256 KiB. */
const MAX_READ_BYTES = 256 * 1024;
const READDIR_BATCH = 100;

export async function startInProcessSftpServer(options: InProcessSftpServerOptions = {}): Promise<InProcessSftpServer> {
  const username = options.username ?? 'mso';
  const rootFolder = options.rootFolder ?? 'clearinghouse';
  const hostKey = usableKeyPair();
  const clientKey = usableKeyPair();
  const allowedKey = parsed(clientKey.public);
  const hostKeyFingerprint = `SHA256:${createHash('sha256').update(parsed(hostKey.public).getPublicSSH()).digest('base64').replace(/=+$/, '')}`;

  const dir = await mkdtemp(path.join(tmpdir(), 'hub-sftp-inprocess-'));
  const jail = path.join(dir, 'jail');
  let jailReal: string;
  try {
    await mkdir(path.join(jail, rootFolder), { recursive: true });
    // Links are resolved against this; the temp folder itself may sit behind a link.
    jailReal = await realpath(jail);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const counts = new Map<SftpRequestName, number>();
  const sockets = new Map<number, Socket>();
  const cleanups = new Set<() => Promise<void>>();
  let accepted = 0;

  let writeFailure: { remaining: number; message: string } | undefined;
  let uploadDrop: { bytes: number; dropped: () => void } | undefined;
  let renameRefusal: { code: number; message: string; allow: number; times: number } | undefined;
  let delayMs = 0;

  const faults: SftpFaults = {
    failWrite(nth = 1, message = 'No space left on device') {
      if (!Number.isInteger(nth) || nth < 1) throw new Error(`failWrite: nth must be a whole number from 1, got ${nth}`);
      writeFailure = { remaining: nth, message };
    },
    dropUploadAfter(bytes) {
      return new Promise<void>((resolve) => {
        uploadDrop = { bytes, dropped: resolve };
      });
    },
    refuseRenames({ code = STATUS_CODE.FAILURE, message = 'Rename refused by the server', allow = 0, times = Infinity } = {}) {
      renameRefusal = { code, message, allow, times };
    },
    delayAnswers(ms) {
      delayMs = ms;
    },
    reset() {
      writeFailure = undefined;
      uploadDrop = undefined;
      renameRefusal = undefined;
      delayMs = 0;
    },
  };

  /** A client's path, taken from `/` (relative ones too: home is `/`), as a local path; `..` may not climb out. */
  const resolve = (remote: string): { local: string; virtual: string } => {
    if (remote.includes('\0')) throw new StatusError(STATUS_CODE.BAD_MESSAGE, 'NUL in path');
    const segments: string[] = [];
    for (const segment of remote.split('/')) {
      if (segment === '' || segment === '.') continue;
      if (segment === '..') {
        if (segments.length === 0) throw new StatusError(STATUS_CODE.PERMISSION_DENIED, 'Path leaves the root');
        segments.pop();
      } else {
        segments.push(segment);
      }
    }
    return { local: path.join(jail, ...segments), virtual: `/${segments.join('/')}` };
  };

  const inside = (real: string): boolean => real === jailReal || real.startsWith(`${jailReal}${path.sep}`);

  /**
   * Where `local` really is once links are followed (the last one only when `followLast`); a link
   * that leads out of the root is refused, a dangling one is not found.
   */
  const confine = async (local: string, followLast: boolean): Promise<string> => {
    let real: string;
    if (local === jail) {
      real = jailReal;
    } else if (followLast) {
      try {
        real = await realpath(local);
      } catch (error) {
        if (code(error) !== 'ENOENT') throw error;
        const parent = await confine(path.dirname(local), true);
        // A link whose target is missing: following it (to create a file) could land anywhere.
        const info = await lstat(path.join(parent, path.basename(local))).catch(() => undefined);
        if (info?.isSymbolicLink()) throw new StatusError(STATUS_CODE.NO_SUCH_FILE, 'Dangling link');
        real = path.join(parent, path.basename(local));
      }
    } else {
      real = path.join(await confine(path.dirname(local), true), path.basename(local));
    }
    if (!inside(real)) throw new StatusError(STATUS_CODE.PERMISSION_DENIED, 'Link leads out of the root');
    return real;
  };

  const locate = async (remote: string, followLast: boolean): Promise<string> => confine(resolve(remote).local, followLast);

  /** Answers one SFTP session; returns what closes its open files when the connection goes. */
  const serveSftp = (sftp: SFTPWrapper, drop: () => void): (() => Promise<void>) => {
    const handles = new Map<number, OpenHandle>();
    let nextHandle = 0;
    let closed = false;

    const handleOf = (raw: Buffer): OpenHandle => {
      const found = raw.length === 4 ? handles.get(raw.readUInt32BE(0)) : undefined;
      if (!found) throw new StatusError(STATUS_CODE.FAILURE, 'Invalid handle');
      return found;
    };
    const newHandle = (entry: OpenHandle): Reply => {
      const id = nextHandle++;
      handles.set(id, entry);
      const raw = Buffer.alloc(4);
      raw.writeUInt32BE(id, 0);
      return { handle: raw };
    };

    const closeAll = async (): Promise<void> => {
      closed = true;
      const open = [...handles.values()];
      handles.clear();
      await Promise.all(open.map((entry) => (entry.kind === 'file' ? entry.file.close().catch(() => undefined) : undefined)));
    };
    cleanups.add(closeAll);
    sftp.on('close', () => void closeAll());
    sftp.on('error', () => undefined);

    const send = (reqid: number, reply: Reply): void => {
      if (closed) return;
      try {
        if ('status' in reply) sftp.status(reqid, reply.status, reply.message);
        else if ('handle' in reply) sftp.handle(reqid, reply.handle);
        else if ('data' in reply) sftp.data(reqid, reply.data);
        else if ('names' in reply) sftp.name(reqid, reply.names);
        else sftp.attrs(reqid, reply.attrs);
      } catch {
        // The channel went away while the answer was on its way.
      }
    };

    /** One request kind: counted, run, and answered (late, if told to), a failure as its SFTP status. */
    const serve = <A extends unknown[]>(name: SftpRequestName, run: (...args: A) => Promise<Reply | undefined>): void => {
      sftp.on(name, (reqid: number, ...args: A) => {
        counts.set(name, (counts.get(name) ?? 0) + 1);
        run(...args).then(
          (reply) => {
            // undefined: the connection was dropped on purpose, nothing to answer.
            if (reply === undefined) return;
            if (delayMs > 0) setTimeout(() => send(reqid, reply), delayMs);
            else send(reqid, reply);
          },
          (error: unknown) => {
            const reply = statusOf(error);
            if (delayMs > 0) setTimeout(() => send(reqid, reply), delayMs);
            else send(reqid, reply);
          },
        );
      });
    };

    serve('REALPATH', async (remote: string) => {
      const real = await locate(remote, true);
      // Fails as not found for a missing path, as OpenSSH's does.
      await stat(real);
      const virtual = `/${path.relative(jailReal, real).split(path.sep).filter(Boolean).join('/')}`;
      return { names: [{ filename: virtual, longname: virtual, attrs: {} as Attributes }] };
    });

    serve('STAT', async (remote: string) => ({ attrs: attributesOf(await stat(await locate(remote, true))) }));
    serve('LSTAT', async (remote: string) => ({ attrs: attributesOf(await lstat(await locate(remote, false))) }));
    serve('FSTAT', async (raw: Buffer) => {
      const entry = handleOf(raw);
      return { attrs: attributesOf(entry.kind === 'file' ? await entry.file.stat() : await stat(entry.local)) };
    });
    // Permissions and times are not kept: accepting is what a client needs (ssh2 sets the mode after OPEN).
    serve('SETSTAT', async (remote: string) => {
      await stat(await locate(remote, true));
      return OK;
    });
    serve('FSETSTAT', async (raw: Buffer) => {
      handleOf(raw);
      return OK;
    });

    serve('OPEN', async (remote: string, flags: number, attrs: Attributes) => {
      const local = await locate(remote, true);
      const readable = (flags & OPEN_MODE.READ) !== 0;
      const writable = (flags & OPEN_MODE.WRITE) !== 0;
      let mode = readable && writable ? fsConstants.O_RDWR : writable ? fsConstants.O_WRONLY : fsConstants.O_RDONLY;
      if (flags & OPEN_MODE.APPEND) mode |= fsConstants.O_APPEND;
      if (flags & OPEN_MODE.CREAT) mode |= fsConstants.O_CREAT;
      if (flags & OPEN_MODE.TRUNC) mode |= fsConstants.O_TRUNC;
      if (flags & OPEN_MODE.EXCL) mode |= fsConstants.O_EXCL;
      const file = await open(local, mode, typeof attrs?.mode === 'number' ? attrs.mode & 0o777 : 0o644);
      if (closed) {
        await file.close();
        return undefined;
      }
      return newHandle({ kind: 'file', file, local, received: 0 });
    });

    serve('READ', async (raw: Buffer, offset: number, length: number) => {
      const entry = handleOf(raw);
      if (entry.kind !== 'file') throw new StatusError(STATUS_CODE.FAILURE, 'Not a file handle');
      const buffer = Buffer.allocUnsafe(Math.min(length, MAX_READ_BYTES));
      const { bytesRead } = await entry.file.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) return { status: STATUS_CODE.EOF };
      return { data: buffer.subarray(0, bytesRead) };
    });

    serve('WRITE', async (raw: Buffer, offset: number, data: Buffer) => {
      const entry = handleOf(raw);
      if (entry.kind !== 'file') throw new StatusError(STATUS_CODE.FAILURE, 'Not a file handle');
      if (writeFailure && --writeFailure.remaining === 0) {
        const { message } = writeFailure;
        writeFailure = undefined;
        throw new StatusError(STATUS_CODE.FAILURE, message);
      }
      await entry.file.write(data, 0, data.length, offset);
      entry.received += data.length;
      if (uploadDrop && entry.received >= uploadDrop.bytes) {
        const { dropped } = uploadDrop;
        uploadDrop = undefined;
        drop();
        dropped();
        return undefined;
      }
      return OK;
    });

    serve('CLOSE', async (raw: Buffer) => {
      const entry = handleOf(raw);
      handles.delete(raw.readUInt32BE(0));
      if (entry.kind === 'file') await entry.file.close();
      return OK;
    });

    serve('OPENDIR', async (remote: string) => {
      const local = await locate(remote, true);
      if (!(await stat(local)).isDirectory()) throw new StatusError(STATUS_CODE.FAILURE, 'Not a directory');
      return newHandle({ kind: 'dir', entries: undefined, local, virtual: resolve(remote).virtual });
    });

    serve('READDIR', async (raw: Buffer) => {
      const entry = handleOf(raw);
      if (entry.kind !== 'dir') throw new StatusError(STATUS_CODE.FAILURE, 'Not a directory handle');
      if (entry.entries === undefined) {
        // As OpenSSH: attributes of the entry itself (lstat), so a link shows as a link.
        const names = await readdir(entry.local);
        const listed: FileEntry[] = [];
        for (const name of names) {
          const info = await lstat(path.join(entry.local, name)).catch(() => undefined);
          if (info) listed.push({ filename: name, longname: longnameOf(name, info), attrs: attributesOf(info) });
        }
        entry.entries = listed;
      }
      if (entry.entries.length === 0) return { status: STATUS_CODE.EOF };
      return { names: entry.entries.splice(0, READDIR_BATCH) };
    });

    serve('REMOVE', async (remote: string) => {
      const local = await locate(remote, false);
      if ((await lstat(local)).isDirectory()) throw new StatusError(STATUS_CODE.FAILURE, 'Is a directory');
      await unlink(local);
      return OK;
    });

    serve('MKDIR', async (remote: string, attrs: Attributes) => {
      await mkdir(await locate(remote, false), { mode: typeof attrs?.mode === 'number' ? attrs.mode & 0o777 : 0o755 });
      return OK;
    });

    serve('RMDIR', async (remote: string) => {
      await rmdir(await locate(remote, false));
      return OK;
    });

    serve('RENAME', async (from: string, to: string) => {
      if (renameRefusal) {
        const refusal = renameRefusal;
        if (refusal.allow > 0) {
          refusal.allow--;
        } else {
          if (--refusal.times <= 0) renameRefusal = undefined;
          throw new StatusError(refusal.code, refusal.message);
        }
      }
      const source = await locate(from, false);
      const target = await locate(to, false);
      const info = await lstat(source);
      // SFTP v3 refuses an existing target. For a file, link-then-unlink makes the check and the
      // move one step (as OpenSSH does), so two clients racing for one name cannot both win.
      if (info.isDirectory()) {
        if (await lstat(target).then(() => true, () => false)) throw new StatusError(STATUS_CODE.FAILURE, 'Target exists');
        await rename(source, target);
      } else {
        await link(source, target);
        await unlink(source);
      }
      return OK;
    });

    return closeAll;
  };

  const sshServer = new ssh2.Server({ hostKeys: [hostKey.private] }, (client: Connection, info: { port: number }) => {
    accepted++;
    const socket = sockets.get(info.port);
    const drop = () => socket?.destroy();
    // A dropped socket surfaces here (ECONNRESET); without a listener it would end the test process.
    client.on('error', () => undefined);
    client.on('authentication', (context: AuthContext) => {
      if (!sameText(context.username, username)) return context.reject();
      if (context.method === 'publickey') {
        const known = context.key.algo === allowedKey.type && sameBytes(context.key.data, allowedKey.getPublicSSH());
        // No signature yet: the client only asks whether the key would do.
        const signed = context.signature === undefined || allowedKey.verify(context.blob!, context.signature, context.hashAlgo);
        return known && signed ? context.accept() : context.reject();
      }
      if (context.method === 'password' && options.password !== undefined && sameText(context.password, options.password)) {
        return context.accept();
      }
      context.reject(options.password === undefined ? ['publickey'] : ['publickey', 'password']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('sftp', (acceptSftp) => {
          const closeAll = serveSftp(acceptSftp(), drop);
          client.on('close', () => {
            cleanups.delete(closeAll);
            void closeAll();
          });
        });
      });
    });
  });

  // Our own listener hands sockets to ssh2, so a test can destroy them as a network failure would.
  const listener = createServer((socket) => {
    const port = socket.remotePort!;
    sockets.set(port, socket);
    socket.on('close', () => sockets.delete(port));
    socket.on('error', () => undefined);
    sshServer.injectSocket(socket);
  });
  const port = await freePort();
  try {
    await new Promise<void>((resolveListen, reject) => {
      listener.once('error', reject);
      listener.listen(port, '127.0.0.1', () => resolveListen());
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const killConnections = (): void => {
    for (const socket of sockets.values()) socket.destroy();
  };

  return {
    host: '127.0.0.1',
    port,
    username,
    password: options.password,
    privateKey: clientKey.private,
    hostKeyFingerprint,
    root: `/${rootFolder}`,
    localPath: (relative = '') => path.join(jail, rootFolder, relative),
    connections: () => accepted,
    requests: (name) => counts.get(name) ?? 0,
    killConnections,
    faults,
    async stop(): Promise<void> {
      faults.reset();
      const closedListener = new Promise<void>((resolveClose) => listener.close(() => resolveClose()));
      killConnections();
      await closedListener;
      await Promise.all([...cleanups].map((cleanup) => cleanup()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An ed25519 pair ssh2 can read back. About 1 in 256 of those ssh2 generates is malformed (a public
 * key starting with a zero byte loses it: mscdex/ssh2 issues 1390 and 1513), which would make a
 * test fail at random.
 */
export function usableKeyPair(): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error)) return pair;
  }
}

function parsed(key: string) {
  const result = ssh2.utils.parseKey(key);
  if (result instanceof Error) throw result;
  return result;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function sameText(a: string, b: string): boolean {
  return sameBytes(Buffer.from(a), Buffer.from(b));
}

function code(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/** The status OpenSSH's sftp-server answers for an errno (its errno_to_portable). */
function statusOf(error: unknown): Reply {
  if (error instanceof StatusError) return { status: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  switch (code(error)) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EBADF':
    case 'ELOOP':
      return { status: STATUS_CODE.NO_SUCH_FILE, message: 'No such file' };
    case 'EPERM':
    case 'EACCES':
    case 'EFAULT':
      return { status: STATUS_CODE.PERMISSION_DENIED, message: 'Permission denied' };
    case 'ENAMETOOLONG':
    case 'EINVAL':
      return { status: STATUS_CODE.BAD_MESSAGE, message: 'Bad message' };
    case 'EEXIST':
      return { status: STATUS_CODE.FAILURE, message: 'File exists' };
    case 'ENOSYS':
      return { status: STATUS_CODE.OP_UNSUPPORTED, message: 'Operation unsupported' };
    default:
      return { status: STATUS_CODE.FAILURE, message };
  }
}

function attributesOf(info: Stats): Attributes {
  return {
    mode: info.mode,
    uid: info.uid,
    gid: info.gid,
    size: info.size,
    atime: Math.floor(info.atimeMs / 1000),
    mtime: Math.floor(info.mtimeMs / 1000),
  };
}

/** `ls -l` style, as OpenSSH sends it: clients (ssh2-sftp-client among them) read the type from its first letter. */
function longnameOf(name: string, info: Stats): string {
  const type = info.isDirectory() ? 'd' : info.isSymbolicLink() ? 'l' : info.isFile() ? '-' : '?';
  const bits = 'rwxrwxrwx'
    .split('')
    .map((letter, i) => (info.mode & (0o400 >> i) ? letter : '-'))
    .join('');
  const when = new Date(info.mtimeMs).toISOString().slice(0, 16).replace('T', ' ');
  return `${type}${bits}    1 ${info.uid} ${info.gid} ${String(info.size).padStart(12)} ${when} ${name}`;
}
