/**
 * How a job's commits are scheduled: independent batches land side by side (two database
 * connections at work while the plugin maps the next batch), but a cursor never lands before the
 * records it covers, a record's later version always lands last, and a failure stops the rest.
 * The store is a real one (PGlite); a gate in front of its commit decides when each one may finish.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient } from '../../connectors/http/types.js';
import { createLogger } from '../logging.js';
import { openStore } from '../store/index.js';
import type { CommitBatch, CommitResult, Store } from '../store/types.js';
import { createPluginContext, type PluginContextHandle } from './plugin-context.js';

interface GatedCommit {
  batch: CommitBatch;
  release(): void;
  fail(error: Error): void;
}

let store: Store;
// One store for the file (an in-memory PGlite takes seconds to open); each test its own tenant.
let tenant = '';
let testNumber = 0;
let started: GatedCommit[];
let running: number;
let mostAtOnce: number;

/** The real store, except that each commit waits until the test releases (or fails) it. */
function gated(real: Store): Store {
  const gate = Object.create(real) as Store;
  gate.commit = async (batch: CommitBatch): Promise<CommitResult> => {
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    try {
      await new Promise<void>((release, fail) => started.push({ batch, release, fail }));
      return await real.commit(batch);
    } finally {
      running--;
    }
  };
  return gate;
}

function context(options: { concurrentCommits?: number; batchItems?: number; servesTenants?: readonly string[] } = {}): PluginContextHandle {
  return createPluginContext({
    connectorId: `${tenant}-ehr`,
    tenant: { id: tenant, name: 'Riverside Family Medicine' },
    config: {},
    store: gated(store),
    log: createLogger({ level: 'silent', pretty: false }),
    signal: new AbortController().signal,
    http: {} as HttpClient,
    ...options,
  });
}

const patient = (id: number, family = `Synthetic${id}`) => ({ schemaVersion: '1.0.0', name: { family, given: ['Pat'] } }) as never;
const ref = (id: number) => ({ system: 'riverside-ehr', id: `Patient/${id}` });

/** Stages and flushes one patient, then another (by default patients 1 and 2): two batches, each flushed on its own. */
async function twoBatches(ctx: PluginContextHandle['context'], first = { id: 1, data: patient(1) }, second = { id: 2, data: patient(2) }): Promise<[Promise<void>, Promise<void>]> {
  await ctx.emit('Patient', first.data, ref(first.id));
  const firstFlush = ctx.flush();
  await ctx.emit('Patient', second.data, ref(second.id));
  return [firstFlush, ctx.flush()];
}

