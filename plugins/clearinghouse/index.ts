/**
 * The clearinghouse plugin: X12 5010 files exchanged over a file transport (SFTP in production, a
 * local folder in the demo). It reads the inbox: 835 remittances, TA1, 999 and 277CA
 * acknowledgments, 277 claim statuses and 271 eligibility responses become canonical records;
 * files whose envelopes are broken are quarantined with the reason. It delivers Claims as 837
 * files (submit.ts), and keeps each submitted claim's lifecycle (lifecycle-ledger.ts): every answer
 * that names the claim moves it on, and timers flag answers that never come.
 */
import { createHash } from 'node:crypto';
import type { FileInfo, FileTransport } from '../../connectors/files/types.js';
import { element, EnvelopeValidator, parseSegments, readSegmentBatches, type EnvelopeReport, type Segment, type X12Problem } from '../../connectors/x12/index.js';
import {
  ConfigurationError,
  definePlugin,
  Duration,
  HubError,
  InputError,
  NotFoundError,
  parseDuration,
  Type,
  type PluginContext,
  type Static,
} from '../../core/sdk/index.js';
import type { X12Envelope } from './acknowledgment-999.js';
import { mapTa1 } from './acknowledgment-ta1.js';
import { ClaimLifecycleLedger } from './lifecycle-ledger.js';
import { x12Mappers, type X12MappingResult } from './mappers.js';
import { Remittance835Builder, type MappedRemittance } from './remittance-835.js';
import { submissionSchema, submitClaims } from './submit.js';

const configSchema = Type.Object(
  {
    inbox: Type.Object(
      {
        folder: Type.Optional(Type.String({ minLength: 1, description: 'Folder of the files transport the clearinghouse drops files in; default its root.' })),
        pattern: Type.String({ default: '*', description: 'File-name glob of inbound files, e.g. `*.{835,999,277}`.' }),
      },
      { additionalProperties: false, default: {}, description: 'Where inbound files (835, 999, 277CA…) arrive.' },
    ),
    submission: Type.Optional(submissionSchema),
    lifecycle: Type.Object(
      {
        acknowledgmentWithin: Duration({ default: '24h', description: 'A submitted file with no 999 (or rejecting TA1) after this long raises a `no-999` alert on its claims.' }),
        payerResponseWithin: Duration({
          default: '30d',
          description: 'A submitted claim with no payer 277CA, 277 or 835 after this long raises a `no-payer-response` alert.',
        }),
      },
      { additionalProperties: false, default: {}, description: 'Timers of the claim lifecycle; checked at every sync.' },
    ),
  },
  { additionalProperties: false, description: 'A clearinghouse reached over a file transport.' },
);

type Config = Static<typeof configSchema>;
type Context = PluginContext<Config>;

/** What a transaction set kind becomes, for rejects of a set that produced no record at all. */
const ENTITY_OF_KIND: Record<string, string> = {
  TA1: 'ClaimAcknowledgment',
  '835': 'Remittance',
  '999': 'ClaimAcknowledgment',
  '277CA': 'ClaimAcknowledgment',
  '277': 'ClaimStatus',
  '271': 'EligibilityCheck',
};

export default definePlugin({
  name: 'clearinghouse',
  version: '0.1.0',
  description: 'X12 5010 files with a clearinghouse: 837 claims out; 835 remittances, TA1, 999 and 277CA acknowledgments, 277 claim status, 271 eligibility in; each claim followed from submission to payment.',
  config: configSchema,
  produces: ['Remittance', 'ClaimAcknowledgment', 'ClaimStatus', 'EligibilityCheck', 'ClaimLifecycle'],
  consumes: ['Claim'],
  /** Canonical Claims (from a route) become 837P/837I files in the outbox, each submission recorded first. */
  async deliver(ctx, records) {
    await submitClaims(ctx, ctx.transports.files, records);
  },
  async sync(ctx, { full, path }) {
    const transport = ctx.transports.files;
    if (!transport) {
      throw new ConfigurationError('clearinghouse: needs transport.files (sftp or local) to read its inbox', [
        { path: '/transport/files', message: 'is required' },
      ]);
    }
    let files = await transport.list(ctx.config.inbox.folder, { pattern: ctx.config.inbox.pattern });
    if (path !== undefined) files = files.filter((f) => f.path === path);
    // In the order they arrived: a 999 is read before the 277CA and the 835 that follow it.
    files.sort((a, b) => a.modifiedAt.getTime() - b.modifiedAt.getTime() || a.path.localeCompare(b.path));
    const ledger = new ClaimLifecycleLedger(ctx);
    for (const file of files) {
      ctx.signal.throwIfAborted();
      await processFile(ctx, transport, file, full, ledger);
    }
    await checkTimers(ctx, ledger);
  },
});

