/**
 * TA1 Interchange Acknowledgment (X12 5010): the answer to a whole interchange, by its ISA13. It
 * sits between ISA and GS (or alone between ISA and IEA), never inside a transaction set.
 */
import { ACK_999_VERSION } from './ack999.js';
import { readDelimiters, type Delimiters } from './delimiters.js';
import type { EnvelopeReport } from './envelope.js';
import { buildInterchangeDetailed, type InterchangeOptions, type PartyId } from './generator.js';
import { elementName, problemAt, problemsError, type X12Problem } from './problems.js';
import type { Segment } from './tokenizer.js';

/** TA104 (I17): A accepted, E accepted with errors noted, R rejected. */
export type Ta1AcknowledgmentCode = 'A' | 'E' | 'R';

export interface Ta1 {
  /** TA101: ISA13 of the interchange acknowledged (9 digits). */
  interchangeControlNumber: string;
  /** TA102: ISA09 of the interchange acknowledged (YYMMDD). */
  date: string;
  /** TA103: ISA10 of the interchange acknowledged (HHMM). */
  time: string;
  acknowledgmentCode: Ta1AcknowledgmentCode;
  /** TA105 (I18), e.g. `000` (no error) or `001`. */
  noteCode: string;
  noteDescription: string;
}

/** TA105 interchange note codes (I18) as the 5010 control segments define them. */
export const TA1_NOTE_CODES: Readonly<Record<string, string>> = Object.freeze({
  '000': 'No error',
  '001': 'ISA13 and IEA02 differ; the ISA13 value is the one acknowledged',
  '002': 'The control standard named in the header is not supported',
  '003': 'This version of the interchange controls is not supported',
  '004': 'The segment terminator is not valid',
  '005': 'The sender id qualifier (ISA05) is not valid',
  '006': 'The sender id (ISA06) is not valid',
  '007': 'The receiver id qualifier (ISA07) is not valid',
  '008': 'The receiver id (ISA08) is not valid',
  '009': 'The receiver id (ISA08) is not one the receiver knows',
  '010': 'The authorization information qualifier (ISA01) is not valid',
  '011': 'The authorization information (ISA02) is not valid',
  '012': 'The security information qualifier (ISA03) is not valid',
  '013': 'The security information (ISA04) is not valid',
  '014': 'The interchange date (ISA09) is not valid',
  '015': 'The interchange time (ISA10) is not valid',
  '016': 'The interchange standards identifier is not valid',
  '017': 'The interchange version (ISA12) is not valid',
  '018': 'The interchange control number (ISA13) is not valid',
  '019': 'The acknowledgment requested flag (ISA14) is not valid',
  '020': 'The usage indicator (ISA15) is not valid',
  '021': 'The number of functional groups (IEA01) is not valid',
  '022': 'The control structure is not valid',
  '023': 'The transmission ended before the interchange did',
  '024': 'The interchange content is not valid (e.g. a bad GS segment)',
  '025': 'The interchange control number was received before (duplicate)',
  '026': 'The data element separator is not valid',
  '027': 'The component element separator is not valid',
  '028': 'The delivery date of a deferred delivery request is not valid',
  '029': 'The delivery time of a deferred delivery request is not valid',
  '030': 'The delivery time code of a deferred delivery request is not valid',
  '031': 'The grade of service code is not valid',
});

const ACKNOWLEDGMENT_CODES = new Set<string>(['A', 'E', 'R']);

/** The TA105 a bad ISA element earns, by position. */
const ISA_ELEMENT_NOTES: Readonly<Record<number, string>> = {
  1: '010', 2: '011', 3: '012', 4: '013', 5: '005', 6: '006', 7: '007', 8: '008',
  9: '014', 10: '015', 12: '017', 13: '018', 14: '019', 15: '020', 16: '027',
};

/** ISA05/ISA07 qualifiers the HIPAA 5010 guides allow. */
const PARTY_QUALIFIERS = new Set(['01', '14', '20', '27', '28', '29', '30', '33', 'ZZ']);

