/**
 * The fhir-ehr plugin: a practice's EHR over FHIR R4 (Epic, Oracle Health, athenahealth, HAPI,
 * Medplum …). Each sync reads the CapabilityStatement, then either runs one Bulk Data `$export`
 * or searches type by type, incrementally by `_lastUpdated`; every resource goes through the pure
 * mapping (mapping/) and lands as a canonical record, a reject with its reasons, or a count.
 * Delivery writes eligibility results and remittances back (deliver.ts, writeback/).
 */
import { createFhirClient, type FhirClientOptions } from '../../connectors/fhir/index.js';
import { definePlugin, parseDuration } from '../../core/sdk/index.js';
import { syncByBulk } from './bulk-sync.js';
import { checkConfig, clientOptionsOf, configSchema, mappingContextOf } from './config.js';
import { deliverToEhr } from './deliver.js';
import { planSync } from './plan.js';
import { syncBySearch } from './search-sync.js';

export { DEFAULT_RESOURCES, type FhirEhrConfig } from './config.js';

export interface FhirEhrPluginOptions {
  /** Transport settings beyond the YAML: a test's manual clock, fewer retries. */
  client?: Partial<FhirClientOptions>;
}

/** The plugin with its transport adjusted; the hub uses the default export. */
export function createFhirEhrPlugin(options: FhirEhrPluginOptions = {}) {
  return definePlugin({
    name: 'fhir-ehr',
    version: '0.1.0',
    description: 'An EHR over FHIR R4: patients, practitioners, organizations, locations, coverage, encounters and claims, by incremental search or Bulk Data export.',
    config: configSchema,
    produces: ['Patient', 'Practitioner', 'Organization', 'Location', 'Coverage', 'Encounter', 'Claim'],
    consumes: ['EligibilityCheck', 'Remittance'],
    checkConfig,
    async sync(ctx, { full }) {
      const { config, signal } = ctx;
      // A client per job: its CapabilityStatement is read once per job, so a server upgrade
      // (say, $export switched on) changes how the next job syncs.
      const fhir = createFhirClient({ ...clientOptionsOf(config, ctx.connectorId), ...options.client });
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
    },
    async deliver(ctx, records) {
      const { config } = ctx;
      const fhir = createFhirClient({ ...clientOptionsOf(config, ctx.connectorId), ...options.client });
      await deliverToEhr(ctx, fhir, records, {
        connectorId: ctx.connectorId,
        externalSystem: config.externalSystem,
        memberIdSystem: config.memberIdSystems?.[0],
      });
    },
  });
}

export default createFhirEhrPlugin();
