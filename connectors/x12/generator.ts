import { ConfigurationError, InputError } from '../../core/errors.js';
import { checkDelimiters, DEFAULT_DELIMITERS, type Delimiters } from './delimiters.js';

/** An element: a plain value, or the components of a composite (joined with the component separator). */
export type ElementValue = string | readonly string[];

/** Where fresh control numbers come from; callers persist the sequence (one per sender id). */
export interface ControlNumberSource {
  next(): number;
}

export interface PartyId {
  /** ISA05/ISA07 qualifier, e.g. `ZZ` (mutually defined) or `30` (federal tax id). */
  qualifier: string;
  /** ISA06/ISA08, at most 15 characters. */
  id: string;
}

export interface InterchangeOptions {
  sender: PartyId;
  receiver: PartyId;
  /** GS02 and GS03, the application sender's and receiver's codes. */
  gs: { sender: string; receiver: string };
  /** GS01: HC (837), HP (835), FA (999), HN (277), HR (276), HS (270), HB (271). */
  functionalId: string;
  /** GS08 and ST03, e.g. `005010X222A1`. */
  version: string;
  /** ISA15: T for test, P for production. */
  usage: 'T' | 'P';
  controlNumbers: ControlNumberSource;
  /** ISA09/10 and GS04/05, written in UTC. @defaultValue now */
  date?: Date;
  /** @defaultValue `*`, `:`, `^`, `~` */
  delimiters?: Partial<Delimiters>;
  /** ISA14: ask the receiver for a TA1. @defaultValue false */
  acknowledgmentRequested?: boolean;
  /** A line break after each segment terminator, for people reading the file. @defaultValue false */
  lineBreaks?: boolean;
}

export interface BuiltInterchange {
  text: string;
  /** ISA13 as written (9 digits). */
  interchangeControlNumber: string;
  /** GS06 as written. */
  groupControlNumber: string;
  /** ST02 of each transaction set, in order. */
  transactionSetControlNumbers: string[];
}

/** ST01 for a functional group id, when a transaction set body does not start with its own ST. */
const TRANSACTION_SET_BY_FUNCTIONAL_ID: Record<string, string> = {
  HC: '837', HP: '835', FA: '999', HN: '277', HR: '276', HS: '270', HB: '271', BE: '834', RA: '820',
};

/**
 * Writes one interchange (ISA … IEA) holding one functional group with the given transaction sets.
 * Each set is a list of segments as element arrays (`['CLM', 'PCN-1', '125.00', …]`, a composite as
 * `['HC', '99213']`); a leading ST
 * is kept (its ST02 replaced), otherwise one is written; SE is always computed.
 */
export function buildInterchange(options: InterchangeOptions, transactionSets: readonly (readonly ElementValue[])[][]): string {
  return buildInterchangeDetailed(options, transactionSets).text;
}

/** As `buildInterchange`, also returning the control numbers used, for a submission ledger. */
export function buildInterchangeDetailed(options: InterchangeOptions, transactionSets: readonly (readonly ElementValue[])[][]): BuiltInterchange {
  const delimiters = checkOptions(options);
  const { element, segment } = delimiters;
  const end = options.lineBreaks ? `${segment}\n` : segment;
  const date = options.date ?? new Date();
  const interchangeNumber = nextControlNumber(options.controlNumbers, 'controlNumbers');
  const isa13 = String(interchangeNumber).padStart(9, '0');
  const gs06 = String(interchangeNumber);
  const yyyymmdd = `${date.getUTCFullYear()}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}`;
  const hhmm = `${two(date.getUTCHours())}${two(date.getUTCMinutes())}`;
  const isa = [
    'ISA',
    '00', ' '.repeat(10), '00', ' '.repeat(10),
    options.sender.qualifier, options.sender.id.padEnd(15),
    options.receiver.qualifier, options.receiver.id.padEnd(15),
    yyyymmdd.slice(2), hhmm,
    delimiters.repetition ?? 'U', '00501', isa13,
    options.acknowledgmentRequested ? '1' : '0', options.usage, delimiters.component,
  ].join(element);
  const parts: string[] = [isa, end];
  const gs = ['GS', options.functionalId, options.gs.sender, options.gs.receiver, yyyymmdd, hhmm, gs06, 'X', options.version];
  parts.push(gs.join(element), end);
  const stNumbers: string[] = [];
  transactionSets.forEach((body, setIndex) => {
    const st02 = String(setIndex + 1).padStart(4, '0');
    stNumbers.push(st02);
    let segments = body;
    if (segments.length > 0 && segments[segments.length - 1]![0] === 'SE') segments = segments.slice(0, -1);
    let count = 0;
    if (segments[0]?.[0] === 'ST') {
      const st = segments[0].map((value) => (typeof value === 'string' ? value : value.join(delimiters.component)));
      st[2] = st02;
      if (st.length < 4) st[3] = options.version;
      parts.push(st.join(element), end);
      segments = segments.slice(1);
    } else {
      const id = TRANSACTION_SET_BY_FUNCTIONAL_ID[options.functionalId] ?? '';
      parts.push(['ST', id, st02, options.version].join(element), end);
    }
    count++;
    for (let i = 0; i < segments.length; i++) {
      const fields = segments[i]!;
      checkSegment(fields, delimiters, setIndex, i + 2);
      parts.push(writeSegment(fields, delimiters), end);
      count++;
    }
    count++;
    parts.push(['SE', String(count), st02].join(element), end);
  });
  parts.push(['GE', String(transactionSets.length), gs06].join(element), end);
  parts.push(['IEA', '1', isa13].join(element), end);
  return { text: parts.join(''), interchangeControlNumber: isa13, groupControlNumber: gs06, transactionSetControlNumbers: stNumbers };
}

