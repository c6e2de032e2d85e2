import { describe, expect, it } from 'vitest';
import { CONTEXT, expectMapped, expectNotMapped, expectRejected } from '../fixtures/expectations.js';
import { HL7_EXAMPLES, copy, fixture, hl7 } from '../fixtures/load.js';
import { mapBundle, mapResource, mappedResourceTypes } from './index.js';

describe('mapResource: the outcome of each HL7 R4 example', () => {
  const expected: Record<(typeof HL7_EXAMPLES)[number], string> = {
    'Patient-example': 'mapped',
    'Practitioner-example': 'mapped',
    'PractitionerRole-example': 'not-mapped',
    'Organization-1': 'mapped',
    'Organization-2': 'mapped',
    'Location-1': 'mapped',
    // No payer name without the payor Organization at hand.
    'Coverage-9876B1': 'rejected',
    'Coverage-7546D': 'rejected',
    'Encounter-example': 'mapped',
    'Encounter-f001': 'mapped',
    // An oral claim, coded with no US code systems.
    'Claim-100150': 'rejected',
    'Claim-960150': 'rejected',
  };
  for (const name of HL7_EXAMPLES) {
    it(`${name}: ${expected[name]}`, () => {
      const result = mapResource(hl7(name), CONTEXT);
      expect(result.outcome).toBe(expected[name]);
      if (result.outcome === 'mapped') expectMapped(result);
    });
  }

  it('keys each record by its resource type and id in the EHR namespace', () => {
    const result = expectMapped(mapResource(hl7('Encounter-example'), CONTEXT));
    expect(result).toMatchObject({ resourceType: 'Encounter', id: 'example' });
    expect(result.records[0]!.externalId).toEqual({ system: 'riverside-epic', id: 'Encounter/example' });
  });

  it('gives a rejection the key the record would have had, so a corrected resend replaces it', () => {
    const result = expectRejected(mapResource(hl7('Coverage-9876B1'), CONTEXT));
    expect(result).toMatchObject({ entity: 'Coverage', resourceType: 'Coverage', id: '9876B1', externalId: { system: 'riverside-epic', id: 'Coverage/9876B1' } });
  });
});

