/**
 * A connector's `concurrency` is its own, however many worker processes share its queue: the
 * clearinghouse keeps a claim ledger that two jobs at once would both rewrite.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { definePlugin, Type } from '../../core/sdk/index.js';
import { deletePrefix, eventually, freshPrefix, runsOf, startTestHub, type TestHub } from './helpers.js';

let running = 0;
let mostAtOnce = 0;

const slowPlugin = definePlugin({
  name: 'test-slow',
  version: '1.0.0',
  config: Type.Object({}),
  produces: [],
  consumes: [],
  async sync() {
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    await new Promise((resolve) => setTimeout(resolve, 150));
    running--;
  },
});

const prefix = freshPrefix();
const yaml = (concurrency: number) => `
hub:
  queuePrefix: ${prefix}
tenants:
  - id: riverside
    name: Riverside Family Medicine
connectors:
  - id: riverside-ledger
    tenant: riverside
    plugin: test-slow
    concurrency: ${concurrency}
`;

const hubs: TestHub[] = [];
afterAll(async () => {
  for (const hub of hubs.reverse()) await hub.close();
  await deletePrefix(prefix);
});

describe('connector concurrency across worker processes', () => {
  it('runs one job at a time with concurrency 1, even with two workers on the queue; more when the YAML allows', async () => {
    const first = await startTestHub({ yaml: yaml(1), plugins: [slowPlugin] });
    hubs.push(first);
    hubs.push(await startTestHub({ yaml: yaml(1), plugins: [slowPlugin], store: first.store }));
    for (let i = 0; i < 6; i++) await first.runtime.runNow('riverside-ledger', { requestedBy: 'test' });
    await eventually('six runs to finish', async () => (await runsOf(first.store, 'riverside-ledger')).filter((r) => r.status === 'succeeded').length === 6);
    expect(mostAtOnce).toBe(1);

    // The same two workers after the YAML says 2: the setting, not the worker count, decides.
    await Promise.all(hubs.splice(0).map((hub) => hub.close()));
    mostAtOnce = 0;
    const wider = await startTestHub({ yaml: yaml(2), plugins: [slowPlugin] });
    hubs.push(wider);
    for (let i = 0; i < 6; i++) await wider.runtime.runNow('riverside-ledger', { requestedBy: 'test' });
    await eventually('six more runs to finish', async () => (await runsOf(wider.store, 'riverside-ledger')).filter((r) => r.status === 'succeeded').length === 6);
    expect(mostAtOnce).toBe(2);
  });
});
