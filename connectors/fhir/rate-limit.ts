import type { Clock } from './types.js';

export interface RateLimiter {
  /** Waits until a request may be sent, then counts it. */
  take(signal?: AbortSignal): Promise<void>;
}

/**
 * A token bucket holding `maxRequests` tokens, refilled evenly over `perSeconds`: a burst up to
 * the limit goes at once, then requests flow at the sustained rate. One per connector instance,
 * because an EHR's limit is per client, whatever the number of jobs using it.
 */
export function createRateLimiter(maxRequests: number, perSeconds: number, clock: Clock): RateLimiter {
  const refillPerMs = maxRequests / (perSeconds * 1000);
  let tokens = maxRequests;
  let updatedAt = clock.now();
  // Callers queue in arrival order so a busy search cannot starve a bulk export poll.
  let queue: Promise<void> = Promise.resolve();

  const refill = () => {
    const now = clock.now();
    tokens = Math.min(maxRequests, tokens + (now - updatedAt) * refillPerMs);
    updatedAt = now;
  };

  const acquire = async (signal?: AbortSignal): Promise<void> => {
    for (;;) {
      signal?.throwIfAborted();
      refill();
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await clock.sleep(Math.ceil((1 - tokens) / refillPerMs), signal);
    }
  };

  return {
    take(signal) {
      const turn = queue.then(() => acquire(signal));
      // A caller that gives up (abort) must not block those behind it.
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}
