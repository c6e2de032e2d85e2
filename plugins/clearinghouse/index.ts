/**
 * The clearinghouse plugin: X12 5010 files exchanged over a file transport (SFTP in production, a
 * local folder in the demo). This first version reads the inbox: 835 remittances become canonical
 * Remittance records; files whose envelopes are broken are quarantined with the reason.
 */
import { createHash } from 'node:crypto';
import type { FileInfo, FileTransport } from '../../connectors/files/types.js';
import { EnvelopeValidator, readSegments, transactionSets, type EnvelopeReport, type X12Problem } from '../../connectors/x12/index.js';
import { ConfigurationError, definePlugin, HubError, InputError, NotFoundError, Type, type PluginContext, type Static } from '../../core/sdk/index.js';
import { mapRemittance835 } from './remittance-835.js';

const configSchema = Type.Object(
  {
    inbox: Type.Object(
      {
        folder: Type.Optional(Type.String({ minLength: 1, description: 'Folder of the files transport the clearinghouse drops files in; default its root.' })),
        pattern: Type.String({ default: '*', description: 'File-name glob of inbound files, e.g. `*.{835,999,277}`.' }),
      },
      { additionalProperties: false, default: {}, description: 'Where inbound files (835, 999, 277CA…) arrive.' },
    ),
  },
  { additionalProperties: false, description: 'A clearinghouse reached over a file transport.' },
);

type Config = Static<typeof configSchema>;
type Context = PluginContext<Config>;

/** Remittance ids are namespaced by what identifies a payment: payer id and trace number. */
const REMITTANCE_SYSTEM = 'x12-835-trace';

export default definePlugin({
  name: 'clearinghouse',
  version: '0.1.0',
  description: 'X12 5010 files from a clearinghouse: 835 remittances (837, 999, 277CA and 271 to follow).',
  config: configSchema,
  produces: ['Remittance'],
  consumes: [],
  async sync(ctx, { full, path }) {
    const transport = ctx.transports.files;
    if (!transport) {
      throw new ConfigurationError('clearinghouse: needs transport.files (sftp or local) to read its inbox', [
        { path: '/transport/files', message: 'is required' },
      ]);
    }
    let files = await transport.list(ctx.config.inbox.folder, { pattern: ctx.config.inbox.pattern });
    if (path !== undefined) files = files.filter((f) => f.path === path);
    for (const file of files) {
      ctx.signal.throwIfAborted();
      await processFile(ctx, transport, file, full);
    }
  },
});

async function processFile(ctx: Context, transport: FileTransport, file: FileInfo, full: boolean): Promise<void> {
  let first: { digest: Digest; report: EnvelopeReport } | { digest: Digest; refused: string };
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

  // Pass 2: map each transaction set, one at a time.
  const stream = await transport.readStream(file.path);
  let remittances = 0;
  for await (const set of transactionSets(readSegments(stream))) {
    ctx.signal.throwIfAborted();
    const kind = set.segments[0]?.elements[0];
    if (kind !== '835') {
      ctx.count('setsNotYetMapped');
      ctx.log.info({ file: file.path, transactionSet: kind }, 'transaction set kept in the file but not mapped yet');
      continue;
    }
    const mapped = mapRemittance835(set.segments);
    const ref = mapped.externalId ? { system: REMITTANCE_SYSTEM, id: mapped.externalId } : undefined;
    if (!mapped.remittance || mapped.problems.length) {
      await ctx.reject('Remittance', mapped.remittance ?? null, mapped.problems.map((p) => `${file.path}: ${p}`), ref);
      continue;
    }
    const result = await ctx.emit('Remittance', mapped.remittance, ref!);
    if (result.accepted) remittances++;
  }
  ctx.ledger.record({ path: file.path, size, checksum, status: 'processed', detail: `${remittances} remittance(s)` });
  // The ledger entry commits with the file's records: a crash repeats the file, never skips it.
  await ctx.flush();
  ctx.count('files');
  ctx.log.info({ file: file.path, remittances }, 'clearinghouse file processed');
  if (transport.archiveFolder) await transport.move(file.path, `${transport.archiveFolder}/`);
}

interface Digest {
  checksum: string;
  size: number;
}

/**
 * Pass 1, streaming: the file's checksum (for the ledger) and its envelope check from one read, so
 * a 100 MB file never sits in memory. A file that is not X12 at all is still checksummed whole.
 */
async function checkFile(transport: FileTransport, file: FileInfo): Promise<{ digest: Digest; report: EnvelopeReport } | { digest: Digest; refused: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const chunks = ((await transport.readStream(file.path)) as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
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
  const validator = new EnvelopeValidator();
  let refused: string | undefined;
  try {
    for await (const segment of readSegments(counted)) validator.push(segment);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    refused = error.message;
    while (!(await next()).done);
  }
  const digest = { checksum: hash.digest('hex'), size };
  return refused === undefined ? { digest, report: validator.finish() } : { digest, refused };
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
