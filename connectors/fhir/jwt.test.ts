import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadSigningKey, signClientAssertion, type SigningKey } from './jwt.js';
import { generateClientKey } from './testing/fake-fhir-server.js';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const TOKEN_URL = 'https://ehr.example/oauth2/token';
// RSA key generation is slow: one pair serves every RSA case.
const rsa = generateClientKey('RS384');

function decode(jwt: string) {
  const [header, payload, signature] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString()),
    signature: Buffer.from(signature, 'base64url'),
    signed: Buffer.from(`${header}.${payload}`),
  };
}

describe('client assertion', () => {
  it('signs ES384 as JOSE wants it: raw r||s of 96 bytes, verifiable with the public key', () => {
    const { privateKeyPem, publicKey } = generateClientKey('ES384');
    const key = loadSigningKey(privateKeyPem, 'kid-1') as SigningKey;

    const jwt = decode(signClientAssertion(key, 'mso-hub', TOKEN_URL, NOW));

    expect(jwt.header).toEqual({ alg: 'ES384', kid: 'kid-1', typ: 'JWT' });
    expect(jwt.signature).toHaveLength(96);
    expect(verify('sha384', jwt.signed, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jwt.signature)).toBe(true);
  });

  it('signs RS384 verifiably', () => {
    const { privateKeyPem, publicKey } = rsa;
    const jwt = decode(signClientAssertion(loadSigningKey(privateKeyPem, 'rsa-1') as SigningKey, 'mso-hub', TOKEN_URL, NOW));
    expect(jwt.header.alg).toBe('RS384');
    expect(verify('sha384', jwt.signed, publicKey, jwt.signature)).toBe(true);
  });

  it('claims what SMART Backend Services asks: iss = sub = client, aud = token URL, fresh jti, exp within five minutes', () => {
    const key = loadSigningKey(generateClientKey('ES384').privateKeyPem, 'k') as SigningKey;
    const first = decode(signClientAssertion(key, 'mso-hub', TOKEN_URL, NOW)).payload;
    const second = decode(signClientAssertion(key, 'mso-hub', TOKEN_URL, NOW)).payload;

    expect(first).toMatchObject({ iss: 'mso-hub', sub: 'mso-hub', aud: TOKEN_URL });
    expect(first.exp).toBeGreaterThan(NOW / 1000);
    expect(first.exp).toBeLessThanOrEqual(NOW / 1000 + 300);
    expect(first.jti).not.toBe(second.jti);
  });
});

describe('loadSigningKey', () => {
  it('infers the algorithm from the key', () => {
    expect((loadSigningKey(generateClientKey('ES384').privateKeyPem, 'k') as SigningKey).algorithm).toBe('ES384');
    expect((loadSigningKey(rsa.privateKeyPem, 'k') as SigningKey).algorithm).toBe('RS384');
  });

  it('explains keys that cannot sign, without quoting them', () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const shortRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const ed = generateKeyPairSync('ed25519').privateKey;
    const rsaPem = rsa.privateKeyPem;

    expect(loadSigningKey(p256, 'k')).toBe('is an EC key on prime256v1; ES384 needs P-384');
    expect(loadSigningKey(shortRsa, 'k')).toBe('is an RSA key shorter than 2048 bits');
    expect(loadSigningKey(ed, 'k')).toMatch(/is a ed25519 key/);
    expect(loadSigningKey(rsaPem, 'k', 'ES384')).toBe('is an RSA key, which cannot sign ES384');
    expect(loadSigningKey('-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----', 'k')).toBe('is not a readable PEM private key');
    expect(loadSigningKey(createPublicKey(rsaPem), 'k')).toBe('must be a private key');
  });
});
