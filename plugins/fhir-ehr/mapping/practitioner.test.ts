import { describe, expect, it } from 'vitest';
import { CONTEXT, expectMapped, expectNotMapped, expectRejected, only } from '../fixtures/expectations.js';
import { fixture, hl7, ndjson } from '../fixtures/load.js';
import { mapBundle, mapResource } from './index.js';

describe('Practitioner', () => {
  it('HL7 Practitioner-example: name, qualification, other identifiers; a year-only period is left out', () => {
    const result = expectMapped(mapResource(hl7('Practitioner-example'), CONTEXT));
    expect(result.records[0]).toEqual({
      entity: 'Practitioner',
      externalId: { system: 'riverside-epic', id: 'Practitioner/example' },
      aliases: [{ system: 'http://www.acme.org/practitioners', id: '23' }],
      record: {
        schemaVersion: '1.0.0',
        name: { family: 'Careful', given: ['Adam'], prefix: 'Dr' },
        active: true,
        qualifications: [{ code: 'BS', identifier: '12345', issuer: 'Example University' }],
        identifiers: [{ system: 'http://www.acme.org/practitioners', value: '23' }],
      },
    });
    expect(result.problems).toEqual(['Practitioner.qualification[0].period.start: not a full date (YYYY-MM-DD); left out']);
  });

  it('takes the NPI from the us-npi identifier and the taxonomy from a NUCC-coded qualification', () => {
    const bundle = mapBundle(fixture('us-claims/professional-claim-bundle.json'), CONTEXT);
    const practitioner = bundle.entries.find((e) => e.result.resourceType === 'Practitioner')!.result;
    const { record, aliases } = only(practitioner, 'Practitioner');
    expect(record).toMatchObject({ npi: '1923847564', taxonomyCode: '207Q00000X' });
    // The NPI has its own field; it is not repeated among the other identifiers.
    expect(record.identifiers).toBeUndefined();
    expect(aliases).toEqual([{ system: 'http://hl7.org/fhir/sid/us-npi', id: '1923847564' }]);
  });

  it('Synthea: an NPI that fails its check digit stays an identifier, never the NPI', () => {
    for (const resource of ndjson('synthea/Practitioner.ndjson')) {
      const result = expectMapped(mapResource(resource, CONTEXT));
      const { record, aliases } = only(result, 'Practitioner');
      expect(record.npi).toBeUndefined();
      expect(record.identifiers).toEqual([{ system: 'http://hl7.org/fhir/sid/us-npi', value: aliases[0]!.id }]);
      // Still aliased by it: that is the key the bulk export's Encounters use for this practitioner.
      expect(aliases[0]!.system).toBe('http://hl7.org/fhir/sid/us-npi');
      expect(result.problems).toEqual(['Practitioner.identifier[0].value: not a valid NPI (10 digits with a check digit); not used as the NPI']);
    }
  });

  it('rejects a practitioner without a family name', () => {
    const result = expectRejected(mapResource({ resourceType: 'Practitioner', id: 'x', name: [{ text: 'Dr. Who' }] }, CONTEXT));
    expect(result.reasons).toEqual(['Practitioner.name: required by the canonical Practitioner (a name with a family name)']);
  });
});

describe('PractitionerRole', () => {
  it('maps to nothing, counted as such: the model has no place for a role', () => {
    const result = expectNotMapped(mapResource(hl7('PractitionerRole-example'), CONTEXT));
    expect(result).toMatchObject({ resourceType: 'PractitionerRole', id: 'example' });
    expect(result.reason).toMatch(/^PractitionerRole: the canonical model has no place for a practitioner’s role/);
  });

  it('Synthea roles (NUCC specialty, identifier references) likewise', () => {
    for (const role of ndjson('synthea/PractitionerRole.ndjson')) expect(mapResource(role, CONTEXT).outcome).toBe('not-mapped');
  });
});
