import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../core/errors.js';
import { syntheaSample } from './testing/synthea.js';
import { BASE_URL, failure, harness, useMockNetwork } from './test-support.js';

const network = useMockNetwork();

/** Shaped like HAPI's: `_lastUpdated` declared once for the server, `$export` named without definitions. */
const hapiLike = {
  resourceType: 'CapabilityStatement',
  fhirVersion: '4.0.1',
  software: { name: 'HAPI FHIR Server', version: '7.2.0' },
  rest: [
    {
      mode: 'server',
      searchParam: [{ name: '_lastUpdated', type: 'date' }],
      interaction: [{ code: 'transaction' }, { code: 'history-system' }],
      operation: [{ name: 'export' }],
      resource: [
        {
          type: 'Coverage',
          interaction: [{ code: 'read' }, { code: 'search-type' }],
          searchParam: [{ name: 'beneficiary', type: 'reference' }],
        },
        {
          type: 'Group',
          interaction: [{ code: 'read' }],
          operation: [{ name: 'export' }],
        },
        {
          type: 'CoverageEligibilityResponse',
          interaction: [{ code: 'create' }, { code: 'update' }],
          conditionalCreate: true,
          conditionalUpdate: false,
        },
      ],
    },
  ],
};

describe('capabilities', () => {
  it('summarises what the server supports: search params, conditional writes, export levels', async () => {
    const { fhir } = harness(network, { resources: syntheaSample() });

    const capabilities = await fhir.capabilities();

    expect(capabilities.fhirVersion).toBe('4.0.1');
    expect(Object.keys(capabilities.resources)).toEqual(expect.arrayContaining(['Patient', 'Encounter', 'Organization', 'Practitioner']));
    expect(capabilities.resources.Encounter).toMatchObject({
      lastUpdated: true,
      conditionalCreate: true,
      conditionalUpdate: true,
      searchParams: expect.arrayContaining(['_lastUpdated', 'identifier', 'patient']),
      interactions: expect.arrayContaining(['read', 'search-type']),
    });
    expect(capabilities.bulkExport).toEqual({ system: true, patient: true, group: true });
  });

  it('reads the CapabilityStatement once and keeps it, until asked to refresh', async () => {
    const { fhir, ehr } = harness(network);
    await fhir.capabilities();
    await fhir.capabilities();
    expect(ehr.requests.filter((request) => request.url.endsWith('/metadata'))).toHaveLength(1);

    await fhir.capabilities({ refresh: true });
    expect(ehr.requests.filter((request) => request.url.endsWith('/metadata'))).toHaveLength(2);
  });

  it('understands a server that declares _lastUpdated and $export only at server level', async () => {
    const { fhir } = harness(network);
    network.use(http.get(`${BASE_URL}/metadata`, () => HttpResponse.json(hapiLike)));

    const capabilities = await fhir.capabilities();

    expect(capabilities.software).toBe('HAPI FHIR Server 7.2.0');
    expect(capabilities.resources.Coverage).toMatchObject({ lastUpdated: true, conditionalCreate: false, searchParams: ['beneficiary'] });
    expect(capabilities.resources.CoverageEligibilityResponse).toMatchObject({ conditionalCreate: true, conditionalUpdate: false });
    expect(capabilities.bulkExport).toEqual({ system: true, patient: false, group: true });
    expect(capabilities.systemInteractions).toEqual(['transaction', 'history-system']);
  });

  it('says so when /metadata is not a CapabilityStatement, and asks again next time', async () => {
    const { fhir } = harness(network);
    network.use(http.get(`${BASE_URL}/metadata`, () => HttpResponse.json({ resourceType: 'OperationOutcome', issue: [] }), { once: true }));

    const error = await failure(fhir.capabilities());
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toContain('answered a OperationOutcome instead of a CapabilityStatement');

    expect((await fhir.capabilities()).fhirVersion).toBe('4.0.1');
  });
});
