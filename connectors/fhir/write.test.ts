import { describe, expect, it } from 'vitest';
import { InputError, PermanentError } from '../../core/errors.js';
import { outcomeOf } from './failures.js';
import { failure, harness, useMockNetwork } from './test-support.js';
import type { FhirResource } from './types.js';

const network = useMockNetwork();

/** An eligibility result the hub writes back to the EHR (synthetic member). */
function eligibility(outcome: string): FhirResource {
  return {
    resourceType: 'CoverageEligibilityResponse',
    identifier: [{ system: 'https://mso.example/eligibility', value: 'elig-2024-000117' }],
    status: 'active',
    purpose: ['validation'],
    patient: { reference: 'Patient/79a66c97-6131-3213-f3c9-4606946ab056' },
    created: '2024-06-01T12:00:00Z',
    request: { identifier: { system: 'https://mso.example/eligibility-request', value: 'req-000117' } },
    outcome,
    insurer: { display: 'Synthetic Health Plan' },
  };
}

const byIdentifier = 'identifier=https://mso.example/eligibility|elig-2024-000117';

describe('conditional create', () => {
  it('creates once; a repeat finds the first and reports it unchanged', async () => {
    const { fhir, ehr } = harness(network);

    const first = await fhir.conditionalCreate(eligibility('complete'), byIdentifier);
    const again = await fhir.conditionalCreate(eligibility('complete'), { identifier: 'https://mso.example/eligibility|elig-2024-000117' });

    expect(first).toMatchObject({ outcome: 'created', status: 201, versionId: '1' });
    expect(again).toMatchObject({ outcome: 'unchanged', status: 200, id: first.id });
    expect(ehr.resources('CoverageEligibilityResponse')).toHaveLength(1);
  });

  it('repeats safely after a 503: the resource exists once', async () => {
    const { fhir, ehr } = harness(network);
    ehr.failNext({ status: 503, retryAfter: '0' });

    expect((await fhir.conditionalCreate(eligibility('complete'), byIdentifier)).outcome).toBe('created');
    expect(ehr.resources('CoverageEligibilityResponse')).toHaveLength(1);
  });

  it('reports several matches as a PermanentError with the OperationOutcome', async () => {
    const { fhir, ehr } = harness(network);
    ehr.seed({ ...eligibility('complete'), id: 'one' }, { ...eligibility('complete'), id: 'two' });

    const error = await failure(fhir.conditionalCreate(eligibility('complete'), byIdentifier));

    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain('answered 412');
    expect(outcomeOf(error)?.[0].code).toBe('duplicate');
  });
});

describe('conditional update', () => {
  it('creates when nothing matches, then updates the one match', async () => {
    const { fhir, ehr } = harness(network);

    const created = await fhir.conditionalUpdate(eligibility('queued'), byIdentifier);
    const updated = await fhir.conditionalUpdate(eligibility('complete'), byIdentifier);

    expect(created).toMatchObject({ outcome: 'created', status: 201, versionId: '1' });
    expect(updated).toMatchObject({ outcome: 'updated', status: 200, id: created.id, versionId: '2' });
    expect(ehr.resources('CoverageEligibilityResponse')).toEqual([expect.objectContaining({ id: created.id, outcome: 'complete' })]);
  });

  it('repeating the same update leaves the server version as it was', async () => {
    const { fhir } = harness(network);
    await fhir.conditionalUpdate(eligibility('complete'), byIdentifier);
    const repeat = await fhir.conditionalUpdate(eligibility('complete'), byIdentifier);
    expect(repeat.versionId).toBe('1');
  });

  it("shows the server's reason for a rejection, never the resource we sent", async () => {
    const { fhir } = harness(network);

    const error = await failure(fhir.conditionalUpdate(eligibility('complete'), 'member-id=XK-000117'));

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('Unknown search parameter');
    expect(error.message).toContain('member-id=***');
    expect(error.message).not.toContain('XK-000117');
    expect(error.message).not.toContain('79a66c97');
    expect(error.message).not.toContain('Synthetic Health Plan');
  });

  it('refuses empty criteria before sending: they would match nothing or everything', async () => {
    const { fhir } = harness(network);
    await expect(fhir.conditionalUpdate(eligibility('complete'), '')).rejects.toThrow(/criteria are empty/);
  });

  it('refuses a resource without a resourceType, naming nothing of it', async () => {
    const { fhir } = harness(network);
    const error = await failure(fhir.conditionalCreate({ name: 'Ana Testperson' } as unknown as FhirResource, byIdentifier));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).not.toContain('Ana');
  });
});
