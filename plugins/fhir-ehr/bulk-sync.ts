import type { BulkExportLevel, FhirClient } from '../../connectors/fhir/index.js';
import type { PluginContext } from '../../core/sdk/index.js';
import { cursorKey, later, readCursor, sinceOf } from './cursor.js';
import { land } from './land.js';
import { mapResource, type MappingContext } from './mapping/index.js';

/**
 * Lines between commits while a file streams: bounds what a failure mid-file makes the retry redo.
 * The plugin context commits by itself at 1,000 staged records; this stays below that, so the
 * commits happen here, where they can overlap the mapping of the next lines.
 */
export const BULK_FLUSH_LINES = 900;

/** Batches staged or committing at once while a file streams (see overlappingCommits). */
const BATCHES_AHEAD = 3;

export interface BulkSyncOptions {
  level: BulkExportLevel;
  types: string[];
  full: boolean;
  overlapMs: number;
  mapping: MappingContext;
}

/**
 * One Bulk Data `$export` for all the types at once, since the oldest of their cursors (less the
 * overlap); every type without a cursor yet makes it a full export. Each NDJSON file streams line
 * by line. Records commit as they go, but the cursors move to the export's `transactionTime` only
 * once every file is read: a file cut off half way fails the job, and the retry exports again from
 * the same instant (upserts make the repeated lines harmless).
 */
export async function syncByBulk(ctx: PluginContext<unknown>, fhir: FhirClient, options: BulkSyncOptions): Promise<void> {
  const { types } = options;
  const cursors = await Promise.all(types.map((type) => readCursor(ctx.state, type)));
  const known = cursors.filter((cursor): cursor is string => cursor !== undefined);
  const oldest = known.reduce<string | undefined>((min, cursor) => (min === undefined || Date.parse(cursor) < Date.parse(min) ? cursor : min), undefined);
  const since = options.full || known.length < types.length || oldest === undefined ? undefined : sinceOf(oldest, options.overlapMs);

  const manifest = await fhir.bulkExport(
    { ...options.level, types, ...(since !== undefined ? { since } : {}) },
    { signal: ctx.signal, onProgress: ({ polls }) => ctx.log.debug({ polls }, 'fhir-ehr bulk export in progress') },
  );
  ctx.log.info({ files: manifest.output.length, errorFiles: manifest.error.length, incremental: since !== undefined }, 'fhir-ehr bulk export ready');
  if (manifest.error.length) {
    // OperationOutcomes about resources the server left out; they name resources, so not logged.
    ctx.count('exportErrorFiles', manifest.error.length);
    ctx.log.warn({ errorFiles: manifest.error.length }, 'fhir-ehr bulk export reports resources it could not export');
  }

  const commits = overlappingCommits(ctx);
  for (const [index, file] of manifest.output.entries()) {
    const name = `export file ${index + 1} (${file.type})`;
    let lines = 0;
    for await (const item of fhir.ndjson(file, { signal: ctx.signal })) {
      if (item.error !== undefined) {
        // The message names the file and line number, never the line's text.
        await ctx.reject(file.type, null, [item.error.message]);
      } else {
        await land(ctx, item.resource, mapResource(item.resource, options.mapping), { where: `${name} line ${item.line}` });
      }
      if (++lines % BULK_FLUSH_LINES === 0) await commits.next();
    }
    await commits.next();
    ctx.count('resourcesRead', lines);
  }
  await commits.settle();

  types.forEach((type, index) => ctx.state.set(cursorKey(type), later(cursors[index], manifest.transactionTime)));
  await ctx.flush();
}

/**
 * Commits what is staged while the next lines are read and mapped, without waiting for the
 * commit: the plugin context runs up to two at once on their own connections, so the database
 * works on two batches (one per core) while this process maps a third. Only the oldest commit is
 * waited for, which bounds what is held in memory to three batches. A failed commit fails the job
 * at the next call; the cursors are only set once every commit has landed, so nothing is skipped.
 */
function overlappingCommits(ctx: PluginContext<unknown>): { next(): Promise<void>; settle(): Promise<void> } {
  const unlanded: Promise<void>[] = [];
  return {
    async next() {
      const landed = ctx.flush();
      // Observed when it is the oldest; until then a rejection must not count as unhandled.
      landed.catch(() => undefined);
      unlanded.push(landed);
      if (unlanded.length >= BATCHES_AHEAD) await unlanded.shift();
    },
    // A flush resolves once every earlier commit has landed too.
    settle: () => ctx.flush(),
  };
}
