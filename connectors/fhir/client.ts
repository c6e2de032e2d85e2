import { createHttpClient, describeUrl } from '../http/client.js';
import { createTokenSource } from './auth.js';
import { startExport } from './bulk-export.js';
import { summarizeCapabilities } from './capabilities.js';
import { createExchange } from './exchange.js';
import { createRedactor } from './failures.js';
import { callKit, createKitClient, kitOptions } from './kit.js';
import { streamNdjson } from './ndjson.js';
import { checkOptions } from './options.js';
import { createRateLimiter } from './rate-limit.js';
import { createSearch } from './search.js';
import { checkId, checkResourceType, resolveOnBase } from './urls.js';
import { conditionalCreate, conditionalUpdate } from './write.js';
import type { FhirCapabilities, FhirClient, FhirClientOptions } from './types.js';

/**
 * The FHIR R4 transport for one EHR connection: SMART Backend Services, client-secret or bearer
 * auth; CapabilityStatement summary; paged search; conditional writes; Bulk Data export with
 * NDJSON streaming. Every request shares one rate limit, token cache and retry policy, and
 * every failure is one of the hub's errors with secrets and search values kept out of it.
 *
 * @throws ConfigurationError at once when an option is unusable, naming it.
 */
export function createFhirClient(options: FhirClientOptions): FhirClient {
  const settings = checkOptions(options);
  const { baseUrl, description, clock } = settings;
  const kit = createKitClient(baseUrl.href.replace(/\/+$/, ''));

  let redact: (text: string) => string = (text) => text;
  const tokens = createTokenSource(settings.auth, {
    baseUrl,
    description,
    clock,
    timeoutMs: settings.timeoutMs,
    retries: settings.retries,
    backoffMs: settings.backoffMs,
    maxRetryAfterMs: settings.maxRetryAfterMs,
    // Discovery of the token URL only: a plain JSON GET, which the hub's HTTP client does well.
    http: createHttpClient({ timeoutMs: settings.timeoutMs, retries: settings.retries, backoffMs: settings.backoffMs }),
    redact: (text) => redact(text),
  });
  redact = createRedactor(() => tokens.secrets());

  const exchange = createExchange({
    timeoutMs: settings.timeoutMs,
    retries: settings.retries,
    backoffMs: settings.backoffMs,
    maxRetryAfterMs: settings.maxRetryAfterMs,
    clock,
    limiter: settings.rateLimit ? createRateLimiter(settings.rateLimit.maxRequests, settings.rateLimit.perSeconds, clock) : undefined,
    tokens,
    redact,
  });

  const restDeps = { kit, exchange, baseUrl, description };
  const bulkDeps = {
    ...restDeps,
    clock,
    redact,
    pollIntervalMs: settings.exportPollIntervalMs,
    maxPollIntervalMs: settings.maxExportPollIntervalMs,
  };
  let capabilities: Promise<FhirCapabilities> | undefined;

  const client: FhirClient = {
    baseUrl: baseUrl.href,

    capabilities({ signal, refresh = false } = {}) {
      if (refresh || !capabilities) {
        const label = `${description}: CapabilityStatement (GET ${describeUrl(resolveOnBase(baseUrl, 'metadata'))})`;
        const reading = exchange({
          label,
          signal,
          send: async (context) => (await callKit(() => kit.capabilityStatement(kitOptions(context)))).body,
        }).then((statement) => summarizeCapabilities(statement, label));
        capabilities = reading;
        // A failed read is not kept: the next call asks again.
        reading.catch(() => {
          if (capabilities === reading) capabilities = undefined;
        });
      }
      return capabilities;
    },

    search(resourceType, params = {}, { signal } = {}) {
      return createSearch(restDeps, resourceType, params, signal);
    },

    async read(resourceType, id, { signal } = {}) {
      checkResourceType(resourceType, 'read');
      checkId(id, 'id', 'read');
      return exchange({
        label: `${description}: read (GET ${describeUrl(resolveOnBase(baseUrl, `${resourceType}/${id}`))})`,
        signal,
        send: async (context) => (await callKit(() => kit.read({ resourceType, id, options: kitOptions(context) }))).body,
      });
    },

    conditionalCreate: (resource, ifNoneExist, { signal } = {}) => conditionalCreate(restDeps, resource, ifNoneExist, signal),
    conditionalUpdate: (resource, criteria, { signal } = {}) => conditionalUpdate(restDeps, resource, criteria, signal),

    startExport: (request, { signal } = {}) => startExport(bulkDeps, request, signal),

    async bulkExport(request, waitOptions = {}) {
      const job = await startExport(bulkDeps, request, waitOptions.signal);
      return job.wait(waitOptions);
    },

    ndjson: (file, ndjsonOptions) => streamNdjson({ exchange, baseUrl, description, timeoutMs: settings.timeoutMs }, file, ndjsonOptions),
  };
  return client;
}
