import { createRequire } from 'node:module';
import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { createFhirClient } from './client.js';
import { generateClientKey } from './testing/fake-fhir-server.js';
import { syntheaSample } from './testing/synthea.js';
import { BASE_URL, collect, failure, harness, useMockNetwork } from './test-support.js';

const network = useMockNetwork();
const key = generateClientKey('ES384');
const CLIENT_SECRET = 'cs-9f8e7d6c5b4a-never-print-me';
const BEARER = 'bt-0123456789abcdef-never-print-me';

/** Every Authorization header sent, so issued access tokens count as secrets too. */
const sentCredentials = new Set<string>();
network.events.on('request:start', ({ request }) => {
  const authorization = request.headers.get('authorization');
  if (authorization) sentCredentials.add(authorization.replace(/^(Bearer|Basic) /i, ''));
});

function everythingSaidAbout(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const value = current as Error & { toJSON?: () => unknown; issues?: unknown };
    parts.push(String(value.message), String(value.stack), JSON.stringify(value.toJSON?.() ?? {}), JSON.stringify(value.issues ?? []));
  }
  return parts.join('\n');
}

function expectNoSecrets(error: unknown): void {
  const text = everythingSaidAbout(error);
  const secrets = [CLIENT_SECRET, BEARER, ...sentCredentials, ...key.privateKeyPem.split('\n').filter((line) => line.length > 20)];
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('secrets never appear in errors', () => {
  it('holds for every way authentication can fail', async () => {
    const errors: unknown[] = [];

    const wrongSecret = harness(network, { auth: { clientSecrets: { hub: 'other' } } }, { auth: { kind: 'client-secret', clientId: 'hub', clientSecret: CLIENT_SECRET } });
    errors.push(await failure(wrongSecret.fhir.read('Patient', 'p1')));

    const refusedTwice = harness(
      network,
      { auth: { clientSecrets: { hub: CLIENT_SECRET } } },
      { auth: { kind: 'client-secret', clientId: 'hub', clientSecret: CLIENT_SECRET } },
    );
    refusedTwice.ehr.failNext({ status: 401, times: 2 });
    errors.push(await failure(refusedTwice.fhir.read('Patient', 'p1')));

    const revoked = harness(network, { auth: { bearerTokens: ['another'] } }, { auth: { kind: 'bearer', token: BEARER } });
    errors.push(await failure(revoked.fhir.read('Patient', 'p1')));

    const unknownKey = harness(
      network,
      { auth: { smartClients: [{ clientId: 'hub', publicKey: generateClientKey('ES384').publicKey, keyId: 'k', algorithm: 'ES384' }] } },
      { auth: { kind: 'smart-backend', clientId: 'hub', privateKey: key.privateKeyPem, keyId: 'k', scope: 'system/*.rs' } },
    );
    errors.push(await failure(unknownKey.fhir.read('Patient', 'p1')));

    expect(sentCredentials.size).toBeGreaterThan(2);
    expect(errors).toHaveLength(4);
    for (const error of errors) expectNoSecrets(error);
  });

  it('holds when a server quotes the secret or the token back in its error text', async () => {
    const echoing = harness(network, {}, { auth: { kind: 'client-secret', clientId: 'hub', clientSecret: CLIENT_SECRET } });
    network.use(
      http.post(echoing.ehr.tokenUrl, () =>
        HttpResponse.json({ error: 'invalid_client', error_description: `secret ${CLIENT_SECRET} does not match` }, { status: 401 }),
      ),
    );
    const tokenError = await failure(echoing.fhir.read('Patient', 'p1'));
    expect(tokenError.message).toContain('secret *** does not match');
    expectNoSecrets(tokenError);

    const quoting = harness(network, { auth: { bearerTokens: [BEARER] } }, { auth: { kind: 'bearer', token: BEARER } });
    network.use(
      http.get(`${BASE_URL}/Patient`, () =>
        HttpResponse.json(
          { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: `Request with Bearer ${BEARER} rejected: bad _count` }] },
          { status: 400 },
        ),
      ),
    );
    const outcomeError = await failure(collect(quoting.fhir.search('Patient', { _count: 'x' })));
    expect(outcomeError.message).toContain('bad _count');
    expectNoSecrets(outcomeError);
  });

  it('holds for configuration errors about keys and secrets', () => {
    const broken = key.privateKeyPem.replace(/[A-Za-z]{10}/, 'XXXXXXXXXX');
    let error: unknown;
    try {
      createFhirClient({ baseUrl: BASE_URL, auth: { kind: 'smart-backend', clientId: 'hub', privateKey: broken, keyId: 'k', scope: 's' } });
    } catch (caught) {
      error = caught;
    }
    expect(String((error as Error).message)).toContain('auth.privateKey is not a readable PEM private key');
    for (const line of broken.split('\n').filter((text) => text.length > 20)) expect(everythingSaidAbout(error)).not.toContain(line);
  });
});

describe('secrets never appear in logs', () => {
  const debug = createRequire(import.meta.resolve('fhir-kit-client'))('debug') as {
    enable(namespaces: string): void;
    disable(): string;
    log: (...args: unknown[]) => void;
  };
  const originalLog = debug.log;
  afterEach(() => {
    debug.log = originalLog;
    debug.disable();
  });

  it("keeps fhir-kit-client's debug logger (URLs with search values, headers, error bodies) quiet even when DEBUG asks for it", async () => {
    const printed: string[] = [];
    debug.log = (...args: unknown[]) => printed.push(args.map(String).join(' '));
    debug.enable('fhir-kit-client:*');

    const { fhir } = harness(network, { resources: syntheaSample(['Patient']), auth: { bearerTokens: [BEARER] } }, { auth: { kind: 'bearer', token: BEARER } });
    expect(await collect(fhir.search('Patient', { _count: 5 }))).toHaveLength(13);
    await failure(fhir.read('Patient', 'no-such-patient'));

    expect(printed).toEqual([]);
  });
});
