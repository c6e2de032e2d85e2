import { ConfigurationError, InputError } from '../../core/errors.js';
import type { SearchParams } from 'fhir-kit-client';
import type { FhirSearchParams } from './types.js';

const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;
/** FHIR R4 id datatype. */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** A resource type goes into a URL path: anything but a plain type name could reach another endpoint. */
export function checkResourceType(resourceType: unknown, operation: string): asserts resourceType is string {
  if (typeof resourceType !== 'string' || !RESOURCE_TYPE.test(resourceType)) {
    throw new ConfigurationError(`fhir ${operation}: resourceType must be a FHIR resource type name such as Patient`, [
      { path: 'resourceType', message: 'must be a FHIR resource type name' },
    ]);
  }
}

/** An id goes into a URL path too. */
export function checkId(id: unknown, option: string, operation: string): asserts id is string {
  if (typeof id !== 'string' || !FHIR_ID.test(id)) {
    throw new ConfigurationError(`fhir ${operation}: ${option} must be a FHIR id (letters, digits, "-" and ".")`, [
      { path: option, message: 'must be a FHIR id' },
    ]);
  }
}

/** A resource to write must at least say its type; its contents are the server's to judge. */
export function checkResourceToWrite(resource: unknown, operation: string): asserts resource is { resourceType: string } {
  const type = (resource as { resourceType?: unknown } | null)?.resourceType;
  if (resource === null || typeof resource !== 'object' || typeof type !== 'string' || !RESOURCE_TYPE.test(type)) {
    throw new InputError(`fhir ${operation}: the resource has no valid resourceType`, [{ path: 'resourceType', message: 'is required' }]);
  }
}

export function toKitParams(params: FhirSearchParams): SearchParams {
  const result: SearchParams = {};
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    result[name] = Array.isArray(value) ? [...(value as Array<string | number | boolean>)] : (value as string | number | boolean);
  }
  return result;
}

/** `identifier=a|b&_lastUpdated=gt2024` or a params object, as search params; a string may start with `?`. */
export function parseCriteria(criteria: string | FhirSearchParams, operation: string): SearchParams {
  if (typeof criteria !== 'string') return toKitParams(criteria);
  const result: SearchParams = {};
  for (const [name, value] of new URLSearchParams(criteria.replace(/^\?/, ''))) {
    const existing = result[name];
    if (existing === undefined) result[name] = value;
    else result[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  if (Object.keys(result).length === 0) {
    throw new ConfigurationError(`fhir ${operation}: the search criteria are empty; they must identify the resource`, [
      { path: 'criteria', message: 'must not be empty' },
    ]);
  }
  return result;
}

export function queryString(params: SearchParams): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) query.append(name, String(item));
  }
  return query.toString();
}

/**
 * A path or link against the FHIR base, extending its path (`…/fhir/r4` + `Patient` →
 * `…/fhir/r4/Patient`) as fhir-kit-client does; absolute URLs stay as they are.
 */
export function resolveOnBase(baseUrl: URL, pathOrUrl: string): URL {
  if (/^https?:\/\//i.test(pathOrUrl)) return new URL(pathOrUrl);
  const base = baseUrl.href.replace(/\/+$/, '');
  return new URL(`${base}/${pathOrUrl.replace(/^\/+/, '')}`);
}

export function sameOrigin(a: URL, b: URL): boolean {
  return a.origin === b.origin;
}
