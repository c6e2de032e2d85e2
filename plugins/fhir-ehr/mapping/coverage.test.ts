import { describe, expect, it } from 'vitest';
import { CONTEXT, expectMapped, expectRejected, only } from '../fixtures/expectations.js';
import { copy, hl7 } from '../fixtures/load.js';
import { mapBundle, mapResource } from './index.js';
import type { MappedResource } from './types.js';

/** The coverage mapped in a bundle beside HL7's Organization-2 (XYZ Insurance), its payor. */
function withPayer(coverage: Record<string, unknown>, ...others: Record<string, unknown>[]): MappedResource {
  const bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [{ fullUrl: 'http://hl7.org/fhir/Organization/2', resource: hl7('Organization-2') }, ...others.map((resource) => ({ resource })), { resource: coverage }],
  };
  return mapBundle(bundle, CONTEXT).entries.at(-1)!.result;
}

describe('Coverage', () => {
  it('HL7 Coverage-9876B1 alone: the payor is only a reference, so there is no payer name to bill', () => {
    const result = expectRejected(mapResource(hl7('Coverage-9876B1'), CONTEXT));
    expect(result.reasons).toEqual([
      'Coverage.payor: required by the canonical Coverage (the payer’s name: the payor Organization in the same bundle, or payor.display)',
    ]);
  });

  it('HL7 Coverage-9876B1 without the member-id system configured: no member id either', () => {
    const result = expectRejected(mapResource(hl7('Coverage-9876B1'), { ...CONTEXT, memberIdSystems: [] }));
    expect(result.reasons).toContain(
      'Coverage.subscriberId: required by the canonical Coverage (the member id: an identifier in the member-id system(s), an identifier of type MB, or subscriberId)',
    );
  });

  it('HL7 Coverage-9876B1 with its payor in the bundle: member id from the configured system, group and plan classes', () => {
    const { record, externalId, aliases } = only(withPayer(hl7('Coverage-9876B1')), 'Coverage');
    expect(record).toEqual({
      schemaVersion: '1.0.0',
      status: 'active',
      payer: { name: 'XYZ Insurance', organization: { system: 'riverside-epic', id: 'Organization/2' } },
      memberId: '12345',
      beneficiary: { system: 'riverside-epic', id: 'Patient/4' },
      relationship: 'self',
      groupNumber: 'CB135',
      groupName: 'Corporate Baker\'s Inc. Local #35',
      planName: 'Full Coverage: Medical, Dental, Pharmacy, Vision, EHC',
      period: { start: '2011-05-23', end: '2012-05-23' },
    });
    expect(externalId).toEqual({ system: 'riverside-epic', id: 'Coverage/9876B1' });
    expect(aliases).toEqual([]);
  });

  it('HL7 Coverage-7546D: subscriberId is the member id when no identifier says otherwise; order is the COB rank', () => {
    const { record } = only(withPayer(hl7('Coverage-7546D')), 'Coverage');
    expect(record).toMatchObject({ memberId: 'AB9876', order: 2, groupNumber: 'WESTAIR', groupName: 'Western Airlines' });
  });

  it('an identifier of type MB wins over subscriberId', () => {
    const coverage = copy(hl7('Coverage-7546D'));
    coverage.identifier = [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB' }] }, system: 'urn:xyz:members', value: 'AB9876-02' }];
    expect(only(withPayer(coverage), 'Coverage').record.memberId).toBe('AB9876-02');
  });

  it('a payor with a display needs no bundle', () => {
    const coverage = copy(hl7('Coverage-7546D'));
    coverage.payor = [{ reference: 'Organization/2', display: 'XYZ Insurance' }];
    expect(only(mapResource(coverage, CONTEXT), 'Coverage').record.payer).toEqual({
      name: 'XYZ Insurance',
      organization: { system: 'riverside-epic', id: 'Organization/2' },
    });
  });

  it('a dependent’s coverage carries the subscriber’s demographics when the subscriber is in the bundle', () => {
    const coverage = copy(hl7('Coverage-7546D'));
    coverage.relationship = { coding: [{ code: 'child' }] };
    coverage.subscriber = { reference: 'RelatedPerson/mom' };
    const mom = {
      resourceType: 'RelatedPerson',
      id: 'mom',
      patient: { reference: 'Patient/5' },
      name: [{ family: 'Ferris', given: ['Dana'] }],
      gender: 'female',
      birthDate: '1980-02-29',
      address: [{ use: 'home', city: 'Ann Arbor', state: 'MI' }],
    };
    const { record } = only(withPayer(coverage, mom), 'Coverage');
    expect(record).toMatchObject({
      relationship: 'child',
      subscriber: { name: { family: 'Ferris', given: ['Dana'] }, gender: 'female', birthDate: '1980-02-29', address: { use: 'home', city: 'Ann Arbor', state: 'MI' } },
    });
  });

  it('a dependent’s coverage without the subscriber at hand lands without the subscriber, and says so', () => {
    const coverage = copy(hl7('Coverage-7546D'));
    coverage.relationship = { coding: [{ code: 'spouse' }] };
    coverage.subscriber = { reference: 'Patient/9' };
    const result = expectMapped(withPayer(coverage));
    expect(result.records[0]!.record).not.toHaveProperty('subscriber');
    expect(result.problems).toContain('Coverage.subscriber: the subscriber (Patient or RelatedPerson with a name) is not in the bundle; left out');
  });

  it('self-pay (the payor is the patient) is not insurance', () => {
    const coverage = copy(hl7('Coverage-7546D'));
    coverage.payor = [{ reference: 'Patient/5' }];
    expect(expectRejected(mapResource(coverage, CONTEXT)).reasons).toEqual([
      'Coverage.payor: required by the canonical Coverage (the payor is a person, that is self-pay; the canonical Coverage is insurance with a payer organization)',
    ]);
  });
});
