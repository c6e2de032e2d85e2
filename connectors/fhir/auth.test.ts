import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, ConfigurationError } from '../../core/errors.js';
import { generateClientKey } from './testing/fake-fhir-server.js';
import { syntheaSample } from './testing/synthea.js';
import { BASE_URL, collect, failure, harness, useMockNetwork } from './test-support.js';

const network = useMockNetwork();
const es384 = generateClientKey('ES384');
const rs384 = generateClientKey('RS384');
const smartClients = [
  { clientId: 'mso-hub', publicKey: es384.publicKey, keyId: 'hub-es384-2024', algorithm: 'ES384' as const },
  { clientId: 'mso-hub-rsa', publicKey: rs384.publicKey, keyId: 'hub-rs384-2024', algorithm: 'RS384' as const },
];
const smartAuth = {
  kind: 'smart-backend' as const,
  clientId: 'mso-hub',
  privateKey: es384.privateKeyPem,
  keyId: 'hub-es384-2024',
  scope: 'system/Patient.rs system/Encounter.rs',
};

describe('SMART Backend Services', () => {
  it('discovers the token URL, signs an ES384 assertion the server verifies, and reuses the token', async () => {
    const { fhir, ehr } = harness(network, { resources: syntheaSample(), auth: { smartClients } }, { auth: smartAuth });

    expect(await collect(fhir.search('Patient', { _count: 5 }))).toHaveLength(13);
    expect(await fhir.read('Practitioner', '0965e26a-8bc3-395f-b7b0-4620fb6e778c')).toMatchObject({ resourceType: 'Practitioner' });
    expect(await collect(fhir.search('Encounter', { _count: 50 }))).toHaveLength(24);

    expect(ehr.tokensIssued).toBe(1);
    expect(ehr.requests.filter((request) => request.url.includes('smart-configuration'))).toHaveLength(1);
  });

  it('signs RS384 with an explicit token URL', async () => {
    const { fhir, ehr } = harness(
      network,
      { resources: syntheaSample(['Patient']), auth: { smartClients } },
      {
        auth: {
          kind: 'smart-backend',
          clientId: 'mso-hub-rsa',
          privateKey: rs384.privateKeyPem,
          keyId: 'hub-rs384-2024',
          algorithm: 'RS384',
          scope: 'system/*.rs',
          tokenUrl: 'https://ehr.example/oauth2/token',
        },
      },
    );
    expect(await collect(fhir.search('Patient', { _count: 20 }))).toHaveLength(13);
    expect(ehr.requests.some((request) => request.url.includes('smart-configuration'))).toBe(false);
  });

  it('shares one token request among concurrent requests', async () => {
    const { fhir, ehr } = harness(network, { resources: syntheaSample(['Patient']), auth: { smartClients } }, { auth: smartAuth });
    const ids = syntheaSample(['Patient']).map((patient) => patient.id!);

    const read = await Promise.all(ids.map((id) => fhir.read('Patient', id)));

    expect(read.map((patient) => patient.id)).toEqual(ids);
    expect(ehr.tokensIssued).toBe(1);
  });

  it('fetches a new token before the old one runs out, without a 401 on the way', async () => {
    const { fhir, ehr, clock } = harness(
      network,
      { resources: syntheaSample(['Patient']), auth: { smartClients, tokenLifetimeSeconds: 300 } },
      { auth: smartAuth },
    );
    await collect(fhir.search('Patient', { _count: 20 }));
    clock.advance(290_000);

    await collect(fhir.search('Patient', { _count: 20 }));

    expect(ehr.tokensIssued).toBe(2);
  });

  it('refreshes once when the server says the token expired, then succeeds', async () => {
    const { fhir, ehr } = harness(network, { resources: syntheaSample(['Patient']), auth: { smartClients } }, { auth: smartAuth });
    await collect(fhir.search('Patient', { _count: 20 }));
    ehr.expireTokens();

    expect(await collect(fhir.search('Patient', { _count: 20 }))).toHaveLength(13);
    expect(ehr.tokensIssued).toBe(2);
  });

  it('gives an AuthenticationError when the server refuses a fresh token too', async () => {
    const { fhir, ehr } = harness(network, { resources: syntheaSample(['Patient']), auth: { smartClients } }, { auth: smartAuth });
    ehr.failNext({ status: 401, times: 2 });

    const error = await failure(collect(fhir.search('Patient')));

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain('answered 401 again with a freshly issued access token');
    expect((error as AuthenticationError).retryable).toBe(false);
    expect(ehr.tokensIssued).toBe(2);
  });

  it('reports an assertion signed with a key the EHR does not know', async () => {
    const stranger = generateClientKey('ES384');
    const { fhir } = harness(
      network,
      { auth: { smartClients } },
      { auth: { ...smartAuth, privateKey: stranger.privateKeyPem } },
    );

    const error = await failure(fhir.read('Patient', 'p1'));

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain('token request to https://ehr.example/oauth2/token was refused (401 invalid_client');
    expect(error.message).toContain('signature does not verify');
  });

  it('asks for auth.tokenUrl when the server publishes no smart-configuration', async () => {
    const { fhir } = harness(network, { auth: { smartClients } }, { auth: smartAuth });
    network.use(http.get(`${BASE_URL}/.well-known/smart-configuration`, () => HttpResponse.json({}, { status: 404 })));

    const error = await failure(fhir.read('Patient', 'p1'));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).issues[0].path).toBe('auth.tokenUrl');
  });

  it('retries a token endpoint that is briefly unavailable', async () => {
    const { fhir, ehr, clock } = harness(network, { resources: syntheaSample(['Patient']), auth: { smartClients } }, { auth: smartAuth });
    let refusals = 1;
    network.use(
      http.post('https://ehr.example/oauth2/token', () => {
        if (refusals-- > 0) return HttpResponse.json({ error: 'temporarily_unavailable' }, { status: 503, headers: { 'retry-after': '1' } });
        return undefined;
      }),
    );

    expect(await fhir.read('Patient', syntheaSample(['Patient'])[0].id!)).toMatchObject({ resourceType: 'Patient' });
    expect(clock.sleeps).toContain(1000);
    expect(ehr.tokensIssued).toBe(1);
  });
});

