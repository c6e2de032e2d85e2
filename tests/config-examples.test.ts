/** The shipped and example configs must load: a broken example is worse than none. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config/load.js';
import { PluginLoader, pluginSchemaResolver } from '../core/runtime/plugin-loader.js';
import { builtinPlugins } from '../plugins/index.js';

const CONFIG_DIR = resolve(import.meta.dirname, '../config');
const plugins = pluginSchemaResolver(new PluginLoader(builtinPlugins));

describe('shipped configuration files', () => {
  it('config/hub.yaml loads with no environment at all', async () => {
    const config = await loadConfig({ file: join(CONFIG_DIR, 'hub.yaml'), env: {}, plugins });
    expect(config.connectors.map((c) => c.id)).toContain('riverside-ehr-export');
    expect(config.tokens.every((t) => t.token.length >= 16)).toBe(true);
  });

  const examples = readdirSync(join(CONFIG_DIR, 'examples')).filter((f) => f.endsWith('.yaml'));
  it.each(examples)('config/examples/%s loads once its environment is set', async (file) => {
    const secrets = mkdtempSync(join(tmpdir(), 'hub-secrets-'));
    writeFileSync(join(secrets, 'token'), 'file-token-0123456789abcdef\n');
    const env = {
      DATABASE_URL: 'postgres://hub:pw@db.internal:5432/hub',
      REDIS_URL: 'redis://:pw@redis.internal:6379',
      HUB_ADMIN_TOKEN: 'admin-token-0123456789abcdef',
      HUB_OPS_TOKEN: 'ops-token-0123456789abcdef',
      ACME_PAYROLL_WEBHOOK_SECRET: 'whsec-0123456789abcdef',
    };
    writeFileSync(join(secrets, 'key'), '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n');
    const text = readFileSync(join(CONFIG_DIR, 'examples', file), 'utf8')
      .replaceAll('/run/secrets/lakeside-dashboard-token', join(secrets, 'token'))
      .replaceAll('/run/secrets/broker-sftp-key', join(secrets, 'key'))
      .replaceAll('/run/secrets/clearinghouse-sftp-key', join(secrets, 'key'));
    const copy = join(secrets, file);
    writeFileSync(copy, text);
    const config = await loadConfig({ file: copy, env, plugins });
    expect(config.connectors.length).toBeGreaterThan(0);
  });
});
