import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError, type ValidationIssue } from '../errors.js';
import { Redactor } from '../redaction.js';
import { fakePlugins } from './fixtures/fake-plugins.js';
import { loadConfig, loadConfigText, redactConfig, type LoadConfigTextOptions } from './load.js';

const OPS_TOKEN = 'ops-token-0123456789abcdef';
const MAPPED_KEY = 'mapped-api-key-7f3a9c';
const SFTP_PASSWORD = 'sftp-pa55word-from-file';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hub-config-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(overrides: Partial<LoadConfigTextOptions> = {}): LoadConfigTextOptions {
  return {
    file: path.join(dir, 'hub.yaml'),
    baseDir: dir,
    env: { OPS_TOKEN, MAPPED_KEY },
    plugins: fakePlugins(),
    redactor: new Redactor(),
    ...overrides,
  };
}

/** Loads text that must fail and returns the one error it throws. */
async function failure(text: string, overrides: Partial<LoadConfigTextOptions> = {}): Promise<ConfigurationError> {
  const error = await loadConfigText(text, options(overrides)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigurationError);
  return error as ConfigurationError;
}

function at(issues: ValidationIssue[], pathText: string): ValidationIssue {
  const issue = issues.find((i) => i.path === pathText);
  if (!issue) throw new Error(`no issue at ${pathText}; issues: ${issues.map((i) => `${i.path} ${i.message}`).join(' | ')}`);
  return issue;
}

const lines = (...text: string[]) => text.join('\n') + '\n';

const VALID = lines(
  'hub:',
  '  port: 9090',
  'tenants:',
  '  - id: riverside',
  '    name: Riverside Family Medicine',
  '    npi: 1234567893',
  'tokens:',
  '  - name: mso-operations',
  '    token: ${env:OPS_TOKEN}',
  '    role: operator',
  "    tenants: ['*']",
  'connectors:',
  '  - id: riverside-billing',
  '    tenant: riverside',
  '    plugin: mapped',
  '    schedule: { every: 5m }',
  '    transport:',
  '      files:',
  '        kind: sftp',
  '        host: sftp.clearinghouse.example',
  '        username: riverside',
  '        password: ${file:secrets/sftp-password.txt}',
  '        path: /outbound',
  '    config:',
  '      apiKey: ${env:MAPPED_KEY}',
  '      login:',
  '        user: hub',
  '        password: nested-secret-value',
  'routes:',
  '  - on: [claim.created, claim.updated]',
  '    to: riverside-billing',
);

async function writeSftpPassword(): Promise<void> {
  await import('node:fs/promises').then((fs) => fs.mkdir(path.join(dir, 'secrets'), { recursive: true }));
  await writeFile(path.join(dir, 'secrets', 'sftp-password.txt'), `${SFTP_PASSWORD}\n`);
}

describe('loadConfigText on a valid file', () => {
  it('applies the defaults an operator left out', async () => {
    await writeSftpPassword();
    const config = await loadConfigText(VALID, options());

    expect(config.sourceFile).toBe(path.join(dir, 'hub.yaml'));
    expect(config.baseDir).toBe(dir);
    expect(config.hub).toEqual({
      port: 9090,
      host: '127.0.0.1',
      dataDir: './data',
      logLevel: 'info',
      queuePrefix: 'hub',
      rawEventRetentionDays: 30,
      maxWebhookBytes: 1_048_576,
    });
    // An unquoted NPI parses as a number; it is an identifier, so it is kept as text.
    expect(config.tenants).toEqual([{ id: 'riverside', name: 'Riverside Family Medicine', npi: '1234567893' }]);
    expect(config.tokens[0]).toEqual({ name: 'mso-operations', token: OPS_TOKEN, role: 'operator', tenants: ['*'] });

    const [connector] = config.connectors;
    expect(connector).toMatchObject({
      id: 'riverside-billing',
      enabled: true,
      concurrency: 1,
      retry: { attempts: 5, backoffMs: 2000 },
      timeoutSeconds: 600,
      schedule: { every: '5m' },
    });
    expect(connector.transport.files).toEqual({
      kind: 'sftp',
      host: 'sftp.clearinghouse.example',
      port: 22,
      username: 'riverside',
      password: SFTP_PASSWORD,
      path: '/outbound',
    });
    // The plugin's schema supplies its own defaults.
    expect(connector.config).toEqual({
      apiKey: MAPPED_KEY,
      region: 'us-east',
      pageSize: 100,
      login: { user: 'hub', password: 'nested-secret-value' },
    });
    expect(config.routes).toEqual([{ on: ['claim.created', 'claim.updated'], to: 'riverside-billing' }]);
  });

  it('accepts an empty section, YAML anchors kept under x- keys, and merge keys', async () => {
    const config = await loadConfigText(
      lines(
        'x-billing-defaults: &billing',
        '  tenant: lakeside',
        '  plugin: watcher',
        '  retry: { attempts: 3 }',
        'tenants:',
        '  - { id: lakeside, name: Lakeside Pediatrics }',
        'tokens:',
        '  # none yet',
        'connectors:',
        '  - <<: *billing',
        '    id: lakeside-catalog',
        '    schedule: { cron: "0 6 * * 1-5", timezone: America/Chicago }',
      ),
      options(),
    );
    expect(config.tokens).toEqual([]);
    expect(config).not.toHaveProperty('x-billing-defaults');
    expect(config.connectors[0]).toMatchObject({
      id: 'lakeside-catalog',
      tenant: 'lakeside',
      retry: { attempts: 3, backoffMs: 2000 },
      schedule: { cron: '0 6 * * 1-5', timezone: 'America/Chicago' },
    });
  });
});

