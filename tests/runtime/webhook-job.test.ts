/**
 * The EHR tells the hub about newly registered patients by signed webhook. Senders retry: the
 * same event arrives twice in a row, twice at the same moment, or again long after the hub
 * processed it. Each event is handled by the plugin exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signHmac } from '../../connectors/webhook/hmac.js';
import { definePlugin, Type } from '../../core/sdk/index.js';
import { createWebhookReceiver, type WebhookReceiver } from '../../core/webhooks/receive.js';
import { ehrPatient } from './fixtures/patients.js';
import { deletePrefix, eventually, freshPrefix, runsOf, startTestHub, testLogger, type TestHub } from './helpers.js';

const WEBHOOK_SECRET = 'whsec_riverside_ehr_4f9c21d7';

/** Event ids the plugin has handled, in order. */
const handled: string[] = [];

const ehrWebhookPlugin = definePlugin({
  name: 'test-ehr-webhook',
  version: '1.0.0',
  config: Type.Object({}),
  produces: ['Patient'],
  consumes: [],
  webhook: {
    bodySchema: Type.Object({ id: Type.String(), type: Type.Literal('patient.registered'), patientNumber: Type.Integer() }),
    eventId: (_request, body) => (body as { id: string }).id,
    async handle(ctx, event) {
      handled.push(event.eventId);
      const patient = ehrPatient((event.body as { patientNumber: number }).patientNumber);
      await ctx.emit('Patient', patient.data, patient.ref);
    },
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
  - id: riverside-ehr-events
    tenant: riverside
    plugin: test-ehr-webhook
    webhook:
      secret: \${env:EHR_WEBHOOK_SECRET}
      signature: { header: X-EHR-Signature, prefix: 'sha256=' }
`;

/** A delivery exactly as the EHR sends it: the raw JSON and its HMAC header. */
function delivery(id: string, patientNumber: number) {
  const rawBody = JSON.stringify({ id, type: 'patient.registered', patientNumber });
  const signature = signHmac({ secret: WEBHOOK_SECRET, rawBody, algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' });
  return { rawBody, contentType: 'application/json', headers: { 'content-type': 'application/json', 'x-ehr-signature': signature } };
}

describe('webhook events are processed once', () => {
  let hub: TestHub;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    hub = await startTestHub({ yaml, plugins: [ehrWebhookPlugin], env: { EHR_WEBHOOK_SECRET: WEBHOOK_SECRET } });
    const { runtime } = hub;
    receiver = createWebhookReceiver({
      config: hub.config,
      store: hub.store,
      enqueuer: runtime.queues,
      plugin: (id) => runtime.connectors.get(id)?.plugin,
      logger: testLogger(),
    });
  });

  afterAll(async () => {
    await hub?.close();
    await deletePrefix(prefix);
  });

  /** Every job the connector's queue holds, whatever its state: each is one run of the plugin. */
  const jobsHeld = async () => {
    const counts = await hub.runtime.queues.get('riverside-ehr-events').getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };
  const succeededRuns = async () => (await runsOf(hub.store, 'riverside-ehr-events')).filter((r) => r.status === 'succeeded');

  it('an event received twice in a row is handled once, and a retry after it was handled changes nothing', async () => {
    const first = await receiver.receive('riverside-ehr-events', delivery('evt_1001', 481));
    const again = await receiver.receive('riverside-ehr-events', delivery('evt_1001', 481));
    expect(first).toEqual({ eventId: 'evt_1001', duplicate: false });
    expect(again).toEqual({ eventId: 'evt_1001', duplicate: true });

    const [run] = await eventually('the event to be processed', async () => {
      const runs = await succeededRuns();
      return runs.length ? runs : undefined;
    });
    expect(run).toMatchObject({ kind: 'webhook', trigger: 'webhook', counts: { created: 1 } });
    expect(await hub.store.countRecords({ sourceConnector: 'riverside-ehr-events' })).toBe(1);

    // The EHR did not hear our 202 and sends it once more, after the job has finished.
    await eventually('the job to be completed', async () => (await hub.runtime.status('riverside-ehr-events')).jobs.completed === 1);
    expect(await receiver.receive('riverside-ehr-events', delivery('evt_1001', 481))).toEqual({ eventId: 'evt_1001', duplicate: true });
    // Receiving enqueues before it answers, so a second job would already be held here.
    expect(await jobsHeld()).toBe(1);
    expect(handled).toEqual(['evt_1001']);
    expect(await succeededRuns()).toHaveLength(1);
  });

  it('the same event arriving twice at the same moment is handled once', async () => {
    const answers = await Promise.all([
      receiver.receive('riverside-ehr-events', delivery('evt_1002', 482)),
      receiver.receive('riverside-ehr-events', delivery('evt_1002', 482)),
    ]);
    expect(answers.map((a) => a.duplicate).sort()).toEqual([false, true]);

    await eventually('the event to be processed', async () => handled.includes('evt_1002'));
    await eventually('its job to be completed', async () => (await hub.runtime.status('riverside-ehr-events')).jobs.completed === 2);
    expect(await jobsHeld()).toBe(2);
    expect(handled).toEqual(['evt_1001', 'evt_1002']);
    expect(await hub.store.countRecords({ sourceConnector: 'riverside-ehr-events' })).toBe(2);
  });
});
