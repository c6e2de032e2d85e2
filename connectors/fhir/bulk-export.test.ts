import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { InputError, PermanentError } from '../../core/errors.js';
import { generateClientKey } from './testing/fake-fhir-server.js';
import { syntheaSample } from './testing/synthea.js';
import { BASE_URL, collect, failure, harness, useMockNetwork } from './test-support.js';
import type { BulkExportProgress, FhirResource } from './types.js';

const network = useMockNetwork();
const key = generateClientKey('ES384');
const smartClients = [{ clientId: 'mso-hub', publicKey: key.publicKey, keyId: 'k1', algorithm: 'ES384' as const }];
const smartAuth = { kind: 'smart-backend' as const, clientId: 'mso-hub', privateKey: key.privateKeyPem, keyId: 'k1', scope: 'system/*.rs' };

const idsOf = (resources: FhirResource[]) => resources.map((resource) => `${resource.resourceType}/${resource.id}`).sort();

describe('bulk export', () => {
  it('kicks off, polls three times honouring Retry-After and X-Progress, and streams every line of every file', async () => {
    const sample = syntheaSample();
    const { fhir, ehr, clock } = harness(
      network,
      { resources: sample, auth: { smartClients }, bulkExport: { polls: 3, retryAfterSeconds: 1 } },
      { auth: smartAuth },
    );
    const progress: BulkExportProgress[] = [];

    const manifest = await fhir.bulkExport({ level: 'system' }, { onProgress: (update) => progress.push(update) });

    expect(progress).toEqual([
      { polls: 1, progress: '33% complete' },
      { polls: 2, progress: '67% complete' },
    ]);
    expect(clock.sleeps).toEqual([1000, 1000]);
    expect(manifest.requiresAccessToken).toBe(true);
    expect(manifest.output.map((file) => [file.type, file.count])).toEqual(
      expect.arrayContaining([
        ['Patient', 13],
        ['Encounter', 24],
        ['Practitioner', 6],
        ['Organization', 4],
      ]),
    );

    const received: FhirResource[] = [];
    for (const file of manifest.output) {
      let expectedLine = 1;
      for await (const item of fhir.ndjson(file)) {
        expect(item.error).toBeUndefined();
        expect(item.line).toBe(expectedLine++);
        received.push(item.resource!);
      }
    }
    expect(idsOf(received)).toEqual(idsOf(sample));
    expect(ehr.exportJobs).toEqual([expect.objectContaining({ level: 'system', polls: 3, cancelled: false })]);
  });

  it('exports a group with _type and _since', async () => {
    const sample = syntheaSample(['Patient', 'Encounter']).map((resource, index): FhirResource => ({
      ...resource,
      meta: { lastUpdated: index % 2 === 0 ? '2024-05-01T00:00:00Z' : '2024-03-01T00:00:00Z' },
    }));
    const members = ['79a66c97-6131-3213-f3c9-4606946ab056', '129c6ac7-8d06-89de-ad63-0204a93e76c3'];
    const group = { resourceType: 'Group', id: 'practice-a', type: 'person', actual: true, member: members.map((id) => ({ entity: { reference: `Patient/${id}` } })) };
    const { fhir } = harness(network, { resources: [...sample, group] });

    const manifest = await fhir.bulkExport({ level: 'group', groupId: 'practice-a', types: ['Patient', 'Encounter'], since: new Date('2024-04-01T00:00:00Z') });

    const received = [];
    for (const file of manifest.output) for await (const item of fhir.ndjson(file)) received.push(item.resource!);
    const expected = sample.filter((resource) => {
      const patient = resource.resourceType === 'Patient' ? resource.id : (resource.subject as { reference: string }).reference.slice(8);
      return members.includes(patient!) && resource.meta?.lastUpdated === '2024-05-01T00:00:00Z';
    });
    expect(expected.length).toBeGreaterThan(0);
    expect(idsOf(received)).toEqual(idsOf(expected));
  });

  it('reports a bad NDJSON line by its number and delivers the rest', async () => {
    const { fhir } = harness(network, { resources: syntheaSample(['Patient']), bulkExport: { corruptLines: { Patient: [3] } } });

    const manifest = await fhir.bulkExport({ level: 'patient', types: ['Patient'] });
    const items = await collect(fhir.ndjson(manifest.output[0]));

    const bad = items.filter((item) => item.error);
    expect(bad).toHaveLength(1);
    expect(bad[0].line).toBe(3);
    expect(bad[0].error).toBeInstanceOf(InputError);
    expect(bad[0].error!.message).toMatch(/Patient\.ndjson line 3: not valid JSON/);
    expect(items.filter((item) => item.resource)).toHaveLength(12);
    expect(items.map((item) => item.line)).toEqual(Array.from({ length: 13 }, (_, index) => index + 1));
  });

  it('throws a TransientError naming the last line read when a file breaks off', async () => {
    const { fhir } = harness(network, { resources: syntheaSample(['Encounter']), bulkExport: { cutOff: { type: 'Encounter', afterLine: 10 } } });
    const manifest = await fhir.bulkExport({ level: 'system' });

    const lines: number[] = [];
    const error = await failure(
      (async () => {
        for await (const item of fhir.ndjson(manifest.output[0])) lines.push(item.line);
      })(),
    );

    expect(error.name).toBe('TransientError');
    expect(error.message).toContain('Encounter.ndjson was cut off after line 10');
    expect(lines).toEqual(Array.from({ length: 10 }, (_, index) => index + 1));
  });

  it('reads a file without the token when the manifest says none is needed', async () => {
    const { fhir } = harness(
      network,
      { resources: syntheaSample(['Organization']), auth: { smartClients }, bulkExport: { requiresAccessToken: false } },
      { auth: smartAuth },
    );
    let authorization: string | null = 'unset';
    network.use(
      http.get(`${BASE_URL}/$export-file/:job/:file`, ({ request }) => {
        authorization = request.headers.get('authorization');
        return undefined;
      }),
    );
    const manifest = await fhir.bulkExport({ level: 'system' });

    expect(await collect(fhir.ndjson(manifest.output[0]))).toHaveLength(4);
    expect(authorization).toBeNull();
  });

  it('stops reading a file cleanly when the caller has enough', async () => {
    const { fhir } = harness(network, { resources: syntheaSample(['Encounter']) });
    const manifest = await fhir.bulkExport({ level: 'system' });
    const first = [];
    for await (const item of fhir.ndjson(manifest.output[0])) {
      first.push(item);
      if (first.length === 2) break;
    }
    expect(first.map((item) => item.line)).toEqual([1, 2]);
  });

  it("surfaces a kick-off refused with an OperationOutcome, with the server's reason", async () => {
    const { fhir } = harness(network, { resources: syntheaSample(['Patient']) });

    const error = await failure(fhir.bulkExport({ level: 'system', types: ['Patient', 'Medication'] }));

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('bulk export kick-off');
    expect(error.message).toContain('Resource type Medication is not supported for export');
  });

  it('surfaces an export that failed on the server', async () => {
    const { fhir } = harness(network, { resources: syntheaSample(['Patient']), bulkExport: { fail: 'Export worker ran out of disk space' } });

    const error = await failure(fhir.bulkExport({ level: 'system' }));

    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain('the export failed');
    expect(error.message).toContain('Export worker ran out of disk space');
  });

  it('keeps polling through a status error the server marks as transient', async () => {
    const { fhir } = harness(network, { resources: syntheaSample(['Patient']) });
    network.use(
      http.get(
        `${BASE_URL}/$export-status/:job`,
        () =>
          HttpResponse.json(
            { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient', diagnostics: 'status store busy' }] },
            { status: 500 },
          ),
        { once: true },
      ),
    );
    const manifest = await fhir.bulkExport({ level: 'system' });
    expect(manifest.output).toHaveLength(1);
  });

  it('cancels the export on the server (DELETE) when the signal aborts', async () => {
    const { fhir, ehr } = harness(network, { resources: syntheaSample(['Patient']), bulkExport: { polls: 10 } });
    const controller = new AbortController();
    const reason = new Error('sync cancelled by operator');

    const error = await failure(fhir.bulkExport({ level: 'system' }, { signal: controller.signal, onProgress: () => controller.abort(reason) }));

    expect(error).toBe(reason);
    expect(ehr.exportJobs).toEqual([expect.objectContaining({ cancelled: true })]);
  });

  it('checks the request before kicking off', async () => {
    const { fhir } = harness(network);
    await expect(fhir.startExport({ level: 'group', groupId: '../Patient' })).rejects.toThrow(/groupId must be a FHIR id/);
    await expect(fhir.startExport({ level: 'system', since: '2024-05-01' })).rejects.toThrow(/since must be a Date or a FHIR instant/);
  });
});
