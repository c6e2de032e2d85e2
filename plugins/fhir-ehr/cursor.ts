import type { PluginState } from '../../core/sdk/index.js';

/**
 * One `_lastUpdated` cursor per resource type, shared by search and bulk sync, so a connector can
 * switch between them (auto mode after an EHR upgrade) without re-reading everything. The value
 * is an instant on the server's clock: every comparison the server makes is against its own time.
 */
export const cursorKey = (resourceType: string): string => `cursor:${resourceType}`;

export async function readCursor(state: PluginState, resourceType: string): Promise<string | undefined> {
  const value = await state.get<unknown>(cursorKey(resourceType));
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

/** The instant to read changes from: the cursor less the overlap window, as a FHIR instant. */
export function sinceOf(cursor: string, overlapMs: number): string {
  return new Date(Date.parse(cursor) - overlapMs).toISOString();
}

/** The later of two instants; a cursor never moves backwards. */
export function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

export function lastUpdatedOf(resource: { meta?: { lastUpdated?: unknown } }): string | undefined {
  const value = resource.meta?.lastUpdated;
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : undefined;
}
