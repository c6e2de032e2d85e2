/**
 * A stand-in clearinghouse and payer, for the shipped demo and for testing a clearinghouse
 * connector end to end without one: it watches the folder 837 files are uploaded to and answers
 * each file as a real pair would, in order: a 999 for the file, a payer 277CA accepting each
 * claim, then an 835 paying them (a configurable share of each line, a copay on the first line,
 * listed procedures denied). Every amount balances as the 835 TR3 asks. It stores no records.
 */
import { createHash } from 'node:crypto';
import { buildAck999, buildInterchange, element, parseSegments, transactionSets, type ElementValue, type InterchangeOptions } from '../../connectors/x12/index.js';
import { ConfigurationError, definePlugin, InputError, Type, type EntityData, type PluginContext, type Static } from '../../core/sdk/index.js';
import { claimFrom837 } from './claim-837.js';

type Claim = EntityData<'Claim'>;
type Body = ElementValue[][];

const configSchema = Type.Object(
  {
    watch: Type.Object(
      {
        folder: Type.String({ default: 'outbound', description: 'Folder the clearinghouse connector uploads 837 files to.' }),
        pattern: Type.String({ default: '*.x12', description: 'File-name glob of the 837 files.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    answerFolder: Type.String({ default: 'inbound', description: 'Folder the answers (999, 277CA, 835) are written to: the connector’s inbox.' }),
    paymentRate: Type.Number({ minimum: 0, maximum: 1, default: 0.8, description: 'Share of each line charge the payer allows and pays (before the copay).' }),
    copay: Type.Number({ minimum: 0, default: 20, description: 'Patient copay taken from the first paid line (835 CAS*PR*3).' }),
    denyProcedures: Type.Array(Type.String(), { default: [], description: 'Procedure codes the payer denies (CAS*CO*96, remark N130).' }),
  },
  { additionalProperties: false, description: 'A simulated clearinghouse and payer answering 837 files.' },
);

type Config = Static<typeof configSchema>;

export default definePlugin({
  name: 'clearinghouse-simulator',
  version: '0.1.0',
  description: 'Answers 837 files as a clearinghouse and payer would (999, 277CA, 835), for demos and end-to-end tests.',
  config: configSchema,
  produces: [],
  consumes: [],
  async sync(ctx) {
    const transport = ctx.transports.files;
    if (!transport) {
      throw new ConfigurationError('clearinghouse-simulator: needs transport.files (the clearinghouse connector’s folder)', [
        { path: '/transport/files', message: 'is required' },
      ]);
    }
    for (const file of await transport.list(ctx.config.watch.folder, { pattern: ctx.config.watch.pattern })) {
      ctx.signal.throwIfAborted();
      const text = (await transport.read(file.path)).toString('latin1');
      const checksum = createHash('sha256').update(text).digest('hex');
      if (await ctx.ledger.seen(file.path, checksum)) continue;
      let answers: [string, string][];
      try {
        answers = await answer(ctx, text);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        // What a real clearinghouse would refuse: noted once, never answered, the rest go on.
        ctx.ledger.record({ path: file.path, size: file.size, checksum, status: 'quarantined', detail: error.message });
        await ctx.flush();
        ctx.count('filesRefused');
        ctx.log.warn({ file: file.path, reason: error.message }, 'simulated clearinghouse refused a file');
        continue;
      }
      for (const [name, content] of answers) await transport.write(`${ctx.config.answerFolder}/${name}`, content);
      ctx.ledger.record({ path: file.path, size: file.size, checksum, status: 'processed', detail: `${answers.length} answer file(s)` });
      await ctx.flush();
      ctx.count('filesAnswered');
      ctx.log.info({ file: file.path, answers: answers.map(([name]) => name) }, 'simulated clearinghouse answered an 837');
    }
  },
});

/**
 * The 999 for the whole file, then per payer a 277CA and an 835; file names carry the 837's ISA13
 * and sort in the order a real pair would send them.
 */
async function answer(ctx: PluginContext<Config>, text: string): Promise<[string, string][]> {
  const segments = parseSegments(text);
  const isa = segments.find((s) => s.id === 'ISA');
  if (!isa) throw new InputError('clearinghouse-simulator: the uploaded file has no ISA segment');
  const field = (position: number) => element(isa, position).trim();
  const icn = field(13) || '0';
  let control = Number(icn) * 10;
  const controlNumbers = { next: () => ++control };
  const answers: [string, string][] = [[`SIM-${icn}-1-999.999`, buildAck999(segments, { controlNumbers, lineBreaks: true })]];

  const claims: Claim[] = [];
  for await (const set of transactionSets(segments)) {
    const parsed = claimFrom837(set);
    claims.push(...parsed.claims.map((c) => c.claim));
    if (parsed.problems.length) ctx.count('claimsNotUnderstood', parsed.problems.length);
  }
  const byPayer = new Map<string, Claim[]>();
  for (const claim of claims) {
    const payer = claim.payer.payerId ?? claim.payer.name;
    const group = byPayer.get(payer);
    if (group) group.push(claim);
    else byPayer.set(payer, [claim]);
  }
  const now = new Date();
  let n = 0;
  for (const [payerId, payerClaims] of byPayer) {
    const payerSuffix = byPayer.size > 1 ? `-${++n}` : '';
    const from: Pick<InterchangeOptions, 'sender' | 'receiver' | 'gs'> = {
      sender: { qualifier: 'ZZ', id: field(8) },
      receiver: { qualifier: 'ZZ', id: field(6) },
      gs: { sender: field(8), receiver: field(6) },
    };
    const options = (functionalId: string, version: string): InterchangeOptions => ({ ...from, functionalId, version, usage: field(15) === 'P' ? 'P' : 'T', controlNumbers, date: now, lineBreaks: true });
    answers.push([`SIM-${icn}-2-277CA${payerSuffix}.277`, buildInterchange(options('HN', '005010X214'), [claimAcknowledgment(payerClaims, icn, now)])]);
    answers.push([`SIM-${icn}-3-ERA${payerSuffix}.835`, buildInterchange(options('HP', '005010X221A1'), [remittance(ctx.config, payerClaims, payerId, icn, now)])]);
  }
  return answers;
}

/** The payer's 277CA: each claim accepted for adjudication (A2:20) with its payer claim number. */
function claimAcknowledgment(claims: Claim[], icn: string, now: Date): Body {
  const day = ymd(now);
  const payer = claims[0]!.payer;
  const provider = claims[0]!.billingProvider;
  const total = claims.reduce((sum, c) => sum + c.totalCharge, 0);
  const body: Body = [
    ['ST', '277', '', '005010X214'],
    ['BHT', '0085', '08', `SIM${icn}`, day, '0900', 'TH'],
    ['HL', '1', '', '20', '1'],
    ['NM1', 'PR', '2', payer.name, '', '', '', '', 'PI', payer.payerId ?? 'UNKNOWN'],
    ['TRN', '1', `SIM${icn}`],
    ['DTP', '050', 'D8', day],
    ['DTP', '009', 'D8', day],
    ['HL', '2', '1', '21', '1'],
    ['NM1', '41', '2', 'SUBMITTER', '', '', '', '', '46', 'SUBMITTER'],
    ['TRN', '2', icn],
    ['STC', ['A1', '19', 'PR'], day, 'WQ', money(total)],
    ['HL', '3', '2', '19', '1'],
    ['NM1', '85', '2', provider.name ?? 'BILLING PROVIDER', '', '', '', '', 'XX', provider.npi],
    ['TRN', '1', '0'],
    ['STC', ['A1', '19', 'PR'], day, 'WQ', money(total)],
  ];
  claims.forEach((claim, i) => {
    body.push(
      ['HL', String(4 + i), '3', 'PT'],
      ['NM1', 'QC', '1', claim.patient.name.family, claim.patient.name.given?.[0] ?? '', '', '', '', 'MI', claim.subscriber.memberId],
      ['TRN', '2', claim.patientControlNumber],
      ['STC', ['A2', '20', 'PR'], day, 'WQ', money(claim.totalCharge)],
      ['REF', '1K', payerClaimNumber(icn, i)],
      ['DTP', '472', 'D8', claim.serviceLines[0]!.serviceDate.replaceAll('-', '')],
    );
  });
  return body;
}

/** An 835 paying each claim line by line; charge minus payment always equals the adjustments. */
function remittance(config: Config, claims: Claim[], payerId: string, icn: string, now: Date): Body {
  const denied = new Set(config.denyProcedures);
  const payments: Body = [];
  let total = 0;
  claims.forEach((claim, i) => {
    let copayLeft = config.copay;
    const lines: Body = [];
    let paid = 0;
    let owed = 0;
    for (const line of claim.serviceLines) {
      const code = line.procedure?.code ?? '';
      const refused = denied.has(code);
      const allowed = refused ? 0 : cents(line.charge * config.paymentRate);
      const copay = Math.min(copayLeft, allowed);
      copayLeft -= copay;
      const linePaid = cents(allowed - copay);
      paid += linePaid;
      owed += copay;
      lines.push(
        ['SVC', ['HC', code, ...(line.procedure?.modifiers ?? [])], money(line.charge), money(linePaid), '', String(line.units)],
        ['DTM', '472', line.serviceDate.replaceAll('-', '')],
        refused ? ['CAS', 'CO', '96', money(line.charge)] : ['CAS', 'CO', '45', money(cents(line.charge - allowed))],
        ...(copay > 0 ? [['CAS', 'PR', '3', money(copay)]] : []),
        ...(refused ? [['LQ', 'HE', 'N130']] : []),
      );
    }
    paid = cents(paid);
    total = cents(total + paid);
    const status = paid === 0 && owed === 0 ? '4' : '1';
    payments.push(
      ['CLP', claim.patientControlNumber, status, money(claim.totalCharge), money(paid), money(cents(owed)), claim.subscriber.insuranceType ?? '12', payerClaimNumber(icn, i), claim.placeOfService ?? '11', '1'],
      ['NM1', 'QC', '1', claim.patient.name.family, claim.patient.name.given?.[0] ?? '', '', '', '', 'MI', claim.subscriber.memberId],
      ...lines,
    );
  });
  const day = ymd(now);
  const payee = claims[0]!.billingProvider;
  return [
    ['ST', '835', '', '005010X221A1'],
    ['BPR', total > 0 ? 'I' : 'H', money(total), 'C', total > 0 ? 'ACH' : 'NON', ...(total > 0 ? ['CCP', '01', '999999992', 'DA', '123456', '1512345678', '', '01', '999988880', 'DA', '98765'] : ['', '', '', '', '', '', '', '', '', '', '']), day],
    ['TRN', '1', `SIM-EFT-${icn}`, '1512345678'],
    ['DTM', '405', day],
    ['N1', 'PR', claims[0]!.payer.name, 'XV', payerId],
    ['N1', 'PE', payee.name ?? 'BILLING PROVIDER', 'XX', payee.npi],
    ['LX', '1'],
    ...payments,
  ];
}

function payerClaimNumber(icn: string, index: number): string {
  return `SIM${icn}${String(index + 1).padStart(4, '0')}`;
}

function cents(value: number): number {
  return Math.round(value * 100) / 100;
}

function money(value: number): string {
  return value.toFixed(2);
}

function ymd(date: Date): string {
  return date.toISOString().slice(0, 10).replaceAll('-', '');
}