describe('substitution', () => {
  it('fills ${env:…}, ${env:…:-default} and ${file:…} relative to the config folder', async () => {
    await writeFile(path.join(dir, 'secret.txt'), 'from-a-file\n\n');
    const config = await loadConfigText(
      lines(
        'hub:',
        '  port: ${env:HUB_PORT:-8181}',
        '  host: ${env:BIND_HOST:-}0.0.0.0',
        '  queuePrefix: ${env:STAGE}-$${literal}',
        'tenants:',
        '  - id: riverside',
        '    name: "${env:STAGE} / ${file:secret.txt}"',
      ),
      options({ env: { STAGE: 'prod' } }),
    ).catch((e: ConfigurationError) => e);
    // `$${literal}` is not a legal queue prefix, which proves it stayed literal.
    expect(config).toBeInstanceOf(ConfigurationError);
    const issues = (config as ConfigurationError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: '/hub/queuePrefix', line: 4 });
    expect(issues[0].message).toContain('found "prod-${literal}"');

    const ok = await loadConfigText(
      lines('hub:', '  port: ${env:HUB_PORT:-8181}', '  host: ${env:BIND_HOST:-}0.0.0.0', 'tenants:', '  - id: riverside', '    name: "${env:STAGE} / ${file:secret.txt}"'),
      options({ env: { STAGE: 'prod' } }),
    );
    expect(ok.hub.port).toBe(8181);
    expect(ok.hub.host).toBe('0.0.0.0');
    // One trailing newline is the editor's; the second was written on purpose.
    expect(ok.tenants[0].name).toBe('prod / from-a-file\n');
  });

  it('reports an unset variable and an unreadable file at their line and column', async () => {
    const error = await failure(
      lines(
        'tenants:',
        '  - id: riverside',
        '    name: Riverside',
        'tokens:',
        '  - name: ops',
        '    token: ${env:MISSING_TOKEN}',
        '    role: admin',
        "    tenants: ['*']",
        'connectors:',
        '  - id: riverside-ehr',
        '    tenant: riverside',
        '    plugin: watcher',
        '    webhook:',
        '      secret: "${file:no-such-secret.txt}"',
      ),
    );
    expect(error.issues).toHaveLength(2);
    expect(at(error.issues, '/tokens/0/token')).toMatchObject({ line: 6, column: 12, file: path.join(dir, 'hub.yaml') });
    expect(at(error.issues, '/tokens/0/token').message).toMatch(/environment variable MISSING_TOKEN is not set/);
    expect(at(error.issues, '/connectors/0/webhook/secret')).toMatchObject({ line: 14, column: 15 });
    expect(at(error.issues, '/connectors/0/webhook/secret').message).toContain('no-such-secret.txt');
    expect(error.message).toContain('hub.yaml:6:12  /tokens/0/token  environment variable MISSING_TOKEN is not set');
  });

  it('reports only the missing variable, not what its unsubstituted text then fails', async () => {
    const error = await failure(
      lines('hub:', '  port: ${env:HUB_PORT}', 'tenants: [{ id: riverside, name: Riverside }]', 'connectors:', '  - { id: ehr, tenant: "${env:TENANT}", plugin: watcher }'),
    );
    expect(error.issues.map((i) => [i.path, i.line])).toEqual([
      ['/hub/port', 2],
      ['/connectors/0/tenant', 5],
    ]);
    expect(error.issues.every((i) => i.message.includes('is not set'))).toBe(true);
  });
});