describe('client secret', () => {
  it('gets a token with HTTP Basic client credentials', async () => {
    const { fhir, ehr } = harness(
      network,
      { resources: syntheaSample(['Organization']), auth: { clientSecrets: { 'billing-sync': 's3cr3t/with:odd chars' } } },
      { auth: { kind: 'client-secret', clientId: 'billing-sync', clientSecret: 's3cr3t/with:odd chars', scope: 'system/*.rs' } },
    );
    expect(await collect(fhir.search('Organization'))).toHaveLength(4);
    expect(ehr.tokensIssued).toBe(1);
  });

  it('reports a wrong secret as an AuthenticationError without the secret in it', async () => {
    const { fhir } = harness(
      network,
      { auth: { clientSecrets: { 'billing-sync': 'the-right-one' } } },
      { auth: { kind: 'client-secret', clientId: 'billing-sync', clientSecret: 'Wr0ng-S3cret-Value' } },
    );

    const error = await failure(fhir.read('Patient', 'p1'));

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain('invalid_client');
    expect(error.message).not.toContain('Wr0ng-S3cret-Value');
  });
});

describe('bearer token', () => {
  it('sends a static token', async () => {
    const { fhir, ehr } = harness(
      network,
      { resources: syntheaSample(['Patient']), auth: { bearerTokens: ['static-token-0001'] } },
      { auth: { kind: 'bearer', token: 'static-token-0001' } },
    );
    expect(await collect(fhir.search('Patient', { _count: 20 }))).toHaveLength(13);
    expect(ehr.tokensIssued).toBe(0);
  });

  it('cannot refresh a refused static token: the first 401 is final', async () => {
    const { fhir, ehr } = harness(network, { auth: { bearerTokens: ['the-valid-token'] } }, { auth: { kind: 'bearer', token: 'a-revoked-token' } });

    const error = await failure(fhir.read('Patient', 'p1'));

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain('the configured bearer token was refused');
    expect(ehr.requests.filter((request) => request.url.includes('/Patient/'))).toHaveLength(1);
  });

  it('says so when the server wants a token and none is configured', async () => {
    const { fhir } = harness(network, { auth: { bearerTokens: ['the-valid-token'] } });
    const error = await failure(fhir.read('Patient', 'p1'));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain('none is configured');
  });
});
