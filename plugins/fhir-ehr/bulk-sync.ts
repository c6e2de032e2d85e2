import type { BulkExportLevel, FhirClient } from '../../connectors/fhir/index.js';
import type { PluginContext } from '../../core/sdk/index.js';
import { cursorKey, later, readCursor, sinceOf } from './cursor.js';
import { land } from './land.js';
import { mapResource, partyLookupsOf, type MappingContext, type PartyLookup } from './mapping/index.js';
import { lookUpParties } from './parties.js';

/**
 * Lines between commits while a file streams: bounds what a failure mid-file makes the retry redo.
 * The plugin context commits by itself at 1,000 staged records; this stays below that, so the
 * commits happen here, where they can overlap the mapping of the next lines.
 */
export const BULK_FLUSH_LINES = 900;

/** Batches staged or committing at once while a file streams (see overlappingCommits). */
const BATCHES_AHEAD = 3;

/** Claim lines held at most while they wait for their Patient and Coverage from the store. */
export const CLAIMS_AWAITING_PARTIES = 200;

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
  const awaiting = new ClaimsAwaitingParties(ctx, options.mapping);
  for (const [index, file] of manifest.output.entries()) {
    const name = `export file ${index + 1} (${file.type})`;
    let lines = 0;
    for await (const item of fhir.ndjson(file, { signal: ctx.signal })) {
      if (item.error !== undefined) {
        // The message names the file and line number, never the line's text.
        await ctx.reject(file.type, null, [item.error.message]);
      } else {
        const where = `${name} line ${item.line}`;
        const lookups = partyLookupsOf(item.resource, options.mapping);
        // Anything that needs nothing from the store maps at once (a Claim with contained parties
        // too), unless Claims wait ahead of it: lines land in file order.
        if (lookups.length === 0 && awaiting.empty) await land(ctx, item.resource, mapResource(item.resource, options.mapping), { where });
        else await awaiting.add({ resource: item.resource, where, lookups });
      }
      if (++lines % BULK_FLUSH_LINES === 0) {
        await awaiting.land();
        await commits.next();
      }
    }
    await awaiting.land();
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

interface AwaitingLine {
  resource: unknown;
  where: string;
  lookups: PartyLookup[];
}

/**
 * Claim lines that name their Patient or Coverage by id, waiting to read them from the store. An
 * NDJSON line has no bundle, but the export's Patient and Coverage files come before its Claim
 * file, and their records are committed (or committing) by the time Claims are read. Lines wait
 * until CLAIMS_AWAITING_PARTIES have gathered (memory stays bounded), a commit is due, or the file
 * ends; then every earlier commit is awaited, since the last Patient batch may still be in flight,
 * the parties are read in one query per type, and the lines land in their order.
 */
class ClaimsAwaitingParties {
  private lines: AwaitingLine[] = [];

  constructor(
    private readonly ctx: PluginContext<unknown>,
    private readonly mapping: MappingContext,
  ) {}

  get empty(): boolean {
    return this.lines.length === 0;
  }

  async add(line: AwaitingLine): Promise<void> {
    this.lines.push(line);
    if (this.lines.length >= CLAIMS_AWAITING_PARTIES) await this.land();
  }

  async land(): Promise<void> {
    if (this.lines.length === 0) return;
    const lines = this.lines;
    this.lines = [];
    // Resolves once every earlier commit has landed too, the last Patient batch among them.
    await this.ctx.flush();
    const known = await lookUpParties(this.ctx, lines.flatMap((line) => line.lookups));
    for (const { resource, where } of lines) {
      await land(this.ctx, resource, mapResource(resource, this.mapping, undefined, known), { where });
    }
  }
}
