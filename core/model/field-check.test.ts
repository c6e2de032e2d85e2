import { describe, expect, it } from 'vitest';
import { fieldCheck } from './field-check.js';
import { validateEntity } from './validate.js';

describe('one canonical field’s rules, asked of a single value', () => {
  it('checks an NPI by its Luhn digit, as the whole record’s validation would', () => {
    const npi = fieldCheck('Practitioner', 'npi');
    expect(npi('1234567893')).toBe(true);
    expect(npi('1234567890')).toBe(false);
    expect(validateEntity('Practitioner', { schemaVersion: 1, name: { family: 'Example' }, npi: '1234567890' })).not.toEqual([]);
  });

  it('reaches nested fields and the items of lists', () => {
    expect(fieldCheck('Location', 'address.state')('CA')).toBe(true);
    expect(fieldCheck('Location', 'address.state')('California')).toBe(false);
    expect(fieldCheck('Patient', 'race.ombCategories[]')('2106-3')).toBe(true);
    expect(fieldCheck('Patient', 'race.ombCategories[]')('white')).toBe(false);
    expect(fieldCheck('Claim', 'serviceLines[].procedure.code')('99213')).toBe(true);
    expect(fieldCheck('Claim', 'serviceLines[].procedure.code')('9921')).toBe(false);
    expect(fieldCheck('Encounter', 'diagnoses[].code')('E11.9')).toBe(true);
    expect(fieldCheck('Encounter', 'diagnoses[].code')('e11.9')).toBe(false);
  });

  it('names the entity and the path when a mapping asks for a field that does not exist', () => {
    expect(() => fieldCheck('Patient', 'address.county')).toThrow('Patient has no field "address.county" (no "county" there)');
    expect(() => fieldCheck('Patient', 'name[].family')).toThrow('Patient field "name[].family": "name" is not a list');
  });
});
