/**
 * Mapping coverage for the FHIR mappings. The hub counts, for every run of every connector, which
 * canonical fields the emitted records filled (`GET /api/connectors/:id/coverage`); this module
 * applies the same counting (the SDK's `filledFieldPaths` and `FieldCoverageCounter`) to mapped
 * records offline, and lists in `mappableFields` what these mappings can fill, so a field of that
 * list that stays at 0 is a gap in the source, not in the code.
 */
import { FieldCoverageCounter, filledFieldPaths, type EntityCoverage, type EntityData, type EntityName } from '../../../core/sdk/index.js';
import type { MappedEntity } from './types.js';

/**
 * Canonical field paths that carry a value in `record`, sorted, written as the generated model
 * reference (docs/canonical-model.md) writes them: nested fields joined by `.`, arrays collapsed as
 * `[]` (`identifiers[]`, `identifiers[].value`, `race.ombCategories[]`). A reference
 * (`{ system, id }`) is one field. `schemaVersion` is left out.
 */
export function filledFields<N extends EntityName>(entity: N, record: EntityData<N>): string[] {
  return filledFieldPaths(entity, record);
}

/** Records seen and, per canonical field path, in how many of them it was filled. */
export type FieldCoverage = EntityCoverage;

/**
 * Counts, per entity, how many records filled each field. Fields the mapping can fill start at 0,
 * so a field no record filled is listed, not absent.
 */
export function coverageOf(records: Iterable<{ entity: EntityName; record: EntityData<EntityName> }>): Partial<Record<EntityName, FieldCoverage>> {
  const counter = new FieldCoverageCounter();
  for (const { entity, record } of records) counter.add(entity, record);
  const out: Partial<Record<EntityName, FieldCoverage>> = {};
  for (const [entity, counted] of Object.entries(counter.toJSON()) as [EntityName, FieldCoverage][]) {
    const known = (mappableFields as Partial<Record<EntityName, readonly string[]>>)[entity] ?? [];
    out[entity] = { records: counted.records, fields: { ...Object.fromEntries(known.map((path) => [path, 0])), ...counted.fields } };
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
