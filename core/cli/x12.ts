/**
 * `hub x12 parse|validate|ack <file>`: read an X12 file the way the clearinghouse plugin does, or
 * answer it with a 999 and TA1, without a hub running. The mappings to canonical records live in
 * plugins and are injected (`CliContext.x12Mappers`), so core never imports a plugin.
 */
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  acknowledgmentRequested,
  buildAck999,
  buildTa1,
  chooseSpec,
  embedTa1,
  EnvelopeValidator,
  LoopBuilder,
  parseSegments,
  readSegments,
  ta1For,
  TRANSACTION_SPECS,
  TransactionSetCollector,
  transactionSets,
  validateInterchange,
  type ControlNumberSource,
  type Segment,
  type X12Problem,
} from '../../connectors/x12/index.js';
import { ConfigurationError, InputError } from '../errors.js';
import { validateEntity, type EntityName } from '../model/index.js';
import type { CliContext } from './main.js';

/** What a mapping gives for one transaction set (see plugins/clearinghouse/mappers.ts). */
export interface X12MappingResult {
  /** What the set is, e.g. `835`, `999`, `277CA`. */
  kind: string;
  records: { entity: EntityName; record: unknown; externalId: string }[];
  /** By segment number and id, never quoting element values. */
  problems: string[];
}

/** Maps one transaction set (ST to SE) with the envelope it arrived in. */
export type X12Mapper = (segments: readonly Segment[], envelope: { isa?: Segment | undefined; gs?: Segment | undefined }) => X12MappingResult;

const USAGE = `Usage: hub x12 <parse|validate|ack> <file> [options]

  parse <file>                       canonical records as NDJSON on stdout; mapping problems on stderr
  validate <file>                    envelope and loop problems, one per line; exit 1 when any
  ack <file> [--out FILE] [--control-number N] [--ta1-only]
                                     the 999 acknowledging the file, to stdout or FILE, with a TA1
                                     ahead of it for each interchange that asks for one (ISA14 = 1)
                                     or whose envelope is wrong; only the TA1 when the file holds
                                     nothing a 999 could acknowledge, or with --ta1-only`;

export async function x12Command(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'parse':
      return parse(rest, ctx);
    case 'validate':
      return validate(rest, ctx);
    case 'ack':
      return ack(rest, ctx);
    case '-h':
    case '--help':
      ctx.out(USAGE);
      return 0;
    default:
      ctx.err(sub ? `hub x12: unknown subcommand "${sub}"\n\n${USAGE}` : USAGE);
      return 2;
  }
}

function fileArgument(args: string[], options: ParseArgsConfig['options'] = {}) {
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new InputError(`expected one file (see hub x12 --help)`, [{ path: '/file', message: 'one file' }]);
  return { file, values };
}

/** Streams the file set by set: memory holds one transaction set at a time. */
async function parse(args: string[], ctx: CliContext): Promise<number> {
  const { file } = fileArgument(args);
  const mappers = ctx.x12Mappers ?? {};
  let records = 0;
  let failed = 0;
  for await (const set of transactionSets(readSegments(createReadStream(file)))) {
    const st = set.segments[0]!;
    const setId = (st.elements[0] ?? '').slice(0, 3);
    const mapper = mappers[setId];
    if (!mapper) {
      ctx.err(`segment ${st.index} (ST) at byte ${st.offset}: transaction set ${setId} is not mapped yet`);
      continue;
    }
    const result = mapper(set.segments, set);
    for (const problem of result.problems) ctx.err(problem);
    failed += result.problems.length;
    for (const { entity, record, externalId } of result.records) {
      const issues = validateEntity(entity, record);
      // Issues name the field and the rule, not the value: safe to print beside the id.
      for (const issue of issues) ctx.err(`segment ${st.index} (ST): ${entity} ${externalId}: ${issue.path} ${issue.message}`);
      failed += issues.length;
      ctx.out(JSON.stringify({ entity, externalId, record }));
      records++;
    }
  }
  if (failed > 0) ctx.err(`${file}: ${records} record(s), ${failed} problem(s)`);
  return failed > 0 ? 1 : 0;
}

