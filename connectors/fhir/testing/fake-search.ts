import type { FhirResource } from '../types.js';

/** Resource types the fake EHR serves, besides any type it was seeded with. */
export const SUPPORTED_TYPES = [
  'Patient', 'Practitioner', 'PractitionerRole', 'Organization', 'Location', 'Encounter', 'Coverage',
  'Claim', 'ChargeItem', 'ExplanationOfBenefit', 'CoverageEligibilityResponse', 'Group',
];

/** Search parameters the fake server understands, for every type; anything else is refused with a 400, as strict servers do. */
export const COMMON_SEARCH_PARAMS = ['_id', '_lastUpdated', 'identifier'];
/** For types that point at a patient (Encounter.subject, Coverage.beneficiary …). */
export const PATIENT_SEARCH_PARAM = 'patient';
/** Parameters that shape the result rather than filter it. */
export const RESULT_PARAMS = ['_count', '_sort'];

export class SearchRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Criterion {
  name: string;
  value: string;
}

/**
 * Compiles criteria into a predicate, refusing unknown parameters and bad values as a server would
 * (400 with an OperationOutcome); several criteria are ANDed, commas within one value ORed.
 */
export function compileCriteria(resourceType: string, criteria: Criterion[]): (resource: FhirResource) => boolean {
  const tests = criteria.map(({ name, value }) => {
    if (name === '_id') {
      const ids = value.split(',');
      return (resource: FhirResource) => ids.includes(resource.id ?? '');
    }
    if (name === '_lastUpdated') {
      const test = compileDateComparison(value);
      return (resource: FhirResource) => {
        const at = Date.parse(resource.meta?.lastUpdated ?? '');
        return !Number.isNaN(at) && test(at);
      };
    }
    if (name === 'identifier') {
      const tokens = value.split(',').map(parseToken);
      return (resource: FhirResource) => {
        const identifiers = Array.isArray(resource.identifier) ? (resource.identifier as Array<{ system?: string; value?: string }>) : [];
        return tokens.some((token) =>
          identifiers.some(
            (identifier) =>
              (token.system === undefined || (identifier.system ?? '') === token.system) && (token.value === '' || identifier.value === token.value),
          ),
        );
      };
    }
    if (name === PATIENT_SEARCH_PARAM && resourceType !== 'Patient') {
      const ids = value.split(',').map((reference) => reference.replace(/^Patient\//, ''));
      return (resource: FhirResource) => {
        const patient = patientOf(resource);
        return patient !== undefined && ids.includes(patient);
      };
    }
    throw new SearchRefusal(
      'not-supported',
      `Unknown search parameter "${name}" for resource type "${resourceType}". Valid search parameters for this search are: [${[
        ...COMMON_SEARCH_PARAMS,
        ...(resourceType === 'Patient' ? [] : [PATIENT_SEARCH_PARAM]),
      ].join(', ')}]`,
    );
  });
  return (resource) => tests.every((test) => test(resource));
}

/** The patient a resource belongs to (subject, patient or beneficiary reference), as an id. */
export function patientOf(resource: FhirResource): string | undefined {
  if (resource.resourceType === 'Patient') return resource.id;
  for (const field of ['subject', 'patient', 'beneficiary']) {
    const reference = (resource[field] as { reference?: unknown } | undefined)?.reference;
    if (typeof reference === 'string' && reference.startsWith('Patient/')) return reference.slice('Patient/'.length);
  }
  return undefined;
}

function parseToken(token: string): { system?: string; value: string } {
  const bar = token.indexOf('|');
  return bar === -1 ? { value: token } : { system: token.slice(0, bar), value: token.slice(bar + 1) };
}

const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le'] as const;

/**
 * FHIR date search (R4 §3.1.1.4.8): the parameter is a range at its precision (a day covers the
 * whole day); `gt` means after the range ends, `ge` from its start, and so on.
 */
export function compileDateComparison(raw: string): (at: number) => boolean {
  const prefix = PREFIXES.find((candidate) => raw.startsWith(candidate));
  const text = prefix ? raw.slice(2) : raw;
  const range = dateRange(text);
  if (!range) throw new SearchRefusal('invalid', `Invalid date/time format: "${text}"`);
  const [start, end] = range;
  switch (prefix ?? 'eq') {
    case 'gt':
      return (at) => at >= end;
    case 'ge':
      return (at) => at >= start;
    case 'lt':
      return (at) => at < start;
    case 'le':
      return (at) => at < end;
    case 'ne':
      return (at) => at < start || at >= end;
    default:
      return (at) => at >= start && at < end;
  }
}

function dateRange(text: string): [number, number] | undefined {
  let match = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(text);
  if (match) {
    const [, year, month, day] = match;
    const start = Date.UTC(Number(year), month ? Number(month) - 1 : 0, day ? Number(day) : 1);
    const end = day
      ? Date.UTC(Number(year), Number(month) - 1, Number(day) + 1)
      : month
        ? Date.UTC(Number(year), Number(month), 1)
        : Date.UTC(Number(year) + 1, 0, 1);
    return [start, end];
  }
  match = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!match) return undefined;
  const start = Date.parse(text);
  if (Number.isNaN(start)) return undefined;
  // Precision decides the width: to the minute, second, or finer.
  const width = match[2] ? 1 : match[1] ? 1000 : 60_000;
  return [start, start + width];
}
