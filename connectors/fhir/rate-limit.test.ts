import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.js';
import { createManualClock } from './testing/manual-clock.js';

describe('createRateLimiter', () => {
  it('lets a burst of maxRequests through at once, then spaces requests at the sustained rate', async () => {
    const clock = createManualClock(0);
    const limiter = createRateLimiter(4, 2, clock);
    const sentAt: number[] = [];
    for (let request = 0; request < 8; request++) {
      await limiter.take();
      sentAt.push(clock.now());
    }
    expect(sentAt).toEqual([0, 0, 0, 0, 500, 1000, 1500, 2000]);
  });

  it('refills while idle, up to the burst size and no more', async () => {
    const clock = createManualClock(0);
    const limiter = createRateLimiter(2, 1, clock);
    await limiter.take();
    await limiter.take();
    clock.advance(60_000);
    const before = clock.now();
    await limiter.take();
    await limiter.take();
    await limiter.take();
    expect(clock.now() - before).toBe(500);
  });

  it('gives up waiting when the signal aborts, without blocking those behind', async () => {
    const clock = createManualClock(0);
    const limiter = createRateLimiter(1, 10, clock);
    await limiter.take();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(limiter.take(controller.signal)).rejects.toThrow('stop');
    await limiter.take();
    expect(clock.now()).toBe(10_000);
  });
});
