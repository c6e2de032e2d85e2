import type { JobKind } from '../store/types.js';

export type JobTrigger = 'schedule' | 'manual' | 'webhook' | 'route' | 'replay' | 'file';

/** The data of every hub job, whatever its kind. Kept small: bodies and records stay in the store. */
export interface HubJobData {
  kind: JobKind;
  connectorId: string;
  tenant: string;
  trigger: JobTrigger;
  /** sync: ignore cursors. */
  full?: boolean;
  /** webhook: the raw event's (connectorId, eventId) in the store. */
  eventId?: string;
  /** deliver: hub ids of the records to push. */
  recordIds?: string[];
  /** deliver: the canonical event names that caused it (for logs). */
  events?: string[];
  /** file: path relative to the connector's files transport. */
  path?: string;
  /** Who asked (token name, `cli`, `scheduler`). */
  requestedBy?: string;
}

/** A failed job kept after its last attempt, replayable. */
export interface DeadLetter {
  jobId: string;
  connectorId: string;
  tenant: string;
  kind: JobKind;
  trigger: JobTrigger;
  failedReason: string;
  attemptsMade: number;
  failedAt?: string;
  createdAt: string;
}

/** What the hub enqueues through; implemented by the runtime over BullMQ. */
export interface JobEnqueuer {
  /** Adds a job; with a jobId, a job of the same id already queued or kept is not added twice. */
  enqueue(data: HubJobData, options?: { jobId?: string; priority?: number }): Promise<{ jobId: string }>;
}
