import addFormatsModule from 'ajv-formats';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { isValidDate } from './formats.js';

// ajv-formats' own `date` check, which the model's allocation-free one replaces: they must agree.
const reference = (() => {
  const ajv = new Ajv2020();
  addFormatsModule.default(ajv, ['date']);
  const validate = ajv.compile({ type: 'string', format: 'date' });
  return (value: string) => validate(value) === true;
})();

describe('the model’s date format (X12 D8 dates become these)', () => {
  it('takes real calendar days and refuses the rest, leap years included', () => {
    for (const good of ['2024-02-29', '2000-02-29', '2026-11-27', '0001-01-01', '2026-12-31']) expect(isValidDate(good), good).toBe(true);
    for (const bad of ['2026-02-29', '1900-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00', '20261127', '2026-1-27', '2026-11-27T00:00:00Z', '２０２６-11-27', ''])
      expect(isValidDate(bad), bad).toBe(false);
  });

  it('agrees with ajv-formats on every day of four years and on near-misses', () => {
    const values: string[] = [];
    for (const year of ['1900', '2000', '2023', '2024']) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) values.push(`${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`);
      }
    }
    values.push('2024-02-2a', '2024/02/20', ' 2024-02-20', '2024-02-20 ', '+2024-02-2');
    const disagreements = values.filter((value) => isValidDate(value) !== reference(value));
    expect(disagreements).toEqual([]);
  });
});
