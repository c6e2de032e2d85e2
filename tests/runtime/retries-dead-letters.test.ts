/**
 * A clearinghouse that is briefly down is retried until it answers; a payer portal that refuses
 * the hub's API key, or a roster file with a bad row, is not retried: the job goes straight to
 * the dead letters, where an operator sees why (never the key itself) and replays it once fixed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, NotFoundError, PermanentError, TransientError } from '../../core/errors.js';
import { REDACTED } from '../../core/redaction.js';
import { definePlugin, Type } from '../../core/sdk/index.js';
import { ehrPatient } from './fixtures/patients.js';
import { deletePrefix, eventually, finishedRun, freshPrefix, runsOf, startTestHub, type TestHub } from './helpers.js';

const PAYER_API_KEY = 'shp_live_7Qm2vX9rTz4KpL8n';

/** How the outside systems behave right now; each test sets the scene. */
const world = {
  clearinghouseOutagesLeft: 0,
  payerAcceptsKey: false,
  rosterFixed: false,
};

const clearinghousePlugin = definePlugin({
  name: 'test-clearinghouse',
  version: '1.0.0',
  config: Type.Object({}),
  produces: ['Patient'],
  consumes: [],
  async sync(ctx) {
    if (world.clearinghouseOutagesLeft > 0) {
      world.clearinghouseOutagesLeft--;
      throw new TransientError('clearinghouse answered 503 Service Unavailable');
    }
    const patient = ehrPatient(481);
    await ctx.emit('Patient', patient.data, patient.ref);
  },
});

const payerPlugin = definePlugin({
  name: 'test-payer-portal',
  version: '1.0.0',
  config: Type.Object({ apiKey: Type.String({ 'x-secret': true }) }),
  produces: ['Patient'],
  consumes: [],
  async sync(ctx) {
    // A careless upstream message that quotes the credential back: the hub must not keep it.
    if (!world.payerAcceptsKey) throw new PermanentError(`payer portal refused API key ${ctx.config.apiKey} (401)`);
    ctx.count('eligibilityChecks', 1);
  },
});

