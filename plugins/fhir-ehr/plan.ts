import type { BulkExportLevel, FhirCapabilities } from '../../connectors/fhir/index.js';
import type { FhirEhrConfig } from './config.js';

/**
 * Types in the Patient compartment: what a group-level `$export` returns. Practitioners,
 * organizations and locations are outside it, so with a group they are searched instead.
 */
const PATIENT_COMPARTMENT = new Set(['Patient', 'Coverage', 'Encounter', 'Claim']);

export interface SyncPlan {
  way: 'bulk' | 'search';
  /** Why this way: for the operator reading the job log. */
  because: string;
  /** Present when `way` is bulk. */
  bulk?: { level: BulkExportLevel; types: string[] };
  /** Searched one by one, `incremental` when the server filters the type by `_lastUpdated`. */
  search: Array<{ type: string; incremental: boolean }>;
  /** Configured types the CapabilityStatement does not list: the server cannot serve them. */
  unsupported: string[];
}

/** Decides from the CapabilityStatement how this job reads the EHR. */
export function planSync(config: FhirEhrConfig, capabilities: FhirCapabilities): SyncPlan {
  // A statement listing no resources says nothing either way; try what was configured.
  const listed = Object.keys(capabilities.resources).length > 0;
  const unsupported = listed ? config.resources.filter((type) => !capabilities.resources[type]) : [];
  const types = config.resources.filter((type) => !unsupported.includes(type));
  const searchOf = (list: string[]) =>
    list.map((type) => ({ type, incremental: !listed || capabilities.resources[type]?.lastUpdated === true }));

  const level: BulkExportLevel = config.group !== undefined ? { level: 'group', groupId: config.group } : { level: 'system' };
  const advertised = config.group !== undefined ? capabilities.bulkExport.group : capabilities.bulkExport.system;
  const levelName = config.group !== undefined ? 'group' : 'system';

  let because: string;
  if (config.mode === 'search') because = 'mode is search';
  else if (config.mode === 'bulk') because = advertised ? 'mode is bulk' : `mode is bulk (the CapabilityStatement does not advertise ${levelName}-level $export; trying anyway)`;
  else if (advertised) because = `auto: the CapabilityStatement advertises ${levelName}-level $export`;
  else return { way: 'search', because: `auto: the CapabilityStatement does not advertise ${levelName}-level $export`, search: searchOf(types), unsupported };
  if (config.mode === 'search') return { way: 'search', because, search: searchOf(types), unsupported };

  const exported = level.level === 'group' ? types.filter((type) => PATIENT_COMPARTMENT.has(type)) : types;
  const searched = types.filter((type) => !exported.includes(type));
  return {
    way: 'bulk',
    because,
    ...(exported.length ? { bulk: { level, types: exported } } : {}),
    search: searchOf(searched),
    unsupported,
  };
}
