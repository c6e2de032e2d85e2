import type { Client } from 'fhir-kit-client';
import { ConfigurationError, NotFoundError, PermanentError, UpstreamError } from '../../core/errors.js';
import { describeUrl, parseRetryAfter } from '../http/client.js';
import type { Exchange, Verdict } from './exchange.js';
import { type HttpFailure, type Redact, withOutcome } from './failures.js';
import { callKit, kitOptions, type AttemptContext } from './kit.js';
import { describeOutcome, isTransientOutcome, outcomeIssues } from './outcome.js';
import { checkId, checkResourceType, resolveOnBase, sameOrigin } from './urls.js';
import type {
  BulkExportFile,
  BulkExportJob,
  BulkExportManifest,
  BulkExportRequest,
  BulkExportWaitOptions,
  Clock,
  FhirResource,
} from './types.js';

export interface BulkExportDeps {
  kit: Client;
  exchange: Exchange;
  baseUrl: URL;
  description: string;
  clock: Clock;
  redact: Redact;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
}

/** FHIR instant (R4 datatypes): `_since` must carry a time zone. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
/** Bulk Data kick-off headers (Bulk Data IG 2.0 §kick-off request). */
const KICKOFF_HEADERS = { prefer: 'respond-async', accept: 'application/fhir+json' };

interface Answer {
  status: number;
  body: FhirResource;
  headers: Headers;
}

/**
 * Kicks off a Bulk Data `$export` and returns the job to wait on. Not repeated after an
 * uncertain failure: a second kick-off would start a second export on the server.
 */
export async function startExport(deps: BulkExportDeps, request: BulkExportRequest, signal: AbortSignal | undefined): Promise<BulkExportJob> {
  const path = `${exportPath(request)}${exportQuery(request)}`;
  const kickoffUrl = resolveOnBase(deps.baseUrl, path);
  const label = `${deps.description}: bulk export kick-off (GET ${describeUrl(kickoffUrl)})`;
  const answer = await deps.exchange({
    label,
    signal,
    repeatable: false,
    send: (context) => send(deps, path, 'GET', context, KICKOFF_HEADERS),
  });
  if (answer.status !== 202) {
    throw new UpstreamError(`${label} answered ${answer.status} instead of 202 Accepted; the server may not support asynchronous export`, answer.status, {
      retryable: false,
    });
  }
  const location = answer.headers.get('content-location');
  if (!location) throw new UpstreamError(`${label} answered 202 without a Content-Location to poll`, 202, { retryable: false });
  return createJob(deps, resolveOnBase(deps.baseUrl, location));
}

function createJob(deps: BulkExportDeps, statusUrl: URL): BulkExportJob {
  const statusLabel = `${deps.description}: bulk export status (GET ${describeUrl(statusUrl)})`;

  const cancel = async (): Promise<void> => {
    try {
      await deps.exchange({
        label: `${deps.description}: bulk export cancel (DELETE ${describeUrl(statusUrl)})`,
        send: (context) => send(deps, statusUrl.href, 'DELETE', context),
      });
    } catch (error) {
      // Already finished, expired or cancelled: nothing left to stop.
      if (!(error instanceof NotFoundError)) throw error;
    }
  };

  // 4xx/5xx at the status URL means the export failed, unless the OperationOutcome says the
  // failure is passing (Bulk Data IG: transient issue codes), or it is a plain 429/5xx without one.
  const judge = (failure: HttpFailure): Verdict => {
    if (failure.status === 404 || failure.status === 410) {
      return new PermanentError(`${statusLabel} answered ${failure.status}: the export job is gone (expired or cancelled)`);
    }
    const issues = outcomeIssues(failure.body);
    if (!issues || issues.length === 0) return undefined;
    if (isTransientOutcome(issues)) return 'retry';
    return withOutcome(
      new PermanentError(`${statusLabel}: the export failed; the server answered ${failure.status}: ${describeOutcome(issues, deps.redact)}`),
      issues,
    );
  };

  const wait = async (options: BulkExportWaitOptions = {}): Promise<BulkExportManifest> => {
    const { signal, onProgress } = options;
    let polls = 0;
    try {
      for (;;) {
        const answer = await deps.exchange({
          label: statusLabel,
          signal,
          judge,
          send: (context) => send(deps, statusUrl.href, 'GET', context),
        });
        if (answer.status === 200) return readManifest(answer.body, statusLabel, deps.baseUrl);
        if (answer.status !== 202) {
          throw new UpstreamError(`${statusLabel} answered ${answer.status}; expected 202 (in progress) or 200 (complete)`, answer.status, {
            retryable: false,
          });
        }
        polls++;
        onProgress?.({ polls, progress: answer.headers.get('x-progress') ?? undefined });
        const retryAfterMs = parseRetryAfter(answer.headers.get('retry-after'), deps.clock.now());
        await deps.clock.sleep(Math.min(retryAfterMs ?? deps.pollIntervalMs, deps.maxPollIntervalMs), signal);
      }
    } catch (error) {
      if (signal?.aborted) {
        // The server would go on exporting (and storing PHI) for nobody.
        await cancel().catch(() => undefined);
        throw signal.reason;
      }
      throw error;
    }
  };

  return { statusUrl: statusUrl.href, wait, cancel };
}

