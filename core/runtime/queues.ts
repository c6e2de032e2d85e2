import { randomUUID } from 'node:crypto';
import { Queue, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import type { ConnectorConfig } from '../config/types.js';
import { InputError, NotFoundError, TransientError } from '../errors.js';
import type { DeadLetter, HubJobData, JobEnqueuer } from '../queue/types.js';
import { HUB_BACKOFF } from './backoff.js';

/** BullMQ queue names may not hold ':'; connector ids are [a-z0-9-], so this is unambiguous. */
export function queueName(connectorId: string): string {
  return `connector.${connectorId}`;
}

/** Dead letters read per round trip when replaying them all. */
const REPLAY_PAGE = 100;

/** How long finished jobs are kept in Redis; runs in the store are the lasting history. */
const KEEP_COMPLETED = { age: 24 * 3600, count: 1000 };

/**
 * One BullMQ queue per connector (own concurrency, rate limit and pause switch), and the job
 * options every hub job gets: retries with exponential backoff and jitter, failed jobs kept as
 * dead letters.
 */
export class ConnectorQueues implements JobEnqueuer {
  private readonly queues = new Map<string, Queue<HubJobData>>();

  constructor(
    private readonly connectors: Map<string, ConnectorConfig>,
    private readonly connection: ConnectionOptions,
    readonly prefix: string,
  ) {}

  get(connectorId: string): Queue<HubJobData> {
    let queue = this.queues.get(connectorId);
    if (!queue) {
      if (!this.connectors.has(connectorId)) throw new NotFoundError(`no connector "${connectorId}"`);
      queue = new Queue<HubJobData>(queueName(connectorId), { connection: this.connection, prefix: this.prefix });
      // Errors surface on the calls that fail; without a listener an 'error' event would crash the process.
      queue.on('error', () => {});
      this.queues.set(connectorId, queue);
    }
    return queue;
  }

  jobOptions(connector: ConnectorConfig): JobsOptions {
    return {
      attempts: connector.retry.attempts,
      backoff: { type: HUB_BACKOFF, delay: connector.retry.backoffMs },
      removeOnComplete: KEEP_COMPLETED,
      // Failed jobs are the dead letters: kept until replayed or cleaned by an operator.
      removeOnFail: false,
    };
  }

  async enqueue(data: HubJobData, options: { jobId?: string; priority?: number } = {}): Promise<{ jobId: string }> {
    const connector = this.connectors.get(data.connectorId);
    if (!connector) throw new NotFoundError(`no connector "${data.connectorId}"`);
    const queue = this.get(data.connectorId);
    try {
      // BullMQ itself ignores an add whose job id it already holds, so no look-up first. BullMQ's own ids count per queue, so connector A's job 7 and connector B's job 7 would both
      // be "dead letter 7" to an operator replaying by id: every hub job gets an id unique hub-wide.
      const jobId = options.jobId ?? `${data.kind}-${data.connectorId}-${randomUUID()}`;
      const job = await queue.add(data.kind, data, { ...this.jobOptions(connector), jobId, priority: options.priority });
      return { jobId: job.id as string };
    } catch (error) {
      throw new TransientError(`could not enqueue a ${data.kind} job for ${data.connectorId}: ${(error as Error).message}`, { cause: error });
    }
  }

  async deadLetters(connectorIds: string[], limit: number): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    for (const id of connectorIds) {
      if (!this.connectors.has(id)) continue;
      const jobs = await this.get(id).getFailed(0, limit - 1);
      for (const job of jobs) {
        if (!job) continue;
        letters.push({
          jobId: job.id as string,
          connectorId: id,
          tenant: job.data.tenant,
          kind: job.data.kind,
          trigger: job.data.trigger,
          failedReason: job.failedReason,
          attemptsMade: job.attemptsMade,
          failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
          createdAt: new Date(job.timestamp).toISOString(),
        });
      }
    }
    letters.sort((a, b) => (b.failedAt ?? '').localeCompare(a.failedAt ?? ''));
    return letters.slice(0, limit);
  }

  async replay(jobId: string, connectorIds: string[]): Promise<void> {
    const matches: { connectorId: string; job: Job<HubJobData> }[] = [];
    for (const id of connectorIds) {
      if (!this.connectors.has(id)) continue;
      const job = await this.get(id).getJob(jobId);
      if (job && (await job.isFailed())) matches.push({ connectorId: id, job });
    }
    if (matches.length === 0) throw new NotFoundError(`no dead letter with job id "${jobId}"`);
    // Jobs queued before ids were unique hub-wide may share one: replaying a guess could re-send
    // another practice's claims, so ask for the connector instead.
    if (matches.length > 1) {
      const ids = matches.map((m) => m.connectorId).join(', ');
      throw new InputError(`job id "${jobId}" names dead letters of several connectors (${ids}); replay them per connector`, [
        { path: 'jobId', message: `ambiguous between connectors ${ids}` },
      ]);
    }
    await replayJob(matches[0].job);
  }

  async replayAll(connectorIds: string[]): Promise<number> {
    let count = 0;
    for (const id of connectorIds) {
      if (!this.connectors.has(id)) continue;
      const queue = this.get(id);
      // The dead letters as they are now, read before any is replayed: a replayed job that fails
      // again at once is back in the failed set, and re-reading it there would replay it again
      // (and again, for as long as the fault lasts).
      const letters: Job<HubJobData>[] = [];
      const seen = new Set<string>();
      for (let start = 0; ; start += REPLAY_PAGE) {
        const page = await queue.getFailed(start, start + REPLAY_PAGE - 1);
        for (const job of page) {
          // A job removed between BullMQ's two reads comes back empty.
          if (!job || seen.has(job.id as string)) continue;
          seen.add(job.id as string);
          letters.push(job);
        }
        if (page.length < REPLAY_PAGE) break;
      }
      for (const job of letters) {
        try {
          await replayJob(job);
          count++;
        } catch (error) {
          // Replayed (or removed) by someone else since the list was read: nothing left to do.
          if (await job.isFailed()) throw error;
        }
      }
    }
    return count;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}

/** Runs a dead letter again with a fresh set of attempts; its runs show it was a replay. */
async function replayJob(job: Job<HubJobData>): Promise<void> {
  if (job.data.trigger !== 'replay') await job.updateData({ ...job.data, trigger: 'replay' });
  await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
}
