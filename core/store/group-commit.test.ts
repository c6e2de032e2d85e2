import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

describe('GroupCommit', () => {
  it('writes a lone item at once and batches those that arrive while a write is in flight', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, string>(async (items) => {
      batches.push(items);
      await new Promise((r) => setTimeout(r, 5));
      return items.map((n) => `ok ${n}`);
    });
    const first = group.submit(1);
    const rest = [2, 3, 4].map((n) => group.submit(n));
    expect(await Promise.all([first, ...rest])).toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4']);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('fails every caller of a failed batch, and keeps serving the next ones', async () => {
    let fail = true;
    const group = new GroupCommit<number, number>(async (items) => {
      if (fail) {
        fail = false;
        throw new Error('database went away');
      }
      return items;
    });
    await expect(group.submit(1)).rejects.toThrow('database went away');
    expect(await group.submit(2)).toBe(2);
  });

  it('caps the batch size', async () => {
    const sizes: number[] = [];
    const group = new GroupCommit<number, number>(async (items) => {
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 1));
      return items;
    }, 3);
    await Promise.all(Array.from({ length: 8 }, (_, i) => group.submit(i)));
    expect(sizes).toEqual([1, 3, 3, 1]);
  });
});
