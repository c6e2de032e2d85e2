import type { PluginContext } from '../../core/sdk/index.js';
import type { MappedResource } from './mapping/index.js';

/** Where a resource came from, for a reviewer to find it: never a value from inside it. */
export interface Origin {
  /** e.g. `Patient search page 3` or `Patient.ndjson line 17`. */
  where: string;
}

/**
 * Lands one mapping outcome: records are emitted under their external ids, a rejected resource is
 * kept for review with its reasons (the rest of its page or file lands regardless), and a
 * resource the model has no place for is only counted, by type.
 */
export async function land(ctx: PluginContext<unknown>, resource: unknown, result: MappedResource, origin: Origin): Promise<void> {
  switch (result.outcome) {
    case 'mapped':
      for (const { entity, record, externalId } of result.records) {
        await ctx.emit(entity, record as never, externalId);
      }
      if (result.problems.length) ctx.count('fieldsLeftOut', result.problems.length);
      return;
    case 'rejected':
      await ctx.reject(result.entity ?? result.resourceType ?? 'unknown', resource, [`${origin.where}: ${result.reasons[0] ?? 'rejected'}`, ...result.reasons.slice(1)], {
        ...(result.externalId ?? {}),
      });
      return;
    case 'not-mapped':
      ctx.count(`notMapped${result.resourceType}`);
      return;
  }
}
