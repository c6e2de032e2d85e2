import type { Delimiters } from './delimiters.js';
import { problemAt, type X12Problem } from './problems.js';
import type { Segment } from './tokenizer.js';

export interface TransactionSetInfo {
  /** ST01, e.g. `835`. */
  id: string;
  /** ST02. */
  controlNumber: string;
  /** ST03, the implementation guide (`005010X221A1`), when sent. */
  implementationRef: string | undefined;
  startIndex: number;
  startOffset: number;
  /** Index of its SE; undefined when the SE is missing. */
  endIndex: number | undefined;
  /** Segments from ST to SE inclusive (or to the last one seen). */
  segmentCount: number;
}

export interface GroupInfo {
  /** GS01, e.g. `HC`. */
  functionalId: string;
  /** GS06. */
  controlNumber: string;
  sender: string;
  receiver: string;
  /** GS08, e.g. `005010X222A1`. */
  version: string;
  startIndex: number;
  startOffset: number;
  transactionSets: TransactionSetInfo[];
  closed: boolean;
}

export interface InterchangeInfo {
  /** ISA13. */
  controlNumber: string;
  senderQualifier: string;
  senderId: string;
  receiverQualifier: string;
  receiverId: string;
  /** ISA15: T (test) or P (production). */
  usage: string;
  startIndex: number;
  startOffset: number;
  delimiters: Delimiters;
  groups: GroupInfo[];
  closed: boolean;
}

export interface EnvelopeReport {
  interchanges: InterchangeInfo[];
  problems: X12Problem[];
  segmentCount: number;
}

const SEGMENT_ID = /^[A-Z0-9]{2,3}$/;

/**
 * Checks the ISA/GS/ST envelopes of a file segment by segment, so it can run over a stream of any
 * size: control numbers that must match, the counts the trailers declare, trailers that are missing,
 * and segments that have no place outside a transaction set.
 */
export class EnvelopeValidator {
  private readonly problems: X12Problem[] = [];
  private readonly interchanges: InterchangeInfo[] = [];
  private interchange: InterchangeInfo | undefined;
  private group: GroupInfo | undefined;
  private set: TransactionSetInfo | undefined;
  private last: Segment | undefined;
  private count = 0;

  push(segment: Segment): void {
    this.count++;
    this.last = segment;
    const set = this.set;
    if (set !== undefined) {
      const id = segment.id;
      if (id === 'SE') {
        set.segmentCount++;
        this.closeSet(segment, set);
        return;
      }
      if (id !== 'GE' && id !== 'IEA' && id !== 'GS' && id !== 'ISA') {
        set.segmentCount++;
        return;
      }
      this.report(segment, 'set-trailer-missing', `transaction set ${set.controlNumber} (ST at segment ${set.startIndex}) has no SE before this ${id}`);
      this.set = undefined;
    }
    switch (segment.id) {
      case 'ISA':
        this.openInterchange(segment);
        return;
      case 'GS':
        this.openGroup(segment);
        return;
      case 'ST':
        this.openSet(segment);
        return;
      case 'GE':
        this.closeGroup(segment);
        return;
      case 'IEA':
        this.closeInterchange(segment);
        return;
      case 'TA1':
        if (this.interchange === undefined || this.group !== undefined) this.report(segment, 'unexpected-segment', 'TA1 belongs inside an interchange, outside any functional group');
        return;
      case 'SE':
        this.report(segment, 'unexpected-segment', 'SE without a matching ST');
        return;
      default:
        if (SEGMENT_ID.test(segment.id)) this.report(segment, 'unexpected-segment', `segment ${segment.id} outside a transaction set`);
        else this.report(segment, 'unknown-segment', 'not a valid segment id, outside a transaction set');
    }
  }