const TA1_ELEMENTS = 5;

/** What is wrong with a TA1 segment, by element; empty when it can be read. */
export function ta1Problems(segment: Segment): X12Problem[] {
  if (segment.id !== 'TA1') return [problemAt(segment, 'unexpected-segment', 'expected a TA1 segment')];
  const e = segment.elements;
  if (e.length !== TA1_ELEMENTS) {
    const position = e.length < TA1_ELEMENTS ? e.length + 1 : TA1_ELEMENTS + 1;
    return [problemAt(segment, 'invalid-element', `TA1 has ${e.length} elements, it needs ${TA1_ELEMENTS}`, position)];
  }
  const problems: X12Problem[] = [];
  const check = (ok: boolean, position: number, rule: string) => {
    if (!ok) problems.push(problemAt(segment, 'invalid-element', `${elementName('TA1', position)} ${rule}`, position));
  };
  check(/^\d{9}$/.test(e[0]!), 1, 'must be a 9-digit interchange control number');
  check(isDate(e[1]!), 2, 'must be a date as YYMMDD');
  check(isTime(e[2]!), 3, 'must be a time as HHMM');
  check(ACKNOWLEDGMENT_CODES.has(e[3]!), 4, 'must be A (accepted), E (accepted with errors) or R (rejected)');
  check(TA1_NOTE_CODES[e[4]!] !== undefined, 5, 'must be an interchange note code from 000 to 031');
  return problems;
}

/** Reads a TA1 segment; throws an InputError naming the segment and element when it cannot. */
export function parseTa1(segment: Segment): Ta1 {
  const problems = ta1Problems(segment);
  if (problems.length > 0) throw problemsError(problems, 'TA1 segment');
  const [interchangeControlNumber, date, time, code, noteCode] = segment.elements as [string, string, string, string, string];
  return {
    interchangeControlNumber,
    date,
    time,
    acknowledgmentCode: code as Ta1AcknowledgmentCode,
    noteCode,
    noteDescription: TA1_NOTE_CODES[noteCode]!,
  };
}

/**
 * The ISA elements the envelope validator leaves alone (it checks ISA13 and ISA15): enough to
 * tell a sender which header field a TA1 rejects.
 */
export function isaProblems(isa: Segment): X12Problem[] {
  const e = (position: number) => isa.elements[position - 1] ?? '';
  const problems: X12Problem[] = [];
  const check = (ok: boolean, position: number, rule: string) => {
    if (!ok) problems.push(problemAt(isa, 'invalid-element', `${elementName('ISA', position)} ${rule}`, position));
  };
  const qualifierRule = 'must be an interchange id qualifier (01, 14, 20, 27, 28, 29, 30, 33 or ZZ)';
  check(e(1) === '00' || e(1) === '03', 1, 'must be 00 or 03');
  check(e(2).length <= 10, 2, 'must be at most 10 characters');
  check(e(3) === '00' || e(3) === '01', 3, 'must be 00 or 01');
  check(e(4).length <= 10, 4, 'must be at most 10 characters');
  check(PARTY_QUALIFIERS.has(e(5)), 5, qualifierRule);
  check(isPartyId(e(6)), 6, 'must be a sender id of 1 to 15 characters');
  check(PARTY_QUALIFIERS.has(e(7)), 7, qualifierRule);
  check(isPartyId(e(8)), 8, 'must be a receiver id of 1 to 15 characters');
  check(isDate(e(9)), 9, 'must be a date as YYMMDD');
  check(isTime(e(10)), 10, 'must be a time as HHMM');
  check(e(12) === '00501', 12, 'must be 00501: this codec reads X12 5010');
  check(e(14) === '0' || e(14) === '1', 14, 'must be 0 or 1');
  check(e(16).length === 1, 16, 'must be one component separator character');
  return problems;
}

/** Whether the sender asked for a TA1 (ISA14 = 1). */
export function acknowledgmentRequested(isa: Segment): boolean {
  return isa.elements[13] === '1';
}