/** Lets pending promise callbacks run, so commits that may start have started. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** Waits (up to 5 s) until `count` commits have reached the store. */
async function startedCount(count: number): Promise<void> {
  for (let waited = 0; started.length < count; waited += 10) {
    if (waited > 5000) throw new Error(`only ${started.length} of ${count} commits started`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether a promise has settled yet, without waiting for it. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await settle();
  return settled;
}

beforeAll(async () => {
  store = await openStore({});
});

afterAll(async () => {
  await store.close();
});

beforeEach(() => {
  tenant = `riverside-${++testNumber}`;
  started = [];
  running = 0;
  mostAtOnce = 0;
});

const patients = () => store.countRecords({ tenant, type: 'Patient' });
const findPatient = (id: number) => store.findRecord({ tenant, type: 'Patient', externalSystem: 'riverside-ehr', externalId: `Patient/${id}` });

describe('a job’s commits', () => {
  it('run side by side when their batches share nothing, and a flush resolves once every earlier one has landed', async () => {
    const { context: ctx, counts } = context();
    const [first, second] = await twoBatches(ctx);
    await settle();
    expect(started).toHaveLength(2);

    started[1]!.release();
    // The second batch has landed, but its flush also stands for the first, still held.
    expect(await isSettled(second)).toBe(false);
    started[0]!.release();
    await Promise.all([first, second]);
    expect(counts.created).toBe(2);
    expect(await patients()).toBe(2);
  });

  it('start early when the staged records hold many list items, before a thousand records are waiting', async () => {
    // A 5,000-claim 835 payment is one record: a thousand of them must not wait in memory together.
    const { context: ctx } = context({ batchItems: 6 });
    const withGivenNames = (id: number) => ({ schemaVersion: '1.0.0', name: { family: `Synthetic${id}`, given: ['Pat', 'Lee', 'Sam'] } }) as never;
    await ctx.emit('Patient', withGivenNames(1), ref(1));
    await settle();
    expect(started).toHaveLength(0);
    // Three more list items make six: this emit commits the batch, and waits for it.
    const second = ctx.emit('Patient', withGivenNames(2), ref(2));
    await startedCount(1);
    expect(started[0]!.batch.records?.map((r) => r.externalId)).toEqual(['Patient/1', 'Patient/2']);
    started[0]!.release();
    await second;
    expect(await patients()).toBe(2);
  });

  it('never run more at once than allowed: a third waits for the oldest', async () => {
    const { context: ctx } = context({ concurrentCommits: 2 });
    const flushes: Promise<void>[] = [];
    for (const id of [1, 2, 3]) {
      await ctx.emit('Patient', patient(id), ref(id));
      flushes.push(ctx.flush());
    }
    await settle();
    expect(started).toHaveLength(2);
    started[0]!.release();
    await startedCount(3);
    started[1]!.release();
    started[2]!.release();
    await Promise.all(flushes);
    expect(mostAtOnce).toBe(2);
    expect(await patients()).toBe(3);
  });

  it('keep a cursor behind the records it covers: a batch with state starts only after every earlier batch has landed', async () => {
    const { context: ctx } = context();
    await ctx.emit('Patient', patient(1), ref(1));
    const records = ctx.flush();
    await ctx.emit('Patient', patient(2), ref(2));
    ctx.state.set('cursor:Patient', '2026-11-27T00:00:00Z');
    const withCursor = ctx.flush();
    await settle();
    expect(started).toHaveLength(1);
    // The plugin reads the cursor it set although it has not landed yet, one key or many.
    expect(await ctx.state.get('cursor:Patient')).toBe('2026-11-27T00:00:00Z');
    ctx.state.set('cursor:Coverage', '2026-11-26T00:00:00Z');
    await store.setState({ connectorId: `${tenant}-ehr`, key: 'cursor:Claim', value: '2026-11-25T00:00:00Z' });
    expect(await ctx.state.getMany(['cursor:Patient', 'cursor:Coverage', 'cursor:Claim', 'cursor:Encounter'])).toEqual(
      new Map([
        ['cursor:Patient', '2026-11-27T00:00:00Z'],
        ['cursor:Coverage', '2026-11-26T00:00:00Z'],
        ['cursor:Claim', '2026-11-25T00:00:00Z'],
      ]),
    );
    expect(await store.getState(`${tenant}-ehr`, 'cursor:Patient')).toBeUndefined();

    started[0]!.release();
    await startedCount(2);
    expect(started[1]!.batch.state).toEqual([{ connectorId: `${tenant}-ehr`, key: 'cursor:Patient', value: '2026-11-27T00:00:00Z' }]);
    started[1]!.release();
    await Promise.all([records, withCursor]);
    expect(await store.getState(`${tenant}-ehr`, 'cursor:Patient')).toBe('2026-11-27T00:00:00Z');
  });

  it('land a record’s later version last when two batches write the same record', async () => {
    const { context: ctx } = context();
    const [older, newer] = await twoBatches(ctx, { id: 1, data: patient(1, 'Older') }, { id: 1, data: patient(1, 'Newer') });
    await settle();
    expect(started).toHaveLength(1);
    started[0]!.release();
    await startedCount(2);
    started[1]!.release();
    await Promise.all([older, newer]);
    const stored = await findPatient(1);
    expect(stored?.data).toMatchObject({ name: { family: 'Newer' } });
    expect(stored?.version).toBe(2);
  });

  it('stop at the first failure: no later commit starts, and every flush that covers it rejects with its error', async () => {
    const { context: ctx, counts } = context();
    const [failing, alongside] = await twoBatches(ctx);
    await settle();
    started[0]!.fail(new Error('connection reset by the database'));
    started[1]!.release();
    await expect(failing).rejects.toThrow('connection reset by the database');
    await expect(alongside).rejects.toThrow('connection reset by the database');
    // The batch that was already committing beside it landed, and counts say so.
    expect(counts.created).toBe(1);

    await ctx.emit('Patient', patient(3), ref(3));
    await expect(ctx.flush()).rejects.toThrow('connection reset by the database');
    expect(started).toHaveLength(2);
    expect(await findPatient(3)).toBeUndefined();
  });
});

describe('finding records', () => {
  it('finds many at once across systems, keyed <system>|<id>, leaving out missing ones and other tenants’', async () => {
    const other = `${tenant}-other`;
    const input = (tenantId: string, system: string, id: string) => ({
      tenant: tenantId,
      type: 'Patient',
      externalSystem: system,
      externalId: id,
      sourceConnector: 'seed',
      data: { schemaVersion: '1.0.0', name: { family: 'Synthetic', given: ['Pat'] } },
    });
    await store.commit({
      records: [input(tenant, 'riverside-ehr', 'Patient/1'), input(tenant, 'lakeside-ehr', 'Patient/1'), input(other, 'riverside-ehr', 'Patient/2')],
    });
    const { context: ctx } = context({ servesTenants: [other] });

    const found = await ctx.records.findMany('Patient', [
      { system: 'riverside-ehr', id: 'Patient/1' },
      { system: 'lakeside-ehr', id: 'Patient/1' },
      { system: 'riverside-ehr', id: 'Patient/2' },
      { system: 'riverside-ehr', id: 'Patient/404' },
    ]);

    expect([...found.keys()].sort()).toEqual(['lakeside-ehr|Patient/1', 'riverside-ehr|Patient/1']);
    expect(found.get('lakeside-ehr|Patient/1')).toMatchObject({ tenant, externalSystem: 'lakeside-ehr', externalId: 'Patient/1' });
    expect([...(await ctx.forTenant(other).findMany('Patient', [{ system: 'riverside-ehr', id: 'Patient/2' }])).keys()]).toEqual(['riverside-ehr|Patient/2']);
    expect((await ctx.records.findMany('Patient', [])).size).toBe(0);
  });
});
