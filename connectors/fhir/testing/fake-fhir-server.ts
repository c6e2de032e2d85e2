import { randomUUID } from 'node:crypto';
import { delay, http, HttpResponse, type HttpHandler } from 'msw';
import type { FhirResource } from '../types.js';
import { FakeAuthServer, type FakeSmartClient } from './fake-auth.js';
import { FakeBulkExports, type FakeBulkExportBehaviour, type FakeExportJob } from './fake-bulk-export.js';
import { cutOffStream, fhirJson, operationOutcome } from './fake-responses.js';
import {
  COMMON_SEARCH_PARAMS,
  compileCriteria,
  PATIENT_SEARCH_PARAM,
  RESULT_PARAMS,
  SearchRefusal,
  SUPPORTED_TYPES,
  type Criterion,
} from './fake-search.js';
import { FakeStore } from './fake-store.js';

export type { FakeSmartClient } from './fake-auth.js';
export { generateClientKey } from './fake-auth.js';
export type { FakeBulkExportBehaviour, FakeExportJob } from './fake-bulk-export.js';

export interface FakeFhirServerOptions {
  /** e.g. `https://ehr.example/fhir/r4`. */
  baseUrl: string;
  /** Seed data; a resource keeps the meta.lastUpdated it has, or gets "now". */
  resources?: FhirResource[];
  /**
   * Who may call. With none of these the server is open; with any, every API request needs a
   * live bearer token (metadata and smart-configuration stay public).
   */
  auth?: {
    smartClients?: FakeSmartClient[];
    /** client id → secret, for client_credentials with HTTP Basic. */
    clientSecrets?: Record<string, string>;
    /** Tokens accepted as they are, never expiring. */
    bearerTokens?: string[];
    /** @defaultValue 300 */
    tokenLifetimeSeconds?: number;
  };
  /** Page size when a search gives no `_count`. @defaultValue 10 */
  pageSize?: number;
  bulkExport?: FakeBulkExportBehaviour;
  /** The server's clock (token expiry, meta.lastUpdated). @defaultValue Date.now */
  now?: () => number;
}

export interface FakeFault {
  /** Answer this status (429, 503, 500 …) instead of serving the request. */
  status: number;
  /** Retry-After header value, seconds or an HTTP date. */
  retryAfter?: string;
  /** @defaultValue 1 */
  times?: number;
  /** Only requests whose path and query contain this text. */
  path?: string;
}

export interface FakeRequest {
  method: string;
  /** Path and query, e.g. `/fhir/Patient?_count=5`. */
  url: string;
  /** The server clock when it arrived. */
  at: number;
}

export interface FakeFhirServer {
  /** msw handlers: `setupServer(...server.handlers)` or `server.use(...)`. */
  readonly handlers: HttpHandler[];
  readonly baseUrl: string;
  readonly tokenUrl: string;
  /** Every request to the FHIR base and the token URL, in order. */
  readonly requests: FakeRequest[];
  /** Access tokens issued so far. */
  readonly tokensIssued: number;
  /** Export jobs kicked off so far. */
  readonly exportJobs: FakeExportJob[];
  /** Adds or replaces resources as seed data. */
  seed(...resources: FhirResource[]): void;
  /** The stored resources of a type, as the server holds them now. */
  resources(resourceType: string): FhirResource[];
  /** Every issued token expires now: API calls answer 401 until the client fetches a new one. */
  expireTokens(): void;
  /** The next matching API request(s) answer with this status instead. */
  failNext(fault: FakeFault): void;
  /** The next matching API request(s) never answer (for timeouts). */
  hangNext(options?: { times?: number; path?: string }): void;
  /** Search page `page` (1-based) is cut off: the connection drops mid-body, or truncated JSON arrives whole. */
  cutOffPage(options: { page: number; mode?: 'socket' | 'truncated-json'; times?: number }): void;
  /** Changes how bulk exports behave from now on. */
  configureExport(behaviour: FakeBulkExportBehaviour): void;
}

const MAX_PAGE_SIZE = 100;

/**
 * An msw-backed FHIR R4 server over in-memory resources that behaves like a real EHR where the
 * hub cares: `/metadata`, SMART discovery and a token endpoint that verifies JWT assertions with
 * the registered public key, tokens that expire, paged searches (`_count`, next links over a
 * snapshot, `_lastUpdated` filters) that refuse unknown parameters with an OperationOutcome,
 * conditional create/update, read, and Bulk Data `$export` that needs several polls and serves
 * NDJSON in chunks. Faults on demand: 429/503 with Retry-After, hangs, pages cut off mid-body.
 *
 * @example
 * const ehr = createFakeFhirServer({ baseUrl: 'https://ehr.example/fhir', resources: syntheaSample() });
 * const msw = setupServer(...ehr.handlers);
 */
