/**
 * What the write-back mappers share: the hub-owned identifier systems that make a write
 * idempotent, canonical references turned into FHIR references, and money. Pure functions only.
 */
import type { FhirResource } from '../../../connectors/fhir/index.js';

/** A canonical record's link to another record (`{ system, id }` as emitted). */
export interface RecordRef {
  system: string;
  id: string;
}

/** What a mapper needs to know about the connector and what the deliver job read for it. */
export interface WriteBackContext {
  /** Names the hub-owned identifier systems: `urn:mso-hub:<connectorId>:<kind>`. */
  connectorId: string;
  /** This EHR's namespace: a ref `{ <externalSystem>, 'Patient/123' }` is `Patient/123` on its server. */
  externalSystem: string;
  /** The system member ids are written under when no Patient or Coverage reference resolves (the first of `memberIdSystems`). */
  memberIdSystem?: string;
}

export interface FhirIdentifier {
  system: string;
  value: string;
  type?: { coding: Array<{ system: string; code: string }> };
}

/** FHIR Reference (R4 §2.3.0): a literal reference, a logical one by identifier, or a display. */
export interface FhirReference {
  reference?: string;
  identifier?: FhirIdentifier;
  display?: string;
}

/** One resource to write, with the business identifier its conditional create/update matches on. */
export interface WriteBack {
  resource: FhirResource;
  identifier: { system: string; value: string };
}

/**
 * What a record becomes: resources to write, and why parts of it cannot be written (FHIR element
 * paths, never values: they may be PHI). A record with problems is rejected; what could be
 * mapped is still written.
 */
export interface WriteBackPlan {
  writes: WriteBack[];
  problems: string[];
}

export const NPI_SYSTEM = 'http://hl7.org/fhir/sid/us-npi';
const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';

/** A system the hub owns, stable per connector, so a repeat of a write finds what the first made. */
export function hubSystem(context: WriteBackContext, kind: string): string {
  return `urn:mso-hub:${context.connectorId}:${kind}`;
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * `{ <externalSystem>, '<Type>/<id>' }` (how the sync keys what it read from this EHR) as a
 * literal reference on the same server; anything else (another system's record, another type) is
 * not something this server knows by id.
 */
export function literalReference(ref: RecordRef | undefined, type: string, context: WriteBackContext): FhirReference | undefined {
  if (!ref || ref.system !== context.externalSystem) return undefined;
  const [refType, id, ...rest] = ref.id.split('/');
  if (refType !== type || id === undefined || rest.length > 0 || !FHIR_ID.test(id)) return undefined;
  return { reference: `${type}/${id}` };
}

/** A logical reference by member id (v2-0203 `MB`), when the connector names the system member ids belong to. */
export function memberReference(memberId: string | undefined, context: WriteBackContext): FhirReference | undefined {
  if (memberId === undefined || context.memberIdSystem === undefined) return undefined;
  return { identifier: { type: { coding: [{ system: V2_0203, code: 'MB' }] }, system: context.memberIdSystem, value: memberId } };
}

/** The payer as `insurer`: a literal reference when it is an Organization of this EHR, always its name, and its payer id. */
export function insurerReference(
  payer: { name: string; payerId?: string; organization?: RecordRef },
  context: WriteBackContext,
): FhirReference {
  return {
    ...literalReference(payer.organization, 'Organization', context),
    ...(payer.payerId !== undefined ? { identifier: { system: 'urn:mso-hub:payer-id', value: payer.payerId } } : {}),
    display: payer.name,
  };
}

/** An organization or practitioner by NPI (with its name when known). */
export function npiReference(npi: string, name?: string): FhirReference {
  return { identifier: { system: NPI_SYSTEM, value: npi }, ...(name !== undefined ? { display: name } : {}) };
}

/** FHIR Money; X12 amounts are always US dollars. */
export function money(value: number): { value: number; currency: 'USD' } {
  return { value, currency: 'USD' };
}

export function codeable(system: string, code: string, display?: string): { coding: Array<{ system: string; code: string; display?: string }> } {
  return { coding: [{ system, code, ...(display !== undefined ? { display } : {}) }] };
}

/** Drops undefined members so resources compare (and read) cleanly. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}
