import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { freePort } from '../free-port.js';
import { createLogger } from '../logging.js';
import { redisOptionsFromUrl, resolveRedis, safeUrl } from './redis.js';

const log = createLogger({ level: 'silent', pretty: false });
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-redis-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A loopback URL nothing listens on, standing in for "no Redis on 6379". */
async function silentUrl(): Promise<string> {
  return `redis://127.0.0.1:${await freePort()}`;
}

describe('resolveRedis', () => {
  it('uses REDIS_URL when it answers', async () => {
    const redis = await resolveRedis({ url: 'redis://127.0.0.1:6379', dataDir: tempDir(), log });
    expect(redis.url).toBe('redis://127.0.0.1:6379');
    expect(redis.description).toMatch(/configured/);
  });

  it('stops with a clear message when the configured Redis does not answer', async () => {
    const url = await silentUrl();
    await expect(resolveRedis({ url, dataDir: tempDir(), log })).rejects.toThrow(/did not answer.*REDIS_URL/);
  });

  it('starts a private redis-server with AOF and noeviction when none runs, and stops it', async () => {
    const dataDir = tempDir();
    const redis = await resolveRedis({ dataDir, log, localUrl: await silentUrl() });
    try {
      expect(redis.description).toMatch(/private redis-server started by the hub/);
      const client = new Redis(redis.url);
      try {
        expect(await client.ping()).toBe('PONG');
        expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
        expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
        expect(await client.config('GET', 'dir')).toEqual(['dir', join(dataDir, 'redis')]);
      } finally {
        client.disconnect();
      }
      // CLI commands find the running hub's private Redis.
      const found = await resolveRedis({ dataDir, log, localUrl: await silentUrl(), startPrivate: false });
      expect(found.url).toBe(redis.url);
    } finally {
      await redis.stop();
    }
    const after = new Redis(redis.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    after.on('error', () => {});
    await expect(after.connect()).rejects.toThrow();
    after.disconnect();
  });

  it('says how to install Redis or set REDIS_URL when there is no redis-server at all', async () => {
    const error = await resolveRedis({ dataDir: tempDir(), log, localUrl: await silentUrl(), binaries: ['/nonexistent/redis-server'] }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/apt-get install redis-server/);
    expect(error.message).toMatch(/REDIS_URL/);
  });
});

describe('Redis URLs', () => {
  it('become ioredis options, TLS for rediss', () => {
    expect(redisOptionsFromUrl('rediss://user:p%40ss@cache.internal:6380/2')).toEqual({
      host: 'cache.internal',
      port: 6380,
      username: 'user',
      password: 'p@ss',
      db: 2,
      tls: {},
    });
    expect(() => redisOptionsFromUrl('http://x')).toThrow(/redis:\/\//);
  });

  it('hide their password in logs', () => {
    expect(safeUrl('redis://:hunter22@cache.internal:6379')).toBe('redis://:***@cache.internal:6379');
  });
});
