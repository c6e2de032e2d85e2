import { describe, expect, it } from 'vitest';
import { CONTEXT, expectMapped, expectNoValuesQuoted, expectRejected, only } from '../fixtures/expectations.js';
import { copy, hl7, ndjson } from '../fixtures/load.js';
import { mapResource } from './index.js';
import { US_CORE_ETHNICITY, US_CORE_RACE } from './patient.js';

const [medhurst, cole] = ndjson('synthea/Patient.ndjson');

describe('Patient', () => {
  it('HL7 Patient-example: the official name, the practice MRN, what the model can hold', () => {
    const result = expectMapped(mapResource(hl7('Patient-example'), CONTEXT));
    expect(result.records[0]).toEqual({
      entity: 'Patient',
      externalId: { system: 'riverside-epic', id: 'Patient/example' },
      aliases: [{ system: 'urn:oid:1.2.36.146.595.217.0.1', id: '12345' }],
      record: {
        schemaVersion: '1.0.0',
        name: { family: 'Chalmers', given: ['Peter', 'James'], use: 'official' },
        birthDate: '1974-12-25',
        gender: 'male',
        identifiers: [{ system: 'urn:oid:1.2.36.146.595.217.0.1', value: '12345', type: 'MR', period: { start: '2001-05-06' } }],
        address: [{ use: 'home', line: ['534 Erewhon St'], city: 'PleasantVille', postalCode: '3999' }],
        // The home entry has no value; an 'old' number is still a number the patient had.
        telecom: [
          { system: 'phone', value: '(03) 5555 6473', use: 'work' },
          { system: 'phone', value: '(03) 3410 5613', use: 'mobile' },
          { system: 'phone', value: '(03) 5555 8834', use: 'old' },
        ],
        managingOrganization: { system: 'riverside-epic', id: 'Organization/1' },
        active: true,
      },
    });
    // Victoria is not a US state code; the address keeps the rest.
    expect(result.problems).toEqual(['Patient.address[0].state: not a US state (a 2-letter code or a state name); left out']);
  });

  it('Synthea (US Core): race and ethnicity extensions, MRN by system, SSN left out, deceased date', () => {
    const { record, aliases } = only(mapResource(medhurst, CONTEXT), 'Patient');
    expect(record).toMatchObject({
      name: { family: 'Medhurst46', given: ['Sumiko254', 'Larue605'], prefix: 'Mrs.', use: 'official' },
      birthDate: '1927-05-21',
      gender: 'female',
      deceasedDate: '1989-05-09',
      race: { ombCategories: ['2106-3'], text: 'White' },
      ethnicity: { ombCategories: ['2186-5'], text: 'Not Hispanic or Latino' },
      language: 'en-US',
      address: [{ line: ['633 Abernathy Landing'], city: 'Emporia', state: 'KS', postalCode: '66801', country: 'US' }],
    });
    expect(record.identifiers).toEqual([
      { system: 'https://github.com/synthetichealth/synthea', value: '129c6ac7-8d06-89de-ad63-0204a93e76c3' },
      { system: 'http://hospital.smarthealthit.org', value: '129c6ac7-8d06-89de-ad63-0204a93e76c3', type: 'MR' },
      { system: 'urn:oid:2.16.840.1.113883.4.3.25', value: 'S99940903', type: 'DL' },
      { system: 'http://standardhealthrecord.org/fhir/StructureDefinition/passportNumber', value: 'X53631011X', type: 'PPN' },
    ]);
    expect(JSON.stringify(record)).not.toContain('999-94-5397');
    expect(aliases).toEqual([{ system: 'http://hospital.smarthealthit.org', id: '129c6ac7-8d06-89de-ad63-0204a93e76c3' }]);
  });

  it('keeps the SSN, unhyphenated, where the model documents it, only when asked to', () => {
    const { record } = only(mapResource(medhurst, { ...CONTEXT, keepSsn: true }), 'Patient');
    expect(record.identifiers).toContainEqual({ system: 'http://hl7.org/fhir/sid/us-ssn', value: '999945397', type: 'SS' });
  });

  it('marks the MRN of the practice’s system, even when the source did not type it', () => {
    const patient = copy(hl7('Patient-example'));
    delete (patient.identifier as Record<string, unknown>[])[0]!.type;
    expect(only(mapResource(patient, CONTEXT), 'Patient').record.identifiers![0]!.type).toBe('MR');
  });

  it('reports a patient with no MRN in the practice’s system', () => {
    const result = expectMapped(mapResource(cole, { ...CONTEXT, mrnSystems: ['urn:oid:9.9.9'] }));
    expect(result.problems).toContain("Patient.identifier: no medical record number in the practice's MRN system(s)");
  });

  it('prefers the official name over a maiden one, and a usual name over an old one', () => {
    const patient = {
      resourceType: 'Patient',
      id: 'p1',
      name: [
        { use: 'maiden', family: 'Windsor', given: ['Ann'] },
        { use: 'old', family: 'Older' },
        { use: 'usual', family: 'Chalmers', given: ['Annie'] },
      ],
    };
    expect(only(mapResource(patient, CONTEXT), 'Patient').record.name).toEqual({ family: 'Chalmers', given: ['Annie'], use: 'usual' });
  });

  it('reads detailed race codes and drops codes outside the OMB and CDC sets, by path', () => {
    const patient = {
      resourceType: 'Patient',
      id: 'p2',
      name: [{ family: 'Reyes' }],
      extension: [
        {
          url: US_CORE_RACE,
          extension: [
            { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2028-9' } },
            { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3' } },
            { url: 'detailed', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2036-2' } },
            { url: 'ombCategory', valueCoding: { code: 'Martian' } },
          ],
        },
        {
          url: US_CORE_ETHNICITY,
          extension: [
            { url: 'ombCategory', valueCoding: { code: '2135-2' } },
            { url: 'ombCategory', valueCoding: { code: '2186-5' } },
            { url: 'detailed', valueCoding: { code: '2148-5' } },
            { url: 'text', valueString: 'Mexican' },
          ],
        },
      ],
    };
    const result = expectMapped(mapResource(patient, CONTEXT));
    expect(result.records[0]!.record).toMatchObject({
      race: { ombCategories: ['2028-9', '2106-3'], detailed: ['2036-2'] },
      ethnicity: { ombCategories: ['2135-2'], detailed: ['2148-5'], text: 'Mexican' },
    });
    expect(result.problems).toEqual(
      expect.arrayContaining([
        'Patient.extension[0].extension[3].valueCoding: not a code of the OMB category set; left out',
        'Patient.extension[1]: more OMB categories than the model takes (1); the first kept',
      ]),
    );
    expectNoValuesQuoted(result.problems, ['Martian']);
  });

  it('leaves out what the model cannot hold and says where: partial dates, foreign states, long postal codes', () => {
    const patient = {
      resourceType: 'Patient',
      id: 'p3',
      name: [{ family: 'Okoye', given: ['A', 'B', 'C', 'D', 'E', 'F'] }],
      birthDate: '1980-07',
      address: [{ line: ['1 Main'], city: 'Springfield', state: 'Ontario', postalCode: 'ABCDEFGHIJKL', country: 'Canada' }],
      communication: [{ language: { coding: [{ code: 'es' }] } }, { preferred: true, language: { coding: [{ code: 'en' }] } }],
    };
    const result = expectMapped(mapResource(patient, CONTEXT));
    expect(result.records[0]!.record).toMatchObject({
      name: { family: 'Okoye', given: ['A', 'B', 'C', 'D', 'E'] },
      address: [{ line: ['1 Main'], city: 'Springfield' }],
      language: 'en',
    });
    expect(result.records[0]!.record).not.toHaveProperty('birthDate');
    expect(result.problems).toEqual(
      expect.arrayContaining([
        'Patient.name[0].given: more than 5 given names; the rest left out',
        'Patient.birthDate: not a full date (YYYY-MM-DD); left out',
        'Patient.address[0].state: not a US state (a 2-letter code or a state name); left out',
        'Patient.address[0].postalCode: longer than a ZIP+4 code; left out',
        'Patient.address[0].country: not an ISO 3166 alpha-2 country code; left out',
      ]),
    );
    expectNoValuesQuoted(result.problems, ['1980-07', 'Ontario', 'ABCDEFGHIJKL', 'Canada', 'Okoye']);
  });

  it('reads a state written out in full', () => {
    const patient = { resourceType: 'Patient', id: 'p4', name: [{ family: 'Kreiger' }], address: [{ city: 'Wilmington', state: 'Massachusetts' }] };
    expect(only(mapResource(patient, CONTEXT), 'Patient').record.address).toEqual([{ city: 'Wilmington', state: 'MA' }]);
  });

  it('rejects a patient without a family name, naming the element and none of its values', () => {
    const patient = { resourceType: 'Patient', id: 'p5', name: [{ given: ['Prince'], text: 'Prince' }], birthDate: '1958-06-07' };
    const result = expectRejected(mapResource(patient, CONTEXT));
    expect(result.reasons).toContain('Patient.name: required by the canonical Patient (a name with a family name)');
    expect(result.entity).toBe('Patient');
    expectNoValuesQuoted(result.reasons, ['Prince', '1958-06-07']);
  });
});