describe('malformed YAML', () => {
  it('points at a bad indentation', async () => {
    const error = await failure(lines('tenants:', '  - id: riverside', '    name: Riverside', '   npi: "1234567893"'));
    expect(error.issues[0]).toMatchObject({ line: 4 });
    expect(error.issues[0].message).toMatch(/^YAML syntax error: /);
    expect(error.message).toMatch(/hub\.yaml:4:\d+ {2}- {2}YAML syntax error/);
  });

  it('points at the quote that is never closed, not at the end of the file', async () => {
    const error = await failure(lines('tenants:', '  - id: riverside', '    name: "Riverside', 'connectors: []', 'routes: []'));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ line: 3, column: 11 });
    expect(error.issues[0].message).toContain('never closed');
  });

  it('reports an unknown top-level key even when it has no value', async () => {
    const error = await failure(lines('tenants: []', 'conectors:'));
    expect(error.issues).toMatchObject([{ path: '/conectors', line: 2, column: 1, message: 'unknown key "conectors" (did you mean "connectors"?)' }]);
  });

  it('refuses a file that is not a mapping', async () => {
    const error = await failure('- just\n- a list\n');
    expect(error.issues[0]).toMatchObject({ path: '', line: 1 });
  });
});

describe('every problem at once', () => {
  const FIXTURE = lines(
    /*  1 */ 'hub:',
    /*  2 */ '  port: 8080',
    /*  3 */ '  colour: blue',
    /*  4 */ 'tenants:',
    /*  5 */ '  - id: riverside',
    /*  6 */ '    name: Riverside Family Medicine',
    /*  7 */ '  - id: Lakeside_Clinic',
    /*  8 */ '    name: Lakeside',
    /*  9 */ 'tokens:',
    /* 10 */ '  - name: ops',
    /* 11 */ '    token: ${env:OPS_TOKEN}',
    /* 12 */ '    role: operator',
    /* 13 */ '    tenants: [riverside, hilltop]',
    /* 14 */ 'connectors:',
    /* 15 */ '  - id: riverside-ehr',
    /* 16 */ '    tenant: riverside',
    /* 17 */ '    plugin: mapped',
    /* 18 */ '    concurrency: many',
    /* 19 */ '    schedule:',
    /* 20 */ '      every: 5 minutes',
    /* 21 */ '    config:',
    /* 22 */ '      apiKey: ${env:MAPPED_KEY}',
    /* 23 */ '  - id: riverside-ehr',
    /* 24 */ '    tenant: riversde',
    /* 25 */ '    plugin: mapped',
    /* 26 */ '    shedule: { every: 1h }',
    /* 27 */ '    config:',
    /* 28 */ '      apiKey: ${env:MAPPED_KEY}',
    /* 29 */ '      colour: red',
    /* 30 */ '      mode: sometimes',
    /* 31 */ '  - id: billing',
    /* 32 */ '    tenant: riverside',
    /* 33 */ '    plugin: nonexistent',
    /* 34 */ '    schedule: { cron: "0 6 * *" }',
    /* 35 */ 'routes:',
    /* 36 */ '  - on: [patient.updated, Claim-Created]',
    /* 37 */ '    to: riverside-ehr',
    /* 38 */ '  - on: [claim.created]',
    /* 39 */ '    to: billing',
  );

  it('lists them all in one error, each at its own line', async () => {
    const plugins = fakePlugins();
    const error = await failure(FIXTURE, { plugins });
    const issues = error.issues;
    const summary = issues.map((i) => [i.path, i.line, i.column]);

    expect(summary).toEqual([
      ['/hub/colour', 3, 3],
      ['/tenants/1/id', 7, 9],
      ['/tokens/0/tenants/1', 13, 26],
      ['/connectors/0/concurrency', 18, 18],
      ['/connectors/0/schedule/every', 20, 14],
      ['/connectors/1/id', 23, 9],
      ['/connectors/1/tenant', 24, 13],
      ['/connectors/1/shedule', 26, 5],
      ['/connectors/1/config/colour', 29, 7],
      ['/connectors/1/config/mode', 30, 13],
      ['/connectors/2/plugin', 33, 13],
      ['/connectors/2/schedule/cron', 34, 23],
      ['/routes/0/on/0', 36, 10],
      ['/routes/0/on/1', 36, 27],
    ]);

    expect(at(issues, '/hub/colour').message).toContain('unknown key "colour"');
    expect(at(issues, '/tenants/1/id').message).toContain('must be a lowercase id');
    expect(at(issues, '/tokens/0/tenants/1').message).toBe('tenant "hilltop" is not defined (known: riverside, Lakeside_Clinic)');
    expect(at(issues, '/connectors/0/concurrency').message).toBe('must be a whole number, not text');
    expect(at(issues, '/connectors/0/schedule/every').message).toContain('"5 minutes" is not a duration');
    expect(at(issues, '/connectors/1/id').message).toBe('duplicate connector id "riverside-ehr" (first defined at line 15)');
    expect(at(issues, '/connectors/1/tenant').message).toBe('tenant "riversde" is not defined (did you mean "riverside"?)');
    expect(at(issues, '/connectors/1/shedule').message).toBe('unknown key "shedule" (did you mean "schedule"?)');
    expect(at(issues, '/connectors/1/config/mode').message).toBe('must be one of: full, delta (found "sometimes")');
    expect(at(issues, '/connectors/2/plugin').message).toContain('cannot use plugin "nonexistent": no plugin named "nonexistent"');
    expect(at(issues, '/connectors/2/schedule/cron').message).toContain('has 4 fields');
    expect(at(issues, '/routes/0/on/0').message).toBe('connector "riverside-ehr" (plugin mapped) cannot take patient events: it consumes Claim');
    expect(at(issues, '/routes/0/on/1').message).toContain('"Claim-Created" is not an event name');

    // One line per problem, each `file:line:column  path  message`, under a one-line summary.
    const messageLines = error.message.split('\n');
    expect(messageLines[0]).toMatch(/^Invalid configuration in .*hub\.yaml \(14 problems\):$/);
    expect(messageLines).toHaveLength(15);
    expect(messageLines[1]).toMatch(/hub\.yaml:3:3 {2}\/hub\/colour {2}unknown key "colour"/);

    // A plugin is resolved once however many connectors use it.
    expect(plugins.calls.sort()).toEqual(['mapped', 'nonexistent']);
  });

  it('never shows a secret value, even when the secret itself is what is wrong', async () => {
    const spacey = 'has spaces inside the token value';
    const error = await failure(
      lines(
        'hub:',
        '  redisUrl: ${env:REDIS_PASSWORD_URL}',
        'tenants: [{ id: riverside, name: Riverside }]',
        'tokens:',
        '  - { name: ops, token: "${env:SPACEY}", role: admin, tenants: ["*"] }',
        '  - { name: ops-2, token: "${env:OPS_TOKEN}", role: viewer, tenants: ["*"] }',
        '  - { name: ops-3, token: "${env:OPS_TOKEN}", role: viewer, tenants: ["*"] }',
        'connectors:',
        '  - id: riverside-ehr',
        '    tenant: riverside',
        '    plugin: mapped',
        '    config: { apiKey: "${env:MAPPED_KEY}", region: mars }',
      ),
      { env: { SPACEY: spacey, OPS_TOKEN, MAPPED_KEY, REDIS_PASSWORD_URL: 'localhost:6379/s3cr3t-pass' } },
    );
    expect(at(error.issues, '/hub/redisUrl').message).toBe('must be a redis:// or rediss:// URL');
    expect(at(error.issues, '/tokens/0/token').message).toBe('must not contain spaces');
    expect(at(error.issues, '/tokens/2/token').message).toContain('same token as /tokens/1');
    // The plugin's own check echoed the key; the loader scrubbed it.
    expect(at(error.issues, '/connectors/0/config/region').message).toBe('region mars cannot be used with key [redacted]');
    for (const secret of [spacey, OPS_TOKEN, MAPPED_KEY, 's3cr3t-pass']) {
      expect(error.message).not.toContain(secret);
      expect(JSON.stringify(error.issues)).not.toContain(secret);
    }
  });

  it('checks what routes may send where', async () => {
    const error = await failure(
      lines(
        'tenants: [{ id: riverside, name: Riverside }]',
        'connectors:',
        '  - { id: catalog, tenant: riverside, plugin: watcher }',
        '  - { id: billing, tenant: riverside, plugin: mapped, config: { apiKey: "${env:MAPPED_KEY}" } }',
        'routes:',
        '  - { on: ["*"], to: catalog }',
        '  - { on: [claim.*, "*.created"], to: billing, tenants: [lakeside] }',
        '  - { on: [claim.created], to: clearinghouse }',
      ),
    );
    expect(error.issues.map((i) => [i.path, i.line])).toEqual([
      ['/routes/0/on/0', 6],
      ['/routes/1/tenants/0', 7],
      ['/routes/2/to', 8],
    ]);
    expect(at(error.issues, '/routes/0/on/0').message).toContain('consumes no entities');
    expect(at(error.issues, '/routes/2/to').message).toBe('connector "clearinghouse" is not defined (known: catalog, billing)');
  });

  it("lets a route carry every tenant's records only when it says tenants: ['*']", async () => {
    const config = await loadConfigText(
      lines(
        'tenants: [{ id: riverside, name: Riverside }, { id: mso, name: MSO }]',
        'connectors:',
        '  - { id: billing, tenant: mso, plugin: mapped, config: { apiKey: "${env:MAPPED_KEY}" } }',
        'routes:',
        '  - { on: [claim.created], to: billing, tenants: ["*"] }',
      ),
      options({ env: { MAPPED_KEY } }),
    );
    expect(config.routes[0].tenants).toEqual(['*']);
  });
});

