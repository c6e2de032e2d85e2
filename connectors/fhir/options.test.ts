import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../core/errors.js';
import { createFhirClient } from './client.js';
import type { FhirClientOptions } from './types.js';

function problem(options: unknown): ConfigurationError {
  try {
    createFhirClient(options as FhirClientOptions);
  } catch (error) {
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('createFhirClient options', () => {
  it.each([
    [{}, 'baseUrl', 'baseUrl is required'],
    [{ baseUrl: 'ftp://ehr.example/fhir' }, 'baseUrl', 'must be an absolute http(s) URL'],
    [{ baseUrl: 'https://user:pw@ehr.example/fhir' }, 'baseUrl', 'must not carry credentials'],
    [{ baseUrl: 'https://ehr.example/fhir', timeoutMs: 0 }, 'timeoutMs', 'must be an integer'],
    [{ baseUrl: 'https://ehr.example/fhir', retries: -1 }, 'retries', 'must be an integer'],
    [{ baseUrl: 'https://ehr.example/fhir', rateLimit: { maxRequests: 0, perSeconds: 1 } }, 'rateLimit.maxRequests', 'must be an integer'],
    [{ baseUrl: 'https://ehr.example/fhir', rateLimit: { maxRequests: 5, perSeconds: 0 } }, 'rateLimit.perSeconds', 'must be a positive number'],
    [{ baseUrl: 'https://ehr.example/fhir', auth: { kind: 'oauth' } }, 'auth.kind', "must be 'smart-backend'"],
    [{ baseUrl: 'https://ehr.example/fhir', auth: { kind: 'bearer', token: '' } }, 'auth.token', 'is required'],
    [{ baseUrl: 'https://ehr.example/fhir', auth: { kind: 'client-secret', clientId: 'hub' } }, 'auth.clientSecret', 'is required'],
    [
      { baseUrl: 'https://ehr.example/fhir', auth: { kind: 'smart-backend', clientId: 'hub', keyId: 'k', scope: 's' } },
      'auth.privateKey',
      'is required',
    ],
    [
      { baseUrl: 'https://ehr.example/fhir', auth: { kind: 'client-secret', clientId: 'hub', clientSecret: 'x', tokenUrl: 'token' } },
      'auth.tokenUrl',
      'must be an absolute http(s) URL',
    ],
  ])('names the option at fault: %j', (options, path, message) => {
    const error = problem(options);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.issues[0].path).toBe(path);
    expect(error.message).toContain(message);
  });

  it('accepts a minimal open-server configuration', () => {
    expect(createFhirClient({ baseUrl: 'https://ehr.example/fhir/r4/' }).baseUrl).toBe('https://ehr.example/fhir/r4/');
  });
});
