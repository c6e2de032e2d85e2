import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigurationError } from '../../core/errors.js';

export type HmacAlgorithm = 'sha256' | 'sha1' | 'sha512';
export type SignatureEncoding = 'hex' | 'base64';

export interface SignHmacOptions {
  secret: string;
  /** The exact bytes received or sent; re-serialised JSON would not match. */
  rawBody: string | Uint8Array;
  algorithm: HmacAlgorithm;
  encoding: SignatureEncoding;
  /** Written before the digest in the header value, e.g. `sha256=` (GitHub) or `v1=` (Stripe-style). */
  prefix?: string;
  /** Unix seconds; when given the signed payload is `${timestamp}.${body}`. */
  timestamp?: string;
}

export interface VerifyHmacOptions {
  secret: string;
  rawBody: string | Uint8Array;
  /** The signature header as received; it may hold several values separated by commas or spaces. */
  signature: string | undefined;
  algorithm: HmacAlgorithm;
  encoding: SignatureEncoding;
  /** Only header values starting with it are considered, and it is stripped before comparing. */
  prefix?: string;
  /**
   * The timestamp header as received (unix seconds). Setting this key, even to `undefined`,
   * means a timestamp header is configured: it is then required, signed and checked for age.
   */
  timestamp?: string | undefined;
  /** Largest accepted distance between the timestamp and now. @defaultValue 300 */
  toleranceSeconds?: number;
  /** Current time in milliseconds since the epoch, for tests. @defaultValue Date.now() */
  now?: number;
}

export type HmacVerification = { ok: true } | { ok: false; reason: string };

const ALGORITHMS: ReadonlySet<string> = new Set(['sha256', 'sha1', 'sha512']);
const ENCODINGS: ReadonlySet<string> = new Set(['hex', 'base64']);
const DEFAULT_TOLERANCE_SECONDS = 300;

/** The signature header value a sender would put on `rawBody`. */
export function signHmac(options: SignHmacOptions): string {
  checkOptions('signHmac', options);
  const digest = digestOf(options.secret, options.algorithm, signedPayload(options.rawBody, options.timestamp));
  return `${options.prefix ?? ''}${digest.toString(options.encoding)}`;
}

/**
 * Checks an inbound webhook's HMAC signature in constant time. Returns a specific reason on
 * failure, for the operator's log; a caller answers every failure with the same 401 so the
 * reason never helps an attacker.
 *
 * @throws ConfigurationError when the secret, algorithm, encoding or tolerance is unusable.
 */
export function verifyHmacSignature(options: VerifyHmacOptions): HmacVerification {
  checkOptions('verifyHmacSignature', options);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new ConfigurationError('verifyHmacSignature: toleranceSeconds must be a non-negative number', [
      { path: 'toleranceSeconds', message: 'must be a non-negative number' },
    ]);
  }

  const header = options.signature?.trim();
  if (!header) return { ok: false, reason: 'missing signature header' };

  const timestampConfigured = 'timestamp' in options;
  let timestamp: string | undefined;
  if (timestampConfigured) {
    timestamp = options.timestamp?.trim();
    if (!timestamp) return { ok: false, reason: 'missing timestamp' };
    if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'invalid timestamp (expected unix seconds)' };
    const nowSeconds = (options.now ?? Date.now()) / 1000;
    if (Math.abs(nowSeconds - Number(timestamp)) > tolerance) {
      return { ok: false, reason: `timestamp outside tolerance (${tolerance}s)` };
    }
  }

  const expected = digestOf(options.secret, options.algorithm, signedPayload(options.rawBody, timestamp));
  let matched = false;
  for (const candidate of candidatesOf(header, options.prefix)) {
    const received = decodeDigest(candidate, options.encoding);
    // Length is public (it follows from the algorithm), so checking it first leaks nothing.
    if (received !== undefined && received.length === expected.length && timingSafeEqual(received, expected)) {
      matched = true;
    }
  }
  return matched ? { ok: true } : { ok: false, reason: 'signature does not match' };
}

function checkOptions(caller: string, options: SignHmacOptions | VerifyHmacOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError(`${caller}: options are required`);
  }
  if (typeof options.secret !== 'string' || options.secret.length === 0) {
    throw new ConfigurationError(`${caller}: secret must be a non-empty string`, [
      { path: 'secret', message: 'must be a non-empty string' },
    ]);
  }
  if (!ALGORITHMS.has(options.algorithm)) {
    throw new ConfigurationError(`${caller}: algorithm must be one of sha256, sha1, sha512`, [
      { path: 'algorithm', message: 'must be one of sha256, sha1, sha512' },
    ]);
  }
  if (!ENCODINGS.has(options.encoding)) {
    throw new ConfigurationError(`${caller}: encoding must be hex or base64`, [
      { path: 'encoding', message: 'must be hex or base64' },
    ]);
  }
  if (options.prefix !== undefined && typeof options.prefix !== 'string') {
    throw new ConfigurationError(`${caller}: prefix must be a string`, [{ path: 'prefix', message: 'must be a string' }]);
  }
}

function signedPayload(rawBody: string | Uint8Array, timestamp: string | undefined): Uint8Array {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return timestamp === undefined ? body : Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), body]);
}

function digestOf(secret: string, algorithm: HmacAlgorithm, payload: Uint8Array): Buffer {
  return createHmac(algorithm, secret).update(payload).digest();
}

/**
 * Header values a sender may have meant as a signature. Senders rotate secrets by sending several
 * (`v1=a v1=b`), and some put a scheme before the digest (`sha256=…`) without us configuring it,
 * so without a prefix both the whole value and the part after `name=` are tried.
 */
function candidatesOf(header: string, prefix: string | undefined): string[] {
  const values = header.split(/[\s,]+/).filter((value) => value.length > 0);
  if (prefix) {
    return values.filter((value) => value.startsWith(prefix)).map((value) => value.slice(prefix.length));
  }
  const candidates: string[] = [];
  for (const value of values) {
    candidates.push(value);
    const scheme = /^[A-Za-z0-9_-]+=(.+)$/.exec(value);
    if (scheme) candidates.push(scheme[1]);
  }
  return candidates;
}

function decodeDigest(value: string, encoding: SignatureEncoding): Buffer | undefined {
  if (encoding === 'hex') {
    // Buffer.from silently drops bad hex, so it is checked first.
    return /^(?:[0-9a-fA-F]{2})+$/.test(value) ? Buffer.from(value, 'hex') : undefined;
  }
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : undefined;
}
