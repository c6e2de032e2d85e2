import { HttpResponse } from 'msw';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export function fhirJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new HttpResponse(JSON.stringify(body), { status, headers: { 'content-type': FHIR_JSON, ...headers } });
}

export function operationOutcome(status: number, code: string, diagnostics: string, headers: Record<string, string> = {}): Response {
  return fhirJson(
    { resourceType: 'OperationOutcome', issue: [{ severity: status >= 500 ? 'fatal' : 'error', code, diagnostics }] },
    status,
    headers,
  );
}

/** A body that stops half way: the first half arrives, then the connection fails. */
export function cutOffStream(text: string): Response {
  const bytes = new TextEncoder().encode(text);
  const half = bytes.subarray(0, Math.floor(bytes.length / 2));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(half);
      // Later, not now: the client must already hold the response when the socket goes.
      setTimeout(() => controller.error(Object.assign(new TypeError('terminated'), { cause: { code: 'ECONNRESET' } })), 1);
    },
  });
  return new HttpResponse(stream, { status: 200, headers: { 'content-type': FHIR_JSON } });
}

/** Sends text in small chunks, failing after `failAfterBytes` when given: how a long download arrives and breaks. */
export function chunkedStream(text: string, chunkBytes: number, contentType: string, failAfterBytes?: number): Response {
  const bytes = new TextEncoder().encode(text);
  const limit = failAfterBytes ?? bytes.length;
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= limit) {
        if (failAfterBytes !== undefined) controller.error(Object.assign(new TypeError('terminated'), { cause: { code: 'ECONNRESET' } }));
        else controller.close();
        return;
      }
      const end = Math.min(offset + chunkBytes, limit);
      controller.enqueue(bytes.slice(offset, end));
      offset = end;
    },
    // Pulled only when read: erroring a stream drops what it queued ahead, which would lose whole lines.
  }, { highWaterMark: 0 });
  return new HttpResponse(stream, { status: 200, headers: { 'content-type': contentType } });
}
