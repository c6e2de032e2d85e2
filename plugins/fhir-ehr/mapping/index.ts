/**
 * FHIR R4 (US Core) resources to canonical records: the pure mapping layer of the fhir-ehr
 * plugin. No I/O: a resource (or a bundle) in, records or reasons out. Nothing here throws on bad
 * input; every outcome names FHIR element paths and never quotes values, which may be PHI.
 */
import { CHARGE_ITEM_NOT_MAPPED, mapClaim } from './claim.js';
import { mapCoverage } from './coverage.js';
import { Element, isObject, type JsonObject } from './element.js';
import { mapEncounter } from './encounter.js';
import { KnownRecords } from './known-records.js';
import { mapLocation, mapOrganization } from './organization.js';
import { mapPatient } from './patient.js';
import { PRACTITIONER_ROLE_NOT_MAPPED, mapPractitioner } from './practitioner.js';
import { indexBundle, isFhirId, type BundleIndex } from './references.js';
import { R4_RESOURCE_TYPES } from './resource-types.js';
import { Scope } from './scope.js';
import type { MappedEntity, MappedRecord, MappedResource, MappingContext } from './types.js';

export type * from './types.js';
export { coverageOf, filledFields, mappableFields, type FieldCoverage } from './field-coverage.js';

type Mapper = (resource: Element, scope: Scope, id: string) => MappedRecord[];

const MAPPERS: Record<string, { entity: MappedEntity; map: Mapper }> = {
  Patient: { entity: 'Patient', map: mapPatient },
  Practitioner: { entity: 'Practitioner', map: mapPractitioner },
  Organization: { entity: 'Organization', map: mapOrganization },
  Location: { entity: 'Location', map: mapLocation },
  Coverage: { entity: 'Coverage', map: mapCoverage },
  Encounter: { entity: 'Encounter', map: mapEncounter },
  Claim: { entity: 'Claim', map: mapClaim },
};

/** Resource types the plugin reads and deliberately maps to nothing, with why. */
const NOT_MAPPED: Record<string, string> = {
  PractitionerRole: PRACTITIONER_ROLE_NOT_MAPPED,
  ChargeItem: CHARGE_ITEM_NOT_MAPPED,
  Bundle: 'Bundle: its entries are mapped one by one (mapBundle), not the bundle itself',
};

/** The resource types that can become canonical records. */
export const mappedResourceTypes: readonly string[] = Object.keys(MAPPERS);

/**
 * Maps one FHIR resource. `bundle` is the index of the bundle it came in (from `mapBundle`), so
 * references to resources in the same bundle resolve and their content can fill the record.
 * `known` holds canonical records already in the store (a Claim's Patient and Coverage synced
 * before, see `partyLookupsOf`), read only when a target is neither contained nor in the bundle.
 */
export function mapResource(resource: unknown, context: MappingContext, bundle?: BundleIndex, known?: KnownRecords): MappedResource {
  if (!isObject(resource)) return { outcome: 'rejected', reasons: ['resource: expected a JSON object'] };
  const resourceType = resource.resourceType;
  if (typeof resourceType !== 'string' || resourceType === '') {
    return { outcome: 'rejected', reasons: ['resourceType: missing; not a FHIR resource'] };
  }
  if (!R4_RESOURCE_TYPES.has(resourceType)) {
    // The type is source text that failed a check; naming it could quote anything.
    return { outcome: 'rejected', reasons: ['resourceType: not a FHIR R4 resource type'] };
  }
  const rawId = resource.id;
  const id = typeof rawId === 'string' && isFhirId(rawId) ? rawId : undefined;
  const notMapped = NOT_MAPPED[resourceType];
  if (notMapped) return { outcome: 'not-mapped', resourceType, ...(id ? { id } : {}), reason: notMapped };
  const mapper = MAPPERS[resourceType];
  if (!mapper) {
    return {
      outcome: 'not-mapped',
      resourceType,
      ...(id ? { id } : {}),
      reason: `${resourceType}: not a resource type the fhir-ehr mapping reads (it maps ${mappedResourceTypes.join(', ')})`,
    };
  }

  const root = new Element(resource, resourceType, []);
  const scope = new Scope(root, context, mapper.entity, bundle, known);
  if (id === undefined) {
    scope.reject(`${resourceType}.id`, rawId === undefined ? `required: the record is keyed by ${resourceType}/<id>` : 'not a FHIR id (1-64 letters, digits, - and .)');
  }
  const records = mapper.map(root, scope, id ?? '');
  if (scope.reasons.length > 0 || id === undefined) {
    return {
      outcome: 'rejected',
      resourceType,
      ...(id ? { id, externalId: scope.refs.key(resourceType, id) } : {}),
      entity: mapper.entity,
      // What was left out along the way often explains the reason (a wrong type read as absent).
      reasons: [...scope.reasons, ...scope.problems],
    };
  }
  return { outcome: 'mapped', resourceType, id, records, problems: scope.problems };
}

export interface MappedEntry {
  /** Position of the entry in `Bundle.entry`. */
  entry: number;
  result: MappedResource;
}

/**
 * Maps every entry of a Bundle (transaction, batch, searchset, collection): each resource is mapped
 * with the others in reach, so `urn:uuid` references resolve and a Claim can read its Patient and
 * Coverage. An unusable entry is rejected on its own; the rest still map.
 */
export function mapBundle(bundle: unknown, context: MappingContext): { entries: MappedEntry[]; reasons: string[] } {
  if (!isObject(bundle) || bundle.resourceType !== 'Bundle') {
    return { entries: [], reasons: ['resourceType: expected a Bundle'] };
  }
  if (bundle.entry === undefined) return { entries: [], reasons: [] };
  if (!Array.isArray(bundle.entry)) return { entries: [], reasons: ['Bundle.entry: expected an array'] };
  const usable: { index: number; fullUrl?: string; resource: JsonObject }[] = [];
  const entries: MappedEntry[] = [];
  bundle.entry.forEach((entry: unknown, index) => {
    const resource = isObject(entry) ? entry.resource : undefined;
    if (!isObject(entry) || !isObject(resource)) {
      entries.push({ entry: index, result: { outcome: 'rejected', reasons: [`Bundle.entry[${index}].resource: expected a resource`] } });
      return;
    }
    const fullUrl = typeof entry.fullUrl === 'string' ? entry.fullUrl : undefined;
    usable.push({ index, resource, ...(fullUrl ? { fullUrl } : {}) });
  });
  const index = indexBundle(usable);
  for (const { index: entry, resource } of usable) entries.push({ entry, result: mapResource(resource, context, index) });
  entries.sort((a, b) => a.entry - b.entry);
  return { entries, reasons: [] };
}

export { indexBundle, KnownRecords, type BundleIndex };
export { partyLookupsOf, type PartyLookup } from './claim-parties.js';
export type { KnownEntity } from './known-records.js';
