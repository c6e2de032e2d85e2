import { describe, expect, it } from 'vitest';
import { CONTEXT, expectMapped, expectNoValuesQuoted, expectRejected, only } from '../fixtures/expectations.js';
import { copy, fixture, hl7 } from '../fixtures/load.js';
import type { EntityData } from '../../../core/sdk/index.js';
import { indexBundle, KnownRecords, mapBundle, mapResource, partyLookupsOf } from './index.js';
import type { MappedResource } from './types.js';

type Json = Record<string, any>;

const BUNDLE = fixture('us-claims/professional-claim-bundle.json') as Json;

function resourceOf(bundle: Json, type: string): Json {
  return bundle.entry.find((e: Json) => e.resource.resourceType === type).resource;
}

/** Maps the professional claim bundle after `change` has edited a copy of it; returns the Claim's result. */
function claimWith(change: (claim: Json, bundle: Json) => void = () => {}): MappedResource {
  const bundle = copy(BUNDLE);
  change(resourceOf(bundle, 'Claim'), bundle);
  return mapBundle(bundle, CONTEXT).entries.find((e) => e.result.resourceType === 'Claim')!.result;
}

describe('Claim (professional)', () => {
  it('builds the 837P claim from the Claim and the resources it references in the bundle', () => {
    const { record, externalId } = only(claimWith(), 'Claim');
    expect(externalId).toEqual({ system: 'riverside-epic', id: 'Claim/rfm-24050600481' });
    expect(record).toEqual({
      schemaVersion: '1.0.0',
      claimType: 'professional',
      patientControlNumber: 'RFM24050600481',
      billingProvider: {
        npi: '1842107330',
        name: 'Riverside Family Medicine PLLC',
        taxId: '741234567',
        address: { use: 'billing', line: ['2100 Riverside Dr', 'Suite 300'], city: 'Austin', state: 'TX', postalCode: '78741-3318' },
        record: { system: 'riverside-epic', id: 'Organization/riverside-family-medicine' },
      },
      renderingProvider: {
        npi: '1923847564',
        name: 'Okafor, Adaeze',
        taxonomyCode: '207Q00000X',
        record: { system: 'riverside-epic', id: 'Practitioner/prov-0042' },
      },
      payer: { name: 'Sunrise Health Plan', organization: { system: 'riverside-epic', id: 'Organization/sunrise-health-plan' } },
      subscriber: {
        memberId: 'SHP884120553',
        relationship: 'self',
        groupNumber: 'GRP-22870',
        payerResponsibility: 'primary',
        coverage: { system: 'riverside-epic', id: 'Coverage/0b7e8d22-4c61-4f3a-8d7e-6a2b9f1c3d02' },
      },
      patient: {
        name: { family: 'Whitfield', given: ['Anaya', 'June'], use: 'official' },
        birthDate: '1971-09-02',
        gender: 'female',
        address: { use: 'home', line: ['88 Bluebonnet Trail'], city: 'Austin', state: 'TX', postalCode: '78745', country: 'US' },
        record: { system: 'riverside-epic', id: 'Patient/5f1c2a9e-7b1d-4c55-9a0e-2d6f3b8c1a01' },
      },
      encounter: { system: 'riverside-epic', id: 'Encounter/enc-2024-05-06-000481' },
      placeOfService: '11',
      priorAuthorization: 'PA-55120',
      // The first through its Condition, the second coded on the claim.
      diagnoses: [{ code: 'E11.9' }, { code: 'I10' }],
      serviceLines: [
        { procedure: { code: '99214', modifiers: ['25'] }, units: 1, charge: 175, serviceDate: '2024-05-06', diagnosisPointers: [1, 2] },
        { procedure: { code: '83036' }, units: 1, charge: 45, serviceDate: '2024-05-06', diagnosisPointers: [1] },
      ],
      totalCharge: 220,
    });
  });

  it('the same Claim alone cannot be billed: reasons name what the bundle supplied, and quote nothing', () => {
    const claim = resourceOf(BUNDLE, 'Claim');
    const result = expectRejected(mapResource(claim, CONTEXT));
    expect(result.reasons).toEqual([
      'Claim.provider: required by the canonical Claim (an NPI: a us-npi identifier on the reference, or the referenced resource in the same bundle)',
      'Claim.patient: required by the canonical Claim (the patient’s name: the Patient, with a name, in the same bundle, contained, or synced before (Patient records))',
      'Claim.insurance[0].coverage: required by the canonical Claim (the member id and relationship: the Coverage in the same bundle, contained, or synced before (Coverage records))',
      'Claim.diagnosis[0]: no ICD-10-CM code: in diagnosisCodeableConcept, or in a referenced Condition in the same bundle',
      // What was left out on the way comes after the reasons.
      'Claim.careTeam[0].provider: no NPI for the rendering provider; left out',
    ]);
    expect(result).toMatchObject({ entity: 'Claim', externalId: { system: 'riverside-epic', id: 'Claim/rfm-24050600481' } });
    expectNoValuesQuoted(result.reasons, ['RFM24050600481', 'SHP884120553', 'Whitfield', '1971-09-02', 'PA-55120', 'E11.9']);
  });

  it('a contained Patient and Coverage serve as well as bundle entries', () => {
    const bundle = copy(BUNDLE);
    const claim = resourceOf(bundle, 'Claim');
    claim.contained = [
      { ...resourceOf(bundle, 'Patient'), id: 'pat' },
      { ...resourceOf(bundle, 'Coverage'), id: 'cov', payor: [{ display: 'Sunrise Health Plan' }] },
    ];
    claim.patient = { reference: '#pat' };
    claim.insurance[0].coverage = { reference: '#cov' };
    claim.provider = { reference: 'Organization/riverside-family-medicine', identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1842107330' } };
    claim.careTeam = [];
    claim.diagnosis[0] = { sequence: 1, diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.9' }] } };
    const { record } = only(mapResource(claim, CONTEXT), 'Claim');
    expect(record.patient).toMatchObject({ name: { family: 'Whitfield' } });
    expect(record.patient.record).toBeUndefined();
    expect(record.payer).toEqual({ name: 'Sunrise Health Plan' });
    expect(record.billingProvider).toEqual({ npi: '1842107330', record: { system: 'riverside-epic', id: 'Organization/riverside-family-medicine' } });
  });

  it('a line charge from unitPrice x quantity x factor, rounded to cents and reported', () => {
    const result = expectMapped(
      claimWith((claim) => {
        claim.item[1].quantity = { value: 3 };
        claim.item[1].factor = 0.333;
        claim.total = { value: 219.96 };
      }),
    );
    expect(result.records[0]!.record).toMatchObject({ serviceLines: [{ charge: 175 }, { units: 3, charge: 44.96 }], totalCharge: 219.96 });
    expect(result.problems).toEqual(['Claim.item[1].unitPrice: rounded to whole cents']);
  });

  it('a line place of service that differs from the claim’s stays on the line', () => {
    const { record } = only(
      claimWith((claim) => {
        claim.item[1].locationCodeableConcept.coding[0].code = '81';
      }),
      'Claim',
    );
    expect(record.placeOfService).toBe('11');
    expect(record.serviceLines.map((l) => l.placeOfService)).toEqual([undefined, '81']);
  });

  it('a dependent: the subscriber’s name comes from the Coverage’s subscriber in the bundle', () => {
    const { record } = only(
      claimWith((_, bundle) => {
        const coverage = resourceOf(bundle, 'Coverage');
        coverage.relationship = { coding: [{ code: 'child' }] };
        coverage.subscriber = { reference: 'RelatedPerson/parent-1' };
        bundle.entry.push({
          resource: { resourceType: 'RelatedPerson', id: 'parent-1', patient: { reference: 'Patient/x' }, name: [{ family: 'Whitfield', given: ['Marcus'] }], birthDate: '1968-01-30' },
        });
      }),
      'Claim',
    );
    expect(record.subscriber).toMatchObject({ relationship: 'child', name: { family: 'Whitfield', given: ['Marcus'] }, birthDate: '1968-01-30' });
  });

  it('a dependent whose subscriber is not at hand cannot be billed', () => {
    const result = expectRejected(
      claimWith((_, bundle) => {
        resourceOf(bundle, 'Coverage').relationship = { coding: [{ code: 'spouse' }] };
      }),
    );
    expect(result.reasons).toEqual([
      'Claim.insurance[0].coverage.resolve().subscriber: required by the canonical Claim (the subscriber’s name, when the patient is not the subscriber: the Patient or RelatedPerson in the same bundle)',
    ]);
  });

  const REQUIRED = 'required by the canonical Claim';
  it.each<[string, (claim: Json, bundle: Json) => void, string[]]>([
    [
      'a total that is not the sum of the lines',
      (c) => (c.total = { value: 230, currency: 'USD' }),
      ['Claim.total: does not equal the sum of the item charges'],
    ],
    [
      'a charge in another currency',
      (c) => (c.item[0].net = { value: 175, currency: 'CAD' }),
      ['Claim.item[0].net.currency: claims are billed in USD'],
    ],
    [
      'a line without a charge',
      (c) => delete c.item[1].unitPrice,
      [`Claim.item[1].net: ${REQUIRED} (the line charge: net, or unitPrice)`],
    ],
    [
      'a line without a CPT/HCPCS code',
      (c) => (c.item[1].productOrService = { coding: [{ system: 'http://snomed.info/sct', code: '43396009' }] }),
      [`Claim.item[1].productOrService: ${REQUIRED} (a CPT or HCPCS code, on a professional claim line)`],
    ],
    [
      'a line without diagnosis pointers',
      (c) => delete c.item[1].diagnosisSequence,
      [`Claim.item[1].diagnosisSequence: ${REQUIRED} (a diagnosis pointer, on a professional claim line)`],
    ],
    [
      'a pointer to no diagnosis',
      (c) => (c.item[1].diagnosisSequence = [7]),
      ['Claim.item[1].diagnosisSequence: names a diagnosis the claim does not have'],
    ],
    [
      'no place of service',
      (c) => c.item.forEach((i: Json) => delete i.locationCodeableConcept),
      [`Claim.item.locationCodeableConcept: ${REQUIRED} (a CMS place of service code, on a professional claim)`],
    ],
    [
      'no service date anywhere',
      (c) => {
        delete c.item[0].servicedDate;
        delete c.billablePeriod;
      },
      [`Claim.item[0].servicedDate: ${REQUIRED} (the date of service: servicedDate, servicedPeriod or Claim.billablePeriod)`],
    ],
    [
      'a preauthorization',
      (c) => (c.use = 'preauthorization'),
      ['Claim.use: only a claim becomes a canonical Claim, not a preauthorization or predetermination'],
    ],
    [
      'a cancelled claim',
      (c) => (c.status = 'cancelled'),
      ['Claim.status: a cancelled or entered-in-error claim is not billed'],
    ],
    [
      'no member id on the coverage',
      (_, b) => {
        const coverage = resourceOf(b, 'Coverage');
        delete coverage.subscriberId;
        delete coverage.identifier;
      },
      [
        `Claim.insurance[0].coverage.resolve().subscriberId: ${REQUIRED} (the member id, up to 80 characters: ` +
          'an identifier in the member-id system(s), an identifier of type MB, or subscriberId)',
      ],
    ],
    [
      'a billing provider without an NPI',
      (_, b) => (b.entry.find((e: Json) => e.resource.id === 'riverside-family-medicine').resource.identifier = []),
      [`Claim.provider: ${REQUIRED} (an NPI: a us-npi identifier on the reference, or the referenced resource in the same bundle)`],
    ],
    [
      'no diagnosis',
      (c) => {
        delete c.diagnosis;
        c.item.forEach((i: Json) => delete i.diagnosisSequence);
      },
      [
        `Claim.diagnosis: ${REQUIRED} (at least one ICD-10-CM diagnosis)`,
        `Claim.item[0].diagnosisSequence: ${REQUIRED} (a diagnosis pointer, on a professional claim line)`,
        `Claim.item[1].diagnosisSequence: ${REQUIRED} (a diagnosis pointer, on a professional claim line)`,
      ],
    ],
  ])('rejects %s', (_, change, reasons) => {
    expect(expectRejected(claimWith(change)).reasons).toEqual(reasons);
  });

  it('the service date falls back to the billable period, and a serviced period gives the end date', () => {
    const { record } = only(
      claimWith((claim) => {
        delete claim.item[0].servicedDate;
        claim.item[1].servicedDate = undefined;
        claim.item[1].servicedPeriod = { start: '2024-05-06', end: '2024-05-08' };
      }),
      'Claim',
    );
    expect(record.serviceLines.map((l) => [l.serviceDate, l.serviceDateEnd])).toEqual([
      ['2024-05-06', undefined],
      ['2024-05-06', '2024-05-08'],
    ]);
  });
});

describe('Claim (institutional)', () => {
  function institutional(claim: Json): void {
    claim.type = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'institutional' }] };
    claim.billablePeriod = { start: '2024-05-06', end: '2024-05-07' };
    claim.supportingInfo = [
      { sequence: 1, category: { coding: [{ code: 'typeofbill' }] }, code: { coding: [{ system: 'https://www.nubc.org/CodeSystem/TypeOfBill', code: '0131' }] } },
      { sequence: 2, category: { coding: [{ code: 'discharge-status' }] }, code: { coding: [{ code: '01' }] } },
    ];
    claim.item[0].revenue = { coding: [{ system: 'https://www.nubc.org/CodeSystem/RevenueCodes', code: '0450' }] };
    claim.item[1].revenue = { coding: [{ code: '0301' }] };
  }

  it('builds the UB-04 block from billablePeriod and CARIN-style supportingInfo', () => {
    const { record } = only(claimWith(institutional), 'Claim');
    expect(record).toMatchObject({
      claimType: 'institutional',
      institutional: { typeOfBill: '131', statementPeriod: { start: '2024-05-06', end: '2024-05-07' }, patientStatus: '01' },
      serviceLines: [
        { revenueCode: '0450', procedure: { code: '99214', modifiers: ['25'] }, charge: 175 },
        { revenueCode: '0301', procedure: { code: '83036' }, charge: 45 },
      ],
    });
    // 837I has no claim-level place of service, nor a rendering provider loop.
    expect(record).not.toHaveProperty('placeOfService');
    expect(record).not.toHaveProperty('renderingProvider');
    expect(record.serviceLines.some((l) => l.placeOfService !== undefined)).toBe(false);
  });

  it('without a type of bill and revenue codes it is rejected, naming each', () => {
    const result = expectRejected(
      claimWith((claim) => {
        institutional(claim);
        claim.supportingInfo = [];
        delete claim.item[1].revenue;
      }),
    );
    expect(result.reasons).toEqual([
      'Claim.item[1].revenue: required by the canonical Claim (an NUBC revenue code, on an institutional claim line)',
      'Claim.supportingInfo: required by the canonical Claim (the type of bill: supportingInfo of category typeofbill, e.g. 0131)',
    ]);
  });
});