async function processFile(ctx: Context, transport: FileTransport, file: FileInfo, full: boolean, ledger: ClaimLifecycleLedger): Promise<void> {
  let first: FileCheck;
  try {
    first = await checkFile(transport, file);
  } catch (error) {
    // Another worker archived it between list and read: nothing to do.
    if (error instanceof NotFoundError) return;
    if (!(error instanceof HubError) || error.retryable) throw error;
    // Unreadable for good (permissions): its listing stands in for a checksum.
    const digest = { checksum: `unreadable:${file.size}:${file.modifiedAt.getTime()}`, size: file.size };
    if (!full && (await ctx.ledger.seen(file.path, digest.checksum))) return;
    await quarantine(ctx, transport, file, digest, `cannot be read: ${error.message}`);
    return;
  }
  const { digest } = first;
  const { checksum, size } = digest;
  if (!full && (await ctx.ledger.seen(file.path, checksum))) {
    ctx.count('filesSkipped');
    return;
  }
  if ('refused' in first) {
    await quarantine(ctx, transport, file, digest, first.refused);
    return;
  }
  if (first.report.problems.length) {
    await quarantine(ctx, transport, file, digest, describeProblems(first.report.problems));
    return;
  }

  // Pass 2: a file checked in memory maps the segments it already has; a large one is read again.
  const segments = first.segments ?? readSegmentBatches(await transport.readStream(file.path));
  const records = await mapTransactionSets(ctx, file, segments, ledger);
  await ledger.save();
  ctx.ledger.record({ path: file.path, size, checksum, status: 'processed', detail: `${records} record(s)` });
  // The ledger entry commits with the file's records: a crash repeats the file, never skips it.
  await ctx.flush();
  ctx.count('files');
  ctx.log.info({ file: file.path, recordCount: records }, 'clearinghouse file processed');
  if (transport.archiveFolder) await transport.move(file.path, `${transport.archiveFolder}/`);
}

/**
 * Files listed at up to this size are downloaded once and tokenized in memory for both passes:
 * most of an inbox is 999s, TA1s, 277CAs and small 835s, and two downloads (over SFTP, two round
 * trips and two transfers) and two tokenizing passes cost more than holding a megabyte.
 */
export const SMALL_FILE_BYTES = 1024 * 1024;
/**
 * A file listed as small that has grown past this by the time it is read is no longer held: what
 * was read so far and the rest of the same download go through the streaming check instead, and
 * pass 2 reads it again, as for any large file. So no file is held above this (plus one chunk),
 * and none is downloaded more than twice.
 */
const SMALL_FILE_CEILING = 4 * SMALL_FILE_BYTES;

interface Digest {
  checksum: string;
  size: number;
}

/** A file's segments: all of them, when it was read whole, or a stream's, in the tokenizer's batches. */
type Segments = Segment[] | AsyncIterable<Segment[]>;

/** Pass 1's verdict; `segments` when the file was read whole, for pass 2 to map without reading it again. */
type FileCheck = { digest: Digest; report: EnvelopeReport; segments?: Segment[] } | { digest: Digest; refused: string };

