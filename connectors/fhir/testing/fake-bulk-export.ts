import { randomUUID } from 'node:crypto';
import { HttpResponse } from 'msw';
import type { FhirResource } from '../types.js';
import { chunkedStream, fhirJson, operationOutcome } from './fake-responses.js';
import { patientOf, SUPPORTED_TYPES } from './fake-search.js';
import type { FakeStore } from './fake-store.js';

export interface FakeBulkExportBehaviour {
  /** Status requests until the export completes: the first `polls - 1` answer 202. @defaultValue 3 */
  polls?: number;
  /** Retry-After on each 202. @defaultValue 0 */
  retryAfterSeconds?: number;
  /** The manifest's requiresAccessToken: files then need the bearer token. @defaultValue true */
  requiresAccessToken?: boolean;
  /** The export fails: the status URL answers 500 with an OperationOutcome carrying this text. */
  fail?: string;
  /** Lines (1-based) replaced by broken JSON in a type's file, e.g. `{ Patient: [3] }`. */
  corruptLines?: Record<string, number[]>;
  /** A type's file breaks off (connection reset) after this many whole lines. */
  cutOff?: { type: string; afterLine: number };
  /** Size of the chunks files are sent in; smaller than a line, so lines span chunks. @defaultValue 700 */
  chunkBytes?: number;
}

export interface FakeExportJob {
  id: string;
  level: 'system' | 'patient' | 'group';
  groupId?: string;
  types: string[];
  since?: string;
  /** Status requests received. */
  polls: number;
  /** A DELETE reached the status URL. */
  cancelled: boolean;
  transactionTime: string;
}

const NDJSON = 'application/fhir+ndjson';
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Bulk Data `$export` of the fake server: kick-off checks, polls before completion, NDJSON files. */
export class FakeBulkExports {
  readonly jobs = new Map<string, FakeExportJob & { files: Map<string, FhirResource[]> }>();

  constructor(
    private readonly store: FakeStore,
    private readonly baseUrl: string,
    private readonly now: () => number,
    public behaviour: FakeBulkExportBehaviour,
  ) {}

  get requiresAccessToken(): boolean {
    return this.behaviour.requiresAccessToken ?? true;
  }

  kickoff(request: Request, level: FakeExportJob['level'], groupId?: string): Response {
    if (!/respond-async/i.test(request.headers.get('prefer') ?? '')) {
      return operationOutcome(400, 'invalid', 'The Prefer header must be respond-async');
    }
    const accept = request.headers.get('accept');
    if (accept !== null && !/application\/fhir\+json|\*\/\*/.test(accept)) {
      return operationOutcome(400, 'invalid', `Unsupported Accept header: ${accept}`);
    }
    const url = new URL(request.url);
    const format = url.searchParams.get('_outputFormat');
    if (format !== null && !['application/fhir+ndjson', 'application/ndjson', 'ndjson'].includes(format)) {
      return operationOutcome(400, 'not-supported', `Unsupported _outputFormat: ${format}`);
    }
    const requested = url.searchParams.get('_type')?.split(',').filter(Boolean);
    const known = new Set([...SUPPORTED_TYPES, ...this.store.types()]);
    const unknown = requested?.find((type) => !known.has(type));
    if (unknown !== undefined) return operationOutcome(400, 'not-supported', `Resource type ${unknown} is not supported for export`);
    const since = url.searchParams.get('_since') ?? undefined;
    if (since !== undefined && !INSTANT.test(since)) return operationOutcome(400, 'invalid', `_since must be a FHIR instant: ${since}`);

    let members: Set<string> | undefined;
    if (level === 'group') {
      const group = this.store.get('Group', groupId ?? '');
      if (!group) return operationOutcome(404, 'not-found', `Group/${groupId} is not known`);
      const entries = Array.isArray(group.member) ? (group.member as Array<{ entity?: { reference?: string } }>) : [];
      members = new Set(entries.flatMap((member) => (member.entity?.reference?.startsWith('Patient/') ? [member.entity.reference.slice(8)] : [])));
    }
    const sinceMs = since === undefined ? undefined : Date.parse(since);
    const files = new Map<string, FhirResource[]>();
    for (const type of requested ?? this.store.types()) {
      const selected = this.store.all(type).filter((resource) => {
        if (sinceMs !== undefined && !(Date.parse(resource.meta?.lastUpdated ?? '') > sinceMs)) return false;
        if (level === 'system') return true;
        const patient = patientOf(resource);
        return patient !== undefined && (members === undefined || members.has(patient));
      });
      if (selected.length > 0) files.set(type, selected);
    }
    const id = randomUUID();
    this.jobs.set(id, {
      id,
      level,
      groupId,
      types: requested ?? [],
      since,
      polls: 0,
      cancelled: false,
      transactionTime: new Date(this.now()).toISOString(),
      files,
    });
    return new HttpResponse(null, { status: 202, headers: { 'content-location': `${this.baseUrl}/$export-status/${id}` } });
  }

  status(id: string): Response {
    const job = this.jobs.get(id);
    if (!job || job.cancelled) return operationOutcome(404, 'not-found', 'No such export job (expired or cancelled)');
    job.polls++;
    if (this.behaviour.fail !== undefined) return operationOutcome(500, 'exception', this.behaviour.fail);
    const polls = this.behaviour.polls ?? 3;
    if (job.polls < polls) {
      return new HttpResponse(null, {
        status: 202,
        headers: {
          'x-progress': `${Math.round((job.polls / polls) * 100)}% complete`,
          'retry-after': String(this.behaviour.retryAfterSeconds ?? 0),
        },
      });
    }
    const output = [...job.files].map(([type, resources]) => ({
      type,
      url: `${this.baseUrl}/$export-file/${id}/${type}.ndjson`,
      count: resources.length,
    }));
    return HttpResponse.json({
      transactionTime: job.transactionTime,
      request: `${this.baseUrl}/$export`,
      requiresAccessToken: this.requiresAccessToken,
      output,
      error: [],
    });
  }

  cancel(id: string): Response {
    const job = this.jobs.get(id);
    if (!job || job.cancelled) return operationOutcome(404, 'not-found', 'No such export job (expired or cancelled)');
    job.cancelled = true;
    return fhirJson({ resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: 'Export cancelled' }] }, 202);
  }

  file(id: string, name: string): Response {
    const job = this.jobs.get(id);
    const type = name.replace(/\.ndjson$/, '');
    const resources = job?.files.get(type);
    if (!job || job.cancelled || !resources) return operationOutcome(404, 'not-found', 'No such export file');
    const corrupt = new Set(this.behaviour.corruptLines?.[type] ?? []);
    const lines = resources.map((resource, index) =>
      // Broken the way a writer killed mid-record breaks it, and with nothing of the record in it.
      corrupt.has(index + 1) ? `{"resourceType":"${type}","id":` : JSON.stringify(resource),
    );
    const text = `${lines.join('\n')}\n`;
    const cutOff = this.behaviour.cutOff?.type === type ? this.behaviour.cutOff.afterLine : undefined;
    const failAfterBytes = cutOff === undefined ? undefined : Buffer.byteLength(lines.slice(0, cutOff).map((line) => `${line}\n`).join(''));
    return chunkedStream(text, this.behaviour.chunkBytes ?? 700, NDJSON, failAfterBytes);
  }
}
