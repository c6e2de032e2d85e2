import type { Clock } from '../types.js';

export interface ManualClock extends Clock {
  /** Moves time forward without anyone sleeping (a token's lifetime running out). */
  advance(ms: number): void;
  /** Every wait asked for, in order: what a test checks to see Retry-After was honoured. */
  readonly sleeps: number[];
}

/**
 * A clock for tests: sleeping moves time forward at once instead of waiting, so retries, polls
 * and rate limits run in microseconds while their waits stay visible in `sleeps`. Give the same
 * `now` to the fake server so token expiry and meta.lastUpdated follow the same time.
 */
export function createManualClock(start = Date.parse('2024-06-01T12:00:00Z')): ManualClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
    sleeps,
    async sleep(ms, signal) {
      signal?.throwIfAborted();
      sleeps.push(ms);
      now += ms;
      // A real turn of the event loop, so an abort raised meanwhile is seen.
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
    },
  };
}
