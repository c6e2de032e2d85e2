/**
 * Scale-out: the API, the scheduler and two workers as separate processes on one Redis and one
 * PostgreSQL. The scheduler's schedules are run by the workers; the API (which runs no job) serves
 * what they stored.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, copyShippedConfig, deletePrefix, eventually, freePort, removeDir, startHubProcess, type HubProcess } from './support.js';

const PG = 'postgres://postgres@127.0.0.1:5432/test';
const prefix = `roles${randomUUID().slice(0, 8)}`;
const schema = `roles_${randomUUID().slice(0, 8)}`;
const processes: HubProcess[] = [];
let work: string;

const all = () => processes.map((p) => p.output()).join('\n');

beforeAll(async () => {
  let configFile: string;
  ({ work, configFile } = copyShippedConfig(prefix));
  const port = await freePort();
  const env = { PORT: String(port), DATABASE_URL: `${PG}?options=-csearch_path%3D${schema}` };
  // Create the schema first so the four processes' migrations race on an existing one.
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  for (const role of ['api', 'scheduler', 'worker', 'worker']) {
    processes.push(startHubProcess(['start', '--role', role, '--config', configFile], { cwd: work, env }));
  }
  (globalThis as { base?: string }).base = `http://127.0.0.1:${port}`;
  await eventually(async () => (processes[0].output().includes('listening on') ? true : undefined), 'the API to listen', all);
}, 90_000);

afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await deletePrefix(prefix);
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
  removeDir(work);
});

describe('hub start --role', () => {
  it('splits the work: the API serves records that separate workers stored in PostgreSQL', async () => {
    const { countRecords } = apiClient((globalThis as { base?: string }).base!);
    await eventually(async () => ((await countRecords('Patient')) === 13 ? true : undefined), '13 patients through the API', all);
    const [api, scheduler, ...workers] = processes;
    expect(api.output()).toMatch(/store: postgres/);
    expect(api.output()).not.toMatch(/job started/);
    expect(scheduler.output()).toMatch(/schedules reconciled/);
    expect(scheduler.output()).not.toMatch(/job started/);
    // Patients commit file by file, before their run ends: wait for the runs themselves.
    await eventually(async () => (workers.some((w) => /job succeeded/.test(w.output())) ? true : undefined), 'a worker to finish a run', all);
  });

  it('stops every role cleanly on SIGTERM', async () => {
    for (const p of processes) p.child.kill('SIGTERM');
    expect(await Promise.all(processes.map((p) => p.exited))).toEqual([0, 0, 0, 0]);
  });
});
