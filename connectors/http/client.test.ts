import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, TransientError, UpstreamError } from '../../core/errors.js';
import { createHttpClient, describeUrl, parseRetryAfter } from './client.js';

const api = 'https://api.payroll.example/v1';
const server = setupServer();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

// Small steps keep retried tests quick; real deployments use the defaults.
const client = createHttpClient({ baseUrl: api, backoffMs: 5, timeoutMs: 2_000, headers: { authorization: 'Bearer t0k3n' } });

const employees = {
  data: [
    { id: 'emp_001', first_name: 'Ana', last_name: 'Testperson', department: 'Front desk' },
    { id: 'emp_002', first_name: 'Ben', last_name: 'Sampleton', department: 'Billing' },
  ],
  next_cursor: null,
};

describe('createHttpClient', () => {
  it('gets JSON, sending the client headers and the query', async () => {
    let seen: { auth: string | null; query: string } | undefined;
    server.use(
      http.get(`${api}/companies/c0a8f1e2/employees`, ({ request }) => {
        const url = new URL(request.url);
        seen = { auth: request.headers.get('authorization'), query: url.search };
        return HttpResponse.json(employees);
      }),
    );

    const response = await client.request('companies/c0a8f1e2/employees', {
      query: { limit: 100, active: true, cursor: undefined },
    });

    expect(response.status).toBe(200);
    expect(response.body).toEqual(employees);
    expect(seen).toEqual({ auth: 'Bearer t0k3n', query: '?limit=100&active=true' });
  });

  it('parses vendor JSON types such as application/fhir+json', async () => {
    server.use(
      http.get('https://ehr.example/fhir/Patient/p1', () =>
        HttpResponse.text(JSON.stringify({ resourceType: 'Patient', id: 'p1' }), {
          headers: { 'content-type': 'application/fhir+json; charset=utf-8' },
        }),
      ),
    );
    expect(await client.getJson('https://ehr.example/fhir/Patient/p1')).toEqual({ resourceType: 'Patient', id: 'p1' });
  });

  it('returns text when the answer is not JSON', async () => {
    server.use(http.get(`${api}/health`, () => HttpResponse.text('ok')));
    expect((await client.request(`${api}/health`)).body).toBe('ok');
  });

  it('sends a JSON body', async () => {
    let received: unknown;
    let contentType: string | null = null;
    server.use(
      http.post(`${api}/orders`, async ({ request }) => {
        contentType = request.headers.get('content-type');
        received = await request.json();
        return HttpResponse.json({ id: 'po_1' }, { status: 201 });
      }),
    );
    const response = await client.request('/orders', { method: 'post', json: { sku: 'GLV-NITRILE-M', qty: 20 } });
    expect(response).toMatchObject({ status: 201, body: { id: 'po_1' } });
    expect(received).toEqual({ sku: 'GLV-NITRILE-M', qty: 20 });
    expect(contentType).toBe('application/json');
  });

  it('retries a 503 and succeeds', async () => {
    let calls = 0;
    server.use(
      http.get(`${api}/payrolls`, () => {
        calls++;
        return calls === 1
          ? HttpResponse.text('upstream restarting', { status: 503 })
          : HttpResponse.json({ data: [] });
      }),
    );
    expect(await client.getJson('payrolls')).toEqual({ data: [] });
    expect(calls).toBe(2);
  });

  it('does not repeat a POST the server may have applied, unless it carries an Idempotency-Key', async () => {
    let calls = 0;
    server.use(
      http.post(`${api}/orders`, () => {
        calls++;
        return HttpResponse.text('gateway timeout', { status: 504 });
      }),
    );
    await expect(client.request('/orders', { method: 'POST', json: { sku: 'GLV-NITRILE-M' } })).rejects.toThrow(UpstreamError);
    expect(calls).toBe(1);

    calls = 0;
    const keyed = client.request('/orders', { method: 'POST', json: { sku: 'GLV-NITRILE-M' }, headers: { 'idempotency-key': 'po-2026-0001' } });
    await expect(keyed).rejects.toThrow(UpstreamError);
    expect(calls).toBeGreaterThan(1);
  });

  it('honours Retry-After on a 429 and succeeds', async () => {
    let calls = 0;
    server.use(
      http.get(`${api}/payrolls`, () => {
        calls++;
        return calls === 1
          ? HttpResponse.json({ error: 'rate_limited' }, { status: 429, headers: { 'retry-after': '1' } })
          : HttpResponse.json({ data: [{ id: 'pr_2024_05_15' }] });
      }),
    );
    expect(await client.getJson('payrolls')).toEqual({ data: [{ id: 'pr_2024_05_15' }] });
    expect(calls).toBe(2);
  });

  it('stops with a retryable error carrying retryAfterMs when Retry-After is beyond the limit', async () => {
    let calls = 0;
    server.use(
      http.get(`${api}/payrolls`, () => {
        calls++;
        return new HttpResponse(null, { status: 429, headers: { 'retry-after': '3600' } });
      }),
    );
    const error = await createHttpClient({ baseUrl: api, maxRetryAfterMs: 10_000 })
      .request('payrolls')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 3_600_000 });
    expect(calls).toBe(1);
  });

  it('gives up after the configured retries with a retryable error naming the status', async () => {
    let calls = 0;
    server.use(
      http.get(`${api}/payrolls`, () => {
        calls++;
        return HttpResponse.text('Bad Gateway', { status: 502 });
      }),
    );
    const error = await client.request('payrolls', { retries: 2 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 502, retryable: true });
    expect((error as Error).message).toContain('502');
    expect(calls).toBe(3);
  });

  it('does not retry a 404, and says what failed without leaking query values', async () => {
    let calls = 0;
    server.use(
      http.get(`${api}/employees/emp_404`, () => {
        calls++;
        return HttpResponse.json({ error: 'not_found', message: 'employee emp_404 does not exist' }, { status: 404 });
      }),
    );
    const error = await client
      .request('employees/emp_404', { query: { api_key: 'sk_live_secret', last_name: 'Testperson' } })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 404, retryable: false });
    const message = (error as Error).message;
    expect(message).toContain('GET https://api.payroll.example/v1/employees/emp_404?api_key=***&last_name=***');
    expect(message).toContain('404');
    expect(message).toContain('employee emp_404 does not exist');
    expect(message).not.toContain('sk_live_secret');
    expect(message).not.toContain('Testperson');
    expect(calls).toBe(1);
  });

  it('keeps a huge error body out of the message', async () => {
    server.use(http.get(`${api}/big`, () => HttpResponse.html(`<html>${'x'.repeat(100_000)}</html>`, { status: 400 })));
    const error = (await client.request('big').catch((caught: unknown) => caught)) as Error;
    expect(error.message.length).toBeLessThan(450);
  });

  it('reports invalid JSON naming the URL', async () => {
    server.use(
      http.get(`${api}/broken`, () => HttpResponse.text('{"data": [', { headers: { 'content-type': 'application/json' } })),
    );
    const error = await client.request('broken').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toContain(`${api}/broken`);
    expect((error as Error).message).toMatch(/invalid JSON/);
  });

  it('turns a slow upstream into a TransientError after its retries', async () => {
    let calls = 0;
    server.use(
      http.get(`${api}/slow`, async () => {
        calls++;
        await delay(2_000);
        return HttpResponse.json({});
      }),
    );
    const error = await client.request('slow', { timeoutMs: 50, retries: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(/timed out after 50ms/);
    expect(calls).toBe(2);
  });

  it('turns a network failure into a TransientError after its retries', async () => {
    let calls = 0;
    server.use(
      http.get(`${api}/down`, () => {
        calls++;
        return HttpResponse.error();
      }),
    );
    const error = await client.request('down', { retries: 2 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect(calls).toBe(3);
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    let calls = 0;
    server.use(
      http.get(`${api}/slow`, async () => {
        calls++;
        await delay(2_000);
        return HttpResponse.json({});
      }),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await client.request('slow', { signal: controller.signal, retries: 3 }).catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('AbortError');
    expect(error).not.toBeInstanceOf(TransientError);
    expect(calls).toBe(1);
  });

  it('stops while waiting to retry when the caller aborts', async () => {
    let calls = 0;
    server.use(
      http.get(`${api}/payrolls`, () => {
        calls++;
        return new HttpResponse(null, { status: 503, headers: { 'retry-after': '5' } });
      }),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await client.request('payrolls', { signal: controller.signal }).catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('AbortError');
    expect(calls).toBe(1);
  });

  it('does not even start with an already aborted signal', async () => {
    const error = await client.request('payrolls', { signal: AbortSignal.abort() }).catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('AbortError');
  });

  it('checks its options at once, naming the option', () => {
    expect(() => createHttpClient({ baseUrl: 'not a url' })).toThrow(ConfigurationError);
    expect(() => createHttpClient({ baseUrl: 'not a url' })).toThrow(/baseUrl/);
    expect(() => createHttpClient({ baseUrl: 'ftp://files.example' })).toThrow(/baseUrl/);
    expect(() => createHttpClient({ timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => createHttpClient({ retries: 1.5 })).toThrow(/retries/);
    expect(() => createHttpClient({ backoffMs: -1 })).toThrow(/backoffMs/);
    expect(() => createHttpClient({ maxRetryAfterMs: Number.NaN })).toThrow(/maxRetryAfterMs/);
  });

  it('refuses a relative URL without a baseUrl', async () => {
    await expect(createHttpClient().request('employees')).rejects.toThrow(/baseUrl/);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.UTC(2024, 4, 15, 12, 0, 0);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 15 May 2024 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 15 May 2024 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('describeUrl', () => {
  it('hides credentials and query values', () => {
    expect(describeUrl('https://user:pw@fhir.example/Patient?name=Doe&birthdate=1980-01-01#x')).toBe(
      'https://***:***@fhir.example/Patient?name=***&birthdate=***',
    );
  });
});
