import { ConfigurationError } from '../../core/errors.js';
import { validateInterchange, type GroupInfo, type TransactionSetInfo } from './envelope.js';
import { buildInterchange, type InterchangeOptions, type PartyId } from './generator.js';
import { chooseSpec, LoopBuilder } from './loops.js';
import type { X12Problem } from './problems.js';
import { TRANSACTION_SPECS } from './specs/index.js';
import type { Segment } from './tokenizer.js';

export const ACK_999_VERSION = '005010X231A1';

/** IK5 (code 718): why a transaction set was rejected. */
const SET_CODES: Partial<Record<X12Problem['code'], string>> = {
  'set-trailer-missing': '2',
  'set-control-mismatch': '3',
  'set-count-mismatch': '4',
};

/** AK905 (code 716): why a functional group was rejected. */
const GROUP_CODES: Partial<Record<X12Problem['code'], string>> = {
  'group-trailer-missing': '3',
  'group-control-mismatch': '4',
  'group-count-mismatch': '5',
};

/**
 * Builds the 999 transaction set bodies (one per functional group received, 005010X231A1) that
 * acknowledge `segments` (a whole file, as `parseSegments` returns it). `problems` are the envelope and structure problems found in them; when
 * omitted, the codec's own envelope and loop checks are run. Groups that are themselves
 * acknowledgments (GS01 = FA) are not acknowledged.
 */
export function ack999Sets(segments: readonly Segment[], problems?: readonly X12Problem[]): string[][][] {
  const report = validateInterchange(segments);
  const found = problems ?? [...report.problems, ...structureProblems(segments, report.interchanges.flatMap((i) => i.groups))];
  const bodies: string[][][] = [];
  for (const interchange of report.interchanges) {
    for (const group of interchange.groups) {
      if (group.functionalId === 'FA') continue;
      bodies.push(groupAcknowledgment(group, found, segments));
    }
  }
  return bodies;
}

export interface Ack999Options extends Omit<InterchangeOptions, 'functionalId' | 'version' | 'sender' | 'receiver' | 'gs' | 'usage'> {
  /** @defaultValue the received ISA07/ISA08 (the 999 goes back to whoever sent the file) */
  sender?: PartyId;
  /** @defaultValue the received ISA05/ISA06 */
  receiver?: PartyId;
  /** @defaultValue the received GS03/GS02, swapped */
  gs?: { sender: string; receiver: string };
  /** @defaultValue the received ISA15 */
  usage?: 'T' | 'P';
}

/** A whole 999 interchange (ISA … IEA) acknowledging `segments`; sender and receiver default to the received ones, swapped. */
export function buildAck999(segments: readonly Segment[], options: Ack999Options, problems?: readonly X12Problem[]): string {
  const isa = segments.find((s) => s.id === 'ISA');
  const gs = segments.find((s) => s.id === 'GS');
  const received = (position: number) => (isa?.elements[position - 1] ?? '').trim();
  const sender = options.sender ?? { qualifier: received(7), id: received(8) };
  const receiver = options.receiver ?? { qualifier: received(5), id: received(6) };
  const gsIds = options.gs ?? { sender: gs?.elements[2] ?? '', receiver: gs?.elements[1] ?? '' };
  const usage = options.usage ?? (received(15) === 'P' ? 'P' : 'T');
  const sets = ack999Sets(segments, problems);
  if (sets.length === 0) throw new ConfigurationError('buildAck999: the file holds no functional group to acknowledge');
  return buildInterchange({ ...options, sender, receiver, gs: gsIds, usage, functionalId: 'FA', version: ACK_999_VERSION }, sets);
}

