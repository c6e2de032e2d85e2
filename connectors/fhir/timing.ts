import { sleep } from '../http/sleep.js';
import type { Clock } from './types.js';

/** Backoff stops growing here, so a client with many retries still retries this decade. */
const MAX_BACKOFF_MS = 60_000;

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep,
};

/** Full jitter: many workers retrying one EHR spread out instead of arriving together. */
export function backoffDelay(backoffMs: number, attempt: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** attempt);
}
