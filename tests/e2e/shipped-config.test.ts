/**
 * The newcomer's story: copy the shipped config, `hub start`, and within a minute the demo
 * practices' patients, the provider directory and the supplier catalog are in the store and
 * behind the API; Riverside's claims go to the (simulated) clearinghouse and come back paid; the
 * practice sees how often its EHR export fills each field; signed payroll webhooks become
 * employees; a practice's token sees only its practice; the log never carries a patient's name,
 * birth date or record number, nor a secret.
 */
import { spawnSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  REDIS_URL,
  ROOT,
  apiClient,
  copyShippedConfig,
  deletePrefix,
  eventually as waitFor,
  freePort,
  removeDir,
  startHubProcess,
  type HubProcess,
} from './support.js';

const RIVERSIDE = 'dev-riverside-viewer-token';
const WEBHOOK_SECRET = 'demo-webhook-secret-change-me';
const prefix = `e2e${randomUUID().slice(0, 8)}`;

let work: string;
let hub: HubProcess;
let base: string;
let api: ReturnType<typeof apiClient>['api'];
let countRecords: ReturnType<typeof apiClient>['countRecords'];
const output = () => hub.output();
const eventually = <T>(probe: () => Promise<T | undefined>, what: string) => waitFor(probe, what, output);

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
  let configFile: string;
  ({ work, configFile } = copyShippedConfig(prefix));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  ({ api, countRecords } = apiClient(base));
  hub = startHubProcess(['start', '--config', configFile], { cwd: work, env: { PORT: String(port) } });
  await eventually(async () => (output().includes('listening on') ? true : undefined), 'the hub to listen');
}, 90_000);

afterAll(async () => {
  if (hub.child.exitCode === null) hub.child.kill('SIGKILL');
  await deletePrefix(prefix);
  removeDir(work);
});

