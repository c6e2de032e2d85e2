import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { constants } from 'node:crypto';

export type JwtAlgorithm = 'RS384' | 'ES384';

export interface SigningKey {
  key: KeyObject;
  algorithm: JwtAlgorithm;
  keyId: string;
}

/** SMART Backend Services caps an assertion's life at five minutes; a little less absorbs clock drift. */
const ASSERTION_LIFETIME_SECONDS = 240;
const MIN_RSA_BITS = 2048;

/**
 * Loads the private key and checks it suits the algorithm. Problems are described without a
 * word of the key text, which is a secret.
 *
 * @returns the key, or the reason it is unusable.
 */
export function loadSigningKey(privateKey: string | KeyObject, keyId: string, algorithm?: JwtAlgorithm): SigningKey | string {
  let key: KeyObject;
  try {
    key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  } catch {
    return 'is not a readable PEM private key';
  }
  if (key.type !== 'private') return 'must be a private key';
  const kind = key.asymmetricKeyType;
  if (kind === 'rsa') {
    if (algorithm !== undefined && algorithm !== 'RS384') return `is an RSA key, which cannot sign ${algorithm}`;
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return `is an RSA key shorter than ${MIN_RSA_BITS} bits`;
    return { key, algorithm: 'RS384', keyId };
  }
  if (kind === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'secp384r1') return `is an EC key on ${curve ?? 'an unknown curve'}; ES384 needs P-384`;
    if (algorithm !== undefined && algorithm !== 'ES384') return `is a P-384 EC key, which cannot sign ${algorithm}`;
    return { key, algorithm: 'ES384', keyId };
  }
  return `is a ${kind ?? 'unknown'} key; RS384 needs RSA and ES384 needs EC P-384`;
}

/**
 * The client assertion of SMART Backend Services (RFC 7523 profile): iss = sub = client id,
 * aud = the token URL, a fresh jti so the server can refuse replays, exp within five minutes.
 */
export function signClientAssertion(signingKey: SigningKey, clientId: string, tokenUrl: string, nowMs: number): string {
  const header = { alg: signingKey.algorithm, kid: signingKey.keyId, typ: 'JWT' };
  const issuedAt = Math.floor(nowMs / 1000);
  const payload = { iss: clientId, sub: clientId, aud: tokenUrl, jti: randomUUID(), exp: issuedAt + ASSERTION_LIFETIME_SECONDS };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature =
    signingKey.algorithm === 'ES384'
      ? // JOSE wants the raw r||s pair (RFC 7518 §3.4), not the DER node signs by default.
        sign('sha384', Buffer.from(signingInput), { key: signingKey.key, dsaEncoding: 'ieee-p1363' })
      : sign('sha384', Buffer.from(signingInput), { key: signingKey.key, padding: constants.RSA_PKCS1_PADDING });
  return `${signingInput}.${signature.toString('base64url')}`;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