const rosterPlugin = definePlugin({
  name: 'test-roster-import',
  version: '1.0.0',
  config: Type.Object({}),
  produces: ['Patient'],
  consumes: [],
  async sync(ctx) {
    if (!world.rosterFixed) {
      throw new InputError('roster.csv row 7 is not a patient row', [{ path: '/rows/7/birthDate', message: 'must be a date (YYYY-MM-DD)' }]);
    }
    ctx.count('rows', 12);
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
  - id: claim-status
    tenant: riverside
    plugin: test-clearinghouse
    retry: { attempts: 5, backoffMs: 10 }
  - id: eligibility
    tenant: riverside
    plugin: test-payer-portal
    retry: { attempts: 5, backoffMs: 10 }
    config:
      apiKey: \${env:PAYER_API_KEY}
  - id: roster-import
    tenant: riverside
    plugin: test-roster-import
    retry: { attempts: 5, backoffMs: 10 }
`;
const ALL = ['claim-status', 'eligibility', 'roster-import'];

describe('retries and dead letters', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startTestHub({ yaml, plugins: [clearinghousePlugin, payerPlugin, rosterPlugin], env: { PAYER_API_KEY } });
  });

  afterAll(async () => {
    await hub?.close();
    await deletePrefix(prefix);
  });

  const deadLetters = () => hub.runtime.services().deadLetters.list({ connectorIds: ALL, limit: 100 });

  it('a clearinghouse down for two attempts is retried and the job succeeds on the third', async () => {
    const { runtime, store } = hub;
    world.clearinghouseOutagesLeft = 2;
    const { jobId } = await runtime.runNow('claim-status', { requestedBy: 'ops@riverside' });

    await finishedRun(store, 'claim-status', jobId);
    const runs = (await runsOf(store, 'claim-status')).filter((r) => r.jobId === jobId);
    expect(runs.map((r) => [r.attempt, r.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'succeeded'],
    ]);
    expect(runs[0].error).toContain('503 Service Unavailable');
    expect(runs[2].counts.created).toBe(1);

    const job = await runtime.queues.get('claim-status').getJob(jobId);
    await eventually('the job to be completed', async () => (await job!.getState()) === 'completed');
    expect(await deadLetters()).toEqual([]);
  });

  it('a refused API key goes straight to the dead letters after one attempt, its reason scrubbed of the key', async () => {
    const { runtime, store } = hub;
    world.payerAcceptsKey = false;
    const { jobId } = await runtime.runNow('eligibility', { requestedBy: 'ops@riverside' });

    const [letter] = await eventually('the eligibility job among the dead letters', async () => {
      const letters = (await deadLetters()).filter((l) => l.jobId === jobId);
      return letters.length ? letters : undefined;
    });
    expect(letter).toMatchObject({ connectorId: 'eligibility', tenant: 'riverside', kind: 'sync', trigger: 'manual', attemptsMade: 1 });
    expect(letter.failedReason).toContain('payer portal refused API key');
    expect(letter.failedReason).toContain(REDACTED);
    expect(letter.failedReason).not.toContain(PAYER_API_KEY);

    // Once a job is a dead letter nothing runs it again by itself: one attempt is all there was.
    const runs = (await runsOf(store, 'eligibility')).filter((r) => r.jobId === jobId);
    expect(runs).toHaveLength(1);
    expect(runs[0].status).toBe('failed');
    expect(runs[0].error).not.toContain(PAYER_API_KEY);
    expect((await runtime.status('eligibility')).jobs).toMatchObject({ failed: 1, waiting: 0, delayed: 0 });
  });

  it('a roster with a bad row (an input error) is not retried either', async () => {
    const { runtime, store } = hub;
    const { jobId } = await runtime.runNow('roster-import', { requestedBy: 'ops@riverside' });
    const letter = await eventually('the roster job among the dead letters', async () => (await deadLetters()).find((l) => l.jobId === jobId));
    expect(letter.attemptsMade).toBe(1);
    expect(letter.failedReason).toContain('roster.csv row 7');
    expect((await runsOf(store, 'roster-import')).filter((r) => r.jobId === jobId)).toHaveLength(1);
  });

  it('replaying one dead letter after the fix runs that job again, and no other, and it leaves the dead letters', async () => {
    const { runtime, store } = hub;
    const letters = await deadLetters();
    const roster = letters.find((l) => l.connectorId === 'roster-import')!;
    const eligibility = letters.find((l) => l.connectorId === 'eligibility')!;
    // An operator replays by job id alone, so one id must never name two connectors' letters.
    expect(roster.jobId).not.toBe(eligibility.jobId);

    world.rosterFixed = true;
    world.payerAcceptsKey = true;
    await runtime.services().deadLetters.replay(roster.jobId, ALL);

    const run = await finishedRun(store, 'roster-import', roster.jobId);
    expect(run.counts.rows).toBe(12);
    // The run history tells a replay from the original attempt.
    expect(run.trigger).toBe('replay');
    await eventually('the replayed job to leave the dead letters', async () =>
      (await deadLetters()).every((l) => l.jobId !== roster.jobId),
    );
    // The eligibility letter was not touched: still there, still with its single failed run.
    expect((await deadLetters()).map((l) => l.jobId)).toEqual([eligibility.jobId]);
    expect((await runsOf(store, 'eligibility')).filter((r) => r.jobId === eligibility.jobId).map((r) => r.status)).toEqual(['failed']);

    await runtime.services().deadLetters.replay(eligibility.jobId, ALL);
    expect((await finishedRun(store, 'eligibility', eligibility.jobId)).counts.eligibilityChecks).toBe(1);
    await eventually('no dead letters left', async () => (await deadLetters()).length === 0, { describe: deadLetters });
  });

  it('replaying a job id that is not a dead letter says so', async () => {
    await expect(hub.runtime.services().deadLetters.replay('sync-eligibility-not-a-job', ALL)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('replaying all while the payer still refuses the key tries each dead letter once more, not over and over', async () => {
    const { runtime, store } = hub;
    world.payerAcceptsKey = false;
    const jobIds: string[] = [];
    for (let i = 0; i < 40; i++) jobIds.push((await runtime.runNow('eligibility', { requestedBy: 'ops@riverside' })).jobId);
    await eventually('forty dead letters', async () => (await deadLetters()).length === 40);

    expect(await runtime.services().deadLetters.replayAll(ALL)).toBe(40);

    const attemptsPerJob = async () => {
      const runs = (await runsOf(store, 'eligibility')).filter((r) => jobIds.includes(r.jobId!) && r.status === 'failed');
      return jobIds.map((id) => runs.filter((r) => r.jobId === id).length);
    };
    // Each failed again and is back among the dead letters; the queue has nothing else to do.
    await eventually(
      'every replayed job to be a dead letter again',
      async () => {
        const { jobs } = await runtime.status('eligibility');
        return (await deadLetters()).length === 40 && jobs.waiting + jobs.active + jobs.delayed === 0;
      },
      { describe: attemptsPerJob },
    );
    expect(await attemptsPerJob()).toEqual(jobIds.map(() => 2));

    // Clear them for the next story: replayed once more, with the key accepted, they all succeed.
    world.payerAcceptsKey = true;
    expect(await runtime.services().deadLetters.replayAll(ALL)).toBe(40);
    await eventually('every replayed job to succeed', async () => {
      const succeeded = (await runsOf(store, 'eligibility')).filter((r) => jobIds.includes(r.jobId!) && r.status === 'succeeded');
      return succeeded.length === 40;
    });
    expect(await deadLetters()).toEqual([]);
  });

  it('replaying all dead letters runs every one of them and empties the list', async () => {
    const { runtime, store } = hub;
    world.payerAcceptsKey = false;
    world.rosterFixed = false;
    const jobs = await Promise.all([
      runtime.runNow('eligibility', { requestedBy: 'ops@riverside' }),
      runtime.runNow('eligibility', { requestedBy: 'ops@riverside' }),
      runtime.runNow('roster-import', { requestedBy: 'ops@riverside' }),
    ]);
    const letters = await eventually(
      'three dead letters',
      async () => {
        const all = await deadLetters();
        return all.length === 3 ? all : undefined;
      },
      { describe: deadLetters },
    );
    expect(new Set(letters.map((l) => l.jobId))).toEqual(new Set(jobs.map((j) => j.jobId)));

    world.payerAcceptsKey = true;
    world.rosterFixed = true;
    expect(await runtime.services().deadLetters.replayAll(ALL)).toBe(3);

    for (const letter of letters) await finishedRun(store, letter.connectorId, letter.jobId);
    await eventually('the dead letters to be empty', async () => (await deadLetters()).length === 0, { describe: deadLetters });
  });
});
