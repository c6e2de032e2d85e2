import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config/types.js';
import { parseDuration } from '../config/schema.js';
import type { HubJobData } from '../queue/types.js';
import { queueName, type ConnectorQueues } from './queues.js';

/**
 * Each connector has at most one scheduler in its own queue, under this id. The id names the
 * connector because BullMQ derives the scheduled jobs' ids from it (`repeat:<id>:<time>`): two
 * connectors due at the same moment would otherwise have jobs (and dead letters) of the same id.
 */
export function schedulerId(connectorId: string): string {
  return `schedule-${connectorId}`;
}

/** The id every connector's scheduler had before ids named the connector; removed on sight. */
const LEGACY_SCHEDULER_ID = 'schedule';

export function knownConnectorsKey(prefix: string): string {
  return `${prefix}:hub:connectors`;
}

export function describeSchedule(connector: ConnectorConfig): string | undefined {
  const s = connector.schedule;
  if (!s) return undefined;
  return s.every !== undefined ? `every ${s.every}` : `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ''}`;
}

/**
 * Makes Redis's job schedulers match the YAML: one per scheduled, enabled connector; none for a
 * connector that lost its schedule, was disabled or was removed from the file (those are found
 * through a set of every connector id the hub has ever scheduled).
 */
export async function reconcileSchedules(options: {
  connectors: ConnectorConfig[];
  queues: ConnectorQueues;
  connection: ConnectionOptions;
  redis: Redis;
  log: Logger;
}): Promise<{ upserted: string[]; removed: string[] }> {
  const { queues, redis, log } = options;
  const key = knownConnectorsKey(queues.prefix);
  const upserted: string[] = [];
  const removed: string[] = [];
  const current = new Set(options.connectors.map((c) => c.id));

  for (const connector of options.connectors) {
    const queue = queues.get(connector.id);
    const schedule = connector.schedule;
    const legacyRemoved = await queue.removeJobScheduler(LEGACY_SCHEDULER_ID);
    if (!schedule || !connector.enabled) {
      if ((await queue.removeJobScheduler(schedulerId(connector.id))) || legacyRemoved) removed.push(connector.id);
      continue;
    }
    const data: HubJobData = {
      kind: 'sync',
      connectorId: connector.id,
      tenant: connector.tenant,
      trigger: 'schedule',
      requestedBy: 'scheduler',
    };
    const repeat =
      schedule.every !== undefined
        ? { every: parseDuration(schedule.every) }
        : { pattern: schedule.cron, tz: schedule.timezone };
    const { removeOnFail: _keepAll, ...opts } = queues.jobOptions(connector);
    await queue.upsertJobScheduler(schedulerId(connector.id), repeat, { name: 'sync', data, opts: { ...opts, removeOnFail: false } });
    await redis.sadd(key, connector.id);
    upserted.push(connector.id);
  }

  for (const id of await redis.smembers(key)) {
    if (current.has(id)) continue;
    const stale = new Queue(queueName(id), { connection: options.connection, prefix: queues.prefix });
    try {
      for (const scheduler of await stale.getJobSchedulers()) {
        await stale.removeJobScheduler(scheduler.key);
      }
      await redis.srem(key, id);
      removed.push(id);
    } finally {
      await stale.close();
    }
  }
  if (removed.length) log.info({ connectors: removed }, 'removed schedules of connectors no longer scheduled');
  return { upserted, removed };
}
