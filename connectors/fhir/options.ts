import { KeyObject } from 'node:crypto';
import { ConfigurationError } from '../../core/errors.js';
import type { CheckedAuth } from './auth.js';
import { loadSigningKey } from './jwt.js';
import { systemClock } from './timing.js';
import type { Clock, FhirClientOptions } from './types.js';

export interface Settings {
  baseUrl: URL;
  description: string;
  auth: CheckedAuth;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  maxRetryAfterMs: number;
  rateLimit: { maxRequests: number; perSeconds: number } | undefined;
  exportPollIntervalMs: number;
  maxExportPollIntervalMs: number;
  clock: Clock;
}

/**
 * Checks every option at once and names the first one that is wrong. Secret values (keys,
 * secrets, tokens) are only ever described, never quoted.
 *
 * @throws ConfigurationError
 */
export function checkOptions(options: FhirClientOptions): Settings {
  if (options === null || typeof options !== 'object') throw invalid('baseUrl', 'is required (options must be an object)');
  const baseUrl = httpUrl('baseUrl', options.baseUrl, true)!;
  const description = options.description === undefined ? `fhir ${baseUrl.href.replace(/\/+$/, '')}` : text('description', options.description);
  let rateLimit: Settings['rateLimit'];
  if (options.rateLimit !== undefined) {
    if (options.rateLimit === null || typeof options.rateLimit !== 'object') throw invalid('rateLimit', 'must be { maxRequests, perSeconds }');
    rateLimit = {
      maxRequests: integer('rateLimit.maxRequests', options.rateLimit.maxRequests, undefined, 1, 1_000_000),
      perSeconds: positive('rateLimit.perSeconds', options.rateLimit.perSeconds, undefined),
    };
  }
  const clock = options.clock ?? systemClock;
  if (typeof clock?.now !== 'function' || typeof clock.sleep !== 'function') throw invalid('clock', 'must have now() and sleep()');
  return {
    baseUrl,
    description,
    auth: checkAuth(options.auth),
    timeoutMs: integer('timeoutMs', options.timeoutMs, 30_000, 1, 3_600_000),
    retries: integer('retries', options.retries, 3, 0, 20),
    backoffMs: integer('backoffMs', options.backoffMs, 500, 0, 600_000),
    maxRetryAfterMs: integer('maxRetryAfterMs', options.maxRetryAfterMs, 60_000, 0, 86_400_000),
    rateLimit,
    exportPollIntervalMs: integer('exportPollIntervalMs', options.exportPollIntervalMs, 5_000, 0, 86_400_000),
    maxExportPollIntervalMs: integer('maxExportPollIntervalMs', options.maxExportPollIntervalMs, 600_000, 0, 86_400_000),
    clock,
  };
}

function checkAuth(auth: FhirClientOptions['auth']): CheckedAuth {
  if (auth === undefined) return { kind: 'none' };
  if (auth === null || typeof auth !== 'object') throw invalid('auth', "must be an object with kind 'smart-backend', 'client-secret', 'bearer' or 'none'");
  switch (auth.kind) {
    case 'none':
      return { kind: 'none' };
    case 'bearer':
      return { kind: 'bearer', token: secret('auth.token', auth.token) };
    case 'client-secret':
      return {
        kind: 'client-secret',
        clientId: text('auth.clientId', auth.clientId),
        clientSecret: secret('auth.clientSecret', auth.clientSecret),
        scope: auth.scope === undefined ? undefined : text('auth.scope', auth.scope),
        tokenUrl: httpUrl('auth.tokenUrl', auth.tokenUrl, false),
      };
    case 'smart-backend': {
      const clientId = text('auth.clientId', auth.clientId);
      const keyId = text('auth.keyId', auth.keyId);
      if (auth.algorithm !== undefined && auth.algorithm !== 'RS384' && auth.algorithm !== 'ES384') {
        throw invalid('auth.algorithm', "must be 'RS384' or 'ES384'");
      }
      if (!(auth.privateKey instanceof KeyObject) && (typeof auth.privateKey !== 'string' || auth.privateKey.trim() === '')) {
        throw invalid('auth.privateKey', 'is required (PEM text or a KeyObject)');
      }
      const signingKey = loadSigningKey(auth.privateKey, keyId, auth.algorithm);
      if (typeof signingKey === 'string') throw invalid('auth.privateKey', signingKey);
      return {
        kind: 'smart-backend',
        clientId,
        signingKey,
        scope: text('auth.scope', auth.scope),
        tokenUrl: httpUrl('auth.tokenUrl', auth.tokenUrl, false),
      };
    }
    default:
      throw invalid('auth.kind', "must be 'smart-backend', 'client-secret', 'bearer' or 'none'");
  }
}

function httpUrl(option: string, value: unknown, required: boolean): URL | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw invalid(option, 'is required (an absolute http(s) URL)');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(option, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(option, 'must be an absolute http(s) URL');
  if (url.username || url.password) throw invalid(option, 'must not carry credentials; use auth');
  if (url.search || url.hash) throw invalid(option, 'must not have a query or fragment');
  return url;
}

function text(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(option, 'must be a non-empty string');
  return value;
}

function secret(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(option, 'is required (a non-empty string)');
  return value;
}

function integer(option: string, value: unknown, fallback: number | undefined, min: number, max: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(option, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function positive(option: string, value: unknown, fallback: number | undefined): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw invalid(option, 'must be a positive number');
  return value;
}

function invalid(option: string, problem: string): ConfigurationError {
  return new ConfigurationError(`fhir client: ${option} ${problem}`, [{ path: option, message: `${option} ${problem}` }]);
}
