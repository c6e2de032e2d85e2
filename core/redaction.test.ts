import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from './redaction.js';

describe('Redactor', () => {
  it('scrubs a secret wherever it appears, in text and nested values', () => {
    const r = new Redactor();
    r.add('s3cr3t-token-value');
    expect(r.redactString('Bearer s3cr3t-token-value failed')).toBe(`Bearer ${REDACTED} failed`);
    expect(r.redact({ a: ['x s3cr3t-token-value y'], b: 2 })).toEqual({ a: [`x ${REDACTED} y`], b: 2 });
  });

  it('keeps a database URL readable and hides only its password', () => {
    const r = new Redactor();
    r.add('postgres://hub:pa55word-x@db.internal:5432/hub');
    r.add('redis://127.0.0.1:6379');
    expect(r.redactString('store postgres://hub:pa55word-x@db.internal:5432/hub')).toBe(`store postgres://hub:${REDACTED}@db.internal:5432/hub`);
    expect(r.redactString('redis redis://127.0.0.1:6379')).toBe('redis redis://127.0.0.1:6379');
  });

  it('hides a secret web URL whole, since its token sits in the path', () => {
    const r = new Redactor();
    r.add('https://hooks.example.test/services/T000/B000/abcdef');
    expect(r.redactString('posting to https://hooks.example.test/services/T000/B000/abcdef')).toBe(`posting to ${REDACTED}`);
  });

  it('ignores values too short to be secrets, which would mangle every line', () => {
    const r = new Redactor();
    r.add('abc');
    expect(r.redactString('abc abc')).toBe('abc abc');
  });
});
