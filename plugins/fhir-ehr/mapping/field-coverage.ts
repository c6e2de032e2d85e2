/**
 * Mapping coverage: which canonical fields a run filled, and how often. This is how MSO IT sees
 * that one practice's EHR never sends, say, ethnicity: a field the mapping can fill (listed in
 * `mappableFields`) that stays at 0 is a gap in the source, not in the code.
 */
import type { EntityData, EntityName } from '../../../core/sdk/index.js';
import type { MappedEntity } from './types.js';

/**
 * Canonical field paths that carry a value in `record`, written as the generated model reference
 * (docs/canonical-model.md) writes them: nested fields joined by `.`, arrays collapsed as `[]`
 * (`identifiers[]`, `identifiers[].value`, `race.ombCategories[]`). A reference (`{ system, id }`)
 * is one field: its halves are never filled apart. `schemaVersion` is always there and left out.
 * `entity` ties the record to its type for the caller; the walk itself needs only the record.
 */
export function filledFields<N extends EntityName>(_entity: N, record: EntityData<N>): string[] {
  const paths = new Set<string>();
  walk(record as Record<string, unknown>, '', paths);
  paths.delete('schemaVersion');
  return [...paths].sort();
}

function walk(value: Record<string, unknown>, prefix: string, paths: Set<string>): void {
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (child === undefined || child === null || child === '') continue;
    if (Array.isArray(child)) {
      const objects = child.filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null && !Array.isArray(c));
      if (child.length > 0) paths.add(`${path}[]`);
      for (const item of objects) walk(item, `${path}[]`, paths);
    } else if (typeof child === 'object') {
      if (isReference(child as Record<string, unknown>)) paths.add(path);
      else walk(child as Record<string, unknown>, path, paths);
    } else {
      paths.add(path);
    }
  }
}

function isReference(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length === 2 && 'system' in value && 'id' in value;
}

export interface FieldCoverage {
  /** Records seen. */
  records: number;
  /** Per canonical field path: in how many of those records it was filled. */
  fields: Record<string, number>;
}

/**
 * Counts, per entity, how many records filled each field. Fields the mapping can fill start at 0,
 * so a field no record filled is listed, not absent.
 */
export function coverageOf(records: Iterable<{ entity: EntityName; record: EntityData<EntityName> }>): Partial<Record<EntityName, FieldCoverage>> {
  const out: Partial<Record<EntityName, FieldCoverage>> = {};
  for (const { entity, record } of records) {
    let coverage = out[entity];
    if (!coverage) {
      const known = (mappableFields as Partial<Record<EntityName, readonly string[]>>)[entity] ?? [];
      coverage = { records: 0, fields: Object.fromEntries(known.map((path) => [path, 0])) };
      out[entity] = coverage;
    }
    coverage.records += 1;
    for (const path of filledFields(entity, record)) coverage.fields[path] = (coverage.fields[path] ?? 0) + 1;
  }
  return out;
}

const NAME = ['name.family', 'name.given[]', 'name.prefix', 'name.suffix', 'name.use'];
const identifiers = (field: string) => [`${field}[]`, `${field}[].system`, `${field}[].value`, `${field}[].type`, `${field}[].period.start`, `${field}[].period.end`];
const address = (field: string) => [`${field}.use`, `${field}.line[]`, `${field}.city`, `${field}.state`, `${field}.postalCode`, `${field}.country`];
const telecom = ['telecom[]', 'telecom[].system', 'telecom[].value', 'telecom[].use'];
const coding = (field: string) => [`${field}.system`, `${field}.code`, `${field}.display`];
const codings = (field: string) => [`${field}[]`, ...coding(`${field}[]`)];
const provider = (field: string) => [`${field}.npi`, `${field}.name`, `${field}.taxId`, `${field}.taxonomyCode`, ...address(`${field}.address`), `${field}.record`];

/** Every canonical field each mapping can fill from FHIR (a test keeps this honest). */
export const mappableFields: Record<MappedEntity, readonly string[]> = {
  Patient: [
    ...NAME,
    'birthDate',
    'gender',
    ...identifiers('identifiers'),
    'deceasedDate',
    'address[]',
    ...address('address[]'),
    ...telecom,
    'race.ombCategories[]',
    'race.detailed[]',
    'race.text',
    'ethnicity.ombCategories[]',
    'ethnicity.detailed[]',
    'ethnicity.text',
    'language',
    'managingOrganization',
    'active',
  ],
  Practitioner: [
    ...NAME,
    'npi',
    'taxonomyCode',
    'gender',
    'active',
    'qualifications[]',
    'qualifications[].code',
    'qualifications[].identifier',
    'qualifications[].issuer',
    'qualifications[].period.start',
    'qualifications[].period.end',
    ...identifiers('identifiers'),
    ...telecom,
  ],
  Organization: ['kind', 'name', 'npi', 'taxId', ...identifiers('identifiers'), 'active', 'partOf', ...address('address'), ...telecom],
  Location: ['name', 'status', 'organization', 'npi', 'placeOfService', ...coding('type'), ...identifiers('identifiers'), ...address('address'), ...telecom],
  Coverage: [
    'status',
    'payer.name',
    'payer.organization',
    'memberId',
    'beneficiary',
    'relationship',
    ...NAME.map((p) => `subscriber.${p}`),
    'subscriber.birthDate',
    'subscriber.gender',
    ...address('subscriber.address'),
    'subscriber.patient',
    'groupNumber',
    'groupName',
    'planName',
    'period.start',
    'period.end',
    'order',
  ],
  Encounter: [
    'status',
    'class',
    'patient',
    ...codings('type'),
    'period.start',
    'period.end',
    'participants[]',
    'participants[].practitioner',
    'participants[].npi',
    'participants[].role',
    'diagnoses[]',
    'diagnoses[].code',
    'diagnoses[].rank',
    'diagnoses[].use',
    ...codings('reasonCodes'),
    'location',
    'serviceProvider',
    'appointmentId',
  ],
  Claim: [
    'claimType',
    'patientControlNumber',
    ...provider('billingProvider'),
    ...provider('renderingProvider'),
    'serviceFacility.name',
    'serviceFacility.npi',
    ...address('serviceFacility.address'),
    'serviceFacility.location',
    'payer.name',
    'payer.organization',
    'subscriber.memberId',
    'subscriber.relationship',
    ...NAME.map((p) => `subscriber.${p}`),
    'subscriber.birthDate',
    'subscriber.groupNumber',
    'subscriber.payerResponsibility',
    'subscriber.coverage',
    ...NAME.map((p) => `patient.${p}`),
    'patient.birthDate',
    'patient.gender',
    ...address('patient.address'),
    'patient.record',
    'encounter',
    'placeOfService',
    'priorAuthorization',
    'diagnoses[]',
    'diagnoses[].code',
    'diagnoses[].presentOnAdmission',
    'serviceLines[]',
    'serviceLines[].procedure.code',
    'serviceLines[].procedure.modifiers[]',
    'serviceLines[].revenueCode',
    'serviceLines[].units',
    'serviceLines[].charge',
    'serviceLines[].placeOfService',
    'serviceLines[].serviceDate',
    'serviceLines[].serviceDateEnd',
    'serviceLines[].diagnosisPointers[]',
    'totalCharge',
    'institutional.typeOfBill',
    'institutional.statementPeriod.start',
    'institutional.statementPeriod.end',
    'institutional.patientStatus',
    'institutional.admittingDiagnosis',
  ],
};
