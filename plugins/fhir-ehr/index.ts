/**
 * The fhir-ehr plugin: a practice's EHR over FHIR R4 (Epic, Oracle Health, athenahealth, HAPI,
 * Medplum …). Each sync reads the CapabilityStatement, then either runs one Bulk Data `$export`
 * or searches type by type, incrementally by `_lastUpdated`; every resource goes through the pure
 * mapping (mapping/) and lands as a canonical record, a reject with its reasons, or a count.
 * Delivery writes eligibility results and remittances back (deliver.ts, writeback/); FHIR
 * Subscription rest-hook notifications sync just what changed (subscription.ts).
 */
import { createFhirClient, type FhirClient, type FhirClientOptions } from '../../connectors/fhir/index.js';
import { definePlugin, parseDuration, type PluginContext } from '../../core/sdk/index.js';
import { syncByBulk } from './bulk-sync.js';
import { checkConfig, clientOptionsOf, configSchema, mappingContextOf, type FhirEhrConfig } from './config.js';
import { deliverToEhr } from './deliver.js';
import { planSync } from './plan.js';
import { syncBySearch } from './search-sync.js';
import { createSubscriptionWebhook } from './subscription.js';

export { DEFAULT_RESOURCES, type FhirEhrConfig } from './config.js';

export interface FhirEhrPluginOptions {
  /** Transport settings beyond the YAML: a test's manual clock, fewer retries. */
  client?: Partial<FhirClientOptions>;
}

/** The plugin with its transport adjusted; the hub uses the default export. */
export function createFhirEhrPlugin(options: FhirEhrPluginOptions = {}) {
  // A client per job: its CapabilityStatement is read once per job, so a server upgrade
  // ($export switched on, say) changes how the next job syncs.
  const clientOf = (ctx: PluginContext<FhirEhrConfig>): FhirClient =>
    createFhirClient({ ...clientOptionsOf(ctx.config, ctx.connectorId), ...options.client });
  return definePlugin({
    name: 'fhir-ehr',
    version: '0.1.0',
    description: 'An EHR over FHIR R4: patients, practitioners, organizations, locations, coverage, encounters and claims, by incremental search or Bulk Data export.',
    config: configSchema,
    produces: ['Patient', 'Practitioner', 'Organization', 'Location', 'Coverage', 'Encounter', 'Claim'],
    consumes: ['EligibilityCheck', 'Remittance'],
    checkConfig,
    async sync(ctx, { full }) {
      await syncEhr(ctx, clientOf(ctx), full);
    },
    async deliver(ctx, records) {
      const { config } = ctx;
      const fhir = clientOf(ctx);
      await deliverToEhr(ctx, fhir, records, {
        connectorId: ctx.connectorId,
        externalSystem: config.externalSystem,
        memberIdSystem: config.memberIdSystems?.[0],
      });
    },
    webhook: createSubscriptionWebhook({ clientOf, syncChanges: (ctx, fhir) => syncEhr(ctx, fhir, false) }),
  });
}

/**
 * One sync: reads the CapabilityStatement, plans bulk or search, and runs it. A subscription
 * notification without resources runs it too (incrementally), so the cursors decide what changed.
 */
async function syncEhr(ctx: PluginContext<FhirEhrConfig>, fhir: FhirClient, full: boolean): Promise<void> {
  const { config, signal } = ctx;
  const capabilities = await fhir.capabilities({ signal });
  const plan = planSync(config, capabilities);
  ctx.log.info(
    {
      way: plan.way,
      because: plan.because,
      full,
      bulkTypes: plan.bulk?.types,
      searchTypes: plan.search.map((item) => item.type),
      server: capabilities.software,
    },
    'fhir-ehr sync planned',
  );
  if (plan.unsupported.length) {
    ctx.count('typesNotOnServer', plan.unsupported.length);
    ctx.log.warn({ resourceTypes: plan.unsupported }, 'fhir-ehr: the CapabilityStatement does not list these configured types; skipped');
  }
  const common = { full, overlapMs: parseDuration(config.overlap), mapping: mappingContextOf(config) };
  if (plan.bulk) await syncByBulk(ctx, fhir, { ...common, ...plan.bulk });
  for (const { type, incremental } of plan.search) {
    signal.throwIfAborted();
    await syncBySearch(ctx, fhir, { ...common, type, incremental, pageSize: config.pageSize });
  }
}

export default createFhirEhrPlugin();