async function send(
  deps: BulkExportDeps,
  url: string,
  method: 'GET' | 'DELETE',
  context: AttemptContext,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const { body, response } = await callKit(() => deps.kit.request(url, { method, options: kitOptions(context, headers) }));
  return { status: response?.status ?? 0, body, headers: response?.headers ?? new Headers() };
}

function exportPath(request: BulkExportRequest): string {
  switch (request?.level) {
    case 'system':
      return '$export';
    case 'patient':
      return 'Patient/$export';
    case 'group':
      checkId(request.groupId, 'groupId', 'bulk export');
      return `Group/${request.groupId}/$export`;
    default:
      throw new ConfigurationError("fhir bulk export: level must be 'system', 'patient' or 'group'", [
        { path: 'level', message: "must be 'system', 'patient' or 'group'" },
      ]);
  }
}

function exportQuery(request: BulkExportRequest): string {
  const query = new URLSearchParams();
  if (request.types !== undefined) {
    if (!Array.isArray(request.types) || request.types.length === 0) {
      throw new ConfigurationError('fhir bulk export: types must be a non-empty list of resource types', [
        { path: 'types', message: 'must be a non-empty list' },
      ]);
    }
    for (const type of request.types) checkResourceType(type, 'bulk export');
    query.set('_type', request.types.join(','));
  }
  if (request.since !== undefined) {
    const since = request.since instanceof Date ? request.since.toISOString() : request.since;
    if (typeof since !== 'string' || !INSTANT.test(since) || Number.isNaN(Date.parse(since))) {
      throw new ConfigurationError('fhir bulk export: since must be a Date or a FHIR instant with a time zone', [
        { path: 'since', message: 'must be an instant such as 2024-05-01T00:00:00Z' },
      ]);
    }
    query.set('_since', since);
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

function readManifest(body: FhirResource, label: string, baseUrl: URL): BulkExportManifest {
  const manifest = body as unknown as { transactionTime?: unknown; requiresAccessToken?: unknown; output?: unknown; error?: unknown };
  const malformed = (problem: string) => new UpstreamError(`${label}: the export manifest is malformed: ${problem}`, 200, { retryable: false });
  if (typeof manifest.transactionTime !== 'string') throw malformed('transactionTime is missing');
  if (!Array.isArray(manifest.output)) throw malformed('output is not a list');
  const declared = typeof manifest.requiresAccessToken === 'boolean' ? manifest.requiresAccessToken : undefined;

  const files = (list: unknown, field: string): BulkExportFile[] =>
    (Array.isArray(list) ? list : []).map((raw, index) => {
      const item = (raw ?? {}) as { type?: unknown; url?: unknown; count?: unknown };
      if (typeof item.type !== 'string' || typeof item.url !== 'string') throw malformed(`${field}[${index}] needs a type and a url`);
      let url: URL;
      try {
        url = new URL(item.url);
      } catch {
        throw malformed(`${field}[${index}].url is not an absolute URL`);
      }
      return {
        type: item.type,
        url: url.href,
        count: typeof item.count === 'number' ? item.count : undefined,
        // The manifest must say; when it does not, the token goes only to the FHIR server itself.
        requiresAccessToken: declared ?? sameOrigin(url, baseUrl),
      };
    });

  return {
    transactionTime: manifest.transactionTime,
    requiresAccessToken: declared ?? false,
    output: files(manifest.output, 'output'),
    error: files(manifest.error, 'error'),
  };
}
