/** Helpers for tests that run the hub as a real process on a copy of the shipped config. */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../core/free-port.js';
export { freePort };

export const ROOT = resolve(import.meta.dirname, '../..');
export const ADMIN = 'dev-admin-token-change-me';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';


/** A fresh copy of config/ with its own queue prefix, as a new user would have it. */
export function copyShippedConfig(prefix: string, extra = ''): { work: string; configFile: string } {
  const work = mkdtempSync(join(tmpdir(), 'hub-e2e-'));
  // What a local `npm start` wrote into the demo mailbox (git ignores it) is not part of the shipped config.
  const written = /clearinghouse[\\/](outbound|inbound[\\/]SIM-)/;
  cpSync(join(ROOT, 'config'), join(work, 'config'), { recursive: true, filter: (source) => !written.test(source) });
  const configFile = join(work, 'config/hub.yaml');
  const yaml = readFileSync(configFile, 'utf8');
  writeFileSync(configFile, yaml.replace('logLevel: info', `logLevel: debug\n  queuePrefix: ${prefix}${extra}`));
  return { work, configFile };
}

export interface HubProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export function startHubProcess(args: string[], options: { cwd: string; env?: Record<string, string> }): HubProcess {
  let output = '';
  const child = spawn(process.execPath, [join(ROOT, 'bin/hub.js'), ...args], {
    cwd: options.cwd,
    env: { ...process.env, REDIS_URL, LOG_LEVEL: 'debug', NODE_ENV: 'production', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return { child, output: () => output, exited };
}

export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, context: () => string = () => '', timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- hub output ---\n${context().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function apiClient(base: string) {
  const api = async <T = any>(path: string, token = ADMIN): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as T };
  };
  const countRecords = async (type: string, token = ADMIN): Promise<number> => {
    let count = 0;
    let after = '';
    for (;;) {
      const page = await api<{ items: unknown[]; next?: string }>(`/api/records?type=${type}&limit=500${after}`, token);
      count += page.body.items.length;
      if (!page.body.next) return count;
      after = `&after=${encodeURIComponent(page.body.next)}`;
    }
  };
  return { api, countRecords };
}

export async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