  /** Ends the input: whatever is still open was truncated. */
  finish(): EnvelopeReport {
    const last = this.last;
    if (last === undefined) {
      this.problems.push({ segmentIndex: 0, segmentId: '', offset: 0, message: 'segment 0 at byte 0: the file holds no segments', code: 'interchange-trailer-missing' });
    } else {
      if (this.set !== undefined) {
        this.report(last, 'set-trailer-missing', `file ends inside transaction set ${this.set.controlNumber} (ST at segment ${this.set.startIndex}): SE missing, truncated file?`);
        this.set = undefined;
      }
      if (this.group !== undefined) {
        this.report(last, 'group-trailer-missing', `file ends inside functional group ${this.group.controlNumber} (GS at segment ${this.group.startIndex}): GE missing, truncated file?`);
        this.group = undefined;
      }
      if (this.interchange !== undefined) {
        this.report(last, 'interchange-trailer-missing', `file ends inside interchange ${this.interchange.controlNumber} (ISA at segment ${this.interchange.startIndex}): IEA missing, truncated file?`);
        this.interchange = undefined;
      }
    }
    return { interchanges: this.interchanges, problems: this.problems, segmentCount: this.count };
  }

  private openInterchange(segment: Segment): void {
    if (this.group !== undefined) {
      this.report(segment, 'group-trailer-missing', `functional group ${this.group.controlNumber} (GS at segment ${this.group.startIndex}) has no GE before the next ISA`);
      this.group = undefined;
    }
    if (this.interchange !== undefined) {
      this.report(segment, 'interchange-trailer-missing', `interchange ${this.interchange.controlNumber} (ISA at segment ${this.interchange.startIndex}) has no IEA before the next ISA`);
    }
    const e = segment.elements;
    const controlNumber = (e[12] ?? '').trim();
    if (!/^\d{9}$/.test(controlNumber)) this.report(segment, 'invalid-element', 'ISA13 must be a 9-digit interchange control number', 13);
    const usage = e[14] ?? '';
    if (usage !== 'T' && usage !== 'P') this.report(segment, 'invalid-element', 'ISA15 must be T (test) or P (production)', 15);
    this.interchange = {
      controlNumber,
      senderQualifier: (e[4] ?? '').trim(),
      senderId: (e[5] ?? '').trim(),
      receiverQualifier: (e[6] ?? '').trim(),
      receiverId: (e[7] ?? '').trim(),
      usage,
      startIndex: segment.index,
      startOffset: segment.offset,
      delimiters: segment.delimiters,
      groups: [],
      closed: false,
    };
    this.interchanges.push(this.interchange);
  }

  private openGroup(segment: Segment): void {
    if (this.group !== undefined) {
      this.report(segment, 'group-trailer-missing', `functional group ${this.group.controlNumber} (GS at segment ${this.group.startIndex}) has no GE before the next GS`);
    }
    if (this.interchange === undefined) this.report(segment, 'unexpected-segment', 'GS outside an interchange (no ISA before it)');
    const e = segment.elements;
    const controlNumber = e[5] ?? '';
    if (!/^\d{1,9}$/.test(controlNumber)) this.report(segment, 'invalid-element', 'GS06 must be a group control number of 1 to 9 digits', 6);
    this.group = {
      functionalId: e[0] ?? '',
      controlNumber,
      sender: e[1] ?? '',
      receiver: e[2] ?? '',
      version: e[7] ?? '',
      startIndex: segment.index,
      startOffset: segment.offset,
      transactionSets: [],
      closed: false,
    };
    this.interchange?.groups.push(this.group);
  }

  private openSet(segment: Segment): void {
    if (this.group === undefined) this.report(segment, 'unexpected-segment', 'ST outside a functional group (no GS before it)');
    const e = segment.elements;
    const controlNumber = e[1] ?? '';
    if (!/^\d{4,9}$/.test(controlNumber)) this.report(segment, 'invalid-element', 'ST02 must be a control number of 4 to 9 digits', 2);
    this.set = {
      id: e[0] ?? '',
      controlNumber,
      implementationRef: e[2] || undefined,
      startIndex: segment.index,
      startOffset: segment.offset,
      endIndex: undefined,
      segmentCount: 1,
    };
    this.group?.transactionSets.push(this.set);
  }

