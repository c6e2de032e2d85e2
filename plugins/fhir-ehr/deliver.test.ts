import { http } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import type { FhirResource } from '../../connectors/fhir/index.js';
import { useMockNetwork } from '../../connectors/fhir/test-support.js';
import { exampleRecords } from '../../core/model/examples.js';
import { UpstreamError, type EntityData, type EntityName } from '../../core/sdk/index.js';
import { writtenKey } from './deliver.js';
import { BASE_URL, setupEhr, type EhrSetup } from './test-support.js';

const network = useMockNetwork();
let setup: EhrSetup | undefined;
afterEach(async () => {
  await setup?.hub.close();
  setup = undefined;
});

const MEMBER_IDS = { memberIdSystems: ['https://sunrisehealthplan.example/member-id'] };
const EOB_SYSTEM = 'urn:mso-hub:riverside-ehr:eob';

type Delivery = { type: EntityName; data: Record<string, unknown>; ref: { system: string; id: string } };

/** Sunrise's 835 as the clearinghouse emitted it: two claim payments, one paid, one denied. */
function remittance(edit?: (data: EntityData<'Remittance'>) => void): Delivery {
  const data = structuredClone(exampleRecords.Remittance);
  edit?.(data);
  return { type: 'Remittance', data, ref: { system: 'x12-835', id: data.traceNumber } };
}

/** A 271 for a patient the EHR holds (its id in this connector's namespace), or as the clearinghouse saw it. */
function eligibility(patientId: string | undefined, trace: string): Delivery {
  const data = structuredClone(exampleRecords.EligibilityCheck);
  data.traceNumber = trace;
  if (patientId !== undefined) data.member.patient = { system: 'riverside-epic', id: `Patient/${patientId}` };
  return { type: 'EligibilityCheck', data, ref: { system: 'x12-271', id: trace } };
}

const eobs = (setup: EhrSetup) => setup.ehr.resources('ExplanationOfBenefit');
const keyOf = (resource: FhirResource) => (resource.identifier as Array<{ system: string; value: string }>).find((id) => id.system === EOB_SYSTEM)!.value;
const writes = (setup: EhrSetup, from = 0) => setup.ehr.requests.slice(from).filter((request) => request.method === 'POST' || request.method === 'PUT');