describe('Claim: the HL7 examples and Synthea', () => {
  it('HL7 Claim-100150 is an oral claim with no US codes: rejected, reasons named by element', () => {
    expect(expectRejected(mapResource(hl7('Claim-100150'), CONTEXT)).reasons).toEqual([
      'Claim.type: only professional and institutional claims have a canonical form (837P, 837I)',
      'Claim.provider: required by the canonical Claim (an NPI: a us-npi identifier on the reference, or the referenced resource in the same bundle)',
      'Claim.patient: required by the canonical Claim (the patient’s name: the Patient, with a name, in the same bundle, contained, or synced before (Patient records))',
      'Claim.insurance[0].coverage: required by the canonical Claim (the member id and relationship: the Coverage in the same bundle, contained, or synced before (Coverage records))',
      'Claim.diagnosis[0]: no ICD-10-CM code: in diagnosisCodeableConcept, or in a referenced Condition in the same bundle',
    ]);
  });

  it('HL7 Claim-960150 (institutional, no type of bill, no revenue code) is rejected', () => {
    const reasons = expectRejected(mapResource(hl7('Claim-960150'), CONTEXT)).reasons;
    expect(reasons).toEqual(
      expect.arrayContaining([
        'Claim.item[0].revenue: required by the canonical Claim (an NUBC revenue code, on an institutional claim line)',
        'Claim.supportingInfo: required by the canonical Claim (the type of bill: supportingInfo of category typeofbill, e.g. 0131)',
        'Claim.billablePeriod: required by the canonical Claim (the statement period, start and end)',
      ]),
    );
  });

  it('Synthea claims (SNOMED and CVX items, a payer by display only) are each rejected with reasons', () => {
    const { entries } = mapBundle(fixture('synthea/bundle-clemente-kreiger.json'), CONTEXT);
    const claims = entries.filter((e) => e.result.resourceType === 'Claim').map((e) => expectRejected(e.result));
    expect(claims).toHaveLength(3);
    for (const claim of claims) {
      expect(claim.reasons).toEqual(
        expect.arrayContaining([
          'Claim.provider: required by the canonical Claim (an NPI: a us-npi identifier on the reference, or the referenced resource in the same bundle)',
          'Claim.insurance[0].coverage: required by the canonical Claim (the member id and relationship: the Coverage in the same bundle, contained, or synced before (Coverage records))',
        ]),
      );
      expectNoValuesQuoted(claim.reasons, ['Kreiger', 'Clemente', '1984-07-02']);
    }
  });
});

