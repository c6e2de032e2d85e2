import type { FhirClient, FhirResource, FhirSearchParams } from '../../connectors/fhir/index.js';
import type { PluginContext } from '../../core/sdk/index.js';
import { cursorKey, lastUpdatedOf, later, readCursor, sinceOf } from './cursor.js';
import { land } from './land.js';
import { indexBundle, mapResource, partyLookupsOf, type MappingContext } from './mapping/index.js';
import { lookUpParties } from './parties.js';

export interface SearchSyncOptions {
  type: string;
  /** The server filters this type by `_lastUpdated`; without it every sync reads the type whole. */
  incremental: boolean;
  full: boolean;
  overlapMs: number;
  pageSize: number;
  mapping: MappingContext;
}

/**
 * Reads one resource type by search, page by page, and commits each page with its cursor, so a
 * job that fails repeats at most the page it was on.
 *
 * The cursor mid-search is the newest `meta.lastUpdated` seen, but only while resources arrive
 * oldest first (as servers list them by default, and as the fake server does): out of order, an
 * unread page could hold something older, so the cursor waits for the end. Once every page is
 * read it moves to the moment the server answered the first page (`Bundle.meta.lastUpdated`):
 * anything changed since carries a later `lastUpdated`, and a quiet type's cursor still moves on,
 * so the next incremental read asks for little. Both instants are the server's clock, never ours.
 */
export async function syncBySearch(ctx: PluginContext<unknown>, fhir: FhirClient, options: SearchSyncOptions): Promise<void> {
  const { type } = options;
  const stored = await readCursor(ctx.state, type);
  const params: FhirSearchParams = { _count: options.pageSize };
  const incremental = options.incremental && !options.full && stored !== undefined;
  if (incremental) params._lastUpdated = `ge${sinceOf(stored, options.overlapMs)}`;

  let newest: string | undefined;
  let inOrder = true;
  let answeredAt: string | undefined;
  let pages = 0;
  let resources = 0;
  for await (const page of fhir.search(type, params, { signal: ctx.signal }).pages()) {
    pages++;
    if (page.number === 1) answeredAt = lastUpdatedOf(page.bundle as FhirResource);
    // Included resources are there to resolve references (a Claim's Patient), not to be stored.
    const bundle = indexBundle([...page.resources, ...page.included].map((resource) => ({ resource })));
    // Claims name their Patient and Coverage by id; those synced before are read from the store,
    // one query per type for the page. Earlier types' commits have landed: each page awaits its flush.
    const known = await lookUpParties(ctx, page.resources.flatMap((resource) => partyLookupsOf(resource, options.mapping, bundle)));
    for (const resource of page.resources) {
      const lastUpdated = lastUpdatedOf(resource);
      if (lastUpdated !== undefined) {
        if (newest !== undefined && Date.parse(lastUpdated) < Date.parse(newest)) inOrder = false;
        newest = later(newest, lastUpdated);
      }
      await land(ctx, resource, mapResource(resource, options.mapping, bundle, known), { where: `${type} search page ${page.number}` });
    }
    resources += page.resources.length;
    const cursor = inOrder ? later(stored, newest) : undefined;
    if (cursor !== undefined) ctx.state.set(cursorKey(type), cursor);
    await ctx.flush();
  }

  const cursor = later(later(stored, newest), answeredAt);
  if (cursor !== undefined) ctx.state.set(cursorKey(type), cursor);
  await ctx.flush();
  ctx.count('resourcesRead', resources);
  ctx.log.info({ resourceType: type, incremental, pages, resources, inOrder }, 'fhir-ehr search read');
}
