/**
 * A real OpenSSH SFTP server for the SFTP transport's tests: Debian's sshd on a free loopback port,
 * with throwaway ed25519 keys, a config of its own and a chroot, so nothing of the machine's own
 * SSH set-up is touched or needed.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../core/free-port.js';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';

export interface SftpTestServer {
  host: '127.0.0.1';
  port: number;
  username: string;
  /** The client key (OpenSSH format, unencrypted) whose public half the server accepts. */
  privateKey: string;
  /** The server's host key fingerprint as `ssh-keygen -lf` prints it (`SHA256:…`). */
  hostKeyFingerprint: string;
  /** The folder a transport should use as its root, as the client sees it inside the chroot. */
  root: string;
  /** The same folder (or a path under it) on this machine, for setting up and checking files. */
  localPath(relative?: string): string;
  /** Drops every client connection at once, as a network failure or server restart would. */
  killConnections(): Promise<void>;
  /**
   * Drops every client connection as soon as the server has read `bytes` bytes of files for its
   * clients, to fail a download part-way. Resolves once it has dropped them.
   */
  killConnectionsAfterServerReads(bytes: number, timeoutMs?: number): Promise<void>;
  /** Stops sshd (and its connections) as a server restart would; `start()` brings it back on the same port and keys. */
  stopListening(): Promise<void>;
  start(): Promise<void>;
  /**
   * Stops (SIGSTOP) the server side of every open connection, as a hung server or a black-holed
   * network would look; new connections still work. The function returned ends the frozen ones.
   */
  freezeConnections(): Promise<() => Promise<void>>;
  /** sshd's own log (LogLevel VERBOSE): why a login was refused, for a failing test's message. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts sshd as root with `ForceCommand internal-sftp` and a chroot (sshd insists every component
 * of a chroot path is root-owned and writable by nobody else, so it lives under /run, not /tmp).
 */
