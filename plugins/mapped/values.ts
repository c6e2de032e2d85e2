/**
 * What the mapping language counts as a value, and how it describes one without showing it (rows
 * may carry PHI, and row errors reach logs and the review queue).
 */

export type Scalar = string | number | boolean;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Absent, null and blank strings all mean "no value": exports disagree on how to say nothing. */
export function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** Drops empty elements of a list; an empty list is itself no value. */
export function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const kept = value.filter((v) => !isEmpty(v));
    return kept.length ? kept : undefined;
  }
  return isEmpty(value) ? undefined : value;
}

/**
 * Describes a value without revealing it: strings become a mask (digits as 9, letters as A) when
 * short, so `99/99/99` explains a failed date without showing whose birthday it is.
 */
export function describeShape(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    if (value.length <= 32) return `a string shaped "${value.replace(/\p{Nd}/gu, '9').replace(/\p{L}/gu, 'A')}"`;
    return `a string of ${value.length} characters`;
  }
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal number';
  if (typeof value === 'boolean') return 'a boolean';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return 'an object';
}