describe('Claim: providers through roles', () => {
  it('a PractitionerRole as rendering provider: NPI and name from its practitioner, taxonomy from its NUCC specialty', () => {
    const { record } = only(
      claimWith((claim, bundle) => {
        claim.careTeam[0].provider = { reference: 'PractitionerRole/okafor-at-riverside' };
        delete claim.careTeam[0].qualification;
        bundle.entry.push({
          resource: {
            resourceType: 'PractitionerRole',
            id: 'okafor-at-riverside',
            practitioner: { reference: 'Practitioner/prov-0042' },
            organization: { reference: 'Organization/riverside-family-medicine' },
            specialty: [{ coding: [{ system: 'http://nucc.org/provider-taxonomy', code: '207Q00000X' }] }],
          },
        });
      }),
      'Claim',
    );
    expect(record.renderingProvider).toEqual({
      npi: '1923847564',
      name: 'Okafor, Adaeze',
      taxonomyCode: '207Q00000X',
      record: { system: 'riverside-epic', id: 'Practitioner/prov-0042' },
    });
  });

  it('rejects a professional claim with more diagnoses than an 837P carries', () => {
    const result = expectRejected(
      claimWith((claim) => {
        for (let i = 3; i <= 13; i++) {
          claim.diagnosis.push({ sequence: i, diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: `Z00.0${i % 10}` }] } });
        }
      }),
    );
    expect(result.reasons).toEqual(['Claim.diagnosis: more than the 12 diagnoses an 837P carries']);
  });
});