describe('redactConfig', () => {
  it('hides every secret, the plugin ones included, and leaves the config untouched', async () => {
    await writeSftpPassword();
    const config = await loadConfigText(VALID, options({ env: { OPS_TOKEN, MAPPED_KEY, REDIS_URL: 'redis://:redis-pass@cache:6379' } }));
    const shown = redactConfig(config);
    const text = JSON.stringify(shown);
    for (const secret of [OPS_TOKEN, MAPPED_KEY, SFTP_PASSWORD, 'nested-secret-value', 'redis-pass']) expect(text).not.toContain(secret);
    expect(shown.tokens[0].token).toBe('[redacted]');
    expect(shown.connectors[0].config).toMatchObject({ apiKey: '[redacted]', login: { user: 'hub', password: '[redacted]' } });
    expect(shown.hub.redisUrl).toBe('[redacted]');
    expect(shown.connectors[0].transport.files).toMatchObject({ password: '[redacted]', username: 'riverside' });
    expect(config.tokens[0].token).toBe(OPS_TOKEN);
  });

  it('registers the secrets with the redactor that logs and API answers use', async () => {
    await writeSftpPassword();
    const redactor = new Redactor();
    await loadConfigText(VALID, options({ redactor }));
    expect(redactor.redactString(`Authorization: Bearer ${OPS_TOKEN}; key=${MAPPED_KEY}; pw=${SFTP_PASSWORD}`)).toBe(
      'Authorization: Bearer [redacted]; key=[redacted]; pw=[redacted]',
    );
  });
});