describe('mapResource: malformed input gives reasons, never an exception', () => {
  it.each([
    ['null', null],
    ['a string', 'Patient/123'],
    ['a number', 42],
    ['an array', [{ resourceType: 'Patient' }]],
  ])('%s is not a resource', (_, input) => {
    expect(expectRejected(mapResource(input, CONTEXT)).reasons).toEqual(['resource: expected a JSON object']);
  });

  it('an object without resourceType', () => {
    expect(expectRejected(mapResource({ id: '1', name: [{ family: 'X' }] }, CONTEXT)).reasons).toEqual(['resourceType: missing; not a FHIR resource']);
  });

  it('a resourceType of the wrong JSON type', () => {
    expect(expectRejected(mapResource({ resourceType: 7 }, CONTEXT)).reasons).toEqual(['resourceType: missing; not a FHIR resource']);
  });

  it('an unknown resource type is rejected without quoting it', () => {
    const result = expectRejected(mapResource({ resourceType: 'Patinet', id: '1' }, CONTEXT));
    expect(result.reasons).toEqual(['resourceType: not a FHIR R4 resource type']);
  });

  it('a FHIR type the plugin does not read is not mapped, with a clear reason', () => {
    const result = expectNotMapped(mapResource({ resourceType: 'Observation', id: 'bp-1', status: 'final' }, CONTEXT));
    expect(result.reason).toContain('Observation: not a resource type the fhir-ehr mapping reads');
    expect(result.reason).toContain(mappedResourceTypes.join(', '));
  });

  it('a ChargeItem is counted as not mapped, not rejected', () => {
    const charge = { resourceType: 'ChargeItem', id: 'c1', status: 'billable', code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }] }, subject: { reference: 'Patient/1' } };
    expect(expectNotMapped(mapResource(charge, CONTEXT)).reason).toMatch(/^ChargeItem: one charge cannot fill a canonical Claim/);
  });

  it('a Bundle handed to mapResource points at mapBundle', () => {
    expect(expectNotMapped(mapResource({ resourceType: 'Bundle', type: 'collection' }, CONTEXT)).reason).toContain('mapBundle');
  });

  it('a resource without an id cannot be keyed', () => {
    const patient = copy(hl7('Patient-example'));
    delete patient.id;
    expect(expectRejected(mapResource(patient, CONTEXT)).reasons).toContain('Patient.id: required: the record is keyed by Patient/<id>');
  });

  it('an id that is not a FHIR id', () => {
    const patient = { ...hl7('Patient-example'), id: 'has spaces and / slashes' };
    expect(expectRejected(mapResource(patient, CONTEXT)).reasons).toContain('Patient.id: not a FHIR id (1-64 letters, digits, - and .)');
  });

  it('elements of the wrong JSON type are named by path and read as absent', () => {
    const patient = { resourceType: 'Patient', id: 'p1', name: 'Chalmers', birthDate: 19741225, gender: ['male'], address: {} };
    const result = expectRejected(mapResource(patient, CONTEXT));
    expect(result.reasons).toEqual([
      'Patient.name: required by the canonical Patient (a name with a family name)',
      'Patient.name: expected an array',
      "Patient.identifier: no medical record number in the practice's MRN system(s)",
      'Patient.birthDate: expected a string',
      'Patient.gender: expected a string',
      'Patient.address: expected an array',
    ]);
  });

  it('wrong types inside an optional element cost only that element', () => {
    const patient = copy(hl7('Patient-example'));
    patient.telecom = [{ system: 'phone', value: 5555 }, 'not an object', { system: 'email', value: 'jim@example.org' }];
    const result = expectMapped(mapResource(patient, CONTEXT));
    expect(result.records[0]!.record).toMatchObject({ telecom: [{ system: 'email', value: 'jim@example.org' }] });
    expect(result.problems).toEqual(expect.arrayContaining(['Patient.telecom[0].value: expected a string', 'Patient.telecom[1]: expected an object']));
  });
});

describe('mapBundle', () => {
  it('maps each entry with the others in reach, in entry order', () => {
    const { entries, reasons } = mapBundle(fixture('us-claims/professional-claim-bundle.json'), CONTEXT);
    expect(reasons).toEqual([]);
    expect(entries.map((e) => [e.entry, e.result.resourceType, e.result.outcome])).toEqual([
      [0, 'Patient', 'mapped'],
      [1, 'Coverage', 'mapped'],
      [2, 'Organization', 'mapped'],
      [3, 'Organization', 'mapped'],
      [4, 'Practitioner', 'mapped'],
      [5, 'Condition', 'not-mapped'],
      [6, 'Claim', 'mapped'],
    ]);
    for (const { result } of entries) if (result.outcome === 'mapped') expectMapped(result);
  });

  it('rejects an unusable entry on its own and maps the rest', () => {
    const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'urn:uuid:1' }, 'junk', { resource: hl7('Organization-1') }] };
    const { entries } = mapBundle(bundle, CONTEXT);
    expect(entries.map((e) => e.result.outcome)).toEqual(['rejected', 'rejected', 'mapped']);
    expect(entries[0]!.result).toMatchObject({ reasons: ['Bundle.entry[0].resource: expected a resource'] });
  });

  it.each([
    ['not a bundle', hl7('Patient-example'), 'resourceType: expected a Bundle'],
    ['entry not an array', { resourceType: 'Bundle', entry: {} }, 'Bundle.entry: expected an array'],
    ['not an object', 'Bundle', 'resourceType: expected a Bundle'],
  ])('%s', (_, input, reason) => {
    expect(mapBundle(input, CONTEXT)).toEqual({ entries: [], reasons: [reason] });
  });

  it('an empty bundle maps to nothing', () => {
    expect(mapBundle({ resourceType: 'Bundle', type: 'searchset', total: 0 }, CONTEXT)).toEqual({ entries: [], reasons: [] });
  });
});
