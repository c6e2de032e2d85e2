import { describe, expect, it } from 'vitest';
import { exampleRecords } from '../../../core/model/examples.js';
import type { EntityData } from '../../../core/sdk/index.js';
import { CARC_SYSTEM, claimKey, remittanceToFhir } from './remittance.js';

const MEMBER_IDS = 'https://sunrisehealthplan.example/member-id';
const context = { connectorId: 'riverside-ehr', externalSystem: 'riverside-epic', memberIdSystem: MEMBER_IDS };
const remittance = (): EntityData<'Remittance'> => structuredClone(exampleRecords.Remittance);

/** Elements FHIR R4 requires (1..1 or 1..*) on an ExplanationOfBenefit. */
const REQUIRED = ['status', 'type', 'use', 'patient', 'created', 'insurer', 'provider', 'outcome', 'insurance'];

describe('Remittance to ExplanationOfBenefit', () => {
  it('gives each claim payment of Sunrise’s 835 its own EOB, keyed by trace and payer claim number', () => {
    const { writes, problems } = remittanceToFhir(remittance(), context);

    expect(problems).toEqual([]);
    expect(writes.map((write) => write.identifier)).toEqual([
      { system: 'urn:mso-hub:riverside-ehr:eob', value: '0008841207:SHP24128000917' },
      { system: 'urn:mso-hub:riverside-ehr:eob', value: '0008841207:SHP24125004410' },
    ]);
    const [paid, denied] = writes.map((write) => write.resource as Record<string, any>) as [Record<string, any>, Record<string, any>];
    for (const element of REQUIRED) expect(paid, element).toHaveProperty(element);
    expect(paid).toMatchObject({
      resourceType: 'ExplanationOfBenefit',
      identifier: [
        { system: 'urn:mso-hub:riverside-ehr:eob', value: '0008841207:SHP24128000917' },
        { system: 'urn:mso-hub:payer-claim-control-number:SHP01', value: 'SHP24128000917' },
      ],
      status: 'active',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
      use: 'claim',
      patient: { identifier: { system: MEMBER_IDS, value: 'SHP884120553' } },
      billablePeriod: { start: '2024-05-06', end: '2024-05-06' },
      created: '2024-05-22',
      insurer: { display: 'Sunrise Health Plan' },
      provider: { identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1842107330' }, display: 'Riverside Family Medicine PLLC' },
      outcome: 'complete',
      disposition: 'Processed as primary',
      careTeam: [{ sequence: 1, provider: { identifier: { value: '1923847564' } } }],
      insurance: [{ focal: true, coverage: { identifier: { value: 'SHP884120553' } } }],
      total: [
        { category: { coding: [{ code: 'submitted' }] }, amount: { value: 220, currency: 'USD' } },
        { category: { coding: [{ code: 'benefit' }] }, amount: { value: 100.72, currency: 'USD' } },
      ],
      payment: { date: '2024-05-24', amount: { value: 100.72, currency: 'USD' }, type: { coding: [{ code: 'partial' }] } },
    });
    expect(paid.claim).toBeUndefined();
    // Line 1: 99214-25, allowed 112.40, CO-45 62.60 and PR-3 25.00.
    expect(paid.item[0]).toMatchObject({
      sequence: 1,
      productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99214' }] },
      modifier: [{ coding: [{ code: '25' }] }],
      servicedDate: '2024-05-06',
      quantity: { value: 1 },
    });
    expect(paid.item[0].adjudication).toEqual(
      expect.arrayContaining([
        { category: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/adjudication', code: 'eligible' }] }, amount: { value: 112.4, currency: 'USD' } },
        {
          category: { coding: [{ system: 'https://x12.org/codes/claim-adjustment-group-codes', code: 'CO' }] },
          reason: { coding: [{ system: CARC_SYSTEM, code: '45' }] },
          amount: { value: 62.6, currency: 'USD' },
        },
        expect.objectContaining({ reason: { coding: [{ system: CARC_SYSTEM, code: '3' }] }, amount: { value: 25, currency: 'USD' } }),
      ]),
    );
    // The denial: CO-197 at claim level, nothing paid.
    expect(denied).toMatchObject({
      disposition: 'Denied',
      adjudication: [{ reason: { coding: [{ code: '197' }] }, amount: { value: 150 } }],
      payment: { amount: { value: 0 } },
    });
    expect(denied.item).toBeUndefined();
    expect(denied.payment.type).toBeUndefined();
    expect(JSON.stringify(writes)).not.toMatch(/Delgado|Whitfield|RFM2405/);
  });

  it('links the EOB to the EHR’s own claim, patient and coverage when the payment was matched to a claim from this EHR', () => {
    const data = remittance();
    const claimRef = { system: 'riverside-epic', id: 'Claim/cl-481' };
    data.claimPayments[0]!.claim = claimRef;
    const claim: EntityData<'Claim'> = {
      ...structuredClone(exampleRecords.Claim),
      claimType: 'institutional',
      patient: { ...exampleRecords.Claim.patient, record: { system: 'riverside-epic', id: 'Patient/pat-481' } },
      subscriber: { ...exampleRecords.Claim.subscriber, coverage: { system: 'riverside-epic', id: 'Coverage/cov-481' } },
    };

    const { writes } = remittanceToFhir(data, context, new Map([[claimKey(claimRef), claim]]));

    expect(writes[0]!.resource).toMatchObject({
      claim: { reference: 'Claim/cl-481' },
      patient: { reference: 'Patient/pat-481' },
      insurance: [{ focal: true, coverage: { reference: 'Coverage/cov-481' } }],
      type: { coding: [{ code: 'institutional' }] },
    });
  });

  it('keys a reversal apart from the payment it reverses, and marks a predetermination', () => {
    const data = remittance();
    data.claimPayments[1] = { ...data.claimPayments[0]!, statusCode: '22', chargeAmount: -220, paidAmount: -100.72 };
    data.claimPayments.push({ ...data.claimPayments[0]!, statusCode: '25', payerClaimControlNumber: 'SHP24128000999' });

    const { writes } = remittanceToFhir(data, context);

    expect(new Set(writes.map((write) => write.identifier.value)).size).toBe(3);
    expect(writes[1]!.resource.disposition).toBe('Reversal of previous payment');
    expect(writes[2]!.resource.use).toBe('predetermination');
  });

  it('writes the payments it can and names, by position, the one without a patient', () => {
    const data = remittance();
    delete data.claimPayments[1]!.patient;

    const { writes, problems } = remittanceToFhir(data, context);

    expect(writes).toHaveLength(1);
    expect(problems).toEqual([expect.stringMatching(/^claimPayments\[1\]: ExplanationOfBenefit\.patient: required/)]);
  });
});
