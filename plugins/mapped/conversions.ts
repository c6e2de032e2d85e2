/** The conversions a mapping may apply (`convert:`), each a pure function of one value. */
import { isScalar, type Scalar } from './values.js';

export const FAIL: unique symbol = Symbol('conversion failed');
type Converted = unknown | typeof FAIL;

function asText(value: unknown): string | typeof FAIL {
  return isScalar(value) ? String(value) : FAIL;
}

const NUMBER_TEXT = /^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function toNumber(value: unknown): number | typeof FAIL {
  if (typeof value === 'number') return Number.isFinite(value) ? value : FAIL;
  if (typeof value !== 'string') return FAIL;
  const text = value.trim();
  if (!/\d/.test(text) || !NUMBER_TEXT.test(text)) return FAIL;
  const number = Number(text.replace(/,/g, ''));
  return Number.isFinite(number) ? number : FAIL;
}

/** Half away from zero; toPrecision first absorbs binary noise (1.005 * 100 = 100.4999…). */
function roundTo(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  const rounded = Math.round(Number((Math.abs(value) * scale).toPrecision(15))) / scale;
  return value < 0 && rounded !== 0 ? -rounded : rounded;
}

function toMoney(value: unknown, decimals: number): number | typeof FAIL {
  if (typeof value === 'number') return Number.isFinite(value) ? roundTo(value, decimals) : FAIL;
  if (typeof value !== 'string') return FAIL;
  let text = value.trim();
  // Accounting notation: (12.50) is a credit of 12.50.
  let negative = false;
  const parenthesised = /^\((.*)\)$/.exec(text);
  if (parenthesised) {
    negative = true;
    text = parenthesised[1];
  }
  text = text.replace(/[$\s,]/g, '');
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)$/.test(text)) return FAIL;
  if (negative && /^[+-]/.test(text)) return FAIL;
  const number = Number(text);
  return Number.isFinite(number) ? roundTo(negative ? -number : number, decimals) : FAIL;
}

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0']);

function toBoolean(value: unknown): boolean | typeof FAIL {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value !== 'string') return FAIL;
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return FAIL;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= days;
}

function isoDate(year: string, month: string, day: string): string | typeof FAIL {
  if (!isCalendarDate(Number(year), Number(month), Number(day))) return FAIL;
  return `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
}

const ISO_DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?$/;

/**
 * The calendar date as the source wrote it. A datetime keeps its own local date rather than
 * shifting to UTC, so a birth date stamped at midnight with an offset never moves a day.
 */
function toDate(value: unknown): string | typeof FAIL {
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  if (typeof text !== 'string') return FAIL;
  const s = text.trim();
  let m = ISO_DATE_PREFIX.exec(s);
  if (m) return isoDate(m[1], m[2], m[3]);
  m = /^(\d{4})(\d{2})(\d{2})$/.exec(s); // X12 D8, HL7 v2
  if (m) return isoDate(m[1], m[2], m[3]);
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s); // US exports: MM/DD/YYYY and M/D/YYYY
  if (m) return isoDate(m[3], m[1], m[2]);
  return FAIL;
}

const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * RFC 3339 with seconds and a `±HH:MM` offset (what the canonical `date-time` format demands).
 * A time without an offset is refused rather than guessed: the hub cannot know the sender's zone.
 */
function toDateTime(value: unknown): string | typeof FAIL {
  if (typeof value !== 'string') return FAIL;
  const m = ISO_DATETIME.exec(value.trim());
  if (!m) return FAIL;
  const [, year, month, day, hour, minute, second = '00', fraction = '', zone] = m;
  if (!isCalendarDate(Number(year), Number(month), Number(day))) return FAIL;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 60) return FAIL;
  let offset = 'Z';
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const hours = digits.slice(0, 2);
    const minutes = digits.slice(2) || '00';
    if (Number(hours) > 23 || Number(minutes) > 59) return FAIL;
    offset = `${zone[0]}${hours}:${minutes}`;
  }
  return `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}${offset}`;
}

function emptyToAbsent(text: string): string | undefined {
  return text === '' ? undefined : text;
}

/** Each returns the converted value, undefined when nothing is left (`digits` of "N/A"), or FAIL. */
export const conversions = {
  string: (v: unknown): Converted => asText(v),
  number: (v: unknown): Converted => toNumber(v),
  integer: (v: unknown): Converted => {
    const n = toNumber(v);
    return n !== FAIL && Number.isSafeInteger(n) ? n : FAIL;
  },
  boolean: (v: unknown): Converted => toBoolean(v),
  date: (v: unknown): Converted => toDate(v),
  datetime: (v: unknown): Converted => toDateTime(v),
  money: (v: unknown): Converted => toMoney(v, 2),
  /** Like money with 4 decimals: supplier catalogs quote per-each prices such as $0.0825. */
  unitPrice: (v: unknown): Converted => toMoney(v, 4),
  upper: (v: unknown): Converted => {
    const t = asText(v);
    return t === FAIL ? FAIL : t.toUpperCase();
  },
  lower: (v: unknown): Converted => {
    const t = asText(v);
    return t === FAIL ? FAIL : t.toLowerCase();
  },
  trim: (v: unknown): Converted => {
    const t = asText(v);
    return t === FAIL ? FAIL : emptyToAbsent(t.trim());
  },
  digits: (v: unknown): Converted => {
    const t = asText(v);
    return t === FAIL ? FAIL : emptyToAbsent(t.replace(/\D/g, ''));
  },
} as const;

export type ConvertName = keyof typeof conversions;
export const convertNames = Object.keys(conversions) as ConvertName[];

/** Applies one conversion; throws nothing. `ok: false` means the value has the wrong shape. */
export function convertValue(name: ConvertName, value: unknown): { ok: true; value: unknown } | { ok: false } {
  const result = conversions[name](value);
  return result === FAIL ? { ok: false } : { ok: true, value: result };
}
