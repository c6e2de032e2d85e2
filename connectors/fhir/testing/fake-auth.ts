import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';

/** A SMART Backend Services client as the EHR registers it: its public key and key id. */
export interface FakeSmartClient {
  clientId: string;
  publicKey: KeyObject | string;
  keyId: string;
  algorithm: 'RS384' | 'ES384';
}

export interface FakeAuthSettings {
  tokenUrl: string;
  smartClients: FakeSmartClient[];
  clientSecrets: Record<string, string>;
  bearerTokens: string[];
  tokenLifetimeSeconds: number;
  now: () => number;
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** SMART Backend Services: an assertion may live five minutes; a few seconds of skew are forgiven. */
const MAX_ASSERTION_LIFETIME_S = 300;
const SKEW_S = 5;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Generates a client key pair for tests: the private key as PEM, as a deployment's secret file would hold it. */
export function generateClientKey(algorithm: 'RS384' | 'ES384' = 'ES384'): { privateKeyPem: string; publicKey: KeyObject } {
  const pair =
    algorithm === 'ES384'
      ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: pair.publicKey };
}

/**
 * The authorization server of the fake EHR: client credentials by signed JWT assertion (signature
 * checked with the registered public key, aud, exp, jti replay) or by HTTP Basic secret, and
 * short-lived bearer tokens that `expireAll` can revoke at once.
 */
export class FakeAuthServer {
  private readonly issued = new Map<string, number>();
  private readonly seenJti = new Set<string>();
  tokensIssued = 0;

  constructor(private readonly settings: FakeAuthSettings) {}

  get enabled(): boolean {
    const { smartClients, clientSecrets, bearerTokens } = this.settings;
    return smartClients.length > 0 || Object.keys(clientSecrets).length > 0 || bearerTokens.length > 0;
  }

  /** Whether an API request's Authorization header carries a live token. */
  accepts(authorization: string | null): boolean {
    if (!this.enabled) return true;
    const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) return false;
    if (this.settings.bearerTokens.includes(token)) return true;
    const expiresAt = this.issued.get(token);
    return expiresAt !== undefined && this.settings.now() < expiresAt;
  }

  expireAll(): void {
    for (const token of this.issued.keys()) this.issued.set(token, 0);
  }

  token(form: URLSearchParams, authorization: string | null): TokenAnswer {
    if (form.get('grant_type') !== 'client_credentials') {
      return refuse(400, 'unsupported_grant_type', 'only client_credentials is supported');
    }
    const assertionType = form.get('client_assertion_type');
    let clientId: string | undefined;
    if (assertionType !== null) {
      if (assertionType !== ASSERTION_TYPE) return refuse(400, 'invalid_request', 'unsupported client_assertion_type');
      if (!form.get('scope')) return refuse(400, 'invalid_scope', 'scope is required');
      const checked = this.checkAssertion(form.get('client_assertion') ?? '');
      if (typeof checked !== 'string') return checked;
      clientId = checked;
    } else {
      const basic = /^Basic (.+)$/i.exec(authorization ?? '')?.[1];
      if (basic === undefined) return refuse(401, 'invalid_client', 'client authentication is required');
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
      if (colon === -1 || this.settings.clientSecrets[id] === undefined || this.settings.clientSecrets[id] !== secret) {
        return refuse(401, 'invalid_client', 'client authentication failed');
      }
      clientId = id;
    }
    const accessToken = `fake-at-${randomBytes(16).toString('hex')}`;
    this.issued.set(accessToken, this.settings.now() + this.settings.tokenLifetimeSeconds * 1000);
    this.tokensIssued++;
    return {
      status: 200,
      body: { access_token: accessToken, token_type: 'bearer', expires_in: this.settings.tokenLifetimeSeconds, scope: form.get('scope') ?? 'system/*.rs', client_id: clientId },
    };
  }

  /** @returns the client id, or the refusal. */
  private checkAssertion(assertion: string): string | TokenAnswer {
    const parts = assertion.split('.');
    if (parts.length !== 3) return refuse(401, 'invalid_client', 'client_assertion is not a JWT');
    let header: { alg?: unknown; kid?: unknown };
    let payload: { iss?: unknown; sub?: unknown; aud?: unknown; exp?: unknown; jti?: unknown };
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
      payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return refuse(401, 'invalid_client', 'client_assertion is not a JWT');
    }
    const client = this.settings.smartClients.find((candidate) => candidate.clientId === payload.iss);
    if (!client || payload.sub !== payload.iss) return refuse(401, 'invalid_client', 'unknown client (iss and sub must be the client id)');
    if (header.alg !== client.algorithm || header.kid !== client.keyId) {
      return refuse(401, 'invalid_client', 'no registered key matches the alg and kid of the assertion');
    }
    const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audience.includes(this.settings.tokenUrl)) return refuse(401, 'invalid_client', 'aud must be the token URL');
    const nowS = this.settings.now() / 1000;
    if (typeof payload.exp !== 'number' || payload.exp < nowS - SKEW_S) return refuse(401, 'invalid_client', 'the assertion has expired');
    if (payload.exp > nowS + MAX_ASSERTION_LIFETIME_S + SKEW_S) return refuse(401, 'invalid_client', 'exp is more than five minutes ahead');
    if (typeof payload.jti !== 'string' || this.seenJti.has(payload.jti)) return refuse(401, 'invalid_client', 'jti is missing or was used before');
    const key = typeof client.publicKey === 'string' ? createPublicKey(client.publicKey) : client.publicKey;
    const signature = Buffer.from(parts[2], 'base64url');
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    const valid =
      client.algorithm === 'ES384'
        ? verify('sha384', signed, { key, dsaEncoding: 'ieee-p1363' }, signature)
        : verify('sha384', signed, key, signature);
    if (!valid) return refuse(401, 'invalid_client', 'the assertion signature does not verify with the registered key');
    this.seenJti.add(payload.jti);
    return client.clientId;
  }
}

function refuse(status: number, error: string, description: string): TokenAnswer {
  return { status, body: { error, error_description: description } };
}
