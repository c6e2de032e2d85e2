import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from './hash.js';

describe('contentHash', () => {
  it('gives the same hash whatever order the keys were built in, at any depth', () => {
    const a = { name: { family: 'Rivera', given: ['Ana'] }, birthDate: '1980-04-02', identifiers: [{ value: 'MRN-1', system: 'urn:ehr' }] };
    const b = { identifiers: [{ system: 'urn:ehr', value: 'MRN-1' }], birthDate: '1980-04-02', name: { given: ['Ana'], family: 'Rivera' } };

    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(contentHash(a)).toBe(contentHash(b));
    expect(contentHash(a)).toBe(createHash('sha256').update(canonicalJson(a)).digest('hex'));
  });

  it('tells apart content that differs, including the order of array items', () => {
    expect(contentHash({ given: ['Ana', 'Maria'] })).not.toBe(contentHash({ given: ['Maria', 'Ana'] }));
    expect(contentHash({ units: 1 })).not.toBe(contentHash({ units: '1' }));
  });

  it('serializes as JSON.stringify does, apart from key order', () => {
    const value = { b: undefined, a: new Date('2024-01-02T03:04:05.000Z'), c: [undefined, Number.NaN], ['__proto__']: 1 };
    const parsed = JSON.parse('{"z":1,"__proto__":{"x":2}}');

    expect(canonicalJson(value)).toBe('{"__proto__":1,"a":"2024-01-02T03:04:05.000Z","c":[null,null]}');
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"x":2},"z":1}');
    expect(canonicalJson(undefined)).toBe('null');
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });
});