describe('environment overrides', () => {
  it('lets PORT, HOST, REDIS_URL, DATABASE_URL and LOG_LEVEL win over the file', async () => {
    await writeSftpPassword();
    const config = await loadConfigText(
      VALID,
      options({
        env: {
          OPS_TOKEN,
          MAPPED_KEY,
          PORT: '3000',
          HOST: '0.0.0.0',
          REDIS_URL: 'redis://cache:6379',
          DATABASE_URL: 'postgres://hub@db/hub',
          LOG_LEVEL: 'debug',
        },
      }),
    );
    expect(config.hub).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      redisUrl: 'redis://cache:6379',
      databaseUrl: 'postgres://hub@db/hub',
      logLevel: 'debug',
    });
  });

  it('names the variable when an override is wrong', async () => {
    const error = await failure('tenants: []\n', { env: { PORT: 'eighty', LOG_LEVEL: 'loud' } });
    expect(error.issues).toEqual([
      { path: '/hub/port', message: 'must be a whole number, not text (set by the PORT environment variable)' },
      {
        path: '/hub/logLevel',
        message: 'must be one of: fatal, error, warn, info, debug, trace, silent (found "loud") (set by the LOG_LEVEL environment variable)',
      },
    ]);
    expect(error.message).toContain('(environment)  /hub/port  must be a whole number');
  });
});

describe('loadConfig', () => {
  it('reads the file and resolves ${file:…} beside it', async () => {
    await writeSftpPassword();
    const file = path.join(dir, 'hub.yaml');
    await writeFile(file, VALID);
    const config = await loadConfig({ file, env: { OPS_TOKEN, MAPPED_KEY }, plugins: fakePlugins(), redactor: new Redactor() });
    expect(config.sourceFile).toBe(file);
    expect(config.connectors[0].transport.files).toMatchObject({ password: SFTP_PASSWORD });
  });

  it('says so when the file is missing', async () => {
    const file = path.join(dir, 'missing.yaml');
    const error = await loadConfig({ file, plugins: fakePlugins(), redactor: new Redactor() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toContain('cannot read the configuration file: no such file');
  });
});