export interface Ta1Decision {
  /** Used for TA102/TA103 when the received ISA09/ISA10 is not a valid date or time. @defaultValue now */
  date?: Date;
}

/**
 * Decides the TA1 answering the interchange `isa` opens, from the envelope report of the file
 * (`validateInterchange` / `EnvelopeValidator`): R with the note of the first interchange-level
 * problem (ISA fields, ISA13/IEA02, IEA01, a missing IEA, stray segments before the first GS),
 * otherwise A with note 000. Group and transaction set problems are the 999's business.
 */
export function ta1For(isa: Segment, report: EnvelopeReport, options: Ta1Decision = {}): Ta1 {
  const problems = interchangeProblems(isa, report);
  const noteCode = problems.map(noteFor).find((code) => code !== undefined) ?? '000';
  const e = isa.elements;
  const fallback = options.date ?? new Date();
  const received = (e[12] ?? '').trim();
  return {
    // TA101 must be 9 digits even when ISA13 was not: zeros tell the sender it could not be read.
    interchangeControlNumber: /^\d{1,9}$/.test(received) ? received.padStart(9, '0') : '000000000',
    date: isDate(e[8] ?? '') ? e[8]! : yymmdd(fallback),
    time: isTime(e[9] ?? '') ? e[9]! : hhmm(fallback),
    acknowledgmentCode: noteCode === '000' ? 'A' : 'R',
    noteCode,
    noteDescription: TA1_NOTE_CODES[noteCode]!,
  };
}

/** The TA1 as elements, `['TA1', '000000001', …]`. */
export function ta1Elements(ta1: Ta1): string[] {
  return ['TA1', ta1.interchangeControlNumber, ta1.date, ta1.time, ta1.acknowledgmentCode, ta1.noteCode];
}

export interface Ta1Options extends Omit<InterchangeOptions, 'functionalId' | 'version' | 'sender' | 'receiver' | 'gs' | 'usage' | 'acknowledgmentRequested'> {
  /** @defaultValue the received ISA07/ISA08 (the TA1 goes back to whoever sent the file) */
  sender?: PartyId;
  /** @defaultValue the received ISA05/ISA06 */
  receiver?: PartyId;
  /** @defaultValue the received ISA15 */
  usage?: 'T' | 'P';
}

/**
 * A whole interchange holding TA1s and no functional group (ISA, TA1…, IEA with IEA01 = 0),
 * answering the interchange `isa` opens. Pass `ta1s` to answer several interchanges of one file
 * at once; by default the TA1 is decided from `report` (see `ta1For`).
 */
export function buildTa1(isa: Segment, report: EnvelopeReport, options: Ta1Options, ta1s?: readonly Ta1[]): string {
  const received = (position: number) => (isa.elements[position - 1] ?? '').trim();
  const answers = ta1s ?? [ta1For(isa, report, options.date ? { date: options.date } : {})];
  const built = buildInterchangeDetailed(
    {
      ...options,
      sender: options.sender ?? { qualifier: received(7), id: received(8) },
      receiver: options.receiver ?? { qualifier: received(5), id: received(6) },
      usage: options.usage ?? (received(15) === 'P' ? 'P' : 'T'),
      // The generator always writes a group; these only satisfy its checks, the group is dropped below.
      gs: { sender: 'TA1', receiver: 'TA1' },
      functionalId: 'FA',
      version: ACK_999_VERSION,
    },
    [],
  );
  const { head, lineEnd, delimiters } = splitAfterIsa(built.text);
  const iea = ['IEA', '0', built.interchangeControlNumber].join(delimiters.element);
  return head + writeTa1s(answers, delimiters, lineEnd) + iea + delimiters.segment + lineEnd;
}

/**
 * Puts TA1 segments right after the ISA of an interchange (a 999 from `buildAck999`), where X12
 * allows them beside functional groups: one file answers both the envelope and its contents.
 */
