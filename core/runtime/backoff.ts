import type { MinimalJob } from 'bullmq';

/** The backoff type every hub job uses; workers register `hubBackoff` under this name. */
export const HUB_BACKOFF = 'hub';

/** The longest a job waits between attempts, whatever the server asks. */
const MAX_DELAY_MS = 15 * 60_000;

/**
 * Exponential backoff with jitter (half to full of `delay * 2^(attempt-1)`), so a fleet of jobs
 * failing together does not retry together; a server's Retry-After, when the error carries one,
 * wins over the schedule.
 */
export function hubBackoff(attemptsMade: number, _type: string | undefined, error: Error | undefined, job: MinimalJob | undefined, random = Math.random): number {
  const retryAfterMs = (error as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  if (typeof retryAfterMs === 'number' && retryAfterMs >= 0) return Math.min(retryAfterMs, MAX_DELAY_MS);
  const backoff = job?.opts.backoff;
  const base = typeof backoff === 'object' && backoff.delay !== undefined ? backoff.delay : 1000;
  const ceiling = Math.min(base * 2 ** Math.max(0, attemptsMade - 1), MAX_DELAY_MS);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
