/**
 * 999 Implementation Acknowledgment (005010X231A1) to canonical ClaimAcknowledgment records: one
 * per acknowledged transaction set (loop 2000, AK2), or one for the whole group when the 999
 * rejects a group without naming its sets. Pure: one 999 transaction set's segments in.
 */
import { acknowledgment999, buildLoops, components, element, type Loop, type Segment } from '../../connectors/x12/index.js';
import type { EntityData } from '../../core/sdk/index.js';

type ClaimAcknowledgment = EntityData<'ClaimAcknowledgment'>;
type AckError = NonNullable<ClaimAcknowledgment['errors']>[number];

/** The envelope a transaction set arrived in (from `transactionSets`). */
export interface X12Envelope {
  isa?: Segment | undefined;
  gs?: Segment | undefined;
}

export interface MappedAcknowledgment {
  record: ClaimAcknowledgment;
  /** Sender + acknowledged group and set: a re-sent 999 for the same submission upserts this record. */
  externalId: string;
}

export interface MappedAcknowledgments {
  records: MappedAcknowledgment[];
  /** By segment number and id, never quoting element values. */
  problems: string[];
}

/** IK501 / AK901 (codes 717 / 715). `E` is accepted with errors noted; M, W and X reject. */
const STATUS: Record<string, ClaimAcknowledgment['status']> = {
  A: 'accepted',
  E: 'accepted',
  P: 'partially-accepted',
  R: 'rejected',
  M: 'rejected',
  W: 'rejected',
  X: 'rejected',
};

/** IK502-IK506 (code 718): transaction set syntax error codes. */
const SET_ERRORS: Record<string, string> = {
  '1': 'Transaction set not supported',
  '2': 'Transaction set trailer missing',
  '3': 'Transaction set control number in header and trailer do not match',
  '4': 'Number of included segments does not match actual count',
  '5': 'One or more segments in error',
  '6': 'Missing or invalid transaction set identifier',
  '7': 'Missing or invalid transaction set control number',
  '23': 'Transaction set control number not unique within the functional group',
  I5: 'Implementation one or more segments in error',
  I6: 'Implementation convention not supported',
};

/** IK304 (code 620): segment syntax error codes. */
const SEGMENT_ERRORS: Record<string, string> = {
  '1': 'Unrecognized segment ID',
  '2': 'Unexpected segment',
  '3': 'Required segment missing',
  '4': 'Loop occurs over maximum times',
  '5': 'Segment exceeds maximum use',
  '6': 'Segment not in defined transaction set',
  '7': 'Segment not in proper sequence',
  '8': 'Segment has data element errors',
  I4: 'Implementation "not used" segment present',
  I6: 'Implementation dependent segment missing',
  I7: 'Implementation loop occurs under minimum times',
  I8: 'Implementation segment below minimum use',
  I9: 'Implementation dependent "not used" segment present',
};

/** IK403 (code 621): element syntax error codes. */
const ELEMENT_ERRORS: Record<string, string> = {
  '1': 'Required data element missing',
  '2': 'Conditional required data element missing',
  '3': 'Too many data elements',
  '4': 'Data element too short',
  '5': 'Data element too long',
  '6': 'Invalid character in data element',
  '7': 'Invalid code value',
  '8': 'Invalid date',
  '9': 'Invalid time',
  '10': 'Exclusion condition violated',
  '12': 'Too many repetitions',
  '13': 'Too many components',
  I6: 'Code value not used in implementation',
  I9: 'Implementation dependent data element missing',
  I10: 'Implementation "not used" data element present',
  I11: 'Implementation too few repetitions',
  I12: 'Implementation pattern match failure',
  I13: 'Implementation dependent "not used" data element present',
};

/** Maps the segments of one 999 transaction set (ST to SE). */
export function mapAcknowledgment999(segments: readonly Segment[], context: X12Envelope = {}): MappedAcknowledgments {
  const tree = buildLoops(segments, acknowledgment999);
  const problems = tree.problems.map((p) => p.message);
  const root = tree.root;
  const ak1 = root.segments.find((s) => s.id === 'AK1');
  const ak9 = root.segments.find((s) => s.id === 'AK9');
  if (!ak1) {
    problems.push(`transaction set at segment ${segments[0]?.index ?? '?'}: a 999 needs AK1`);
    return { records: [], problems };
  }
  const sender = senderOf(context);
  // 999 AK101/AK102: functional id and control number of the group acknowledged.
  const groupId = element(ak1, 1);
  const groupControlNumber = element(ak1, 2);
  const acknowledgedAt = interchangeTime(context.isa);
  const base = {
    schemaVersion: '1.0.0' as const,
    source: '999' as const,
    // A 999 answers the syntax of the file: the clearinghouse that received it sends it, never the payer.
    acknowledgedBy: 'clearinghouse' as const,
    ...(acknowledgedAt ? { acknowledgedAt } : {}),
    groupControlNumber,
  };
  const records: MappedAcknowledgment[] = [];
  const setLoops = root.loops.filter((l) => l.id === '2000');
  for (const loop of setLoops) {
    const ak2 = loop.segments[0]!;
    const ik5 = loop.segments.find((s) => s.id === 'IK5');
    // 999 IK501 is the set's outcome; without it, the group's AK901 is all there is.
    const code = ik5 ? element(ik5, 1) : ak9 ? element(ak9, 1) : '';
    const status = STATUS[code];
    if (!status) {
      problems.push(`segment ${(ik5 ?? ak9 ?? ak2).index} (${(ik5 ?? ak9 ?? ak2).id}): no acknowledgment code A, E, P, R, M, W or X`);
      continue;
    }
    const errors = [...loop.loops.filter((l) => l.id === '2100').flatMap((l) => segmentErrors(l)), ...(ik5 ? codeErrors(ik5, 2, 6, SET_ERRORS) : [])];
    // 999 AK201/AK202: the acknowledged set's id and control number (the 837's ST02).
    const transactionSetControlNumber = element(ak2, 2);
    records.push({
      record: { ...base, status, transactionSetControlNumber, ...(errors.length ? { errors } : {}) },
      externalId: `999|${sender}|${groupId}|${groupControlNumber}|${element(ak2, 1)}|${transactionSetControlNumber}`,
    });
  }
  if (setLoops.length === 0 && ak9) {
    // A group rejected as a whole (AK905-AK909) may name no set at all.
    const status = STATUS[element(ak9, 1)];
    if (status) {
      const errors = codeErrors(ak9, 5, 9, {});
      records.push({ record: { ...base, status, ...(errors.length ? { errors } : {}) }, externalId: `999|${sender}|${groupId}|${groupControlNumber}` });
    } else {
      problems.push(`segment ${ak9.index} (AK9): no acknowledgment code A, E, P or R`);
    }
  }
  return { records, problems };
}