describe('Claim: service facility', () => {
  function atFacility(claim: Json, bundle: Json): void {
    claim.facility = { reference: 'Location/east' };
    claim.item.forEach((i: Json) => delete i.locationCodeableConcept);
    bundle.entry.push({
      resource: {
        resourceType: 'Location',
        id: 'east',
        name: 'Riverside Family Medicine - East Clinic',
        identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1712345606' }],
        type: [{ coding: [{ system: 'https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set', code: '11' }] }],
        address: { line: ['4410 E Riverside Dr'], city: 'Austin', state: 'TX', postalCode: '78741' },
      },
    });
  }

  it('the facility Location gives the service facility loop and, lacking one on the items, the place of service', () => {
    const { record } = only(claimWith(atFacility), 'Claim');
    expect(record.serviceFacility).toEqual({
      name: 'Riverside Family Medicine - East Clinic',
      npi: '1712345606',
      address: { line: ['4410 E Riverside Dr'], city: 'Austin', state: 'TX', postalCode: '78741' },
      location: { system: 'riverside-epic', id: 'Location/east' },
    });
    expect(record.placeOfService).toBe('11');
  });
});

describe('Claim: a Patient and Coverage synced before', () => {
  const PATIENT_ID = '5f1c2a9e-7b1d-4c55-9a0e-2d6f3b8c1a01';
  const COVERAGE_ID = '0b7e8d22-4c61-4f3a-8d7e-6a2b9f1c3d02';
  const patientRef = { system: 'riverside-epic', id: `Patient/${PATIENT_ID}` };
  const coverageRef = { system: 'riverside-epic', id: `Coverage/${COVERAGE_ID}` };

  /** The canonical records the bundle's Patient and Coverage became, as an earlier sync stored them. */
  function synced(): { patient: EntityData<'Patient'>; coverage: EntityData<'Coverage'> } {
    const { entries } = mapBundle(copy(BUNDLE), CONTEXT);
    const recordOf = (type: string) => expectMapped(entries.find((e) => e.result.resourceType === type)!.result).records[0]!.record;
    return { patient: recordOf('Patient') as EntityData<'Patient'>, coverage: recordOf('Coverage') as EntityData<'Coverage'> };
  }

  function knownOf(records: { patient?: EntityData<'Patient'>; coverage?: EntityData<'Coverage'> }): KnownRecords {
    const known = new KnownRecords();
    if (records.patient) known.add('Patient', patientRef, records.patient);
    if (records.coverage) known.add('Coverage', coverageRef, records.coverage);
    return known;
  }

  /** The bundle's Claim as an EHR serves it on its own: parties by id, the provider's NPI on its reference, a coded diagnosis. */
  function claimById(): Json {
    const claim = copy(resourceOf(BUNDLE, 'Claim'));
    claim.patient = { reference: `Patient/${PATIENT_ID}` };
    claim.insurance[0].coverage = { reference: `Coverage/${COVERAGE_ID}` };
    claim.provider = { reference: 'Organization/riverside-family-medicine', identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1842107330' } };
    claim.careTeam = [];
    claim.diagnosis[0] = { sequence: 1, diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.9' }] } };
    return claim;
  }

  it('fills the patient, payer and subscriber from the records, as the bundle would have', () => {
    const { record } = only(mapResource(claimById(), CONTEXT, undefined, knownOf(synced())), 'Claim');
    const fromBundle = only(claimWith(), 'Claim').record;

    expect(record.patient).toEqual({
      name: { family: 'Whitfield', given: ['Anaya', 'June'], use: 'official' },
      birthDate: '1971-09-02',
      gender: 'female',
      address: { use: 'home', line: ['88 Bluebonnet Trail'], city: 'Austin', state: 'TX', postalCode: '78745', country: 'US' },
      record: patientRef,
    });
    expect(record.payer).toEqual({ name: 'Sunrise Health Plan', organization: { system: 'riverside-epic', id: 'Organization/sunrise-health-plan' } });
    expect(record.subscriber).toEqual({ memberId: 'SHP884120553', relationship: 'self', groupNumber: 'GRP-22870', payerResponsibility: 'primary', coverage: coverageRef });
    expect({ patient: record.patient, payer: record.payer, subscriber: record.subscriber }).toEqual({
      patient: fromBundle.patient,
      payer: fromBundle.payer,
      subscriber: fromBundle.subscriber,
    });
  });

  it('a dependent: the Coverage record’s subscriber and order; relationships a claim has no code for bill as other', () => {
    const { patient, coverage } = synced();
    const dependent: EntityData<'Coverage'> = {
      ...coverage,
      relationship: 'parent',
      order: 2,
      insuranceType: 'CI',
      subscriber: { name: { family: 'Whitfield', given: ['Marcus'] }, birthDate: '1968-01-30' },
    };
    const { record } = only(mapResource(claimById(), CONTEXT, undefined, knownOf({ patient, coverage: dependent })), 'Claim');
    expect(record.subscriber).toEqual({
      memberId: 'SHP884120553',
      relationship: 'other',
      name: { family: 'Whitfield', given: ['Marcus'] },
      birthDate: '1968-01-30',
      groupNumber: 'GRP-22870',
      insuranceType: 'CI',
      payerResponsibility: 'secondary',
      coverage: coverageRef,
    });
  });

  it('keeps the rules: a dependent’s Coverage record without a subscriber is not billed, nor a member id over 80 characters', () => {
    const { patient, coverage } = synced();
    const spouse = expectRejected(mapResource(claimById(), CONTEXT, undefined, knownOf({ patient, coverage: { ...coverage, relationship: 'spouse' } })));
    expect(spouse.reasons).toEqual([
      'Claim.insurance[0].coverage.resolve().subscriber: required by the canonical Claim (the subscriber’s name, when the patient is not the subscriber: the Coverage synced before (Coverage records) names none)',
    ]);
    const long = expectRejected(mapResource(claimById(), CONTEXT, undefined, knownOf({ patient, coverage: { ...coverage, memberId: 'M'.repeat(81) } })));
    expect(long.reasons).toEqual([
      'Claim.insurance[0].coverage.resolve().subscriberId: required by the canonical Claim (the member id, up to 80 characters: an identifier in the member-id system(s), an identifier of type MB, or subscriberId)',
    ]);
  });

  it('what came with the claim wins over the store: a contained Patient and Coverage are read, not the records', () => {
    const claim = claimById();
    claim.contained = [
      { ...resourceOf(BUNDLE, 'Patient'), id: 'pat', name: [{ family: 'Contained', given: ['Casey'] }] },
      { ...resourceOf(BUNDLE, 'Coverage'), id: 'cov', subscriberId: 'CONTAINED-1', identifier: [], payor: [{ display: 'Contained Plan' }] },
    ];
    claim.patient = { reference: '#pat' };
    claim.insurance[0].coverage = { reference: '#cov' };
    const { record } = only(mapResource(claim, CONTEXT, undefined, knownOf(synced())), 'Claim');
    expect(record.patient.name).toEqual({ family: 'Contained', given: ['Casey'] });
    expect(record.payer).toEqual({ name: 'Contained Plan' });
    expect(record.subscriber.memberId).toBe('CONTAINED-1');
  });

  it('and a Patient in the same bundle wins over its record', () => {
    const bundle = copy(BUNDLE);
    resourceOf(bundle, 'Patient').name = [{ family: 'Bundled', given: ['Blair'] }];
    const result = mapResource(resourceOf(bundle, 'Claim'), CONTEXT, indexBundle(bundle.entry), knownOf(synced()));
    expect(only(result, 'Claim').record.patient.name).toEqual({ family: 'Bundled', given: ['Blair'] });
  });

  it('a Patient and Coverage neither at hand nor synced: rejected, saying where they may come from, quoting nothing', () => {
    const { patient, coverage } = synced();
    const someoneElse = knownOf({ coverage }).add('Patient', { system: 'riverside-epic', id: 'Patient/someone-else' }, patient);
    const result = expectRejected(mapResource(claimById(), CONTEXT, undefined, someoneElse));
    expect(result.reasons).toEqual([
      'Claim.patient: required by the canonical Claim (the patient’s name: the Patient, with a name, in the same bundle, contained, or synced before (Patient records))',
    ]);
    const neither = expectRejected(mapResource(claimById(), CONTEXT));
    expect(neither.reasons).toEqual([
      'Claim.patient: required by the canonical Claim (the patient’s name: the Patient, with a name, in the same bundle, contained, or synced before (Patient records))',
      'Claim.insurance[0].coverage: required by the canonical Claim (the member id and relationship: the Coverage in the same bundle, contained, or synced before (Coverage records))',
    ]);
    expectNoValuesQuoted([...result.reasons, ...neither.reasons], ['Whitfield', '1971-09-02', 'SHP884120553', PATIENT_ID, COVERAGE_ID]);
  });

  it('partyLookupsOf names what a caller must look up: parties by reference alone, of the focal insurance, and nothing else', () => {
    const claim = claimById();
    claim.insurance = [{ sequence: 1, coverage: { reference: 'Coverage/other' } }, { sequence: 2, focal: true, coverage: { reference: `Coverage/${COVERAGE_ID}` } }];
    expect(partyLookupsOf(claim, CONTEXT)).toEqual([
      { entity: 'Patient', ref: patientRef },
      { entity: 'Coverage', ref: coverageRef },
    ]);
    // In the bundle, contained, or not a Claim: nothing to look up.
    const bundle = copy(BUNDLE);
    expect(partyLookupsOf(resourceOf(bundle, 'Claim'), CONTEXT, indexBundle(bundle.entry))).toEqual([]);
    const contained = claimById();
    contained.contained = [{ resourceType: 'Patient', id: 'pat', name: [{ family: 'Contained' }] }];
    contained.patient = { reference: '#pat' };
    expect(partyLookupsOf(contained, CONTEXT)).toEqual([{ entity: 'Coverage', ref: coverageRef }]);
    expect(partyLookupsOf(resourceOf(BUNDLE, 'Patient'), CONTEXT)).toEqual([]);
  });
});
