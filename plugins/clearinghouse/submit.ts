/**
 * Submitting claims: canonical Claims become 837P/837I interchanges uploaded to the clearinghouse's
 * outbox. Delivery is at least once (routes repeat), so every submission is recorded before the
 * upload, in the store: a retry re-sends the same file (same ISA13, which clearinghouses refuse as
 * a duplicate) and never builds a second submission of a claim already sent at that version.
 */
import type { FileTransport } from '../../connectors/files/types.js';
import { buildInterchangeDetailed, type InterchangeOptions } from '../../connectors/x12/index.js';
import { ConfigurationError, Type, type EntityData, type PluginContext, type Static, type StoredRecord } from '../../core/sdk/index.js';
import { claimsTo837, INSTITUTIONAL_837_VERSION, PROFESSIONAL_837_VERSION } from './claim-837.js';
import { ClaimLifecycleLedger } from './lifecycle-ledger.js';

export const submissionSchema = Type.Object(
  {
    outboxFolder: Type.String({ default: 'outbound', description: 'Folder of the files transport that 837 files are uploaded to.' }),
    usage: Type.Union([Type.Literal('T'), Type.Literal('P')], { default: 'T', description: 'ISA15: `T` test or `P` production.' }),
    sender: Type.Object(
      {
        qualifier: Type.String({ default: 'ZZ', description: 'ISA05.' }),
        id: Type.String({ minLength: 1, maxLength: 15, description: 'ISA06, as the clearinghouse knows the MSO.' }),
        gsCode: Type.String({ minLength: 1, maxLength: 15, description: 'GS02 application sender code.' }),
      },
      { additionalProperties: false },
    ),
    receiver: Type.Object(
      {
        qualifier: Type.String({ default: 'ZZ', description: 'ISA07.' }),
        id: Type.String({ minLength: 1, maxLength: 15, description: 'ISA08, the clearinghouse.' }),
        gsCode: Type.String({ minLength: 1, maxLength: 15, description: 'GS03 application receiver code.' }),
        name: Type.String({ minLength: 1, description: '837 loop 1000B NM103: the clearinghouse name.' }),
        etin: Type.String({ minLength: 1, description: '837 loop 1000B NM109: the clearinghouse ETIN.' }),
      },
      { additionalProperties: false },
    ),
    submitter: Type.Object(
      {
        name: Type.String({ minLength: 1, description: '837 loop 1000A NM103.' }),
        etin: Type.String({ minLength: 1, description: '837 loop 1000A NM109: the ETIN the clearinghouse assigned.' }),
        contactName: Type.Optional(Type.String()),
        phone: Type.Optional(Type.String({ description: 'PER: the TR3 requires a contact number.' })),
        email: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: 'How claims are submitted (ISA/GS ids, test or production, submitter and receiver).' },
);

export type SubmissionConfig = Static<typeof submissionSchema>;

interface SubmittedClaim {
  version: number;
  file: string;
  interchangeControlNumber: string;
}

interface PendingFile {
  path: string;
  text: string;
}

const PENDING = 'submission:pending';
const CONTROL = 'submission:control-number';

/** Uploads files recorded but not confirmed (a crash or a dropped connection last time), then new claims. */
export async function submitClaims(
  ctx: PluginContext<{ submission?: SubmissionConfig }>,
  transport: FileTransport | undefined,
  records: StoredRecord[],
): Promise<void> {
  const config = ctx.config.submission;
  if (!config || !transport) {
    throw new ConfigurationError('clearinghouse: delivering claims needs config.submission and transport.files', [
      { path: config ? '/transport/files' : '/config/submission', message: 'is required to submit claims' },
    ]);
  }
  await uploadPending(ctx, transport);

  const fresh: StoredRecord[] = [];
  for (const record of records) {
    if (record.type !== 'Claim') continue;
    const sent = await ctx.state.get<SubmittedClaim>(`claim:${record.id}`);
    if (sent && sent.version >= record.version) {
      ctx.count('alreadySubmitted');
      continue;
    }
    fresh.push(record);
  }
  if (!fresh.length) return;

  const built = claimsTo837(
    fresh.map((r) => r.data as EntityData<'Claim'>),
    {
      submitter: { name: config.submitter.name, id: config.submitter.etin, contact: { name: config.submitter.contactName, phone: config.submitter.phone, email: config.submitter.email } },
      receiver: { name: config.receiver.name, id: config.receiver.etin },
    },
  );
  // claimsTo837 names refused claims as `claims[i]: …`; they are kept for review, the rest go out.
  const refused = new Map<number, string[]>();
  for (const problem of built.problems) {
    const index = Number(/^claims\[(\d+)\]/.exec(problem)?.[1] ?? -1);
    if (index >= 0) refused.set(index, [...(refused.get(index) ?? []), problem]);
  }
  for (const [index, reasons] of refused) {
    const record = fresh[index]!;
    await ctx.reject('Claim', record.data, reasons, { system: record.externalSystem, id: record.externalId });
  }

  let control = (await ctx.state.get<number>(CONTROL)) ?? 0;
  const pending = (await ctx.state.get<PendingFile[]>(PENDING)) ?? [];
  const ledger = new ClaimLifecycleLedger(ctx);
  for (const [kind, sets, claimsOfSets, version] of [
    ['837P', built.professional, built.claimsBySet.professional, PROFESSIONAL_837_VERSION],
    ['837I', built.institutional, built.claimsBySet.institutional, INSTITUTIONAL_837_VERSION],
  ] as const) {
    if (!sets.length) continue;
    const options: InterchangeOptions = {
      sender: { qualifier: config.sender.qualifier, id: config.sender.id },
      receiver: { qualifier: config.receiver.qualifier, id: config.receiver.id },
      gs: { sender: config.sender.gsCode, receiver: config.receiver.gsCode },
      functionalId: 'HC',
      version,
      usage: config.usage,
      controlNumbers: { next: () => ++control },
    };
    const interchange = buildInterchangeDetailed(options, sets);
    const path = `${config.outboxFolder}/${kind}-${interchange.interchangeControlNumber}.x12`;
    pending.push({ path, text: interchange.text });
    const submittedSets = claimsOfSets.map((indexes, set) => ({
      transactionSetControlNumber: interchange.transactionSetControlNumbers[set]!,
      claims: indexes.filter((index) => !refused.has(index)).map((index) => fresh[index]!),
    }));
    for (const { claims } of submittedSets) {
      for (const record of claims) {
        ctx.state.set(`claim:${record.id}`, { version: record.version, file: path, interchangeControlNumber: interchange.interchangeControlNumber } satisfies SubmittedClaim);
        ctx.count('claimsSubmitted');
      }
    }
    await ledger.submitted(
      { path, interchangeControlNumber: interchange.interchangeControlNumber, groupControlNumber: interchange.groupControlNumber, usage: config.usage },
      submittedSets,
    );
  }
  // Recorded (control number, the files, each claim's submission and lifecycle) before anything is uploaded.
  ctx.state.set(CONTROL, control);
  ctx.state.set(PENDING, pending);
  await ledger.save();
  await ctx.flush();
  await uploadPending(ctx, transport);
}

async function uploadPending(ctx: PluginContext<unknown>, transport: FileTransport): Promise<void> {
  const pending = (await ctx.state.get<PendingFile[]>(PENDING)) ?? [];
  while (pending.length) {
    const file = pending[0]!;
    await transport.write(file.path, file.text);
    pending.shift();
    ctx.state.set(PENDING, pending);
    await ctx.flush();
    ctx.count('filesUploaded');
    ctx.log.info({ file: file.path }, '837 uploaded to the clearinghouse');
  }
}