/** Loop 2100: IK3 (segment in error) with its CTX, and each 2110 IK4 (element in error). */
function segmentErrors(loop: Loop): AckError[] {
  const ik3 = loop.segments[0]!;
  // 999 IK301 segment id, IK302 position in the set, IK303 loop id, IK304 error code.
  const where: Partial<AckError> = {
    ...(element(ik3, 1) ? { segmentId: element(ik3, 1) } : {}),
    ...positive('segmentPosition', element(ik3, 2)),
    ...(element(ik3, 3) ? { loopId: element(ik3, 3) } : {}),
  };
  const context = contextNote(loop.segments.filter((s) => s.id === 'CTX'));
  const out: AckError[] = [];
  const segmentCode = element(ik3, 4);
  if (segmentCode) out.push({ ...where, code: segmentCode, ...describe(SEGMENT_ERRORS[segmentCode], context) });
  for (const element2110 of loop.loops.filter((l) => l.id === '2110')) {
    const ik4 = element2110.segments[0]!;
    // 999 IK401-1 element position, IK403 error code, IK404 copy of the bad element (PHI in the model).
    const [position] = components(element(ik4, 1), ik4.delimiters);
    const bad = element(ik4, 4);
    const elementContext = contextNote(element2110.segments.filter((s) => s.id === 'CTX'));
    const code = element(ik4, 3);
    out.push({
      ...where,
      code,
      ...positive('elementPosition', position ?? ''),
      ...(bad ? { badValue: bad } : {}),
      ...describe(ELEMENT_ERRORS[code], elementContext ?? context),
    });
  }
  return out;
}

/** Codes listed in elements first..last (IK502-IK506, AK905-AK909). */
function codeErrors(segment: Segment, first: number, last: number, names: Record<string, string>): AckError[] {
  const out: AckError[] = [];
  for (let i = first; i <= last; i++) {
    const code = element(segment, i);
    if (code) out.push({ code, ...describe(names[code], undefined) });
  }
  return out;
}

/**
 * CTX: a situational trigger (CTX01-1 `SITUATIONAL TRIGGER`, CTX02 segment, CTX03 position, CTX04
 * loop) is described; a business unit identifier (`CLM01:<patient control number>`) is named
 * without its value, which is PHI.
 */
function contextNote(ctxs: Segment[]): string | undefined {
  const notes = ctxs.map((ctx) => {
    const [name] = components(element(ctx, 1), ctx.delimiters);
    if (name === 'SITUATIONAL TRIGGER') {
      const parts = [element(ctx, 2) && `segment ${element(ctx, 2)}`, element(ctx, 3) && `position ${element(ctx, 3)}`, element(ctx, 4) && `loop ${element(ctx, 4)}`];
      return `situational trigger at ${parts.filter(Boolean).join(', ')}`;
    }
    return `business unit ${name ?? ''}`.trim();
  });
  return notes.length ? notes.join('; ') : undefined;
}

function describe(name: string | undefined, context: string | undefined): { description?: string } {
  const text = [name, context && `(${context})`].filter(Boolean).join(' ');
  return text ? { description: text } : {};
}

function positive<K extends string>(key: K, value: string): { [P in K]?: number } {
  const n = Number(value);
  return (Number.isInteger(n) && n >= 1 ? { [key]: n } : {}) as { [P in K]?: number };
}

/** ISA06 (trimmed) or, without an ISA, GS02: who sent the acknowledgment, the first part of its external id. */
export function senderOf(context: X12Envelope): string {
  const isaSender = context.isa ? element(context.isa, 6).trim() : '';
  return isaSender || (context.gs ? element(context.gs, 2) : '') || 'unknown-sender';
}

/** ISA09 (YYMMDD) and ISA10 (HHMM), read as UTC: X12 carries no time zone. */
export function interchangeTime(isa: Segment | undefined): string | undefined {
  if (!isa) return undefined;
  const date = element(isa, 9);
  const time = element(isa, 10);
  if (!/^\d{6}$/.test(date) || !/^\d{4}$/.test(time)) return undefined;
  return `20${date.slice(0, 2)}-${date.slice(2, 4)}-${date.slice(4, 6)}T${time.slice(0, 2)}:${time.slice(2, 4)}:00Z`;
}
