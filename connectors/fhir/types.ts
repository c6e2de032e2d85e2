import type { KeyObject } from 'node:crypto';
import type { InputError } from '../../core/errors.js';

/** Any FHIR resource: this transport moves resources, it does not interpret them. */
export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** Search parameters as FHIR names them; an array repeats the parameter (`_lastUpdated=ge…&_lastUpdated=lt…`). */
export type FhirSearchParams = Record<string, string | number | boolean | ReadonlyArray<string | number | boolean>>;

export type FhirAuthOptions = SmartBackendAuthOptions | ClientSecretAuthOptions | BearerAuthOptions | NoAuthOptions;

/** SMART Backend Services: client credentials with a signed JWT client assertion (asymmetric key). */
export interface SmartBackendAuthOptions {
  kind: 'smart-backend';
  clientId: string;
  /** PKCS#8 or PKCS#1/SEC1 PEM text (e.g. from `${file:…}`), or a KeyObject. */
  privateKey: string | KeyObject;
  /** The `kid` of the matching public key in the JWKS registered with the EHR. */
  keyId: string;
  /** @defaultValue inferred from the key: RSA → RS384, P-384 EC → ES384 */
  algorithm?: 'RS384' | 'ES384';
  /** e.g. `system/Patient.rs system/Encounter.rs`. */
  scope: string;
  /** @defaultValue `token_endpoint` of `${baseUrl}/.well-known/smart-configuration` */
  tokenUrl?: string;
}

/** OAuth client credentials with the secret sent as HTTP Basic (RFC 6749 §2.3.1). */
export interface ClientSecretAuthOptions {
  kind: 'client-secret';
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** @defaultValue discovered as for smart-backend */
  tokenUrl?: string;
}

/** A long-lived token issued out of band; it cannot be refreshed, so a 401 is final. */
export interface BearerAuthOptions {
  kind: 'bearer';
  token: string;
}

/** An open server (test servers, a local HAPI). */
export interface NoAuthOptions {
  kind: 'none';
}

/** Time as the client sees it; tests replace it so waits cost nothing. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface FhirClientOptions {
  /** The FHIR R4 base URL, e.g. `https://ehr.example/fhir/r4`. */
  baseUrl: string;
  /** @defaultValue `{ kind: 'none' }` */
  auth?: FhirAuthOptions;
  /** Names the connector in error messages. @defaultValue `fhir <baseUrl>` */
  description?: string;
  /** Per attempt, from sending the request to the whole answer read (NDJSON files: between chunks). @defaultValue 30000 */
  timeoutMs?: number;
  /** Repeats after 408, 429, 5xx, a network failure or a cut-off answer. @defaultValue 3 */
  retries?: number;
  /** First backoff step when the server gives no Retry-After; doubles each time, with jitter. @defaultValue 500 */
  backoffMs?: number;
  /** A longer Retry-After is not waited out here: the error says when to retry and the job is rescheduled. @defaultValue 60000 */
  maxRetryAfterMs?: number;
  /**
   * Token bucket: a burst of up to `maxRequests`, then `maxRequests` per `perSeconds` on average,
   * across every request of this client (searches, polls, file downloads). Absent: no limit.
   */
  rateLimit?: { maxRequests: number; perSeconds: number };
  /** Wait between bulk export status polls when the server gives no Retry-After. @defaultValue 5000 */
  exportPollIntervalMs?: number;
  /** Longest wait between two polls, whatever Retry-After says. @defaultValue 600000 */
  maxExportPollIntervalMs?: number;
  /** For tests. */
  clock?: Clock;
}

export interface FhirSearchPage {
  /** 1-based. */
  number: number;
  /** The page's URL with query values hidden, as errors show it. */
  url: string;
  total?: number;
  /** Entries with search mode `match` (or none given). */
  resources: FhirResource[];
  /** Entries added by `_include` / `_revinclude`. */
  included: FhirResource[];
  /** OperationOutcome entries the server attached as warnings. */
  outcomes: FhirResource[];
  bundle: FhirResource;
}

/** Iterating it yields the matching resources of every page; `pages()` gives the pages themselves. */
export interface FhirSearch extends AsyncIterable<FhirResource> {
  pages(): AsyncIterable<FhirSearchPage>;
}

export interface FhirRequestOptions {
  signal?: AbortSignal;
}

