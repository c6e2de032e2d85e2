import { describe, expect, it } from 'vitest';
import { exampleRecords } from '../../../core/model/examples.js';
import type { EntityData } from '../../../core/sdk/index.js';
import { eligibilityToFhir, SERVICE_TYPE_SYSTEM } from './eligibility.js';

const context = { connectorId: 'riverside-ehr', externalSystem: 'riverside-epic' };
const check = (patch: Partial<EntityData<'EligibilityCheck'>> = {}): EntityData<'EligibilityCheck'> => ({
  ...structuredClone(exampleRecords.EligibilityCheck),
  member: { ...exampleRecords.EligibilityCheck.member, patient: { system: 'riverside-epic', id: 'Patient/pat-481' } },
  ...patch,
});

/** Elements FHIR R4 requires (1..1 or 1..*) on a CoverageEligibilityResponse. */
const REQUIRED = ['status', 'purpose', 'patient', 'created', 'request', 'outcome', 'insurer'];

describe('EligibilityCheck to CoverageEligibilityResponse', () => {
  it('tells the EHR that Marisol’s Sunrise coverage is active, with her copay, deductible and coinsurance', () => {
    const { writes, problems } = eligibilityToFhir(check(), 'rec-1', context);

    expect(problems).toEqual([]);
    expect(writes).toHaveLength(1);
    const [{ resource, identifier }] = writes as [(typeof writes)[number]];
    expect(identifier).toEqual({ system: 'urn:mso-hub:riverside-ehr:coverage-eligibility-response', value: '93175-0506-0481' });
    for (const element of REQUIRED) expect(resource, element).toHaveProperty(element);
    expect(resource).toMatchObject({
      resourceType: 'CoverageEligibilityResponse',
      identifier: [identifier],
      status: 'active',
      purpose: ['benefits'],
      patient: { reference: 'Patient/pat-481' },
      servicedDate: '2024-05-06',
      created: '2024-05-03T14:02:13Z',
      requestor: { identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1842107330' } },
      request: { identifier: { value: '93175-0506-0481' } },
      outcome: 'complete',
      disposition: 'Coverage active (Sunrise Choice PPO)',
      insurer: { display: 'Sunrise Health Plan', identifier: { value: 'SHP01' } },
    });
    const [insurance] = resource.insurance as Array<Record<string, unknown>>;
    expect(insurance).toMatchObject({ inforce: true, benefitPeriod: { start: '2024-01-01', end: '2024-12-31' } });
    const items = insurance!.item as Array<Record<string, any>>;
    const office = items.find((item) => item.category.coding[0].code === '98')!;
    expect(office.category.coding[0].system).toBe(SERVICE_TYPE_SYSTEM);
    expect(office.network.coding[0].code).toBe('in');
    expect(office.benefit).toEqual([{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/benefit-type', code: 'copay' }] }, allowedMoney: { value: 25, currency: 'USD' } }]);
    // The calendar-year deductible of 1500 with 850 remaining: 650 used.
    const deductible = items.find((item) => item.category.coding[0].code === '30' && item.term?.coding[0].code === 'annual' && item.unit?.coding[0].code === 'individual');
    expect(deductible!.benefit).toContainEqual(expect.objectContaining({ allowedMoney: { value: 1500, currency: 'USD' }, usedMoney: { value: 650, currency: 'USD' } }));
    expect(JSON.stringify(items)).toContain('"allowedUnsignedInt":20');
    // Nothing in it names the member: the EHR knows its patient.
    expect(JSON.stringify(resource)).not.toContain('Delgado');
  });

  it('names the member by member id when the patient is not one of this EHR’s and the connector names a member id system', () => {
    const { writes } = eligibilityToFhir(check({ member: { ...exampleRecords.EligibilityCheck.member } }), 'rec-1', {
      ...context,
      memberIdSystem: 'https://sunrisehealthplan.example/member-id',
    });

    expect(writes[0]!.resource.patient).toEqual({
      identifier: { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB' }] }, system: 'https://sunrisehealthplan.example/member-id', value: 'SHP884120553' },
    });
  });

  it('reports an inactive coverage and a payer rejection as the 271 said them', () => {
    const inactive = eligibilityToFhir(check({ coverageActive: false, benefits: undefined }), 'rec-1', context).writes[0]!.resource;
    expect(inactive).toMatchObject({ outcome: 'complete', disposition: 'Coverage inactive (Sunrise Choice PPO)', insurance: [{ inforce: false }] });

    const rejected = eligibilityToFhir(
      check({ coverageActive: undefined, benefits: undefined, planName: undefined, planPeriod: undefined, rejections: [{ reasonCode: '72', followUp: 'C' }] }),
      'rec-1',
      context,
    ).writes[0]!.resource;
    expect(rejected).toMatchObject({ outcome: 'error', error: [{ code: { coding: [{ code: '72' }] } }] });
    expect(rejected.insurance).toBeUndefined();
  });

  it('cannot be written without a patient the EHR can resolve, nor before the 271 answers', () => {
    const foreign = eligibilityToFhir(check({ member: { ...exampleRecords.EligibilityCheck.member } }), 'rec-1', context);
    expect(foreign.writes).toEqual([]);
    expect(foreign.problems).toEqual([expect.stringMatching(/^CoverageEligibilityResponse\.patient: required/)]);

    const unanswered = eligibilityToFhir(
      check({ respondedAt: undefined, coverageActive: undefined, benefits: undefined, rejections: undefined }),
      'rec-1',
      context,
    );
    expect(unanswered.problems).toEqual([expect.stringMatching(/^CoverageEligibilityResponse\.outcome: the 271 has not answered/)]);
    // Problems name elements, never values.
    expect(JSON.stringify([foreign.problems, unanswered.problems])).not.toMatch(/SHP884120553|pat-000481|Delgado/);
  });
});
