import type { MinimalJob } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { hubBackoff } from './backoff.js';

const job = (delay: number) => ({ opts: { backoff: { type: 'hub', delay } } }) as unknown as MinimalJob;

describe('hubBackoff', () => {
  it('doubles the wait each attempt, jittered between half and all of it', () => {
    expect(hubBackoff(1, 'hub', new Error('x'), job(1000), () => 0)).toBe(500);
    expect(hubBackoff(1, 'hub', new Error('x'), job(1000), () => 1)).toBe(1000);
    expect(hubBackoff(3, 'hub', new Error('x'), job(1000), () => 1)).toBe(4000);
    expect(hubBackoff(3, 'hub', new Error('x'), job(1000), () => 0)).toBe(2000);
  });

  it("waits what the server's Retry-After asked", () => {
    const error = Object.assign(new Error('429'), { retryAfterMs: 42_000 });
    expect(hubBackoff(1, 'hub', error, job(1000), () => 0.5)).toBe(42_000);
  });

  it('never waits longer than 15 minutes', () => {
    expect(hubBackoff(30, 'hub', new Error('x'), job(1000), () => 1)).toBe(15 * 60_000);
    expect(hubBackoff(1, 'hub', Object.assign(new Error('x'), { retryAfterMs: 86_400_000 }), job(1000))).toBe(15 * 60_000);
  });
});
