import { describe, expect, it } from 'vitest';
import { Redactor } from '../redaction.js';
import { fakePlugins } from './fixtures/fake-plugins.js';
import { loadConfigText } from './load.js';
import { HubConfigSchema, parseDuration, secretPaths } from './schema.js';
import { ConfigurationError } from '../errors.js';

describe('parseDuration', () => {
  it('reads the units an operator writes', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration(60_000)).toBe(60_000);
    expect(parseDuration('60000')).toBe(60_000);
  });

  it('refuses anything else with a message saying what works', () => {
    for (const bad of ['5 minutes', '1w', '', 'm', '0s', '-5m']) expect(() => parseDuration(bad)).toThrow(/is not a duration/);
    expect(() => parseDuration(0)).toThrow(/above 0/);
    expect(() => parseDuration(1.5)).toThrow(/whole number/);
  });
});

describe('secretPaths', () => {
  it('finds every secret field of the hub schema', () => {
    expect(secretPaths(HubConfigSchema).map((p) => p.join('.')).sort()).toEqual([
      'connectors.*.transport.files.passphrase',
      'connectors.*.transport.files.password',
      'connectors.*.transport.files.privateKey',
      'connectors.*.webhook.secret',
      'hub.databaseUrl',
      'hub.redisUrl',
      'tokens.*.token',
    ]);
  });

  it('follows nesting, maps, unions and local $refs in plugin schemas', () => {
    const schema = {
      type: 'object',
      $defs: { cred: { type: 'object', properties: { secret: { type: 'string', 'x-secret': true } } } },
      properties: {
        apiKey: { type: 'string', 'x-secret': true },
        accounts: { type: 'array', items: { $ref: '#/$defs/cred' } },
        headers: { type: 'object', additionalProperties: { type: 'string', 'x-secret': true } },
        auth: { anyOf: [{ type: 'object', properties: { token: { type: 'string', 'x-secret': true } } }, { type: 'null' }] },
      },
    };
    expect(secretPaths(schema)).toEqual([['apiKey'], ['accounts', '*', 'secret'], ['headers', '*'], ['auth', 'token']]);
  });
});

describe('the hub schema on smaller mistakes', () => {
  const base = 'tenants: [{ id: riverside, name: Riverside }]\nconnectors:\n';
  async function issuesOf(connectorYaml: string) {
    const error = await loadConfigText(base + connectorYaml, { baseDir: '/tmp', env: {}, plugins: fakePlugins(), redactor: new Redactor() }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).issues.map((i) => `${i.line} ${i.path} ${i.message}`);
  }

  it('wants exactly one of every and cron, and a real time zone', async () => {
    expect(
      await issuesOf(
        [
          '  - { id: a, tenant: riverside, plugin: watcher, schedule: { every: 5m, cron: "* * * * *" } }',
          '  - { id: b, tenant: riverside, plugin: watcher, schedule: {} }',
          '  - { id: c, tenant: riverside, plugin: watcher, schedule: { cron: "0 6 * * *", timezone: Mars/Olympus } }',
          '  - { id: d, tenant: riverside, plugin: watcher, schedule: { every: 5m, timezone: UTC } }',
        ].join('\n'),
      ),
    ).toEqual([
      '3 /connectors/0/schedule has both `every` and `cron`: choose one',
      "4 /connectors/1/schedule needs `every` (e.g. every: 5m) or `cron` (e.g. cron: '0 6 * * *')",
      '5 /connectors/2/schedule/timezone "Mars/Olympus" is not a known IANA time zone (e.g. America/New_York, UTC)',
      '6 /connectors/3/schedule `timezone` applies to `cron` schedules only',
    ]);
  });

  it('names a missing field and a wrong transport kind', async () => {
    expect(
      await issuesOf(
        [
          '  - id: a',
          '    plugin: watcher',
          '  - id: b',
          '    tenant: riverside',
          '    plugin: watcher',
          '    transport:',
          '      files: { kind: ftp, path: /in }',
          '  - id: c',
          '    tenant: riverside',
          '    plugin: watcher',
          '    transport:',
          '      files: { kind: sftp, host: h, path: /in, port: 70000 }',
        ].join('\n'),
      ),
    ).toEqual([
      '3 /connectors/0/tenant is required but missing',
      '9 /connectors/1/transport/files/kind must be one of: local, sftp (found "ftp")',
      '14 /connectors/2/transport/files/username is required but missing',
      '14 /connectors/2/transport/files/port must be at most 65535 (found 70000)',
    ]);
  });
});