export async function startSftpServer(options: { rootFolder?: string } = {}): Promise<SftpTestServer> {
  if (!existsSync(SSHD)) {
    throw new Error(`${SSHD} is missing: the SFTP tests need Debian's OpenSSH server (apt-get install -y openssh-server)`);
  }
  if (process.getuid?.() !== 0) {
    throw new Error('the SFTP tests start sshd with a chroot, which needs root');
  }
  const dir = await mkdtemp('/run/hub-sftp-test-');
  const jail = path.join(dir, 'jail');
  const rootFolder = options.rootFolder ?? 'clearinghouse';
  await mkdir(path.join(jail, rootFolder), { recursive: true, mode: 0o755 });

  const hostKey = path.join(dir, 'host_key');
  const clientKey = path.join(dir, 'client_key');
  await Promise.all([keygen(hostKey), keygen(clientKey)]);
  const authorizedKeys = path.join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, await readFile(`${clientKey}.pub`));
  const { stdout } = await run('ssh-keygen', ['-lf', `${hostKey}.pub`]);
  const hostKeyFingerprint = stdout.split(' ')[1];

  const port = await freePort();
  const pidFile = path.join(dir, 'sshd.pid');
  const logFile = path.join(dir, 'sshd.log');
  const config = path.join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${pidFile}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'LogLevel VERBOSE',
      'Subsystem sftp internal-sftp',
      // A test that fails auth on purpose should not be throttled by the next one's attempts.
      'MaxStartups 100',
      'Match User root',
      '  ForceCommand internal-sftp',
      `  ChrootDirectory ${jail}`,
      '',
    ].join('\n'),
  );

  const log = async () => (await readFile(logFile, 'utf8').catch(() => '')).trim();
  await mkdir('/run/sshd', { recursive: true });

  // -D keeps sshd in the foreground as our child, so it is reaped when it stops: a daemonized sshd
  // belongs to init, which in a container may never reap it.
  let daemon: ChildProcess;
  let exited: Promise<number | null>;
  const launch = async (): Promise<void> => {
    daemon = spawn(SSHD, ['-D', '-f', config, '-E', logFile], { stdio: 'ignore' });
    exited = new Promise((resolve) => daemon.once('exit', (code) => resolve(code)));
    const failed = exited.then((code) => {
      throw new Error(`sshd exited with code ${code}`);
    });
    try {
      await Promise.race([waitForPort(port, 5_000), failed]);
    } catch (error) {
      daemon.kill('SIGKILL');
      throw new Error(`sshd did not start on 127.0.0.1:${port}: ${(error as Error).message}\n${await log()}`, { cause: error });
    } finally {
      failed.catch(() => undefined);
    }
  };
  const halt = async (): Promise<void> => {
    await killConnections();
    daemon.kill('SIGTERM');
    await exited;
  };
  try {
    await launch();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const pid = (): number => daemon.pid!;

  const killConnections = async (): Promise<void> => {
    // Only this sshd's descendants: other sshd servers (the machine's own, parallel test files) stay
    // up. Sessions first: their monitors reap them and exit, then sshd reaps the monitors; killing a
    // monitor first would orphan its session to init.
    const deadline = Date.now() + 2_000;
    for (let round = 0; Date.now() < deadline; round++) {
      const tree = await processTree(pid());
      if (tree.size === 0) return;
      const parents = new Set([...tree.values()].map((info) => info.ppid));
      const leaves = [...tree].filter(([child, info]) => !info.zombie && !parents.has(child)).map(([child]) => child);
      for (const child of round < 50 ? leaves : [...tree.keys()]) signal(child, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  return {
    host: '127.0.0.1',
    port,
    username: 'root',
    privateKey: await readFile(clientKey, 'utf8'),
    hostKeyFingerprint,
    root: `/${rootFolder}`,
    localPath: (relative = '') => path.join(jail, rootFolder, relative),
    killConnections,
    log,
    async killConnectionsAfterServerReads(bytes: number, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        for (const child of await descendantsOf(pid())) {
          if ((await bytesRead(child)) >= bytes) {
            await killConnections();
            return;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      throw new Error(`no sshd session read ${bytes} bytes within ${timeoutMs} ms`);
    },
    async stopListening(): Promise<void> {
      await halt();
    },
    async start(): Promise<void> {
      await launch();
    },
    async freezeConnections(): Promise<() => Promise<void>> {
      const frozen = await descendantsOf(pid());
      for (const child of frozen) signal(child, 'SIGSTOP');
      return async () => {
        for (const child of frozen) signal(child, 'SIGCONT');
        await killConnections();
      };
    },
    async stop(): Promise<void> {
      if (daemon.exitCode === null && daemon.signalCode === null) await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

async function keygen(file: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hub-sftp-test', '-f', file]);
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', (error) => {
        socket.destroy();
        if (Date.now() > deadline) reject(error);
        else setTimeout(attempt, 20);
      });
    };
    attempt();
  });
}

/** Every process below `pid`, from /proc (no procps needed): sshd forks a monitor and a session per connection. */
async function processTree(pid: number): Promise<Map<number, { ppid: number; zombie: boolean }>> {
  const all = new Map<number, { ppid: number; zombie: boolean }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // The command name may hold spaces and parentheses; the fields after its last ")" are fixed.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (ppid) all.set(Number(entry), { ppid: Number(ppid), zombie: state === 'Z' });
  }
  const found = new Map<number, { ppid: number; zombie: boolean }>();
  const frontier = [pid];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [child, info] of all) {
      if (info.ppid === parent) {
        found.set(child, info);
        frontier.push(child);
      }
    }
  }
  return found;
}

async function descendantsOf(pid: number): Promise<number[]> {
  return [...(await processTree(pid)).keys()];
}

async function bytesRead(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8').catch(() => '');
  const match = /^rchar: (\d+)$/m.exec(io);
  return match ? Number(match[1]) : 0;
}
