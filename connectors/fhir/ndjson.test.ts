import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, InputError, NotFoundError, TransientError } from '../../core/errors.js';
import { collect, failure, harness, useMockNetwork } from './test-support.js';

const network = useMockNetwork();
const FILE_URL = 'https://ehr.example/fhir/r4/bulk-files/Coverage.ndjson';

const coverage = (id: string) => JSON.stringify({ resourceType: 'Coverage', id, status: 'active', beneficiary: { reference: `Patient/${id}-p` } });

function serveFile(text: string, init: { status?: number; chunk?: number } = {}) {
  network.use(
    http.get(FILE_URL, () => {
      const bytes = new TextEncoder().encode(text);
      const chunk = init.chunk ?? 7;
      let offset = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= bytes.length) return controller.close();
          controller.enqueue(bytes.slice(offset, (offset += chunk)));
        },
      });
      return new HttpResponse(stream, { status: init.status ?? 200, headers: { 'content-type': 'application/fhir+ndjson' } });
    }),
  );
}

describe('ndjson', () => {
  it('yields each resource with its line number, across chunk boundaries, skipping blank lines', async () => {
    const { fhir } = harness(network);
    serveFile(`${coverage('c1')}\r\n\n${coverage('c2')}\n${coverage('c3')}`);

    const items = await collect(fhir.ndjson(FILE_URL, { requiresAccessToken: false }));

    expect(items.map((item) => [item.line, item.resource?.id])).toEqual([
      [1, 'c1'],
      [3, 'c2'],
      [4, 'c3'],
    ]);
  });

  it('turns a line that is JSON but not a resource into an error item', async () => {
    const { fhir } = harness(network);
    serveFile(`${coverage('c1')}\n[1,2,3]\n{"id":"no-type"}\n${coverage('c4')}\n`);

    const items = await collect(fhir.ndjson(FILE_URL, { requiresAccessToken: false }));

    expect(items.map((item) => item.line)).toEqual([1, 2, 3, 4]);
    expect(items[1].error).toBeInstanceOf(InputError);
    expect(items[1].error?.message).toContain('Coverage.ndjson line 2: is not a FHIR resource');
    expect(items[2].error?.issues).toEqual([{ path: 'line 3', message: 'is not a FHIR resource (no resourceType)' }]);
    expect(items[3].resource?.id).toBe('c4');
  });

  it('reports a line longer than the limit instead of holding it', async () => {
    const { fhir } = harness(network);
    serveFile(`${coverage('c1')}\n${coverage('x'.repeat(500))}\n${coverage('c3')}\n`, { chunk: 64 });

    const items = await collect(fhir.ndjson(FILE_URL, { requiresAccessToken: false, maxLineBytes: 200 }));

    expect(items.map((item) => (item.error ? `error@${item.line}` : item.resource?.id))).toEqual(['c1', 'error@2', 'c3']);
  });

  it('says when a file ends before the resources the manifest announced', async () => {
    const { fhir } = harness(network);
    serveFile(`${coverage('c1')}\n${coverage('c2')}\n`);

    const error = await failure(collect(fhir.ndjson({ type: 'Coverage', url: FILE_URL, count: 3, requiresAccessToken: false })));

    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('ended after 2 of the 3 resources the manifest announced');
  });

  it('sends the access token when required, refreshing it once after a 401', async () => {
    const { fhir, ehr } = harness(
      network,
      { auth: { clientSecrets: { hub: 'secret-value' } } },
      { auth: { kind: 'client-secret', clientId: 'hub', clientSecret: 'secret-value' } },
    );
    let refusals = 1;
    const seen: Array<string | null> = [];
    network.use(
      http.get(FILE_URL, ({ request }) => {
        seen.push(request.headers.get('authorization'));
        if (refusals-- > 0) return HttpResponse.json({ resourceType: 'OperationOutcome', issue: [] }, { status: 401 });
        return new HttpResponse(`${coverage('c1')}\n`, { headers: { 'content-type': 'application/fhir+ndjson' } });
      }),
    );

    expect(await collect(fhir.ndjson(FILE_URL))).toHaveLength(1);
    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toBe(seen[1]);
    expect(ehr.tokensIssued).toBe(2);
  });

  it('classifies a file that cannot be fetched', async () => {
    const { fhir } = harness(network);
    network.use(
      http.get(FILE_URL, () =>
        HttpResponse.json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: 'expired' }] }, { status: 404 }),
      ),
    );
    const missing = await failure(collect(fhir.ndjson(FILE_URL, { requiresAccessToken: false })));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toContain('"expired"');

    const { fhir: bearer } = harness(network, {}, { auth: { kind: 'bearer', token: 'revoked-token' } });
    network.use(http.get(FILE_URL, () => new HttpResponse(null, { status: 401 })));
    expect(await failure(collect(bearer.ndjson(FILE_URL)))).toBeInstanceOf(AuthenticationError);
  });

  it('times out a file whose data stops arriving', async () => {
    const { fhir } = harness(network, {}, { timeoutMs: 50 });
    network.use(
      http.get(FILE_URL, () => {
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(`${coverage('c1')}\n`));
          },
        });
        return new HttpResponse(stream, { headers: { 'content-type': 'application/fhir+ndjson' } });
      }),
    );
    const lines: number[] = [];
    const error = await failure(
      (async () => {
        for await (const item of fhir.ndjson(FILE_URL, { requiresAccessToken: false })) lines.push(item.line);
      })(),
    );
    expect(lines).toEqual([1]);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('cut off after line 1: no data for 50ms');
  });
});
