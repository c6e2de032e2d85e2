/**
 * Riverside Family Medicine's EHR connector pulls patients into the hub, here on the embedded
 * database a hub uses when no DATABASE_URL is set. An operator runs it by hand, looks at its
 * status, and pauses it for the EHR's maintenance window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, NotFoundError } from '../../core/errors.js';
import { definePlugin, Type } from '../../core/sdk/index.js';
import { ehrPatients, type EhrPatient } from './fixtures/patients.js';
import { deletePrefix, eventually, finishedRun, freshPrefix, runsOf, startTestHub, type TestHub } from './helpers.js';

/** What the EHR currently holds; the plugin reads it the way it would page through an API. */
const ehr: { patients: EhrPatient[] } = { patients: ehrPatients(3) };

const ehrPlugin = definePlugin({
  name: 'test-ehr',
  version: '1.0.0',
  config: Type.Object({}),
  produces: ['Patient'],
  consumes: [],
  async sync(ctx) {
    for (const patient of ehr.patients) await ctx.emit('Patient', patient.data, patient.ref);
    ctx.count('pages', 1);
  },
});

const payrollPlugin = definePlugin({
  name: 'test-payroll',
  version: '1.0.0',
  config: Type.Object({}),
  produces: [],
  consumes: [],
  async sync(ctx) {
    ctx.count('employees', 0);
  },
});

const prefix = freshPrefix();
const yaml = `
hub:
  queuePrefix: ${prefix}
tenants:
  - id: riverside
    name: Riverside Family Medicine
connectors:
  - id: riverside-ehr
    tenant: riverside
    plugin: test-ehr
  - id: riverside-payroll
    tenant: riverside
    plugin: test-payroll
  - id: lakeside-ehr
    tenant: riverside
    plugin: test-ehr
    enabled: false
`;

describe('a connector runs its sync through its BullMQ queue', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startTestHub({ yaml, plugins: [ehrPlugin, payrollPlugin], store: 'pglite' });
  });

  afterAll(async () => {
    await hub?.close();
    await deletePrefix(prefix);
  });

  it('a hub that has just started reports Redis ready', async () => {
    await expect(hub.runtime.pingRedis()).resolves.toBeUndefined();
  });

  it('a manual run stores the EHR patients, records the run and shows it in the status', async () => {
    const { runtime, store } = hub;
    const { jobId } = await runtime.runNow('riverside-ehr', { requestedBy: 'ops@riverside' });

    const run = await finishedRun(store, 'riverside-ehr', jobId);
    expect(run).toMatchObject({
      kind: 'sync',
      trigger: 'manual',
      tenant: 'riverside',
      attempt: 1,
      counts: { created: 3, updated: 0, unchanged: 0, rejected: 0, pages: 1 },
    });
    expect(await store.countRecords({ sourceConnector: 'riverside-ehr', type: 'Patient' })).toBe(3);
    const stored = await store.findRecord({ tenant: 'riverside', type: 'Patient', externalSystem: 'riverside-ehr', externalId: 'pat-000002' });
    expect(stored?.data).toEqual(ehr.patients[1].data);

    const status = await eventually('the job to be counted as completed', async () => {
      const s = await runtime.status('riverside-ehr');
      return s.jobs.completed === 1 ? s : undefined;
    });
    expect(status).toMatchObject({ id: 'riverside-ehr', tenant: 'riverside', plugin: 'test-ehr', enabled: true, paused: false });
    expect(status.lastRun).toMatchObject({ id: run.id, status: 'succeeded' });
    expect(status.jobs).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0, completed: 1 });
  });

  it('running it again over the same EHR data writes nothing new', async () => {
    const { runtime, store } = hub;
    const { jobId } = await runtime.runNow('riverside-ehr', { requestedBy: 'ops@riverside' });
    const run = await finishedRun(store, 'riverside-ehr', jobId);
    expect(run.counts).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    expect(await store.countRecords({ sourceConnector: 'riverside-ehr' })).toBe(3);
    expect((await runtime.status('riverside-ehr')).lastRun?.id).toBe(run.id);
  });

  it('while paused a requested run waits; on resume it runs', async () => {
    const { runtime, store } = hub;
    await runtime.pause('riverside-ehr');
    expect((await runtime.status('riverside-ehr')).paused).toBe(true);

    ehr.patients = ehrPatients(4);
    const { jobId } = await runtime.runNow('riverside-ehr', { requestedBy: 'ops@riverside' });

    // The rest of the hub keeps working meanwhile: the payroll connector's run goes through.
    const payroll = await runtime.runNow('riverside-payroll', { requestedBy: 'ops@riverside' });
    await finishedRun(store, 'riverside-payroll', payroll.jobId);

    const paused = await runtime.status('riverside-ehr');
    expect(paused.jobs.waiting).toBe(1);
    expect((await runsOf(store, 'riverside-ehr')).some((r) => r.jobId === jobId)).toBe(false);
    expect(await store.countRecords({ sourceConnector: 'riverside-ehr' })).toBe(3);

    await runtime.resume('riverside-ehr');
    const run = await finishedRun(store, 'riverside-ehr', jobId);
    expect(run.counts).toMatchObject({ created: 1, unchanged: 3 });
    expect(await store.countRecords({ sourceConnector: 'riverside-ehr' })).toBe(4);
    const status = await runtime.status('riverside-ehr');
    expect(status.paused).toBe(false);
    expect(status.jobs.waiting).toBe(0);
  });

  it('a disabled connector cannot be run by hand: no worker would ever take the job', async () => {
    await expect(hub.runtime.runNow('lakeside-ehr', { requestedBy: 'ops@riverside' })).rejects.toThrow(/lakeside-ehr" is disabled/);
    await expect(hub.runtime.runNow('lakeside-ehr', { requestedBy: 'ops@riverside' })).rejects.toBeInstanceOf(InputError);
    const status = await hub.runtime.status('lakeside-ehr');
    expect(status.enabled).toBe(false);
    expect(status.jobs.waiting).toBe(0);
  });

  it('asking about a connector that is not configured says so', async () => {
    await expect(hub.runtime.runNow('riverside-ehr-typo', { requestedBy: 'ops@riverside' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(hub.runtime.status('riverside-ehr-typo')).rejects.toBeInstanceOf(NotFoundError);
  });
});
