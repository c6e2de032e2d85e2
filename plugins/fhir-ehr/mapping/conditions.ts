/** Diagnosis codes, as Conditions, Encounters and Claims carry them. */
import type { Element } from './element.js';
import { fitsModel } from './model-formats.js';

/** ICD-10-CM, by its FHIR URI and its OID. */
export const ICD10CM_SYSTEMS: ReadonlySet<string> = new Set(['http://hl7.org/fhir/sid/icd-10-cm', 'urn:oid:2.16.840.1.113883.6.90']);

/** The ICD-10-CM code of a CodeableConcept, upper-cased as the model wants it. */
export function icd10Of(concept: Element | undefined): string | undefined {
  for (const coding of concept?.children('coding') ?? []) {
    const system = coding.string('system');
    const code = coding.string('code')?.toUpperCase();
    if (system !== undefined && ICD10CM_SYSTEMS.has(system) && code !== undefined && fitsModel.icd10cm(code)) return code;
  }
  return undefined;
}
