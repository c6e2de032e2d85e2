import type { Client } from 'fhir-kit-client';
import { ConfigurationError, InputError, PermanentError, UpstreamError } from '../../core/errors.js';
import { describeUrl } from '../http/client.js';
import type { Exchange } from './exchange.js';
import { HttpFailure } from './failures.js';
import { callKit, kitOptions, type AttemptContext } from './kit.js';
import { checkResourceType, resolveOnBase, sameOrigin, toKitParams } from './urls.js';
import type { FhirResource, FhirSearch, FhirSearchPage, FhirSearchParams } from './types.js';

export interface SearchDeps {
  kit: Client;
  exchange: Exchange;
  baseUrl: URL;
  description: string;
}

/**
 * Strict handling asks the server to refuse a parameter it does not know rather than ignore it:
 * a lenient server given a misspelt `_lastUpdated` returns everything, and a sync would not notice.
 */
const SEARCH_HEADERS = { prefer: 'handling=strict' };

/**
 * A type-level search followed page by page through `Bundle.link[next]`. Nothing is fetched
 * until iteration starts; leaving the loop early fetches nothing more.
 */
export function createSearch(deps: SearchDeps, resourceType: string, params: FhirSearchParams, signal: AbortSignal | undefined): FhirSearch {
  checkResourceType(resourceType, 'search');
  if (params === null || typeof params !== 'object') {
    throw new ConfigurationError('fhir search: params must be an object of search parameter names to values', [
      { path: 'params', message: 'must be an object' },
    ]);
  }
  const searchParams = toKitParams(params);

  async function* pages(): AsyncGenerator<FhirSearchPage, void, undefined> {
    const firstUrl = resolveOnBase(deps.baseUrl, resourceType);
    for (const [name, value] of Object.entries(searchParams)) {
      for (const item of Array.isArray(value) ? value : [value]) firstUrl.searchParams.append(name, String(item));
    }
    let url = firstUrl;
    let bundle = await fetchPage(1, url, (context) =>
      deps.kit.resourceSearch({ resourceType, searchParams, options: kitOptions(context, SEARCH_HEADERS) }),
    );
    const seen = new Set([url.href]);
    for (let number = 1; ; number++) {
      yield toPage(number, describeUrl(url), bundle);
      const next = nextLink(bundle);
      if (next === undefined) return;
      const nextUrl = resolveOnBase(deps.baseUrl, next);
      const label = `${deps.description}: ${resourceType} search page ${number + 1} (GET ${describeUrl(nextUrl)})`;
      if (!sameOrigin(nextUrl, deps.baseUrl)) {
        // The access token goes only to the server it was issued for.
        throw new PermanentError(`${label}: the next link of page ${number} points to another server; not following it`);
      }
      if (seen.has(nextUrl.href)) {
        throw new UpstreamError(`${label}: the next link of page ${number} repeats an earlier page; stopping to avoid a loop`, undefined, {
          retryable: false,
        });
      }
      seen.add(nextUrl.href);
      const previous = bundle;
      bundle = await fetchPage(number + 1, nextUrl, (context) =>
        deps.kit.nextPage({ bundle: previous as never, options: kitOptions(context, SEARCH_HEADERS) }),
      );
      url = nextUrl;
    }
  }

  async function fetchPage(
    number: number,
    url: URL,
    call: (context: AttemptContext) => ReturnType<Client['resourceSearch']> | undefined,
  ): Promise<FhirResource> {
    const label = `${deps.description}: ${resourceType} search page ${number} (GET ${describeUrl(url)})`;
    return deps.exchange({
      label,
      signal,
      async send(context) {
        const { body } = await callKit(() => call(context));
        return checkBundle(body, label);
      },
    });
  }

  return {
    pages,
    async *[Symbol.asyncIterator]() {
      for await (const page of pages()) yield* page.resources;
    },
  };
}

function checkBundle(body: FhirResource, label: string): FhirResource {
  // fhir-kit-client answers an empty 200 body with {}: nothing arrived, so treat it as cut off.
  if (Object.keys(body).length === 0) throw new HttpFailure(200, new Headers(), '');
  if (body.resourceType !== 'Bundle') {
    const what = typeof body.resourceType === 'string' ? `a ${body.resourceType}` : 'JSON without a resourceType';
    throw new InputError(`${label} answered ${what}, not a search Bundle`, [{ path: 'resourceType', message: 'must be Bundle' }]);
  }
  if (body.entry !== undefined && !Array.isArray(body.entry)) {
    throw new InputError(`${label} answered a Bundle whose entry is not a list`, [{ path: 'entry', message: 'must be an array' }]);
  }
  return body;
}

function toPage(number: number, url: string, bundle: FhirResource): FhirSearchPage {
  const page: FhirSearchPage = {
    number,
    url,
    total: typeof bundle.total === 'number' ? bundle.total : undefined,
    resources: [],
    included: [],
    outcomes: [],
    bundle,
  };
  for (const entry of (bundle.entry as unknown[] | undefined) ?? []) {
    const { resource, search } = (entry ?? {}) as { resource?: unknown; search?: { mode?: unknown } };
    if (resource === null || typeof resource !== 'object' || typeof (resource as FhirResource).resourceType !== 'string') continue;
    const mode = search?.mode;
    if (mode === 'include') page.included.push(resource as FhirResource);
    else if (mode === 'outcome') page.outcomes.push(resource as FhirResource);
    else page.resources.push(resource as FhirResource);
  }
  return page;
}

function nextLink(bundle: FhirResource): string | undefined {
  const links = Array.isArray(bundle.link) ? (bundle.link as Array<{ relation?: unknown; url?: unknown }>) : [];
  const next = links.find((link) => link?.relation === 'next');
  return typeof next?.url === 'string' && next.url !== '' ? next.url : undefined;
}
