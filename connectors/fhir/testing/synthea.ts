import { readFileSync } from 'node:fs';
import type { FhirResource } from '../types.js';

const SAMPLE_TYPES = ['Patient', 'Practitioner', 'Organization', 'Encounter'] as const;
export type SyntheaSampleType = (typeof SAMPLE_TYPES)[number];

/**
 * Synthea resources (synthetic people only; Apache-2.0, see fixtures/NOTICE): 13 Patients,
 * 6 Practitioners, 4 Organizations and 24 Encounters that reference those patients. Fresh copies
 * on every call, so a test may change them freely.
 */
export function syntheaSample(types: readonly SyntheaSampleType[] = SAMPLE_TYPES): FhirResource[] {
  return types.flatMap((type) =>
    readFileSync(new URL(`./fixtures/${type}.ndjson`, import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as FhirResource),
  );
}