describe('fhir-ehr write-back', { timeout: 60_000 }, () => {
  it('writes one ExplanationOfBenefit per claim payment, and a repeated delivery writes nothing', async () => {
    setup = await setupEhr(network, { config: MEMBER_IDS });
    const { hub } = setup;

    const first = await hub.deliver([remittance()]);

    expect(first.error).toBeUndefined();
    expect(first.counts).toMatchObject({ writtenCreated: 2 });
    expect(eobs(setup).map(keyOf).sort()).toEqual(['0008841207:SHP24125004410', '0008841207:SHP24128000917']);
    const paid = eobs(setup).find((eob) => keyOf(eob).endsWith('SHP24128000917'))!;
    expect(paid).toMatchObject({ status: 'active', use: 'claim', outcome: 'complete', payment: { amount: { value: 100.72 } } });
    const before = setup.ehr.requests.length;

    const again = await hub.deliver([remittance()]);

    expect(again.error).toBeUndefined();
    expect(again.counts).toMatchObject({ alreadyWritten: 1 });
    expect(again.counts.writtenCreated ?? 0).toBe(0);
    expect(writes(setup, before)).toEqual([]);
    expect(eobs(setup)).toHaveLength(2);

    const logged = JSON.stringify(hub.logs);
    expect(logged).not.toMatch(/Delgado|Whitfield|SHP884120553|RFM2405/);
  });

  it('updates the EOBs in place when the remittance changes', async () => {
    setup = await setupEhr(network, { config: MEMBER_IDS });
    const { hub } = setup;
    await hub.deliver([remittance()]);
    const ids = eobs(setup).map((eob) => eob.id).sort();

    // The payer overturned the denial: the corrected remittance is a new version of the record.
    const changed = await hub.deliver([
      remittance((data) => {
        Object.assign(data.claimPayments[1]!, { statusCode: '1', paidAmount: 120, adjustments: [{ group: 'CO', reasonCode: '45', amount: 30 }], remarkCodes: undefined });
      }),
    ]);

    expect(changed.error).toBeUndefined();
    expect(changed.counts).toMatchObject({ writtenUpdated: 2 });
    expect(eobs(setup).map((eob) => eob.id).sort()).toEqual(ids);
    const overturned = eobs(setup).find((eob) => keyOf(eob).endsWith('SHP24125004410'))!;
    expect(overturned).toMatchObject({ disposition: 'Processed as primary', payment: { amount: { value: 120 } }, meta: { versionId: '2' } });
    // The other payment did not change, so neither did its EOB.
    expect(eobs(setup).find((eob) => keyOf(eob).endsWith('SHP24128000917'))!.meta?.versionId).toBe('1');
  });

  it('fails retryably when the EHR answers 503 mid-delivery, and the retry completes without duplicates', async () => {
    setup = await setupEhr(network, { config: MEMBER_IDS });
    const { ehr, hub } = setup;
    let posts = 0;
    // The second EOB's POST meets a 503, on the client's first attempt and on its one retry.
    network.use(
      http.post(`${BASE_URL}/ExplanationOfBenefit`, () => {
        if (++posts === 2) ehr.failNext({ status: 503, times: 2, path: '/ExplanationOfBenefit' });
      }),
    );

    const failed = await hub.deliver([remittance()]);

    expect(failed.run.status).toBe('failed');
    expect(failed.error).toBeInstanceOf(UpstreamError);
    expect((failed.error as UpstreamError).retryable).toBe(true);
    expect(eobs(setup)).toHaveLength(1);

    const retried = await hub.deliver([remittance()]);

    expect(retried.error).toBeUndefined();
    // The first EOB is found by its identifier, not created again.
    expect(retried.counts).toMatchObject({ writtenUnchanged: 1, writtenCreated: 1 });
    expect(eobs(setup).map(keyOf).sort()).toEqual(['0008841207:SHP24125004410', '0008841207:SHP24128000917']);
  });

  it('writes an eligibility result as a CoverageEligibilityResponse for the EHR’s patient', async () => {
    setup = await setupEhr(network);
    const { ehr, hub } = setup;
    const patient = ehr.resources('Patient')[0]!;

    const result = await hub.deliver([eligibility(patient.id, '93175-0506-0481')]);

    expect(result.error).toBeUndefined();
    expect(result.counts).toMatchObject({ writtenCreated: 1 });
    const responses = ehr.resources('CoverageEligibilityResponse');
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({
      identifier: [{ system: 'urn:mso-hub:riverside-ehr:coverage-eligibility-response', value: '93175-0506-0481' }],
      patient: { reference: `Patient/${patient.id}` },
      outcome: 'complete',
      insurance: [{ inforce: true }],
    });
  });

  it('rejects a record it cannot write, naming the missing element, and still writes the others', async () => {
    setup = await setupEhr(network);
    const { ehr, hub } = setup;
    const patient = ehr.resources('Patient')[1]!;

    const result = await hub.deliver([
      // The clearinghouse's check names a patient in another system, and no member id system is configured.
      eligibility(undefined, 'TRN-FOREIGN'),
      eligibility(patient.id, 'TRN-KNOWN'),
    ]);

    expect(result.error).toBeUndefined();
    expect(ehr.resources('CoverageEligibilityResponse').map((response) => (response.identifier as Array<{ value: string }>)[0]!.value)).toEqual(['TRN-KNOWN']);
    expect(result.rejects).toHaveLength(1);
    expect(result.rejects[0]).toMatchObject({ type: 'EligibilityCheck', externalSystem: 'x12-271', externalId: 'TRN-FOREIGN' });
    expect(result.rejects[0]!.reasons).toEqual([expect.stringMatching(/^CoverageEligibilityResponse\.patient: required/)]);
    // A repeat of the same version rejects nothing twice and writes nothing.
    const again = await hub.deliver([eligibility(undefined, 'TRN-FOREIGN')]);
    expect(again.counts).toMatchObject({ alreadyWritten: 1 });
    expect(ehr.resources('CoverageEligibilityResponse')).toHaveLength(1);
  });

  it('remembers per record the version it wrote', async () => {
    setup = await setupEhr(network, { config: MEMBER_IDS });
    const { hub } = setup;
    await hub.deliver([remittance()]);
    await hub.deliver([remittance((data) => void (data.productionDate = '2024-05-23'))]);

    // The job logs the hub's record id (never the remittance's content).
    const written = hub.logs.filter((line) => line.msg === 'fhir-ehr record written back');
    expect(written.map((line) => line.version)).toEqual([1, 2]);
    expect(await hub.state(writtenKey(String(written[1]!.recordId)))).toBe(2);
    expect(eobs(setup).every((eob) => eob.created === '2024-05-23')).toBe(true);
  });
});