describe('npm start on the shipped config', () => {
  it('says which store and Redis it uses and where it listens', () => {
    expect(output()).toMatch(/store: pglite:.*data/);
    expect(output()).toMatch(/redis: redis:\/\/127\.0\.0\.1:6379/);
    expect(output()).toContain(`listening on ${base}`);
  });

  it('fills the store from the demo files within a minute, visible through the API', async () => {
    // 6 + 7 synthetic patients in the two practices' exports.
    await eventually(async () => ((await countRecords('Patient')) === 13 ? true : undefined), '13 patients');
    await eventually(async () => ((await countRecords('Practitioner')) === 43 ? true : undefined), '43 practitioners');
    await eventually(async () => ((await countRecords('Encounter')) === 150 ? true : undefined), '150 encounters');
    await eventually(async () => ((await countRecords('CatalogItem')) === 6 ? true : undefined), '6 catalog items');
    await eventually(async () => ((await countRecords('Claim')) === 4 ? true : undefined), "4 claims from Riverside's billing export");
    const lastRun = await eventually(async () => {
      const connectors = await api<{ items: { id: string; lastRun?: { status: string; counts: Record<string, number> } }[] }>('/api/connectors');
      return connectors.body.items.find((c) => c.id === 'riverside-ehr-export')?.lastRun;
    }, 'the first run of riverside-ehr-export to finish');
    expect(lastRun.status).toBe('succeeded');
    expect(lastRun.counts.created).toBeGreaterThanOrEqual(6);
  });

  it("sends Riverside's claims to the clearinghouse and follows each through its 999, 277CA and 835", async () => {
    type Timeline = { state: string; lifecycles: { events: { kind: string; from: string; recordId?: string }[] }[] };
    const claims = await api<{ items: { id: string; externalId: string }[] }>('/api/records?type=Claim&limit=10');
    const timelines = await eventually(async () => {
      const answers = await Promise.all(claims.body.items.map((c) => api<Timeline>(`/api/claims/${c.id}/timeline`, RIVERSIDE)));
      const settled = answers.every((a) => a.body.state === 'paid' || a.body.state === 'partially-paid');
      return settled ? answers.map((a) => a.body) : undefined;
    }, 'every demo claim paid by the simulated payer');
    // The demo payer denies lab code 83036, billed on one claim only.
    expect(timelines.map((t) => t.state).sort()).toEqual(['paid', 'paid', 'paid', 'partially-paid']);
    for (const timeline of timelines) {
      const events = timeline.lifecycles[0]!.events;
      expect(events.map((e) => `${e.kind}/${e.from}`)).toEqual(['submitted/hub', '999/clearinghouse', '277CA/payer', '835/payer']);
      expect(events.slice(1).every((e) => e.recordId)).toBe(true);
    }
    // The October 835 pays claims billed before the hub: stored, linked to none.
    expect(await countRecords('Remittance')).toBe(2);
    expect((await api(`/api/claims/${claims.body.items[0]!.id}/timeline`, 'not-a-token')).status).toBe(401);
  });

  it('keeps the price-list row with a bad GTIN for review, with the reason', async () => {
    const rejects = await eventually(async () => {
      const r = await api<{ items: { type: string; reasons: string[] }[] }>('/api/rejects?limit=500');
      return r.body.items.find((x) => x.type === 'CatalogItem');
    }, 'the rejected catalog row');
    expect(rejects.reasons.join(' ')).toMatch(/gtin/i);
  });

  it("shows Riverside's office manager how often its EHR export fills each patient field, and nobody else's", async () => {
    type Coverage = { runs: number; entities: { entity: string; records: number; fields: { path: string; filled: number; rate: number }[] }[] };
    const coverage = await eventually(async () => {
      const answer = await api<Coverage>('/api/connectors/riverside-ehr-export/coverage?runs=1', RIVERSIDE);
      return answer.status === 200 && answer.body.runs === 1 ? answer.body : undefined;
    }, 'coverage of a run of riverside-ehr-export');
    const patients = coverage.entities.find((e) => e.entity === 'Patient')!;
    expect(patients.records).toBe(6);
    const field = (path: string) => patients.fields.find((f) => f.path === path);
    // Every exported patient has a family name; the export never says whether a record is active.
    expect(field('name.family')).toEqual({ path: 'name.family', filled: 6, rate: 1 });
    expect(field('active')).toEqual({ path: 'active', filled: 0, rate: 0 });
    // Gaps first.
    expect(patients.fields[0]!.rate).toBe(0);
    expect((await api('/api/connectors/lakeside-ehr-export/coverage', RIVERSIDE)).status).toBe(404);
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
    expect(output().length).toBeGreaterThan(1000);
    const leaked = forbidden.filter((value) => output().includes(value));
    expect(leaked).toEqual([]);
  });

  it('answers `hub status` and `hub replay` from another terminal while it runs', () => {
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [join(ROOT, 'bin/hub.js'), ...args, '--config', join(work, 'config/hub.yaml')], {
        cwd: work,
        encoding: 'utf8',
        env: { ...process.env, REDIS_URL },
        timeout: 60_000,
      });
    const status = cli(['status']);
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/riverside-ehr-export\s+riverside-family\s+mapped\s+active\s+every 30s\s+\S+T\S+\s+\d+\s+0\s+succeeded/);
    expect(status.stdout).toMatch(/payroll-events\s+mso\s+mapped\s+active\s+-/);
    const replay = cli(['replay', '--all-failed']);
    expect(replay.status).toBe(0);
    expect(replay.stdout).toContain('replayed 0 dead-lettered job(s)');
    // The running hub holds the embedded store: `hub run` says how to ask it instead of opening it twice.
    const run = cli(['run', 'supplier-price-list']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/a running hub \(process \d+\) holds the embedded store.*\/api\/connectors\/supplier-price-list\/run/);
  });

  it('drains and exits cleanly on SIGTERM', async () => {
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
    expect(output()).toContain('hub stopped');
  });
});
