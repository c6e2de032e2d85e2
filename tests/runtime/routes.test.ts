/**
 * Routes fan canonical changes out to connectors that deliver them: a new patient in the EHR gets
 * a patient-portal invitation, a changed address reaches the billing system. An EHR sync that
 * brings nothing new sends nothing anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, Type } from '../../core/sdk/index.js';
import type { StoredRecord } from '../../core/store/types.js';
import { ehrPatient, ehrPatients, type EhrPatient } from './fixtures/patients.js';
import { deletePrefix, eventually, finishedRun, freshPrefix, runsOf, startTestHub, type TestHub } from './helpers.js';

const ehr: { patients: EhrPatient[] } = { patients: ehrPatients(3) };

/** What each outside system has received, by the hub's record id and version. */
const received: Record<string, { id: string; version: number; mrn: string }[][]> = { portal: [], billing: [] };

const ehrPlugin = definePlugin({
  name: 'test-ehr',
  version: '1.0.0',
  config: Type.Object({}),
  produces: ['Patient'],
  consumes: [],
  async sync(ctx) {
    for (const patient of ehr.patients) await ctx.emit('Patient', patient.data, patient.ref);
  },
});

const deliveringPlugin = definePlugin({
  name: 'test-patient-outbound',
  version: '1.0.0',
  config: Type.Object({ system: Type.Union([Type.Literal('portal'), Type.Literal('billing')]) }),
  produces: [],
  consumes: ['Patient'],
  async deliver(ctx, records: StoredRecord[]) {
    received[ctx.config.system].push(
      records.map((r) => ({ id: r.id, version: r.version, mrn: (r.data.identifiers as { value: string }[])[0].value })),
    );
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
  - id: patient-portal
    tenant: riverside
    plugin: test-patient-outbound
    config: { system: portal }
  - id: billing-demographics
    tenant: riverside
    plugin: test-patient-outbound
    config: { system: billing }
routes:
  - on: [patient.created]
    to: patient-portal
  - on: [patient.updated]
    to: billing-demographics
`;

describe('routes deliver canonical changes', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startTestHub({ yaml, plugins: [ehrPlugin, deliveringPlugin] });
  });

  afterAll(async () => {
    await hub?.close();
    await deletePrefix(prefix);
  });

  const sync = async () => {
    const { jobId } = await hub.runtime.runNow('riverside-ehr', { requestedBy: 'ops@riverside' });
    return finishedRun(hub.store, 'riverside-ehr', jobId);
  };
  const idOf = async (patient: EhrPatient) =>
    (await hub.store.findRecord({ tenant: 'riverside', type: 'Patient', externalSystem: patient.ref.system, externalId: patient.ref.id }))!.id;
  /** Every job the queue holds in any state: what was ever sent its way (none are removed here). */
  const jobsFor = async (connectorId: string) => {
    const counts = await hub.runtime.queues.get(connectorId).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };
  /** The outbox is empty: every change so far has been routed, so no further deliver is coming. */
  const allRouted = () => eventually('the outbox to be drained', async () => (await hub.store.pendingEvents(10)).length === 0);

  it('new patients reach the portal as one deliver job with their record ids; billing hears nothing', async () => {
    const run = await sync();
    expect(run.counts.created).toBe(3);

    const [delivery] = await eventually('the portal to receive the new patients', () => (received.portal.length ? received.portal : undefined));
    const ids = await Promise.all(ehr.patients.map(idOf));
    expect(delivery.map((d) => d.id).sort()).toEqual([...ids].sort());
    expect(delivery.every((d) => d.version === 1)).toBe(true);

    const deliverRun = (await runsOf(hub.store, 'patient-portal')).at(-1);
    expect(deliverRun).toMatchObject({ kind: 'deliver', trigger: 'route', status: 'succeeded', counts: { delivered: 3 } });
    await allRouted();
    expect(await jobsFor('billing-demographics')).toBe(0);
    expect(received.billing).toEqual([]);
  });

  it('an EHR sync with nothing new routes nothing', async () => {
    const portalJobs = await jobsFor('patient-portal');
    const run = await sync();
    expect(run.counts).toMatchObject({ created: 0, updated: 0, unchanged: 3 });

    await allRouted();
    expect(await jobsFor('patient-portal')).toBe(portalJobs);
    expect(await jobsFor('billing-demographics')).toBe(0);
    expect(received.portal).toHaveLength(1);
    expect(received.billing).toEqual([]);
  });

  it('a patient who moved reaches billing as an update, once; the portal is not invited again', async () => {
    const portalJobs = await jobsFor('patient-portal');
    const moved = ehrPatient(2, {
      address: [{ use: 'home', line: ['88 Barton Springs Rd', 'Apt 4'], city: 'Austin', state: 'TX', postalCode: '78704' }],
    });
    ehr.patients = [ehr.patients[0], moved, ehr.patients[2]];

    const run = await sync();
    expect(run.counts).toMatchObject({ created: 0, updated: 1, unchanged: 2 });

    const [delivery] = await eventually('billing to receive the changed patient', () => (received.billing.length ? received.billing : undefined));
    expect(delivery).toEqual([{ id: await idOf(moved), version: 2, mrn: 'RFM-000002' }]);

    // Sending the same data again changes nothing, so billing hears nothing more.
    await sync();
    await allRouted();
    expect(await jobsFor('billing-demographics')).toBe(1);
    expect(received.billing).toHaveLength(1);
    expect(await jobsFor('patient-portal')).toBe(portalJobs);
    expect(received.portal).toHaveLength(1);
  });
});
