import { randomUUID, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useMockNetwork } from '../test-support.js';
import { createFakeFhirServer, generateClientKey } from './fake-fhir-server.js';
import { createManualClock } from './manual-clock.js';
import { syntheaSample } from './synthea.js';

const network = useMockNetwork();
const BASE = 'https://ehr.example/fhir';
const key = generateClientKey('ES384');

function assertion(claims: Record<string, unknown>, header: Record<string, unknown> = {}, privateKey = key.privateKeyPem): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: 'ES384', kid: 'k1', typ: 'JWT', ...header })}.${encode(claims)}`;
  return `${input}.${sign('sha384', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

function setup() {
  const clock = createManualClock();
  const ehr = createFakeFhirServer({
    baseUrl: BASE,
    resources: syntheaSample(),
    now: clock.now,
    auth: { smartClients: [{ clientId: 'hub', publicKey: key.publicKey, keyId: 'k1', algorithm: 'ES384' }], tokenLifetimeSeconds: 60 },
  });
  network.use(...ehr.handlers);
  const claims = () => ({ iss: 'hub', sub: 'hub', aud: ehr.tokenUrl, jti: randomUUID(), exp: Math.floor(clock.now() / 1000) + 240 });
  const requestToken = async (jwt: string) => {
    const response = await fetch(ehr.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'system/*.rs',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: jwt,
      }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { ehr, clock, claims, requestToken };
}

describe('fake FHIR server', () => {
  it('issues a token for a well-signed assertion and refuses a replay, a wrong aud, a far exp and a foreign key', async () => {
    const { claims, requestToken, clock } = setup();
    const good = claims();

    expect(await requestToken(assertion(good))).toMatchObject({ status: 200, body: { token_type: 'bearer', expires_in: 60 } });
    expect((await requestToken(assertion(good))).body.error_description).toContain('jti');
    expect((await requestToken(assertion({ ...claims(), aud: 'https://elsewhere.example/token' }))).body.error_description).toContain('aud');
    expect((await requestToken(assertion({ ...claims(), exp: Math.floor(clock.now() / 1000) + 3600 }))).body.error_description).toContain('five minutes');
    expect((await requestToken(assertion(claims(), {}, generateClientKey('ES384').privateKeyPem))).body.error_description).toContain('signature');
    expect((await requestToken(assertion(claims(), { kid: 'other' }))).status).toBe(401);
  });

  it('lets a token lapse by its own clock', async () => {
    const { ehr, claims, requestToken, clock } = setup();
    const token = (await requestToken(assertion(claims()))).body.access_token as string;
    const read = () => fetch(`${BASE}/Patient/79a66c97-6131-3213-f3c9-4606946ab056`, { headers: { authorization: `Bearer ${token}` } });

    expect((await read()).status).toBe(200);
    clock.advance(61_000);
    const expired = await read();
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('invalid_token');
    expect(ehr.tokensIssued).toBe(1);
  });

  it('answers searches like a server: totals, _count=0, sort order, bad dates refused', async () => {
    const { claims, requestToken } = setup();
    const token = (await requestToken(assertion(claims()))).body.access_token as string;
    const get = async (path: string) => {
      const response = await fetch(`${BASE}/${path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    expect((await get('Patient?_count=0')).body).toMatchObject({ resourceType: 'Bundle', total: 13, entry: [] });
    const byPatient = await get('Encounter?patient=Patient/79a66c97-6131-3213-f3c9-4606946ab056&_count=50');
    expect(byPatient.body.total).toBe(2);
    const bad = await get('Patient?_lastUpdated=gtyesterday');
    expect(bad).toMatchObject({ status: 400, body: { resourceType: 'OperationOutcome', issue: [{ code: 'invalid' }] } });
    expect(await get('Patinet')).toMatchObject({ status: 404, body: { issue: [{ code: 'not-supported' }] } });
  });

  it('refuses a bulk kick-off without Prefer: respond-async, and serves files only with a token', async () => {
    const { ehr, claims, requestToken } = setup();
    const token = (await requestToken(assertion(claims()))).body.access_token as string;
    const auth = { authorization: `Bearer ${token}` };

    const synchronous = await fetch(`${BASE}/$export`, { headers: auth });
    expect(synchronous.status).toBe(400);

    const kickoff = await fetch(`${BASE}/$export?_type=Organization`, { headers: { ...auth, prefer: 'respond-async' } });
    expect(kickoff.status).toBe(202);
    const status = kickoff.headers.get('content-location')!;
    ehr.configureExport({ polls: 1 });
    const manifest = (await (await fetch(status, { headers: auth })).json()) as { output: Array<{ url: string; count: number }> };
    expect(manifest.output).toEqual([expect.objectContaining({ type: 'Organization', count: 4 })]);

    expect((await fetch(manifest.output[0].url)).status).toBe(401);
    const file = await (await fetch(manifest.output[0].url, { headers: auth })).text();
    expect(file.trim().split('\n')).toHaveLength(4);
  });
});
