/**
 * A Claim's Patient and Coverage from the store. An EHR's Claim names them by id (`Patient/123`),
 * and R4 Claim has no search parameter to `_include` its Coverage; but a sync reads Patients and
 * Coverages before Claims (`resources` order, and bulk exports write their files in that order),
 * so both are usually stored already. The syncs gather what their Claims name (`partyLookupsOf`),
 * look it up here in one query per type, and hand the result to the pure mapping.
 */
import type { PluginContext } from '../../core/sdk/index.js';
import { KnownRecords, type KnownEntity, type PartyLookup } from './mapping/index.js';

const PARTY_ENTITIES: readonly KnownEntity[] = ['Patient', 'Coverage'];

/** The stored records the lookups name; undefined when there is nothing to look up (no query made). */
export async function lookUpParties(ctx: PluginContext<unknown>, lookups: readonly PartyLookup[]): Promise<KnownRecords | undefined> {
  if (lookups.length === 0) return undefined;
  const known = new KnownRecords();
  await Promise.all(
    PARTY_ENTITIES.map(async (entity) => {
      const refs = lookups.filter((lookup) => lookup.entity === entity).map((lookup) => lookup.ref);
      if (refs.length === 0) return;
      const found = await ctx.records.findMany(entity, refs);
      for (const record of found.values()) known.add(entity, { system: record.externalSystem, id: record.externalId }, record.data);
    }),
  );
  ctx.count('claimPartiesLookedUp', lookups.length);
  return known;
}