export function embedTa1(interchange: string, ta1s: readonly Ta1[]): string {
  if (ta1s.length === 0) return interchange;
  const { head, lineEnd, delimiters, rest } = splitAfterIsa(interchange);
  return head + writeTa1s(ta1s, delimiters, lineEnd) + rest;
}

function interchangeProblems(isa: Segment, report: EnvelopeReport): X12Problem[] {
  const at = report.interchanges.findIndex((i) => i.startIndex === isa.index);
  const end = report.interchanges[at + 1]?.startIndex ?? report.segmentCount + 1;
  const firstGroup = report.interchanges[at]?.groups[0]?.startIndex ?? end;
  // A missing IEA (or GE) is found at the next ISA: reported there, it is about the interchange before.
  const closesPrevious = (p: X12Problem) => p.segmentId === 'ISA' && (p.code === 'interchange-trailer-missing' || p.code === 'group-trailer-missing');
  const own = report.problems.filter((p) =>
    closesPrevious(p) ? p.code === 'interchange-trailer-missing' && p.segmentIndex === end : p.segmentIndex >= isa.index && p.segmentIndex < end,
  );
  const envelope = own.filter(
    (p) =>
      p.segmentId === 'ISA' ||
      p.segmentIndex < firstGroup ||
      p.code === 'interchange-control-mismatch' ||
      p.code === 'interchange-count-mismatch' ||
      p.code === 'interchange-trailer-missing',
  );
  // The validator checks ISA13 and ISA15 itself; the other header fields are checked here.
  const checked = new Set(envelope.filter((p) => p.segmentIndex === isa.index).map((p) => p.elementPosition));
  const header = isaProblems(isa).filter((p) => !checked.has(p.elementPosition));
  return [...header, ...envelope].sort((a, b) => a.segmentIndex - b.segmentIndex || (a.elementPosition ?? 0) - (b.elementPosition ?? 0));
}

function noteFor(problem: X12Problem): string | undefined {
  switch (problem.code) {
    case 'interchange-control-mismatch':
      return '001';
    case 'interchange-count-mismatch':
      return '021';
    case 'interchange-trailer-missing':
      // Another ISA before the IEA breaks the structure; the end of the file means it was cut short.
      return problem.segmentId === 'ISA' ? '022' : '023';
    case 'invalid-element':
      return problem.segmentId === 'ISA' && problem.elementPosition !== undefined ? ISA_ELEMENT_NOTES[problem.elementPosition] : '024';
    case 'unexpected-segment':
    case 'unknown-segment':
    case 'segment-out-of-place':
      return '024';
    default:
      return undefined;
  }
}

function writeTa1s(ta1s: readonly Ta1[], delimiters: Delimiters, lineEnd: string): string {
  return ta1s.map((ta1) => ta1Elements(ta1).join(delimiters.element) + delimiters.segment + lineEnd).join('');
}

/** The ISA with its terminator (and line break, when the writer put one after each segment), and what follows. */
function splitAfterIsa(interchange: string): { head: string; rest: string; lineEnd: string; delimiters: Delimiters } {
  const delimiters = readDelimiters(interchange);
  let end = interchange.indexOf(delimiters.segment, 3) + 1;
  const lineEnd = delimiters.segment === '\n' ? '' : /^\r?\n/.exec(interchange.slice(end))?.[0] ?? '';
  end += lineEnd.length;
  return { head: interchange.slice(0, end), rest: interchange.slice(end), lineEnd, delimiters };
}

function isPartyId(value: string): boolean {
  return value.trim().length > 0 && value.length <= 15;
}

function isDate(value: string): boolean {
  if (!/^\d{6}$/.test(value)) return false;
  const [year, month, day] = [2000 + Number(value.slice(0, 2)), Number(value.slice(2, 4)), Number(value.slice(4, 6))];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function isTime(value: string): boolean {
  return /^([01]\d|2[0-3])[0-5]\d$/.test(value);
}

function yymmdd(date: Date): string {
  return `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}`;
}

function hhmm(date: Date): string {
  return `${two(date.getUTCHours())}${two(date.getUTCMinutes())}`;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}
