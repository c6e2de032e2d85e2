import { InputError, TransientError } from '../../core/errors.js';
import { readNdjson } from '../formats/ndjson.js';
import { describeUrl } from '../http/client.js';
import type { Exchange } from './exchange.js';
import { HttpFailure, networkReason } from './failures.js';
import { resolveOnBase } from './urls.js';
import type { BulkExportFile, FhirNdjsonItem, FhirResource, NdjsonStreamOptions } from './types.js';

export interface NdjsonDeps {
  exchange: Exchange;
  baseUrl: URL;
  description: string;
  timeoutMs: number;
}

/** Enough of an error answer to find an OperationOutcome in; a storage service may send megabytes of XML. */
const ERROR_BODY_BYTES = 64 * 1024;

/**
 * Streams one Bulk Data output file line by line from the response body: memory holds one line,
 * whatever the file's size. A bad line becomes an error item naming its number and reading
 * goes on; a connection lost mid-file throws a TransientError naming the last line read, so the
 * caller knows how far it got. Opening the file is retried like any request.
 */
export async function* streamNdjson(
  deps: NdjsonDeps,
  file: BulkExportFile | string,
  options: NdjsonStreamOptions = {},
): AsyncGenerator<FhirNdjsonItem, void, undefined> {
  const url = resolveOnBase(deps.baseUrl, typeof file === 'string' ? file : file.url);
  const requiresAccessToken = options.requiresAccessToken ?? (typeof file === 'string' ? true : file.requiresAccessToken);
  const expected = typeof file === 'string' ? undefined : file.count;
  const { signal } = options;
  const label = `${deps.description}: NDJSON file ${describeUrl(url)}`;
  // Aborted when reading ends early or stalls; the exchange's own deadline ends when the headers are in.
  const body = new AbortController();

  const response = await deps.exchange({
    label: `${label} (GET)`,
    signal,
    authenticate: requiresAccessToken,
    async send(context) {
      const headers: Record<string, string> = { accept: 'application/fhir+ndjson' };
      if (context.authorization !== undefined) headers.authorization = context.authorization;
      const answer = await fetch(url, { headers, signal: AbortSignal.any([context.signal, body.signal]) });
      if (!answer.ok) throw new HttpFailure(answer.status, answer.headers, await readErrorBody(answer));
      return answer;
    },
  });
  if (!response.body) return;

  const reader = response.body.getReader();
  let idle = false;
  // Raced rather than left to the fetch signal: a body that has started arriving does not always
  // fail when its request is aborted, and a silent peer must not hold the job forever.
  const chunks = async function* (): AsyncGenerator<Uint8Array> {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const silence = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          idle = true;
          reject(new Error(`no data for ${deps.timeoutMs}ms`));
        }, deps.timeoutMs);
      });
      const reading = reader.read();
      reading.catch(() => undefined);
      let next: Awaited<typeof reading>;
      try {
        next = await Promise.race([reading, silence]);
      } finally {
        clearTimeout(timer);
      }
      if (next.done) return;
      yield next.value;
    }
  };

  let lastLine = 0;
  let items = 0;
  try {
    for await (const record of readNdjson(chunks(), { maxLineBytes: options.maxLineBytes })) {
      lastLine = record.line;
      items++;
      if (record.error !== undefined) {
        yield { line: record.line, error: lineError(label, record.line, record.error) };
        continue;
      }
      const value = record.value as FhirResource | null;
      if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof value.resourceType !== 'string') {
        yield { line: record.line, error: lineError(label, record.line, 'is not a FHIR resource (no resourceType)') };
        continue;
      }
      yield { line: record.line, resource: value };
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const reason = idle ? `no data for ${deps.timeoutMs}ms` : networkReason(error);
    throw new TransientError(`${label} was cut off after line ${lastLine}: ${reason}`, { cause: error });
  } finally {
    // Not awaited: on an early exit the body may never finish, and nobody should wait for it.
    reader.cancel().catch(() => undefined);
    body.abort();
  }
  if (expected !== undefined && items < expected) {
    // A server that closes cleanly mid-file leaves whole lines missing, not a broken one.
    throw new TransientError(`${label} ended after ${items} of the ${expected} resources the manifest announced`);
  }
}

function lineError(label: string, line: number, problem: string): InputError {
  return new InputError(`${label} line ${line}: ${problem}`, [{ path: `line ${line}`, message: problem }]);
}

async function readErrorBody(response: Response): Promise<unknown> {
  if (!response.body) return undefined;
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.byteLength;
    }
  } catch {
    // Whatever arrived is all there is to judge.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    return undefined;
  }
}