/** Pass 1: the file's checksum (for the ledger) and its envelope check, from one read. */
async function checkFile(transport: FileTransport, file: FileInfo): Promise<FileCheck> {
  const chunks = ((await transport.readStream(file.path)) as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  if (file.size > SMALL_FILE_BYTES) return checkStream(chunks);
  const read = await readUpTo(chunks, SMALL_FILE_CEILING);
  return 'whole' in read ? checkBuffer(read.whole) : checkStream(replay(read.head, chunks));
}

/** The whole stream as one Buffer; or, once it passes `limit` bytes, the chunks read so far (the rest is left in `chunks`). */
async function readUpTo(chunks: AsyncIterator<Buffer>, limit: number): Promise<{ whole: Buffer } | { head: Buffer[] }> {
  const head: Buffer[] = [];
  let size = 0;
  for (let result = await chunks.next(); !result.done; result = await chunks.next()) {
    head.push(result.value);
    size += result.value.length;
    if (size > limit) return { head };
  }
  return { whole: Buffer.concat(head, size) };
}

/** The chunks already read, then the rest of the same download. */
async function* replay(head: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  // Each held chunk is let go once the tokenizer has had it.
  for (let chunk = head.shift(); chunk; chunk = head.shift()) yield chunk;
  for (let result = await rest.next(); !result.done; result = await rest.next()) yield result.value;
}

/** Pass 1 over a file held whole; its segments are kept for pass 2. */
async function checkBuffer(buffer: Buffer): Promise<FileCheck> {
  const digest = { checksum: createHash('sha256').update(buffer).digest('hex'), size: buffer.length };
  let segments: Segment[];
  try {
    segments = parseSegments(buffer);
  } catch (error) {
    return { digest, refused: notX12(error) };
  }
  return { digest, report: await checkEnvelopes(segments), segments };
}

/**
 * Pass 1, streaming, so a 100 MB file never sits in memory. A file that is not X12 at all is still
 * checksummed whole.
 */
async function checkStream(chunks: AsyncIterator<Buffer>): Promise<FileCheck> {
  const hash = createHash('sha256');
  let size = 0;
  const next = async () => {
    const result = await chunks.next();
    if (!result.done) {
      size += result.value.length;
      hash.update(result.value);
    }
    return result;
  };
  // No return(): when the tokenizer gives up, the rest of the file is still read into the checksum.
  const counted: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => ({ next }) };
  let checked: { report: EnvelopeReport } | { refused: string };
  try {
    checked = { report: await checkEnvelopes(readSegmentBatches(counted)) };
  } catch (error) {
    checked = { refused: notX12(error) };
    while (!(await next()).done);
  }
  return { digest: { checksum: hash.digest('hex'), size }, ...checked };
}

/** The tokenizer's reason for giving up on a file (it is not X12): the file is refused, not the sync failed. */
function notX12(error: unknown): string {
  if (!(error instanceof InputError)) throw error;
  return error.message;
}

async function checkEnvelopes(segments: Segments): Promise<EnvelopeReport> {
  const validator = new EnvelopeValidator();
  await eachSegment(segments, (segment) => {
    validator.push(segment);
  });
  return validator.finish();
}

/**
 * Maps each transaction set as its segments go by and stores its records; returns how many were
 * stored. An 835 goes straight into its builder, so a payment of thousands of claims is never held
 * as segments by this loop; acknowledgments and statuses are small and are mapped whole.
 */
async function mapTransactionSets(ctx: Context, file: FileInfo, segments: Segments, ledger: ClaimLifecycleLedger): Promise<number> {
  const stored = { records: 0 };
  const save = (mapped: X12MappingResult) => store(ctx, file, mapped, stored, ledger);
  let remittance: Remittance835Builder | undefined;
  let other: Segment[] | undefined;
  let envelope: X12Envelope = {};
  await eachSegment(segments, (segment) => {
    if (segment.id === 'ISA') envelope = { isa: segment };
    else if (segment.id === 'GS') envelope = { ...envelope, gs: segment };
    else if (segment.id === 'TA1') {
      // Interchange level, outside any transaction set: it answers a whole submitted file.
      return save(mapTa1(segment, envelope));
    }
    else if (segment.id === 'ST') {
      ctx.signal.throwIfAborted();
      if (element(segment, 1) === '835') remittance = new Remittance835Builder();
      else other = [segment];
      return undefined;
    }
    if (remittance) {
      if (segment.id !== 'SE') {
        remittance.push(segment);
        return undefined;
      }
      const finished = remittance.finish();
      remittance = undefined;
      return save(remittanceResult(finished));
    }
    if (!other) return undefined;
    other.push(segment);
    if (segment.id !== 'SE') return undefined;
    const set = other;
    other = undefined;
    return mapOther(ctx, file, set, envelope, save);
  });
  return stored.records;
}

function remittanceResult({ remittance, externalId, problems }: MappedRemittance): X12MappingResult {
  const records = remittance && externalId ? [{ entity: 'Remittance' as const, record: remittance, externalId }] : [];
  return { kind: '835', records, problems };
}