export function createFakeFhirServer(options: FakeFhirServerOptions): FakeFhirServer {
  const base = options.baseUrl.replace(/\/+$/, '');
  const origin = new URL(base).origin;
  const tokenUrl = `${origin}/oauth2/token`;
  const now = options.now ?? (() => Date.now());
  const pageSize = options.pageSize ?? 10;
  const store = new FakeStore(now);
  for (const resource of options.resources ?? []) store.seed(resource);
  const auth = new FakeAuthServer({
    tokenUrl,
    smartClients: options.auth?.smartClients ?? [],
    clientSecrets: options.auth?.clientSecrets ?? {},
    bearerTokens: options.auth?.bearerTokens ?? [],
    tokenLifetimeSeconds: options.auth?.tokenLifetimeSeconds ?? 300,
    now,
  });
  const exports = new FakeBulkExports(store, base, now, options.bulkExport ?? {});
  const requests: FakeRequest[] = [];
  const faults: Array<Required<Pick<FakeFault, 'times'>> & Omit<FakeFault, 'times'> & { hang?: boolean }> = [];
  const cutOffs: Array<{ page: number; mode: 'socket' | 'truncated-json'; times: number }> = [];
  const searches = new Map<string, { type: string; ids: string[] }>();

  const record = (request: Request) => {
    const url = new URL(request.url);
    requests.push({ method: request.method, url: `${url.pathname}${url.search}`, at: now() });
  };

  type Resolver = (request: Request, params: Record<string, string>) => Response | Promise<Response>;

  /** Fault injection and the bearer-token check in front of an API resolver. */
  const api =
    (resolver: Resolver, { authenticated = true }: { authenticated?: boolean } = {}) =>
    async ({ request, params }: { request: Request; params: Record<string, string | readonly string[] | undefined> }) => {
      record(request);
      const url = new URL(request.url);
      const where = `${url.pathname}${url.search}`;
      const fault = faults.find((candidate) => candidate.path === undefined || where.includes(candidate.path));
      if (fault) {
        if (--fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
        if (fault.hang) {
          await delay('infinite');
        }
        const code = fault.status === 429 ? 'throttled' : fault.status === 401 ? 'login' : 'transient';
        return operationOutcome(fault.status, code, fault.status === 401 ? 'Authentication failed' : 'Try again later', {
          ...(fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {}),
        });
      }
      if (authenticated && !auth.accepts(request.headers.get('authorization'))) {
        return operationOutcome(401, 'login', 'Authentication required', { 'www-authenticate': 'Bearer error="invalid_token"' });
      }
      return resolver(request, params as Record<string, string>);
    };

  const knownType = (type: string) => SUPPORTED_TYPES.includes(type) || store.types().includes(type);
  const unknownType = (type: string) => operationOutcome(404, 'not-supported', `Unknown resource type "${type}"`);

  const searchParamsFor = (type: string) => [...COMMON_SEARCH_PARAMS, ...(type === 'Patient' ? [] : [PATIENT_SEARCH_PARAM])];

  /** Matching ids for a type and criteria, in a stable order (lastUpdated, then id). */
  const match = (type: string, criteria: Criterion[]): FhirResource[] => {
    const test = compileCriteria(type, criteria);
    return store
      .all(type)
      .filter(test)
      .sort((a, b) => (a.meta?.lastUpdated ?? '').localeCompare(b.meta?.lastUpdated ?? '') || (a.id ?? '').localeCompare(b.id ?? ''));
  };

  const criteriaOf = (query: URLSearchParams): Criterion[] =>
    [...query].filter(([name]) => !RESULT_PARAMS.includes(name)).map(([name, value]) => ({ name, value }));

  const servePage = (searchId: string, offset: number, count: number): Response => {
    const snapshot = searches.get(searchId);
    if (!snapshot) return operationOutcome(410, 'not-found', 'Search results have expired');
    const pageNumber = Math.floor(offset / Math.max(count, 1)) + 1;
    const ids = snapshot.ids.slice(offset, offset + count);
    const link = [{ relation: 'self', url: pageUrl(searchId, offset, count) }];
    if (count > 0 && offset + count < snapshot.ids.length) link.push({ relation: 'next', url: pageUrl(searchId, offset + count, count) });
    const bundle = {
      resourceType: 'Bundle',
      id: randomUUID(),
      meta: { lastUpdated: new Date(now()).toISOString() },
      type: 'searchset',
      total: snapshot.ids.length,
      link,
      entry: ids.flatMap((id) => {
        const resource = store.get(snapshot.type, id);
        return resource ? [{ fullUrl: `${base}/${snapshot.type}/${id}`, resource, search: { mode: 'match' } }] : [];
      }),
    };
    const cut = cutOffs.find((candidate) => candidate.page === pageNumber);
    if (cut) {
      if (--cut.times <= 0) cutOffs.splice(cutOffs.indexOf(cut), 1);
      const text = JSON.stringify(bundle);
      if (cut.mode === 'socket') return cutOffStream(text);
      return new HttpResponse(text.slice(0, Math.floor(text.length / 2)), { status: 200, headers: { 'content-type': 'application/fhir+json' } });
    }
    return fhirJson(bundle);
  };

  const pageUrl = (searchId: string, offset: number, count: number) =>
    `${base}?_getpages=${searchId}&_getpagesoffset=${offset}&_count=${count}&_bundletype=searchset`;

  const search: Resolver = (request, params) => {
    const type = params.type;
    if (!knownType(type)) return unknownType(type);
    const query = new URL(request.url).searchParams;
    const rawCount = query.get('_count');
    const count = rawCount === null ? pageSize : Number(rawCount);
    if (!Number.isInteger(count) || count < 0) return operationOutcome(400, 'invalid', `Invalid _count: ${rawCount}`);
    const sort = query.get('_sort');
    if (sort !== null && !['_lastUpdated', '-_lastUpdated', '_id'].includes(sort)) {
      return operationOutcome(400, 'not-supported', `Unsupported _sort: ${sort}`);
    }
    let found: FhirResource[];
    try {
      found = match(type, criteriaOf(query));
    } catch (error) {
      if (error instanceof SearchRefusal) return operationOutcome(400, error.code, error.message);
      throw error;
    }
    if (sort === '-_lastUpdated') found.reverse();
    if (sort === '_id') found.sort((a, b) => (a.id ?? '').localeCompare(b.id ?? ''));
    const searchId = randomUUID();
    searches.set(searchId, { type, ids: found.map((resource) => resource.id!) });
    return servePage(searchId, 0, Math.min(count, MAX_PAGE_SIZE));
  };

  const readBody = async (request: Request, type: string): Promise<FhirResource | Response> => {
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return operationOutcome(400, 'structure', 'The request body is not valid JSON');
    }
    if (body === null || typeof body !== 'object' || (body as FhirResource).resourceType !== type) {
      return operationOutcome(400, 'invalid', `The body must be a ${type} resource`);
    }
    return body as FhirResource;
  };

  const written = (result: { stored: FhirResource; created: boolean }, status?: number): Response =>
    fhirJson(result.stored, status ?? (result.created ? 201 : 200), {
      location: `${base}/${result.stored.resourceType}/${result.stored.id}/_history/${result.stored.meta?.versionId}`,
      etag: `W/"${result.stored.meta?.versionId}"`,
    });

  const matchCriteria = (type: string, query: string): FhirResource[] | Response => {
    const criteria = criteriaOf(new URLSearchParams(query));
    if (criteria.length === 0) return operationOutcome(400, 'invalid', 'Conditional criteria must not be empty');
    try {
      return match(type, criteria);
    } catch (error) {
      if (error instanceof SearchRefusal) return operationOutcome(400, error.code, error.message);
      throw error;
    }
  };

  const create: Resolver = async (request, params) => {
    if (!knownType(params.type)) return unknownType(params.type);
    const body = await readBody(request, params.type);
    if (body instanceof Response) return body;
    const ifNoneExist = request.headers.get('if-none-exist');
    if (ifNoneExist !== null) {
      const matches = matchCriteria(params.type, ifNoneExist);
      if (matches instanceof Response) return matches;
      if (matches.length > 1) return operationOutcome(412, 'duplicate', `If-None-Exist matched ${matches.length} resources`);
      if (matches.length === 1) return written({ stored: matches[0], created: false }, 200);
    }
    const { id: _ignored, ...rest } = body;
    return written(store.write({ ...rest, resourceType: params.type, id: randomUUID() }));
  };

  const conditionalUpdate: Resolver = async (request, params) => {
    if (!knownType(params.type)) return unknownType(params.type);
    const body = await readBody(request, params.type);
    if (body instanceof Response) return body;
    const matches = matchCriteria(params.type, new URL(request.url).search.slice(1));
    if (matches instanceof Response) return matches;
    if (matches.length > 1) return operationOutcome(412, 'multiple-matches', `The criteria matched ${matches.length} resources`);
    if (matches.length === 1) {
      if (body.id !== undefined && body.id !== matches[0].id) return operationOutcome(400, 'invalid', 'The body id differs from the matched resource');
      return written(store.write({ ...body, id: matches[0].id }));
    }
    return written(store.write({ ...body, id: body.id ?? randomUUID() }));
  };

  const read: Resolver = (_request, params) => {
    if (!knownType(params.type)) return unknownType(params.type);
    const found = store.get(params.type, params.id);
    return found ? fhirJson(found, 200, { etag: `W/"${found.meta?.versionId}"` }) : operationOutcome(404, 'not-found', `${params.type}/${params.id} is not known`);
  };

  const update: Resolver = async (request, params) => {
    if (!knownType(params.type)) return unknownType(params.type);
    const body = await readBody(request, params.type);
    if (body instanceof Response) return body;
    if (body.id !== params.id) return operationOutcome(400, 'invalid', 'The body id must match the URL');
    return written(store.write(body));
  };

  const capabilityStatement = () => ({
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2024-01-01',
    kind: 'instance',
    software: { name: 'Fake FHIR server', version: '1.0' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    instantiates: ['http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data'],
    rest: [
      {
        mode: 'server',
        security: auth.enabled ? { service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }] } : undefined,
        resource: [...new Set([...SUPPORTED_TYPES, ...store.types()])].sort().map((type) => ({
          type,
          interaction: ['read', 'search-type', 'create', 'update'].map((code) => ({ code })),
          conditionalCreate: true,
          conditionalUpdate: true,
          searchParam: searchParamsFor(type).map((name) => ({ name, type: name === '_lastUpdated' ? 'date' : name === '_id' ? 'token' : name === 'patient' ? 'reference' : 'token' })),
          operation:
            type === 'Patient'
              ? [{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export' }]
              : type === 'Group'
                ? [{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export' }]
                : undefined,
        })),
        interaction: [{ code: 'transaction' }, { code: 'search-system' }],
        operation: [{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' }],
      },
    ],
  });

  const handlers: HttpHandler[] = [
    http.get(`${base}/.well-known/smart-configuration`, ({ request }) => {
      record(request);
      return HttpResponse.json({
        token_endpoint: tokenUrl,
        token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic'],
        token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
        grant_types_supported: ['client_credentials'],
        scopes_supported: ['system/*.rs', 'system/*.cruds'],
        capabilities: ['client-confidential-asymmetric', 'client-confidential-symmetric'],
      });
    }),
    http.post(tokenUrl, async ({ request }) => {
      record(request);
      const form = new URLSearchParams(await request.text());
      const answer = auth.token(form, request.headers.get('authorization'));
      return HttpResponse.json(answer.body, { status: answer.status, headers: { 'cache-control': 'no-store' } });
    }),
    http.get(`${base}/metadata`, api(() => fhirJson(capabilityStatement()), { authenticated: false })),
    http.get(`${base}/$export`, api((request) => exports.kickoff(request, 'system'))),
    http.get(`${base}/Patient/$export`, api((request) => exports.kickoff(request, 'patient'))),
    http.get(`${base}/Group/:id/$export`, api((request, params) => exports.kickoff(request, 'group', params.id))),
    http.get(`${base}/$export-status/:job`, api((_request, params) => exports.status(params.job))),
    http.delete(`${base}/$export-status/:job`, api((_request, params) => exports.cancel(params.job))),
    http.get(`${base}/$export-file/:job/:file`, async (info) =>
      api((_request, params) => exports.file(params.job, params.file), { authenticated: exports.requiresAccessToken })(info),
    ),
    http.get(
      base,
      api((request) => {
        const query = new URL(request.url).searchParams;
        const searchId = query.get('_getpages');
        if (searchId === null) return operationOutcome(400, 'not-supported', 'System-level search is not supported');
        return servePage(searchId, Number(query.get('_getpagesoffset') ?? 0), Number(query.get('_count') ?? pageSize));
      }),
    ),
    http.get(`${base}/:type`, api(search)),
    http.post(`${base}/:type`, api(create)),
    http.put(`${base}/:type`, api(conditionalUpdate)),
    http.get(`${base}/:type/:id`, api(read)),
    http.put(`${base}/:type/:id`, api(update)),
  ];

  return {
    handlers,
    baseUrl: base,
    tokenUrl,
    requests,
    get tokensIssued() {
      return auth.tokensIssued;
    },
    get exportJobs() {
      return [...exports.jobs.values()].map(({ files: _files, ...job }) => ({ ...job }));
    },
    seed: (...resources) => {
      for (const resource of resources) store.seed(resource);
    },
    resources: (resourceType) => store.all(resourceType),
    expireTokens: () => auth.expireAll(),
    failNext: (fault) => {
      faults.push({ ...fault, times: fault.times ?? 1 });
    },
    hangNext: ({ times = 1, path } = {}) => {
      faults.push({ status: 504, times, path, hang: true });
    },
    cutOffPage: ({ page, mode = 'socket', times = 1 }) => {
      cutOffs.push({ page, mode, times });
    },
    configureExport: (behaviour) => {
      exports.behaviour = { ...exports.behaviour, ...behaviour };
    },
  };
}
