/**
 * Whether a source value fits a canonical field's format (NPI check digit, ICD-10-CM shape, state
 * code, ...), asked of the model's own validator. The SDK exports `validateEntity` but not the
 * identifier checks behind it, and copying those rules here would let the two drift; so each
 * check validates a minimal record holding just that value. The mapping asks before it places an
 * optional value, so that one malformed value is left out (and reported) instead of sinking the
 * whole record at emit.
 */
import { validateEntity, type EntityData, type EntityName } from '../../../core/sdk/index.js';
import { SCHEMA_VERSION } from './types.js';

const LOCATION: EntityData<'Location'> = { schemaVersion: SCHEMA_VERSION, name: 'probe' };
const ORGANIZATION: EntityData<'Organization'> = { schemaVersion: SCHEMA_VERSION, kind: 'other', name: 'probe' };
const PRACTITIONER: EntityData<'Practitioner'> = { schemaVersion: SCHEMA_VERSION, name: { family: 'probe' } };
const PATIENT: EntityData<'Patient'> = { schemaVersion: SCHEMA_VERSION, name: { family: 'probe' } };
const ENCOUNTER: EntityData<'Encounter'> = {
  schemaVersion: SCHEMA_VERSION,
  status: 'unknown',
  class: 'AMB',
  patient: { system: 'probe', id: 'probe' },
};
const LINE: EntityData<'Claim'>['serviceLines'][number] = {
  procedure: { code: '99213' },
  units: 1,
  charge: 0,
  serviceDate: '2024-01-01',
  diagnosisPointers: [1],
};
const CLAIM: EntityData<'Claim'> = {
  schemaVersion: SCHEMA_VERSION,
  claimType: 'professional',
  patientControlNumber: 'probe',
  billingProvider: { npi: '1234567893' },
  payer: { name: 'probe' },
  subscriber: { memberId: 'probe', relationship: 'self' },
  patient: { name: { family: 'probe' } },
  placeOfService: '11',
  diagnoses: [{ code: 'R69' }],
  serviceLines: [LINE],
  totalCharge: 0,
};
const STATEMENT = { typeOfBill: '131', statementPeriod: { start: '2024-01-01', end: '2024-01-01' } };
const INSTITUTIONAL: EntityData<'Claim'> = {
  schemaVersion: SCHEMA_VERSION,
  claimType: 'institutional',
  patientControlNumber: 'probe',
  billingProvider: { npi: '1234567893' },
  payer: { name: 'probe' },
  subscriber: { memberId: 'probe', relationship: 'self' },
  patient: { name: { family: 'probe' } },
  diagnoses: [{ code: 'R69' }],
  serviceLines: [{ revenueCode: '0450', units: 1, charge: 0, serviceDate: '2024-01-01' }],
  totalCharge: 0,
  institutional: STATEMENT,
};

function fits<N extends EntityName>(entity: N, record: EntityData<N>): boolean {
  return validateEntity(entity, record).length === 0;
}

/** Values repeat heavily across a page (states, place-of-service codes), so answers are kept, within bounds. */
function cached(check: (value: string) => boolean): (value: string) => boolean {
  const answers = new Map<string, boolean>();
  return (value) => {
    let answer = answers.get(value);
    if (answer === undefined) {
      answer = check(value);
      if (answers.size >= 2_000) answers.clear();
      answers.set(value, answer);
    }
    return answer;
  };
}

export const fitsModel = {
  npi: cached((v) => fits('Location', { ...LOCATION, npi: v })),
  placeOfService: cached((v) => fits('Location', { ...LOCATION, placeOfService: v })),
  state: cached((v) => fits('Location', { ...LOCATION, address: { state: v } })),
  country: cached((v) => fits('Location', { ...LOCATION, address: { country: v } })),
  postalCode: cached((v) => fits('Location', { ...LOCATION, address: { postalCode: v } })),
  ein: cached((v) => fits('Organization', { ...ORGANIZATION, taxId: v })),
  payerId: cached((v) => fits('Organization', { ...ORGANIZATION, payerId: v })),
  taxonomy: cached((v) => fits('Practitioner', { ...PRACTITIONER, taxonomyCode: v })),
  language: cached((v) => fits('Patient', { ...PATIENT, language: v })),
  ombRace: cached((v) => fits('Patient', { ...PATIENT, race: { ombCategories: [v as never] } })),
  ombEthnicity: cached((v) => fits('Patient', { ...PATIENT, ethnicity: { ombCategories: [v as never] } })),
  cdcRaceEthnicityCode: cached((v) => fits('Patient', { ...PATIENT, race: { detailed: [v] } })),
  icd10cm: cached((v) => fits('Encounter', { ...ENCOUNTER, diagnoses: [{ code: v }] })),
  cptHcpcs: cached((v) => fits('Claim', { ...CLAIM, serviceLines: [{ ...LINE, procedure: { code: v } }] })),
  modifier: cached((v) => fits('Claim', { ...CLAIM, serviceLines: [{ ...LINE, procedure: { code: '99213', modifiers: [v] } }] })),
  revenueCode: cached((v) => fits('Claim', { ...CLAIM, serviceLines: [{ ...LINE, revenueCode: v }] })),
  typeOfBill: cached((v) => fits('Claim', { ...INSTITUTIONAL, institutional: { ...STATEMENT, typeOfBill: v } })),
  patientStatus: cached((v) => fits('Claim', { ...INSTITUTIONAL, institutional: { ...STATEMENT, patientStatus: v } })),
} satisfies Record<string, (value: string) => boolean>;