/** Envelope checks and each set's loop structure, in one streaming pass. */
async function validate(args: string[], ctx: CliContext): Promise<number> {
  const { file } = fileArgument(args);
  const envelope = new EnvelopeValidator();
  const collector = new TransactionSetCollector();
  const loopProblems: X12Problem[] = [];
  const checkSet = (set: { gs: Segment | undefined; segments: Segment[] } | undefined) => {
    if (!set) return;
    const st = set.segments[0]!;
    let spec;
    try {
      spec = chooseSpec(TRANSACTION_SPECS, st, set.gs);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      loopProblems.push({ segmentIndex: st.index, segmentId: 'ST', offset: st.offset, message: error.message, code: 'unsupported-transaction-set' });
      return;
    }
    const builder = new LoopBuilder(spec);
    for (const segment of set.segments) builder.push(segment);
    loopProblems.push(...builder.finish().problems);
  };
  for await (const segment of readSegments(createReadStream(file))) {
    envelope.push(segment);
    checkSet(collector.push(segment));
  }
  checkSet(collector.finish());
  const report = envelope.finish();
  const problems = [...report.problems, ...loopProblems].sort((a, b) => a.segmentIndex - b.segmentIndex);
  for (const problem of problems) ctx.out(problem.message);
  const groups = report.interchanges.flatMap((i) => i.groups);
  const sets = groups.reduce((n, g) => n + g.transactionSets.length, 0);
  const counts = `${report.interchanges.length} interchange(s), ${groups.length} group(s), ${sets} transaction set(s), ${report.segmentCount} segment(s)`;
  if (problems.length > 0) {
    ctx.err(`${file}: ${problems.length} problem(s) — ${counts}`);
    return 1;
  }
  ctx.out(`${file}: OK — ${counts}`);
  return 0;
}

/** buildAck999 needs the whole file's segments: the file is read into memory once. */
async function ack(args: string[], ctx: CliContext): Promise<number> {
  const { file, values } = fileArgument(args, { out: { type: 'string' }, 'control-number': { type: 'string' }, 'ta1-only': { type: 'boolean' } });
  const controlNumber = controlNumberOption(values['control-number']);
  const segments = parseSegments(await readFile(file));
  const { text, kinds } = acknowledge(segments, { next: () => controlNumber }, values['ta1-only'] === true);
  if (typeof values.out === 'string') {
    await writeFile(values.out, text);
    ctx.err(`${file}: ${kinds} written to ${values.out}`);
  } else {
    ctx.out(text);
  }
  return 0;
}

function controlNumberOption(given: unknown): number {
  if (typeof given === 'string') {
    const controlNumber = Number(given);
    if (!/^\d{1,9}$/.test(given) || controlNumber < 1) throw new ConfigurationError('--control-number must be a number from 1 to 999999999');
    return controlNumber;
  }
  // No sequence to persist from a one-off command: seconds since the epoch, within ISA13's 9 digits.
  return (Math.floor(Date.now() / 1000) % 999_999_999) + 1;
}

/**
 * The 999 for the file's functional groups, with a TA1 after its ISA for each interchange that
 * asks for one or whose envelope is wrong. A file with no group a 999 could acknowledge gets an
 * interchange holding only those TA1s; `ta1Only` gets one holding a TA1 for every interchange.
 */
function acknowledge(segments: readonly Segment[], controlNumbers: ControlNumberSource, ta1Only: boolean): { text: string; kinds: string } {
  const date = new Date();
  const report = validateInterchange(segments);
  const isas = segments.filter((s) => s.id === 'ISA');
  const answers = isas.map((isa) => ({ isa, ta1: ta1For(isa, report, { date }) }));
  // Acknowledgments (GS01 FA) are not acknowledged: a file of them leaves the 999 nothing to say.
  const has999 = !ta1Only && report.interchanges.some((i) => i.groups.some((g) => g.functionalId !== 'FA'));
  const ta1s = answers.filter(({ isa, ta1 }) => ta1Only || acknowledgmentRequested(isa) || ta1.acknowledgmentCode !== 'A').map((a) => a.ta1);
  if (has999) {
    const text = embedTa1(buildAck999(segments, { controlNumbers, date }), ta1s);
    return { text, kinds: ta1s.length > 0 ? '999 and TA1' : '999' };
  }
  if (ta1s.length === 0) {
    throw new InputError('nothing to acknowledge: the file holds no functional group for a 999, and no interchange asks for a TA1 or has envelope problems', [
      { path: '/', message: 'no functional group to acknowledge' },
    ]);
  }
  return { text: buildTa1(isas[0]!, report, { controlNumbers, date }, ta1s), kinds: 'TA1' };
}
