/**
 * The YAML says when connectors run. At start-up the hub makes Redis's job schedulers match it:
 * a scheduled connector runs by itself, and one whose schedule (or whole entry) is deleted from
 * the file stops running after the next start.
 */
import { Queue } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { redisOptionsFromUrl } from '../../core/runtime/redis.js';
import { queueName } from '../../core/runtime/queues.js';
import { definePlugin, Type } from '../../core/sdk/index.js';
import { ehrPatient } from './fixtures/patients.js';
import { deletePrefix, eventually, freshPrefix, openTestStore, REDIS_URL, runsOf, startTestHub, type TestHub, type TestStore } from './helpers.js';

const ehrPlugin = definePlugin({
  name: 'test-ehr',
  version: '1.0.0',
  config: Type.Object({}),
  produces: ['Patient'],
  consumes: [],
  async sync(ctx) {
    const patient = ehrPatient(7);
    await ctx.emit('Patient', patient.data, patient.ref);
  },
});

const header = (prefix: string) => `
hub:
  queuePrefix: ${prefix}
tenants:
  - id: riverside
    name: Riverside Family Medicine
`;

/** Day one: the EHR is polled every second, supplier orders every morning, payroll by hand. */
const dayOne = (prefix: string) => `${header(prefix)}
connectors:
  - id: riverside-ehr
    tenant: riverside
    plugin: test-ehr
    schedule: { every: 1s }
  - id: supplier-orders
    tenant: riverside
    plugin: test-ehr
    schedule: { cron: '0 6 * * 1-5', timezone: America/Chicago }
  - id: riverside-payroll
    tenant: riverside
    plugin: test-ehr
`;

/** Day two: the EHR is only run by hand now, and the supplier connector is gone from the file. */
const dayTwo = (prefix: string) => `${header(prefix)}
connectors:
  - id: riverside-ehr
    tenant: riverside
    plugin: test-ehr
  - id: riverside-payroll
    tenant: riverside
    plugin: test-ehr
`;

/** An operator's view of one connector's queue, independent of any running hub. */
async function schedulersOf(prefix: string, connectorId: string) {
  const queue = new Queue(queueName(connectorId), { connection: redisOptionsFromUrl(REDIS_URL), prefix });
  try {
    const [schedulers, counts] = await Promise.all([queue.getJobSchedulers(), queue.getJobCounts('delayed')]);
    return { schedulers, delayed: counts.delayed ?? 0 };
  } finally {
    await queue.close();
  }
}

describe('schedules follow the YAML', () => {
  const prefix = freshPrefix();
  let hub: TestHub | undefined;
  let db: TestStore | undefined;

  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });

  afterAll(async () => {
    await db?.dispose();
    await deletePrefix(prefix);
  });

  it('each scheduled connector gets one scheduler, and the every-second one runs by itself', async () => {
    db = await openTestStore();
    const { store } = db;
    hub = await startTestHub({ yaml: dayOne(prefix), plugins: [ehrPlugin], store, scheduler: true });

    const ehr = await schedulersOf(prefix, 'riverside-ehr');
    expect(ehr.schedulers).toHaveLength(1);
    expect(ehr.schedulers[0]).toMatchObject({ every: 1000, name: 'sync' });
    const supplier = await schedulersOf(prefix, 'supplier-orders');
    expect(supplier.schedulers).toHaveLength(1);
    expect(supplier.schedulers[0]).toMatchObject({ pattern: '0 6 * * 1-5', tz: 'America/Chicago' });
    expect((await schedulersOf(prefix, 'riverside-payroll')).schedulers).toEqual([]);

    const status = await hub.runtime.status('supplier-orders');
    expect(status.schedule).toBe('cron 0 6 * * 1-5 (America/Chicago)');
    expect(status.nextRunAt).toBeDefined();

    // Nobody asks for a run: the scheduler does.
    const run = await eventually(
      'a scheduled run of the EHR connector',
      async () => (await runsOf(store, 'riverside-ehr')).find((r) => r.trigger === 'schedule' && r.status === 'succeeded'),
      { timeoutMs: 30_000 },
    );
    expect(run.kind).toBe('sync');
    expect(await store.countRecords({ sourceConnector: 'riverside-ehr' })).toBe(1);
  });

  it('starting again with one schedule removed and one connector deleted from the file removes both schedulers', async () => {
    // The scheduler role alone, as a restarted hub would reconcile before its workers start.
    hub = await startTestHub({ yaml: dayTwo(prefix), plugins: [ehrPlugin], store: db!.store, scheduler: true, workers: false });

    for (const id of ['riverside-ehr', 'supplier-orders', 'riverside-payroll']) {
      const { schedulers, delayed } = await schedulersOf(prefix, id);
      expect({ id, schedulers, delayed }).toEqual({ id, schedulers: [], delayed: 0 });
    }
    expect((await hub.runtime.status('riverside-ehr')).schedule).toBeUndefined();
  });

  it('putting the schedules back restores one scheduler each, replacing one left by an older hub version', async () => {
    // Older hubs named every connector's scheduler plain "schedule"; left alone it would run the
    // connector a second time on its old timetable.
    const queue = new Queue(queueName('riverside-ehr'), { connection: redisOptionsFromUrl(REDIS_URL), prefix });
    await queue.upsertJobScheduler('schedule', { every: 3_600_000 }, { name: 'sync' });
    await queue.close();

    hub = await startTestHub({ yaml: dayOne(prefix), plugins: [ehrPlugin], store: db!.store, scheduler: true, workers: false });
    const ehr = await schedulersOf(prefix, 'riverside-ehr');
    expect(ehr.schedulers).toHaveLength(1);
    expect(ehr.schedulers[0]).toMatchObject({ every: 1000 });
    expect((await schedulersOf(prefix, 'supplier-orders')).schedulers).toHaveLength(1);
  });

  it('starting with every connector gone from the file removes every scheduler', async () => {
    hub = await startTestHub({ yaml: `${header(prefix)}\nconnectors: []\n`, plugins: [ehrPlugin], store: db!.store, scheduler: true, workers: false });
    for (const id of ['riverside-ehr', 'supplier-orders']) {
      expect((await schedulersOf(prefix, id)).schedulers).toEqual([]);
    }
  });
});
