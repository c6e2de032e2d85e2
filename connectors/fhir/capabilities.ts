import { CapabilityTool } from 'fhir-kit-client';
import { UpstreamError } from '../../core/errors.js';
import type { FhirCapabilities, FhirResource, ResourceCapabilities } from './types.js';

interface OperationEntry {
  name?: unknown;
  definition?: unknown;
}

/** Bulk Data IG OperationDefinitions, by the level they export at. */
const EXPORT_DEFINITIONS: Record<string, 'system' | 'patient' | 'group'> = {
  'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export': 'system',
  'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export': 'patient',
  'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export': 'group',
};

/**
 * What the CapabilityStatement says the plugin can rely on: per resource type its interactions
 * and search parameters (is `_lastUpdated` there, for incremental sync?), conditional writes,
 * and which `$export` levels exist. fhir-kit-client's CapabilityTool reads the resource entries.
 *
 * @throws UpstreamError when the answer is not a CapabilityStatement.
 */
export function summarizeCapabilities(statement: FhirResource, label: string): FhirCapabilities {
  if (statement.resourceType !== 'CapabilityStatement') {
    throw new UpstreamError(
      `${label} answered ${statement.resourceType ? `a ${String(statement.resourceType)}` : 'something'} instead of a CapabilityStatement`,
      200,
      { retryable: false },
    );
  }
  const tool = new CapabilityTool(statement as never);
  const server = tool.serverCapabilities() ?? {};
  const serverSearch = names(server.searchParam);
  const resources: Record<string, ResourceCapabilities> = {};
  const exportLevels = { system: false, patient: false, group: false };

  for (const operation of list<OperationEntry>(server.operation)) {
    const level = exportLevelOf(operation, undefined);
    if (level) exportLevels[level] = true;
  }

  for (const entry of list<Record<string, unknown>>(server.resource)) {
    const type = entry.type;
    if (typeof type !== 'string') continue;
    const searchParams = tool.searchParamsFor({ resourceType: type });
    resources[type] = {
      type,
      interactions: tool.interactionsFor({ resourceType: type }),
      searchParams,
      lastUpdated: searchParams.includes('_lastUpdated') || serverSearch.includes('_lastUpdated'),
      conditionalCreate: entry.conditionalCreate === true,
      conditionalUpdate: entry.conditionalUpdate === true,
    };
    for (const operation of list<OperationEntry>(entry.operation)) {
      const level = exportLevelOf(operation, type);
      if (level) exportLevels[level] = true;
    }
  }

  const software = statement.software as { name?: unknown; version?: unknown } | undefined;
  return {
    fhirVersion: typeof statement.fhirVersion === 'string' ? statement.fhirVersion : undefined,
    software: typeof software?.name === 'string' ? [software.name, software.version].filter((part) => typeof part === 'string').join(' ') : undefined,
    resources,
    systemInteractions: list<{ code?: unknown }>(server.interaction).flatMap((item) => (typeof item.code === 'string' ? [item.code] : [])),
    bulkExport: exportLevels,
    statement,
  };
}

/**
 * Servers declare `$export` by definition URL, by name on the resource it runs on, or both; a
 * definition wins because a name alone at server level is ambiguous (some list every level there).
 */
function exportLevelOf(operation: OperationEntry, resourceType: string | undefined): 'system' | 'patient' | 'group' | undefined {
  if (typeof operation.definition === 'string') {
    const canonical = operation.definition.replace(/\|.*$/, '');
    const level = EXPORT_DEFINITIONS[canonical];
    if (level) return level;
  }
  const name = typeof operation.name === 'string' ? operation.name.replace(/^\$/, '') : '';
  if (name !== 'export') return undefined;
  if (resourceType === 'Patient') return 'patient';
  if (resourceType === 'Group') return 'group';
  return resourceType === undefined ? 'system' : undefined;
}

function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value.filter((item) => item !== null && typeof item === 'object') as T[]) : [];
}

function names(value: unknown): string[] {
  return list<{ name?: unknown }>(value).flatMap((item) => (typeof item.name === 'string' ? [item.name] : []));
}
