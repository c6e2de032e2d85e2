import { describe, expect, it } from 'vitest';
import { CONTEXT, expectMapped, expectRejected, only } from '../fixtures/expectations.js';
import { fixture, hl7, ndjson } from '../fixtures/load.js';
import { mapBundle, mapResource } from './index.js';

describe('Organization', () => {
  it('HL7 Organization-1: no type says nothing of its role, so kind is other', () => {
    expect(only(mapResource(hl7('Organization-1'), CONTEXT), 'Organization')).toEqual({
      entity: 'Organization',
      externalId: { system: 'riverside-epic', id: 'Organization/1' },
      aliases: [{ system: 'http://www.acme.org.au/units', id: 'Gastro' }],
      record: {
        schemaVersion: '1.0.0',
        kind: 'other',
        name: 'Gastroenterology',
        identifiers: [{ system: 'http://www.acme.org.au/units', value: 'Gastro' }],
        telecom: [
          { system: 'phone', value: '+1 555 234 3523', use: 'mobile' },
          { system: 'email', value: 'gastro@acme.org', use: 'work' },
        ],
      },
    });
  });

  it('type ins is a payer, prov a practice; the NPI and the EIN (unhyphenated) get their own fields', () => {
    const { entries } = mapBundle(fixture('us-claims/professional-claim-bundle.json'), CONTEXT);
    const [payer, practice] = entries.filter((e) => e.result.resourceType === 'Organization').map((e) => only(e.result, 'Organization').record);
    expect(payer).toEqual({ schemaVersion: '1.0.0', kind: 'payer', name: 'Sunrise Health Plan' });
    expect(practice).toEqual({
      schemaVersion: '1.0.0',
      kind: 'practice',
      name: 'Riverside Family Medicine PLLC',
      npi: '1842107330',
      taxId: '741234567',
      active: true,
      address: { use: 'billing', line: ['2100 Riverside Dr', 'Suite 300'], city: 'Austin', state: 'TX', postalCode: '78741-3318' },
      telecom: [{ system: 'phone', value: '512-555-0142', use: 'work' }],
    });
  });

  it('Synthea organizations map with their address and are aliased by their Synthea identifier', () => {
    for (const resource of ndjson('synthea/Organization.ndjson')) {
      const { record, aliases } = only(mapResource(resource, CONTEXT), 'Organization');
      expect(record).toMatchObject({ kind: 'practice', active: true, address: { country: 'US' } });
      expect(aliases).toEqual([{ system: 'https://github.com/synthetichealth/synthea', id: resource.id }]);
    }
  });

  it('a tax id that is not an EIN is kept as an identifier and reported', () => {
    const org = { resourceType: 'Organization', id: 'o1', name: 'Acme', identifier: [{ system: 'urn:oid:2.16.840.1.113883.4.4', value: '12-34' }] };
    const result = expectMapped(mapResource(org, CONTEXT));
    expect(result.records[0]!.record).toMatchObject({ identifiers: [{ system: 'urn:oid:2.16.840.1.113883.4.4', value: '12-34' }] });
    expect(result.records[0]!.record).not.toHaveProperty('taxId');
    expect(result.problems).toEqual(['Organization.identifier[0].value: not an EIN of 9 digits; not used as the tax id']);
  });

  it('rejects an organization without a name', () => {
    expect(expectRejected(mapResource({ resourceType: 'Organization', id: 'o2', active: true }, CONTEXT)).reasons).toEqual([
      'Organization.name: required by the canonical Organization',
    ]);
  });
});

describe('Location', () => {
  it('HL7 Location-1: an identifier without a system and a non-ISO country are left out, by path', () => {
    const result = expectMapped(mapResource(hl7('Location-1'), CONTEXT));
    expect(result.records[0]!.record).toEqual({
      schemaVersion: '1.0.0',
      name: 'South Wing, second floor',
      status: 'active',
      organization: { system: 'riverside-epic', id: 'Organization/f001' },
      address: { use: 'work', line: ['Galapagosweg 91, Building A'], city: 'Den Burg', postalCode: '9105 PZ' },
      telecom: [
        { system: 'phone', value: '2328', use: 'work' },
        { system: 'fax', value: '2329', use: 'work' },
        { system: 'email', value: 'second wing admissions' },
        { system: 'url', value: 'http://sampleorg.com/southwing', use: 'work' },
      ],
    });
    expect(result.problems).toEqual([
      'Location.identifier[0]: an identifier needs both system and value to be kept; left out',
      'Location.address.country: not an ISO 3166 alpha-2 country code; left out',
    ]);
  });

  it('Synthea: managing organization by identifier reference, keyed as that organization is aliased', () => {
    const [location] = ndjson('synthea/Location.ndjson');
    const { record } = only(mapResource(location, CONTEXT), 'Location');
    const managing = (location!.managingOrganization as { identifier: { system: string; value: string } }).identifier;
    expect(record.organization).toEqual({ system: managing.system, id: managing.value });
  });

  it('reads a CMS place of service from Location.type, and keeps the first type coding', () => {
    const location = {
      resourceType: 'Location',
      id: 'east',
      name: 'East Clinic',
      identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1712345606' }],
      type: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'FMC', display: 'Family medicine clinic' }] },
        { coding: [{ system: 'https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set', code: '11' }] },
      ],
    };
    expect(only(mapResource(location, CONTEXT), 'Location').record).toEqual({
      schemaVersion: '1.0.0',
      name: 'East Clinic',
      npi: '1712345606',
      placeOfService: '11',
      type: { system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'FMC', display: 'Family medicine clinic' },
    });
  });

  it('rejects a location without a name', () => {
    expect(expectRejected(mapResource({ resourceType: 'Location', id: 'l1', status: 'active' }, CONTEXT)).reasons).toEqual([
      'Location.name: required by the canonical Location',
    ]);
  });
});