export interface FhirWriteResult {
  /** From the status code: 201 created; 200 on a conditional create: an existing match, unchanged; 200 on an update: updated. */
  outcome: 'created' | 'updated' | 'unchanged';
  status: number;
  id?: string;
  versionId?: string;
  /** The resource as the server returned it, when it returned one. */
  resource?: FhirResource;
}

export type BulkExportLevel = { level: 'system' } | { level: 'patient' } | { level: 'group'; groupId: string };

export type BulkExportRequest = BulkExportLevel & {
  /** `_type`: only these resource types. */
  types?: string[];
  /** `_since`: only resources changed after this instant. */
  since?: string | Date;
};

export interface BulkExportFile {
  type: string;
  url: string;
  count?: number;
  /** From the manifest: whether the file must be fetched with the access token. */
  requiresAccessToken: boolean;
}

export interface BulkExportManifest {
  transactionTime: string;
  requiresAccessToken: boolean;
  output: BulkExportFile[];
  /** Files of OperationOutcomes for resources the server could not export. */
  error: BulkExportFile[];
}

export interface BulkExportProgress {
  /** Status requests answered "in progress" so far. */
  polls: number;
  /** The server's X-Progress text, when it sent one. */
  progress?: string;
}

export interface BulkExportWaitOptions extends FhirRequestOptions {
  onProgress?: (progress: BulkExportProgress) => void;
}

export interface BulkExportJob {
  statusUrl: string;
  /** Polls until the manifest is ready; an aborted signal cancels the export on the server (DELETE). */
  wait(options?: BulkExportWaitOptions): Promise<BulkExportManifest>;
  /** Asks the server to stop the export and delete its files. */
  cancel(): Promise<void>;
}

/**
 * One line of an NDJSON file: the resource, or why the line is unusable (bad JSON, not a
 * resource). A bad line never ends the file: the caller rejects it and reads on.
 */
export type FhirNdjsonItem =
  | { line: number; resource: FhirResource; error?: undefined }
  | { line: number; resource?: undefined; error: InputError };

export interface NdjsonStreamOptions extends FhirRequestOptions {
  /** @defaultValue true for a URL string; the manifest's answer for a BulkExportFile */
  requiresAccessToken?: boolean;
  /** A longer line is reported as an error item rather than held in memory. @defaultValue 10 MiB */
  maxLineBytes?: number;
}

/** What the server's CapabilityStatement says about one resource type. */
export interface ResourceCapabilities {
  type: string;
  interactions: string[];
  searchParams: string[];
  /** `_lastUpdated` is listed for the type or for the whole server: incremental sync can use it. */
  lastUpdated: boolean;
  conditionalCreate: boolean;
  conditionalUpdate: boolean;
}

export interface FhirCapabilities {
  fhirVersion?: string;
  software?: string;
  resources: Record<string, ResourceCapabilities>;
  systemInteractions: string[];
  /** Which Bulk Data `$export` levels the server advertises. */
  bulkExport: { system: boolean; patient: boolean; group: boolean };
  /** The CapabilityStatement as read. */
  statement: FhirResource;
}

/** The transport the EHR plugin uses: FHIR R4 REST and Bulk Data over one authenticated, rate-limited connection. */
export interface FhirClient {
  readonly baseUrl: string;
  /** Reads `/metadata` once and keeps the summary; `refresh` reads it again. */
  capabilities(options?: FhirRequestOptions & { refresh?: boolean }): Promise<FhirCapabilities>;
  search(resourceType: string, params?: FhirSearchParams, options?: FhirRequestOptions): FhirSearch;
  read(resourceType: string, id: string, options?: FhirRequestOptions): Promise<FhirResource>;
  /** POST with `If-None-Exist`: a repeat finds the first and creates nothing. */
  conditionalCreate(resource: FhirResource, ifNoneExist: string | FhirSearchParams, options?: FhirRequestOptions): Promise<FhirWriteResult>;
  /** PUT `Type?query`: creates when nothing matches, updates the one match. */
  conditionalUpdate(resource: FhirResource, criteria: string | FhirSearchParams, options?: FhirRequestOptions): Promise<FhirWriteResult>;
  startExport(request: BulkExportRequest, options?: FhirRequestOptions): Promise<BulkExportJob>;
  /** Kick-off and wait in one; an aborted signal cancels the export. */
  bulkExport(request: BulkExportRequest, options?: BulkExportWaitOptions): Promise<BulkExportManifest>;
  ndjson(file: BulkExportFile | string, options?: NdjsonStreamOptions): AsyncIterable<FhirNdjsonItem>;
}
