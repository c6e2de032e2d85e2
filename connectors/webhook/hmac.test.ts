import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../core/errors.js';
import { signHmac, verifyHmacSignature } from './hmac.js';

const secret = 'whsec_test_payroll_4f1c';
const payrollEvent = JSON.stringify({
  event_id: 'evt_01HX3K5Q0Z',
  type: 'payroll.processed',
  company_id: 'c0a8f1e2',
  data: { payroll_id: 'pr_2024_05_15', pay_date: '2024-05-15' },
});
const now = Date.UTC(2024, 4, 15, 12, 0, 0);
const nowSeconds = String(now / 1000);

describe('verifyHmacSignature', () => {
  it('accepts a GitHub-style header (sha256=<hex>) computed independently', () => {
    const digest = createHmac('sha256', secret).update(payrollEvent).digest('hex');
    const result = verifyHmacSignature({
      secret,
      rawBody: payrollEvent,
      signature: `sha256=${digest}`,
      algorithm: 'sha256',
      encoding: 'hex',
      prefix: 'sha256=',
    });
    expect(result).toEqual({ ok: true });
  });

  it('accepts a base64 signature with no prefix', () => {
    const signature = createHmac('sha512', secret).update(payrollEvent).digest('base64');
    expect(
      verifyHmacSignature({ secret, rawBody: payrollEvent, signature, algorithm: 'sha512', encoding: 'base64' }),
    ).toEqual({ ok: true });
  });

  it('accepts a Stripe-style timestamped header, any of several values matching', () => {
    const good = signHmac({ secret, rawBody: payrollEvent, algorithm: 'sha256', encoding: 'hex', timestamp: nowSeconds });
    const rotatedOut = signHmac({
      secret: 'old-secret',
      rawBody: payrollEvent,
      algorithm: 'sha256',
      encoding: 'hex',
      timestamp: nowSeconds,
    });
    const result = verifyHmacSignature({
      secret,
      rawBody: payrollEvent,
      signature: `t=${nowSeconds},v1=${rotatedOut}, v1=${good} v0=deadbeef`,
      algorithm: 'sha256',
      encoding: 'hex',
      prefix: 'v1=',
      timestamp: nowSeconds,
      now,
    });
    expect(result).toEqual({ ok: true });
  });

  it('signs `${timestamp}.${body}` when a timestamp is configured', () => {
    const expected = createHmac('sha256', secret).update(`${nowSeconds}.${payrollEvent}`).digest('hex');
    expect(signHmac({ secret, rawBody: payrollEvent, algorithm: 'sha256', encoding: 'hex', timestamp: nowSeconds })).toBe(
      expected,
    );
  });

  it('rejects a tampered body', () => {
    const signature = signHmac({ secret, rawBody: payrollEvent, algorithm: 'sha256', encoding: 'hex' });
    const tampered = payrollEvent.replace('2024-05-15"}', '2024-05-16"}');
    expect(
      verifyHmacSignature({ secret, rawBody: tampered, signature, algorithm: 'sha256', encoding: 'hex' }),
    ).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('rejects a signature made with another secret, algorithm or of the wrong length', () => {
    const base = { secret, rawBody: payrollEvent, algorithm: 'sha256', encoding: 'hex' } as const;
    const otherSecret = signHmac({ ...base, secret: 'guess' });
    const otherAlgorithm = signHmac({ ...base, algorithm: 'sha1' });
    const truncated = signHmac(base).slice(0, 40);
    for (const signature of [otherSecret, otherAlgorithm, truncated, 'not-hex!', 'v1=']) {
      expect(verifyHmacSignature({ ...base, signature })).toEqual({ ok: false, reason: 'signature does not match' });
    }
  });

  it('ignores values without the configured prefix', () => {
    const digest = signHmac({ secret, rawBody: payrollEvent, algorithm: 'sha256', encoding: 'hex' });
    expect(
      verifyHmacSignature({
        secret,
        rawBody: payrollEvent,
        signature: `v0=${digest}`,
        algorithm: 'sha256',
        encoding: 'hex',
        prefix: 'v1=',
      }),
    ).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('names a missing signature header', () => {
    for (const signature of [undefined, '', '   ']) {
      expect(
        verifyHmacSignature({ secret, rawBody: payrollEvent, signature, algorithm: 'sha256', encoding: 'hex' }),
      ).toEqual({ ok: false, reason: 'missing signature header' });
    }
  });

  it('names a missing timestamp when one is configured', () => {
    const signature = signHmac({ secret, rawBody: payrollEvent, algorithm: 'sha256', encoding: 'hex' });
    expect(
      verifyHmacSignature({
        secret,
        rawBody: payrollEvent,
        signature,
        algorithm: 'sha256',
        encoding: 'hex',
        timestamp: undefined,
        now,
      }),
    ).toEqual({ ok: false, reason: 'missing timestamp' });
  });

  it('rejects a replayed event whose timestamp is outside the tolerance, even with a valid signature', () => {
    const old = String(now / 1000 - 301);
    const signature = signHmac({ secret, rawBody: payrollEvent, algorithm: 'sha256', encoding: 'hex', timestamp: old });
    const verify = (toleranceSeconds?: number) =>
      verifyHmacSignature({
        secret,
        rawBody: payrollEvent,
        signature,
        algorithm: 'sha256',
        encoding: 'hex',
        timestamp: old,
        toleranceSeconds,
        now,
      });
    expect(verify()).toEqual({ ok: false, reason: 'timestamp outside tolerance (300s)' });
    expect(verify(600)).toEqual({ ok: true });
  });

  it('rejects a timestamp that is not unix seconds', () => {
    expect(
      verifyHmacSignature({
        secret,
        rawBody: payrollEvent,
        signature: 'abc',
        algorithm: 'sha256',
        encoding: 'hex',
        timestamp: '2024-05-15T12:00:00Z',
        now,
      }),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/invalid timestamp/) });
  });

  it('does not accept a signature over the body alone when a timestamp is configured', () => {
    const bodyOnly = signHmac({ secret, rawBody: payrollEvent, algorithm: 'sha256', encoding: 'hex' });
    expect(
      verifyHmacSignature({
        secret,
        rawBody: payrollEvent,
        signature: bodyOnly,
        algorithm: 'sha256',
        encoding: 'hex',
        timestamp: nowSeconds,
        now,
      }),
    ).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('verifies raw bytes that are not valid UTF-8', () => {
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const signature = signHmac({ secret, rawBody: body, algorithm: 'sha1', encoding: 'base64' });
    expect(verifyHmacSignature({ secret, rawBody: body, signature, algorithm: 'sha1', encoding: 'base64' })).toEqual({
      ok: true,
    });
  });

  it('throws a configuration error naming a bad option', () => {
    const base = { rawBody: '{}', signature: 'x', algorithm: 'sha256', encoding: 'hex' } as const;
    expect(() => verifyHmacSignature({ ...base, secret: '' })).toThrow(ConfigurationError);
    expect(() => verifyHmacSignature({ ...base, secret: '' })).toThrow(/secret/);
    expect(() => verifyHmacSignature({ ...base, secret, algorithm: 'md5' as 'sha256' })).toThrow(/algorithm/);
    expect(() => verifyHmacSignature({ ...base, secret, encoding: 'utf8' as 'hex' })).toThrow(/encoding/);
    expect(() => verifyHmacSignature({ ...base, secret, toleranceSeconds: -1 })).toThrow(/toleranceSeconds/);
  });
});