/** A whole transaction set other than an 835, mapped by its kind's mapper; a kind with none is kept in the file unmapped. */
function mapOther(ctx: Context, file: FileInfo, set: Segment[], envelope: X12Envelope, save: (mapped: X12MappingResult) => Promise<void>): Promise<void> | undefined {
  const kind = element(set[0]!, 1);
  const mapper = x12Mappers[kind];
  if (mapper) return save(mapper(set, envelope));
  ctx.count('setsNotMapped');
  ctx.log.info({ file: file.path, transactionSet: kind.slice(0, 3) }, 'transaction set kept in the file but not mapped');
  return undefined;
}

/**
 * Hands each segment to `visit`, awaiting only the promises it returns: segments go by without a
 * promise each, whether held in memory or streamed (a promise per batch of a stream's segments).
 */
async function eachSegment(segments: Segments, visit: (segment: Segment) => Promise<void> | undefined): Promise<void> {
  if (Array.isArray(segments)) return visitAll(segments, visit);
  for await (const batch of segments) await visitAll(batch, visit);
}

async function visitAll(segments: Segment[], visit: (segment: Segment) => Promise<void> | undefined): Promise<void> {
  for (const segment of segments) {
    const pending = visit(segment);
    if (pending) await pending;
  }
}

/**
 * Emits a transaction set's records, or keeps them for review with the reasons (a remittance that
 * does not balance is never stored). Ids are namespaced by the transaction set they came from.
 */
async function store(ctx: Context, file: FileInfo, mapped: X12MappingResult, stored: { records: number }, ledger: ClaimLifecycleLedger): Promise<void> {
  const reasons = mapped.problems.map((p) => `${file.path}: ${p}`);
  if (!mapped.records.length && reasons.length) {
    await ctx.reject(ENTITY_OF_KIND[mapped.kind] ?? 'unknown', null, reasons);
    return;
  }
  if (!reasons.length) await ledger.prefetch(mapped.records);
  for (const { entity, record, externalId } of mapped.records) {
    const ref = { system: `x12-${mapped.kind.toLowerCase()}`, id: externalId };
    if (reasons.length) {
      await ctx.reject(entity, record, reasons, ref);
      continue;
    }
    // Linked to its claim before it is stored; the claim moves on only if the record is accepted.
    const touch = await ledger.match(entity, record, ref, file.path);
    if (!(await ctx.emit(entity, record as never, ref)).accepted) continue;
    stored.records++;
    if (touch) {
      await touch();
      ctx.count('recordsLinkedToClaims');
    } else if (entity !== 'EligibilityCheck') ctx.count('answersNotMatched');
  }
}

/** The lifecycle timers, after the inbox is read (so an answer that just arrived counts). */
async function checkTimers(ctx: Context, ledger: ClaimLifecycleLedger): Promise<void> {
  const raised = await ledger.checkTimers({
    acknowledgmentWithinMs: parseDuration(ctx.config.lifecycle.acknowledgmentWithin),
    payerResponseWithinMs: parseDuration(ctx.config.lifecycle.payerResponseWithin),
  });
  if (raised.no999) ctx.count('alertsNo999', raised.no999);
  if (raised.noPayerResponse) ctx.count('alertsNoPayerResponse', raised.noPayerResponse);
  if (raised.no999 || raised.noPayerResponse) ctx.log.warn(raised, 'claim lifecycle alerts raised');
  await ledger.save();
}

async function quarantine(ctx: Context, transport: FileTransport, file: FileInfo, digest: Digest, reason: string): Promise<void> {
  ctx.ledger.record({ path: file.path, size: digest.size, checksum: digest.checksum, status: 'quarantined', detail: reason });
  await ctx.flush();
  ctx.count('filesQuarantined');
  ctx.log.warn({ file: file.path }, 'clearinghouse file quarantined');
  if (!transport.quarantineFolder) return;
  const moved = await transport.move(file.path, `${transport.quarantineFolder}/`);
  await transport.write(`${moved}.reason.txt`, `${file.path} was quarantined:\n${reason}\n`);
}

function describeProblems(problems: readonly X12Problem[]): string {
  const shown = problems.slice(0, 20).map((p) => p.message);
  return [...shown, ...(problems.length > shown.length ? [`… and ${problems.length - shown.length} more`] : [])].join('\n');
}
