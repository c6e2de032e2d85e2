import type { Client } from 'fhir-kit-client';
import { describeUrl } from '../http/client.js';
import type { Exchange } from './exchange.js';
import { callKit, kitOptions } from './kit.js';
import { checkResourceToWrite, parseCriteria, queryString, resolveOnBase } from './urls.js';
import type { FhirResource, FhirSearchParams, FhirWriteResult } from './types.js';

export interface WriteDeps {
  kit: Client;
  exchange: Exchange;
  baseUrl: URL;
  description: string;
}

/** The stored resource back, so the result can name the id and version the server chose. */
const WRITE_HEADERS = { prefer: 'return=representation' };

/**
 * POST with If-None-Exist (FHIR R4 §3.1.0.8.1): the server creates the resource only when
 * nothing matches, so repeating it after a lost answer cannot duplicate it. Safe to retry.
 */
export async function conditionalCreate(
  deps: WriteDeps,
  resource: FhirResource,
  ifNoneExist: string | FhirSearchParams,
  signal: AbortSignal | undefined,
): Promise<FhirWriteResult> {
  checkResourceToWrite(resource, 'conditionalCreate');
  const criteria = queryString(parseCriteria(ifNoneExist, 'conditionalCreate'));
  const url = resolveOnBase(deps.baseUrl, resource.resourceType);
  const { status, body, location } = await deps.exchange({
    label: `${deps.description}: conditional create of a ${resource.resourceType} (POST ${describeUrl(url)})`,
    signal,
    repeatable: true,
    async send(context) {
      const { body: answer, response } = await callKit(() =>
        deps.kit.create({
          resourceType: resource.resourceType,
          body: resource,
          options: kitOptions(context, { ...WRITE_HEADERS, 'if-none-exist': criteria }),
        }),
      );
      return { status: response?.status ?? 0, body: answer, location: response?.headers.get('location') ?? undefined };
    },
  });
  // 201: created; 200: a resource matched and was left as it is.
  return result(status === 201 ? 'created' : 'unchanged', status, body, location);
}

/**
 * PUT `Type?criteria` (FHIR R4 §3.1.0.4.3): updates the single match or creates when there is
 * none, so a repeat lands on the same resource. Several matches are a 412 (PermanentError).
 */
export async function conditionalUpdate(
  deps: WriteDeps,
  resource: FhirResource,
  criteria: string | FhirSearchParams,
  signal: AbortSignal | undefined,
): Promise<FhirWriteResult> {
  checkResourceToWrite(resource, 'conditionalUpdate');
  const searchParams = parseCriteria(criteria, 'conditionalUpdate');
  const url = resolveOnBase(deps.baseUrl, `${resource.resourceType}?${queryString(searchParams)}`);
  const { status, body, location } = await deps.exchange({
    label: `${deps.description}: conditional update of a ${resource.resourceType} (PUT ${describeUrl(url)})`,
    signal,
    repeatable: true,
    async send(context) {
      const { body: answer, response } = await callKit(() =>
        deps.kit.update({ resourceType: resource.resourceType, searchParams, body: resource, options: kitOptions(context, WRITE_HEADERS) }),
      );
      return { status: response?.status ?? 0, body: answer, location: response?.headers.get('location') ?? undefined };
    },
  });
  return result(status === 201 ? 'created' : 'updated', status, body, location);
}

function result(outcome: FhirWriteResult['outcome'], status: number, body: FhirResource, location: string | undefined): FhirWriteResult {
  const returned = typeof body.resourceType === 'string' && body.resourceType !== 'OperationOutcome' ? body : undefined;
  // Location: [base]/Type/id/_history/vid (FHIR R4 §3.1.0.8).
  const fromLocation = location === undefined ? undefined : /\/([A-Za-z0-9\-.]{1,64})\/_history\/([A-Za-z0-9\-.]{1,64})\/?$/.exec(location);
  return {
    outcome,
    status,
    id: returned?.id ?? fromLocation?.[1],
    versionId: returned?.meta?.versionId ?? fromLocation?.[2],
    resource: returned,
  };
}