function groupAcknowledgment(group: GroupInfo, problems: readonly X12Problem[], segments: readonly Segment[]): string[][] {
  const body: string[][] = [['ST', '999', '', ACK_999_VERSION], ['AK1', group.functionalId, group.controlNumber, group.version]];
  let accepted = 0;
  const groupEnd = lastIndexOfGroup(group, segments);
  for (const set of group.transactionSets) {
    const setEnd = set.endIndex ?? nextBoundary(set, group, groupEnd);
    const inSet = problems.filter((p) => p.segmentIndex >= set.startIndex && p.segmentIndex <= setEnd);
    const ak2 = ['AK2', set.id, set.controlNumber];
    if (set.implementationRef) ak2.push(set.implementationRef);
    body.push(ak2);
    const setCodes = new Set<string>();
    let segmentErrors = 0;
    for (const problem of inSet) {
      const code = SET_CODES[problem.code];
      if (code !== undefined) {
        setCodes.add(code);
        continue;
      }
      if (GROUP_CODES[problem.code] !== undefined) continue;
      segmentErrors++;
      const position = String(problem.segmentIndex - set.startIndex + 1);
      if (problem.code === 'invalid-element' && problem.elementPosition !== undefined) {
        body.push(['IK3', problem.segmentId, position, problem.loopId ?? '', '8']);
        body.push(['IK4', String(problem.elementPosition), '', '7']);
      } else {
        body.push(['IK3', problem.segmentId, position, problem.loopId ?? '', segmentErrorCode(problem)]);
      }
    }
    if (problems.some((p) => p.code === 'unsupported-transaction-set' && p.segmentIndex === set.startIndex)) setCodes.add('1');
    if (segmentErrors > 0) setCodes.add('5');
    if (setCodes.size === 0) {
      body.push(['IK5', 'A']);
      accepted++;
    } else {
      body.push(['IK5', 'R', ...[...setCodes].sort().slice(0, 5)]);
    }
  }
  const groupCodes = new Set<string>();
  for (const problem of problems) {
    const code = GROUP_CODES[problem.code];
    if (code !== undefined && problem.segmentIndex >= group.startIndex && problem.segmentIndex <= groupEnd) groupCodes.add(code);
  }
  const received = group.transactionSets.length;
  const status = groupCodes.size > 0 || accepted === 0 ? 'R' : accepted < received ? 'P' : 'A';
  const declared = declaredSetCount(segments, groupEnd, group);
  body.push(['AK9', status, declared, String(received), String(accepted), ...[...groupCodes].sort().slice(0, 5)]);
  return body;
}

function segmentErrorCode(problem: X12Problem): string {
  if (problem.code === 'unknown-segment') return /^[A-Z][A-Z0-9]{1,2}$/.test(problem.segmentId) ? '6' : '1';
  return '2';
}

function structureProblems(segments: readonly Segment[], groups: GroupInfo[]): X12Problem[] {
  const problems: X12Problem[] = [];
  for (const group of groups) {
    const gs = segments[group.startIndex - 1];
    for (const set of group.transactionSets) {
      const st = segments[set.startIndex - 1]!;
      let spec;
      try {
        spec = chooseSpec(TRANSACTION_SPECS, st, gs);
      } catch {
        problems.push({
          segmentIndex: st.index,
          segmentId: 'ST',
          offset: st.offset,
          message: `segment ${st.index} (ST) at byte ${st.offset}: transaction set not supported`,
          code: 'unsupported-transaction-set',
        });
        continue;
      }
      const builder = new LoopBuilder(spec);
      const end = set.endIndex ?? set.startIndex + set.segmentCount - 1;
      for (let i = set.startIndex; i <= end; i++) builder.push(segments[i - 1]!);
      problems.push(...builder.finish().problems);
    }
  }
  return problems;
}

function lastIndexOfGroup(group: GroupInfo, segments: readonly Segment[]): number {
  for (let i = group.startIndex; i < segments.length; i++) {
    const id = segments[i]!.id;
    if (id === 'GE') return i + 1;
    // A missing GE is reported at the segment that shows it missing: count that one in.
    if (id === 'GS' || id === 'ISA' || id === 'IEA') return i + 1;
  }
  return segments.length;
}

function nextBoundary(set: TransactionSetInfo, group: GroupInfo, groupEnd: number): number {
  const next = group.transactionSets[group.transactionSets.indexOf(set) + 1];
  return next ? next.startIndex - 1 : groupEnd;
}

function declaredSetCount(segments: readonly Segment[], groupEnd: number, group: GroupInfo): string {
  const ge = segments[groupEnd - 1];
  if (ge?.id !== 'GE') return String(group.transactionSets.length);
  const value = ge?.id === 'GE' ? (ge.elements[0] ?? '').trim() : '';
  return /^\d{1,6}$/.test(value) ? value : String(group.transactionSets.length);
}