  private closeSet(segment: Segment, set: TransactionSetInfo): void {
    set.endIndex = segment.index;
    const declared = segment.elements[0] ?? '';
    if (String(set.segmentCount) !== declared.trim()) {
      this.report(segment, 'set-count-mismatch', `SE01 says ${quoteCount(declared)} segments, the transaction set has ${set.segmentCount}`, 1);
    }
    const control = segment.elements[1] ?? '';
    if (!sameControlNumber(control, set.controlNumber)) {
      this.report(segment, 'set-control-mismatch', `SE02 control number ${quoteControl(control)} does not match ST02 ${set.controlNumber} (segment ${set.startIndex})`, 2);
    }
    this.set = undefined;
  }

  private closeGroup(segment: Segment): void {
    const group = this.group;
    if (group === undefined) {
      this.report(segment, 'unexpected-segment', 'GE without a matching GS');
      return;
    }
    const declared = segment.elements[0] ?? '';
    if (String(group.transactionSets.length) !== declared.trim()) {
      this.report(segment, 'group-count-mismatch', `GE01 says ${quoteCount(declared)} transaction sets, the group has ${group.transactionSets.length}`, 1);
    }
    const control = segment.elements[1] ?? '';
    if (!sameControlNumber(control, group.controlNumber)) {
      this.report(segment, 'group-control-mismatch', `GE02 control number ${quoteControl(control)} does not match GS06 ${group.controlNumber} (segment ${group.startIndex})`, 2);
    }
    group.closed = true;
    this.group = undefined;
  }

  private closeInterchange(segment: Segment): void {
    if (this.group !== undefined) {
      this.report(segment, 'group-trailer-missing', `functional group ${this.group.controlNumber} (GS at segment ${this.group.startIndex}) has no GE before IEA`);
      this.group = undefined;
    }
    const interchange = this.interchange;
    if (interchange === undefined) {
      this.report(segment, 'unexpected-segment', 'IEA without a matching ISA');
      return;
    }
    const declared = segment.elements[0] ?? '';
    if (String(interchange.groups.length) !== declared.trim()) {
      this.report(segment, 'interchange-count-mismatch', `IEA01 says ${quoteCount(declared)} functional groups, the interchange has ${interchange.groups.length}`, 1);
    }
    const control = segment.elements[1] ?? '';
    if (!sameControlNumber(control, interchange.controlNumber)) {
      this.report(segment, 'interchange-control-mismatch', `IEA02 control number ${quoteControl(control)} does not match ISA13 ${interchange.controlNumber} (segment ${interchange.startIndex})`, 2);
    }
    interchange.closed = true;
    this.interchange = undefined;
  }

  private report(segment: { index: number; id: string; offset: number }, code: X12Problem['code'], text: string, element?: number): void {
    this.problems.push(problemAt(segment, code, text, element));
  }
}

/** Checks the envelopes of segments held in memory. */
export function validateInterchange(segments: Iterable<Segment>): EnvelopeReport {
  const validator = new EnvelopeValidator();
  for (const segment of segments) validator.push(segment);
  return validator.finish();
}

/** Checks the envelopes of a stream of segments (from `readSegments`) without holding them. */
export async function validateStream(segments: AsyncIterable<Segment>): Promise<EnvelopeReport> {
  const validator = new EnvelopeValidator();
  for await (const segment of segments) validator.push(segment);
  return validator.finish();
}

function sameControlNumber(a: string, b: string): boolean {
  const x = a.trim();
  const y = b.trim();
  if (x === y) return true;
  return /^\d+$/.test(x) && /^\d+$/.test(y) && Number(x) === Number(y);
}

/** Counts and control numbers are the only element values a message may quote, and only when they look like one. */
function quoteCount(value: string): string {
  return /^\d{1,9}$/.test(value.trim()) ? value.trim() : `a non-number (${value.length} characters)`;
}

function quoteControl(value: string): string {
  return /^\d{1,9}$/.test(value.trim()) ? value.trim() : `(not a number, ${value.length} characters)`;
}

