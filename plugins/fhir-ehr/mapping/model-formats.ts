/**
 * Whether a source value fits a canonical field's rules (NPI check digit, ICD-10-CM shape, state
 * code, ...), asked of the model itself through the SDK's `fieldCheck`, so the mapping and emit
 * can never disagree. The mapping asks before it places an optional value, so that one malformed
 * value is left out (and reported) instead of sinking the whole record at emit.
 */
import { fieldCheck, type EntityName } from '../../../core/sdk/index.js';

/** Values repeat heavily across a page (states, place-of-service codes), so answers are kept, within bounds. */
function cached(entity: EntityName, path: string): (value: string) => boolean {
  const check = fieldCheck(entity, path);
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
  npi: cached('Location', 'npi'),
  placeOfService: cached('Location', 'placeOfService'),
  state: cached('Location', 'address.state'),
  country: cached('Location', 'address.country'),
  postalCode: cached('Location', 'address.postalCode'),
  ein: cached('Organization', 'taxId'),
  payerId: cached('Organization', 'payerId'),
  taxonomy: cached('Practitioner', 'taxonomyCode'),
  language: cached('Patient', 'language'),
  ombRace: cached('Patient', 'race.ombCategories[]'),
  ombEthnicity: cached('Patient', 'ethnicity.ombCategories[]'),
  cdcRaceEthnicityCode: cached('Patient', 'race.detailed[]'),
  icd10cm: cached('Encounter', 'diagnoses[].code'),
  cptHcpcs: cached('Claim', 'serviceLines[].procedure.code'),
  modifier: cached('Claim', 'serviceLines[].procedure.modifiers[]'),
  revenueCode: cached('Claim', 'serviceLines[].revenueCode'),
  typeOfBill: cached('Claim', 'institutional.typeOfBill'),
  patientStatus: cached('Claim', 'institutional.patientStatus'),
} satisfies Record<string, (value: string) => boolean>;
