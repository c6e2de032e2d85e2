/**
 * The newcomer's story: copy the shipped config, `hub start`, and within a minute the demo
 * practices' patients, the provider directory and the supplier catalog are in the store and
 * behind the API; signed payroll webhooks become employees; a practice's token sees only its
 * practice; the log never carries a patient's name, birth date or record number, nor a secret.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const ADMIN = 'dev-admin-token-change-me';
const RIVERSIDE = 'dev-riverside-viewer-token';
const WEBHOOK_SECRET = 'demo-webhook-secret-change-me';
const prefix = `e2e${randomUUID().slice(0, 8)}`;

let work: string;
let hub: ChildProcess;
let base: string;
let output = '';
let exitCode: Promise<number | null>;

function freePort(): Promise<number> {
  return new Promise((ok) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

async function api<T = any>(path: string, token = ADMIN): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as T };
}

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- hub output ---\n${output.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function countRecords(type: string, token = ADMIN): Promise<number> {
  let count = 0;
  let after = '';
  for (;;) {
    const page = await api<{ items: unknown[]; next?: string }>(`/api/records?type=${type}&limit=500${after}`, token);
    count += page.body.items.length;
    if (!page.body.next) return count;
    after = `&after=${encodeURIComponent(page.body.next)}`;
  }
}

function signedWebhook(body: string, eventId: string, secret = WEBHOOK_SECRET) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return fetch(`${base}/webhooks/payroll-events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-signature': `sha256=${signature}`,
      'x-timestamp': timestamp,
      'x-event-id': eventId,
    },
    body,
  });
}

beforeAll(async () => {
  // A fresh copy, as a new user would have: its own data folder and queue prefix.
  work = mkdtempSync(join(tmpdir(), 'hub-e2e-'));
  cpSync(join(ROOT, 'config'), join(work, 'config'), { recursive: true });
  const yaml = readFileSync(join(work, 'config/hub.yaml'), 'utf8');
  writeFileSync(join(work, 'config/hub.yaml'), yaml.replace('logLevel: info', `logLevel: debug\n  queuePrefix: ${prefix}`));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  hub = spawn(process.execPath, [join(ROOT, 'bin/hub.js'), 'start', '--config', join(work, 'config/hub.yaml')], {
    cwd: work,
    env: { ...process.env, PORT: String(port), REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', LOG_LEVEL: 'debug', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  hub.stdout!.on('data', (chunk) => (output += chunk));
  hub.stderr!.on('data', (chunk) => (output += chunk));
  exitCode = new Promise((ok) => hub.once('exit', (code) => ok(code)));
  await eventually(async () => (output.includes('listening on') ? true : undefined), 'the hub to listen');
}, 90_000);

afterAll(async () => {
  if (hub.exitCode === null) hub.kill('SIGKILL');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  rmSync(work, { recursive: true, force: true });
});

describe('npm start on the shipped config', () => {
  it('says which store and Redis it uses and where it listens', () => {
    expect(output).toMatch(/store: pglite:.*data/);
    expect(output).toMatch(/redis: redis:\/\/127\.0\.0\.1:6379/);
    expect(output).toContain(`listening on ${base}`);
  });

  it('fills the store from the demo files within a minute, visible through the API', async () => {
    // 6 + 7 synthetic patients in the two practices' exports.
    await eventually(async () => ((await countRecords('Patient')) === 13 ? true : undefined), '13 patients');
    await eventually(async () => ((await countRecords('Practitioner')) === 43 ? true : undefined), '43 practitioners');
    await eventually(async () => ((await countRecords('Encounter')) === 150 ? true : undefined), '150 encounters');
    await eventually(async () => ((await countRecords('CatalogItem')) === 6 ? true : undefined), '6 catalog items');
    const lastRun = await eventually(async () => {
      const connectors = await api<{ items: { id: string; lastRun?: { status: string; counts: Record<string, number> } }[] }>('/api/connectors');
      return connectors.body.items.find((c) => c.id === 'riverside-ehr-export')?.lastRun;
    }, 'the first run of riverside-ehr-export to finish');
    expect(lastRun.status).toBe('succeeded');
    expect(lastRun.counts.created).toBeGreaterThanOrEqual(6);
  });

  it('keeps the price-list row with a bad GTIN for review, with the reason', async () => {
    const rejects = await eventually(async () => {
      const r = await api<{ items: { type: string; reasons: string[] }[] }>('/api/rejects?limit=500');
      return r.body.items.find((x) => x.type === 'CatalogItem');
    }, 'the rejected catalog row');
    expect(rejects.reasons.join(' ')).toMatch(/gtin/i);
  });

  it("shows a practice's token only that practice's records", async () => {
    expect(await countRecords('Patient', RIVERSIDE)).toBe(6);
    const all = await api<{ items: { id: string; tenant: string }[] }>('/api/records?type=Patient&limit=500');
    const lakeside = all.body.items.find((r) => r.tenant === 'lakeside-pediatrics')!;
    expect((await api(`/api/records/${lakeside.id}`, RIVERSIDE)).status).toBe(404);
  });

  it('turns a signed payroll webhook into employees, once, and refuses a forged one', async () => {
    const body = JSON.stringify({
      employees: [
        { id: 'emp-1001', first_name: 'Wren', last_name: 'Calder', employee_number: 'E1001', job_title: 'Medical assistant', active: 'true', start_date: '2024-03-04' },
        { id: 'emp-1002', first_name: 'Ilya', last_name: 'Marsh', employee_number: 'E1002', job_title: 'Billing specialist', active: 'true', start_date: '2025-01-13' },
      ],
    });
    const first = await signedWebhook(body, 'evt-1');
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ eventId: 'evt-1', duplicate: false });
    const again = await signedWebhook(body, 'evt-1');
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ eventId: 'evt-1', duplicate: true });
    await eventually(async () => ((await countRecords('Employee')) === 2 ? true : undefined), '2 employees');

    const forged = await signedWebhook(body, 'evt-2', 'not-the-secret');
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { error: { message: string } }).error.message).toMatch(/signature/);
  });

  it('never writes names, birth dates, record numbers or secrets to its log', async () => {
    const patients = ['riverside-family', 'lakeside-pediatrics'].flatMap((practice) =>
      readFileSync(join(ROOT, `config/demo/${practice}/ehr-export/Patient.000.ndjson`), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    );
    const forbidden = [
      ...patients.flatMap((p) => [p.name[0].family, ...p.name[0].given, p.birthDate, ...p.identifier.map((i: { value: string }) => i.value)]),
      'Calder',
      'Marsh',
      ADMIN,
      RIVERSIDE,
      WEBHOOK_SECRET,
    ];
    expect(output.length).toBeGreaterThan(1000);
    const leaked = forbidden.filter((value) => output.includes(value));
    expect(leaked).toEqual([]);
  });

  it('answers `hub status` and `hub replay` from another terminal while it runs', () => {
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [join(ROOT, 'bin/hub.js'), ...args, '--config', join(work, 'config/hub.yaml')], {
        cwd: work,
        encoding: 'utf8',
        env: { ...process.env, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
        timeout: 60_000,
      });
    const status = cli(['status']);
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/riverside-ehr-export\s+riverside-family\s+mapped\s+active\s+every 30s\s+\S+T\S+\s+\d+\s+0\s+succeeded/);
    expect(status.stdout).toMatch(/payroll-events\s+mso\s+mapped\s+active\s+-/);
    const replay = cli(['replay', '--all-failed']);
    expect(replay.status).toBe(0);
    expect(replay.stdout).toContain('replayed 0 dead-lettered job(s)');
  });

  it('drains and exits cleanly on SIGTERM', async () => {
    hub.kill('SIGTERM');
    expect(await exitCode).toBe(0);
    expect(output).toContain('hub stopped');
  });
});
