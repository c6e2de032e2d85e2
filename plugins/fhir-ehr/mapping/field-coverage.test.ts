import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fieldPaths } from '../../../core/sdk/index.js';
import { CONTEXT, only } from '../fixtures/expectations.js';
import { fixture, hl7, ndjson } from '../fixtures/load.js';
import { coverageOf, filledFields, mapBundle, mapResource, mappableFields } from './index.js';
import type { MappedEntity, MappedRecord, MappedResource } from './types.js';

function recordsOf(results: MappedResource[]): MappedRecord[] {
  return results.flatMap((r) => (r.outcome === 'mapped' ? r.records : []));
}

/** Every record the fixtures map to: HL7 examples, the Synthea bulk files and both bundles. */
function allFixtureRecords(): MappedRecord[] {
  const results: MappedResource[] = [];
  for (const file of readdirSync(new URL('../fixtures/hl7/', import.meta.url)).filter((f) => f.endsWith('.json'))) {
    results.push(mapResource(fixture(`hl7/${file}`), CONTEXT));
  }
  for (const file of readdirSync(new URL('../fixtures/synthea/', import.meta.url)).filter((f) => f.endsWith('.ndjson'))) {
    for (const resource of ndjson(`synthea/${file}`)) results.push(mapResource(resource, CONTEXT));
  }
  for (const bundle of ['synthea/bundle-clemente-kreiger.json', 'us-claims/professional-claim-bundle.json']) {
    results.push(...mapBundle(fixture(bundle), CONTEXT).entries.map((e) => e.result));
  }
  return recordsOf(results);
}

describe('filledFields', () => {
  it('lists the paths that carry a value, arrays collapsed, as the model reference writes them', () => {
    const { record } = only(mapResource(ndjson('synthea/Patient.ndjson')[0], CONTEXT), 'Patient');
    expect(filledFields('Patient', record)).toEqual([
      'address[]',
      'address[].city',
      'address[].country',
      'address[].line[]',
      'address[].postalCode',
      'address[].state',
      'birthDate',
      'deceasedDate',
      'ethnicity.ombCategories[]',
      'ethnicity.text',
      'gender',
      'identifiers[]',
      'identifiers[].system',
      'identifiers[].type',
      'identifiers[].value',
      'language',
      'name.family',
      'name.given[]',
      'name.prefix',
      'name.use',
      'race.ombCategories[]',
      'race.text',
      'telecom[]',
      'telecom[].system',
      'telecom[].use',
      'telecom[].value',
    ]);
  });

  it('counts a reference as one field, and never lists schemaVersion', () => {
    const { record } = only(mapResource(hl7('Encounter-f001'), CONTEXT), 'Encounter');
    const paths = filledFields('Encounter', record);
    expect(paths).toEqual(expect.arrayContaining(['patient', 'participants[]', 'participants[].practitioner', 'serviceProvider', 'type[].code']));
    expect(paths.some((p) => p.endsWith('.id') || p.endsWith('.system') && p.startsWith('patient'))).toBe(false);
    expect(paths).not.toContain('schemaVersion');
  });

  it('skips empty arrays and empty strings', () => {
    expect(filledFields('Organization', { schemaVersion: '1.0.0', kind: 'other', name: 'Acme', identifiers: [], telecom: [] })).toEqual(['kind', 'name']);
  });
});

describe('coverageOf', () => {
  it('counts per entity how many records filled each field, listing never-filled mappable fields at 0', () => {
    const records = [hl7('Patient-example'), ...ndjson('synthea/Patient.ndjson')].map((p) => only(mapResource(p, CONTEXT), 'Patient'));
    const coverage = coverageOf(records);
    expect(Object.keys(coverage)).toEqual(['Patient']);
    const patient = coverage.Patient!;
    expect(patient.records).toBe(3);
    expect(patient.fields).toMatchObject({
      'name.family': 3,
      birthDate: 3,
      'race.ombCategories[]': 2,
      'ethnicity.ombCategories[]': 2,
      managingOrganization: 1,
      // What none of these sources sends still shows, so a gap is visible.
      'ethnicity.detailed[]': 0,
      'race.detailed[]': 0,
    });
  });

  it('keeps entities apart', () => {
    const coverage = coverageOf(allFixtureRecords());
    expect(Object.keys(coverage).sort()).toEqual(['Claim', 'Coverage', 'Encounter', 'Location', 'Organization', 'Patient', 'Practitioner']);
    expect(coverage.Claim!.records).toBe(1);
    expect(coverage.Claim!.fields['billingProvider.npi']).toBe(1);
  });
});

describe('mappableFields', () => {
  it('lists every field the fixtures fill', () => {
    for (const { entity, record } of allFixtureRecords()) {
      const known = new Set(mappableFields[entity]);
      for (const path of filledFields(entity, record as never)) expect(known.has(path), `${entity} ${path}`).toBe(true);
    }
  });

  it('names only fields the canonical schemas have', () => {
    for (const [entity, paths] of Object.entries(mappableFields) as [MappedEntity, readonly string[]][]) {
      const known = new Set(fieldPaths(entity));
      for (const path of paths) expect(known.has(path), `${entity} ${path}`).toBe(true);
    }
  });
});