/** Cuts items into batches of at most `max` (5,000 claims per 837 transaction set, per the TR3). */
export function splitBatches<T>(items: readonly T[], max = 5000): T[][] {
  if (!Number.isInteger(max) || max < 1) throw new ConfigurationError(`splitBatches: max must be a positive integer, got ${max}`);
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += max) batches.push(items.slice(i, i + max));
  return batches;
}

function checkOptions(options: InterchangeOptions): Delimiters {
  const problems: string[] = [];
  const party = (name: string, value: PartyId | undefined) => {
    if (!value || !/^[A-Z0-9]{2}$/.test(value.qualifier ?? '')) problems.push(`${name}.qualifier must be two letters or digits (ISA05/ISA07)`);
    if (!value || typeof value.id !== 'string' || value.id.trim().length === 0 || value.id.length > 15) problems.push(`${name}.id must be 1 to 15 characters (ISA06/ISA08)`);
  };
  party('sender', options.sender);
  party('receiver', options.receiver);
  for (const key of ['sender', 'receiver'] as const) {
    const value = options.gs?.[key];
    if (typeof value !== 'string' || value.length < 2 || value.length > 15) problems.push(`gs.${key} must be 2 to 15 characters (GS0${key === 'sender' ? 2 : 3})`);
  }
  if (!/^[A-Z]{2}$/.test(options.functionalId ?? '')) problems.push('functionalId must be two capital letters (GS01), e.g. HC');
  if (!/^00501\d[A-Z0-9]{0,6}$/.test(options.version ?? '')) problems.push('version must be a 5010 version code such as 005010X222A1 (GS08)');
  if (options.usage !== 'T' && options.usage !== 'P') problems.push('usage must be T (test) or P (production) (ISA15)');
  if (typeof options.controlNumbers?.next !== 'function') problems.push('controlNumbers must have a next() method');
  if (options.date !== undefined && Number.isNaN(options.date.getTime())) problems.push('date is not a valid date');
  const delimiters: Delimiters = { ...DEFAULT_DELIMITERS, ...options.delimiters };
  problems.push(...checkDelimiters(delimiters));
  for (const text of [options.sender?.id, options.receiver?.id, options.gs?.sender, options.gs?.receiver]) {
    if (typeof text === 'string' && containsDelimiter(text, delimiters)) {
      problems.push('sender, receiver and gs ids must not contain a delimiter');
      break;
    }
  }
  if (problems.length) {
    throw new ConfigurationError(`interchange options: ${problems.join('; ')}`, problems.map((message) => ({ path: '/', message })));
  }
  return delimiters;
}

function nextControlNumber(source: ControlNumberSource, name: string): number {
  const value = source.next();
  if (!Number.isInteger(value) || value < 1 || value > 999_999_999) {
    throw new ConfigurationError(`${name}.next() must return an integer from 1 to 999999999, got ${String(value)}`);
  }
  return value;
}

function checkSegment(fields: readonly ElementValue[], delimiters: Delimiters, setIndex: number, position: number): void {
  const id = fields[0];
  if (typeof id !== 'string' || !/^[A-Z0-9]{2,3}$/.test(id)) {
    throw new InputError(`transaction set ${setIndex + 1}, segment ${position}: not a valid segment id`, [
      { path: `/transactionSets/${setIndex}/${position - 1}/0`, message: 'segment id must be 2-3 capital letters or digits' },
    ]);
  }
  for (let i = 1; i < fields.length; i++) {
    const value = fields[i]!;
    const fail = (what: string) => {
      throw new InputError(`transaction set ${setIndex + 1}, segment ${position} (${id}): element ${id}${two(i)} ${what}`, [
        { path: `/transactionSets/${setIndex}/${position - 1}/${i}`, message: what },
      ]);
    };
    if (typeof value === 'string') {
      // A plain string may be a composite written out already, so the component separator is allowed.
      if (hasDelimiter(value, delimiters, false)) fail('contains a delimiter');
    } else if (Array.isArray(value)) {
      for (const part of value) if (typeof part !== 'string' || hasDelimiter(part, delimiters, true)) fail('has a component that is not a string or contains a delimiter');
    } else {
      fail('is not a string or a list of components');
    }
  }
}

function hasDelimiter(value: string, delimiters: Delimiters, component: boolean): boolean {
  return (
    value.indexOf(delimiters.element) !== -1 ||
    value.indexOf(delimiters.segment) !== -1 ||
    value.indexOf('\n') !== -1 ||
    value.indexOf('\r') !== -1 ||
    (component && value.indexOf(delimiters.component) !== -1) ||
    (delimiters.repetition !== undefined && component && value.indexOf(delimiters.repetition) !== -1)
  );
}

function writeSegment(fields: readonly ElementValue[], delimiters: Delimiters): string {
  const values = fields.map((value) => (typeof value === 'string' ? value : trimTrailingEmpty(value).join(delimiters.component)));
  return trimTrailingEmpty(values).join(delimiters.element);
}

/** X12 forbids trailing empty elements: `NM1*IL*1*DOE***` is written `NM1*IL*1*DOE`. */
function trimTrailingEmpty(fields: readonly string[]): readonly string[] {
  let last = fields.length;
  while (last > 1 && fields[last - 1] === '') last--;
  return last === fields.length ? fields : fields.slice(0, last);
}

function containsDelimiter(text: string, delimiters: Delimiters): boolean {
  return [delimiters.element, delimiters.component, delimiters.segment, delimiters.repetition].some((d) => d !== undefined && text.includes(d));
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}
