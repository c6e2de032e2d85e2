import crypto from 'node:crypto';

/**
 * JSON with object keys sorted at every depth, so that the same content always gives the same
 * text whatever order a mapping happened to build it in. Everything else is JSON.stringify's own
 * behaviour (`toJSON()`, dropped `undefined`, a bigint throws): the replacer only reorders keys,
 * and only rebuilds an object whose keys are out of order, which keeps this close to the native
 * speed. Integer-like keys come first in numeric order, as every JS object keeps them.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, sortKeys) ?? 'null';
}

/** sha256 hex of the canonical JSON of `data`: a record's content hash. */
export function contentHash(data: unknown): string {
  return sha256Hex(canonicalJson(data));
}

// The one-shot crypto.hash (Node ≥ 20.12) is about twice as fast as createHash on record-sized input.
const oneShotHash = typeof crypto.hash === 'function' ? crypto.hash : undefined;

export function sha256Hex(text: string): string {
  return oneShotHash ? oneShotHash('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
}

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort();
      // No prototype, so an own `__proto__` key in parsed JSON stays a plain key.
      const sorted: Record<string, unknown> = Object.create(null);
      for (const key of keys) sorted[key] = (value as Record<string, unknown>)[key];
      return sorted;
    }
  }
  return value;
}
