import { describe, expect, it } from 'vitest';
import { datePart, instant } from './datatypes.js';

describe('FHIR dates to canonical dates', () => {
  it.each([
    ['2024-05-06', '2024-05-06'],
    ['2024-02-29', '2024-02-29'],
    ['2024-05-06T09:30:00-05:00', '2024-05-06'],
    ['2023-02-29', undefined],
    ['2024-13-01', undefined],
    ['2024-05', undefined],
    ['1995', undefined],
    ['2024-05-06garbage', undefined],
  ])('date part of %s', (value, expected) => {
    expect(datePart(value)).toBe(expected);
  });

  it.each([
    ['2024-05-06T09:30:00-05:00', true],
    ['2024-05-06T09:30:00.123Z', true],
    ['2024-05-06T09:30:00', false],
    ['2024-05-06', false],
    ['2024-05-06T25:00:00Z', false],
    ['2023-02-29T09:30:00Z', false],
  ])('instant %s: %s', (value, ok) => {
    expect(instant(value) !== undefined).toBe(ok);
  });
});
