import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../core/sdk/index.js';
import {
  compileMapping,
  compilePath,
  compileWhere,
  convertValue,
  describeShape,
  parsePath,
  parseTarget,
  PathMismatch,
  type CompileOptions,
  type FieldsSpec,
  type MapResult,
  type SourceSpec,
} from './mapping.js';

const patients = readFileSync(new URL('./fixtures/riverside-ehr-export/Patient.000.ndjson', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Record<string, unknown>);
const [sumiko, devin] = patients;

/** Maps one row with `externalId: id` and the given fields. */
function map(fields: FieldsSpec, row: unknown, options?: CompileOptions, externalId: SourceSpec = 'id'): MapResult {
  return compileMapping({ externalId, fields }, options)(row);
}

function data(fields: FieldsSpec, row: unknown, options?: CompileOptions): Record<string, unknown> {
  const result = map(fields, row, options);
  if (!result.ok) throw new Error(`expected a mapped row, got: ${result.reasons.join('; ')}`);
  return result.data;
}

function reasons(fields: FieldsSpec, row: unknown, options?: CompileOptions): string[] {
  const result = map(fields, row, options);
  if (result.ok) throw new Error('expected the row to fail');
  return result.reasons;
}

function compileProblems(compile: () => unknown): { message: string; issues: { path: string; message: string }[] } {
  try {
    compile();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return { message: (error as ConfigurationError).message, issues: (error as ConfigurationError).issues };
  }
  throw new Error('expected a ConfigurationError');
}

describe('a FHIR Patient from a bulk export, mapped the way the riverside YAML does', () => {
  const riverside: FieldsSpec = {
    'name.family': 'name[0].family',
    'name.given': 'name[0].given',
    birthDate: { path: 'birthDate', convert: 'date' },
    gender: { path: 'gender', map: { male: 'male', female: 'female' }, default: 'unknown' },
    'identifiers[0].system': { const: 'urn:riverside:mrn' },
    'identifiers[0].value': 'identifier[type.coding[0].code=MR].value',
    'identifiers[0].type': { const: 'MR' },
    'race.ombCategories': 'extension[url=http://hl7.org/fhir/us/core/StructureDefinition/us-core-race].extension[url=ombCategory].valueCoding.code',
    deceasedDate: { path: 'deceasedDateTime', convert: 'date' },
    telecom: { each: 'telecom', fields: { system: 'system', value: 'value', use: 'use' } },
  };

  it('lands names, dates, identifiers and extensions in canonical shape', () => {
    const result = map(riverside, sumiko);
    expect(result).toEqual({
      ok: true,
      externalId: '129c6ac7-8d06-89de-ad63-0204a93e76c3',
      data: {
        schemaVersion: '1.0.0',
        name: { family: 'Medhurst46', given: ['Sumiko254', 'Larue605'] },
        birthDate: '1927-05-21',
        gender: 'female',
        identifiers: [{ system: 'urn:riverside:mrn', value: '129c6ac7-8d06-89de-ad63-0204a93e76c3', type: 'MR' }],
        race: { ombCategories: '2106-3' },
        // The datetime's own calendar day, not its UTC day (which would be 1989-05-10).
        deceasedDate: '1989-05-09',
        telecom: [{ system: 'phone', value: '555-810-7203', use: 'home' }],
      },
    });
  });

  it('leaves out what a patient does not have', () => {
    const third = data(riverside, patients[2]);
    expect(third).not.toHaveProperty('deceasedDate');
    expect(Object.keys(third)).toEqual(['schemaVersion', 'name', 'birthDate', 'gender', 'identifiers', 'race', 'telecom']);
  });
});

describe('source paths', () => {
  const row = {
    id: 'r1',
    a: { b: { c: 'deep' } },
    list: [{ v: 'first' }, { v: 'second' }, { v: 'third' }],
    single: { v: 'alone' },
    names: [{ given: ['Ann', 'Marie'] }, { given: ['Annie'] }, { family: 'NoGiven' }],
    'a.b': 'literal key',
    codes: [{ code: 'x]y', v: 'bracketed' }],
    'odd.key': { inner: 'quoted' },
    ids: [
      { system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' },
      { system: 'urn:oid:2.16.840.1.113883.4.6', value: 'other' },
    ],
    nums: [{ n: 1, label: 'one' }, { n: 2, label: 'two' }],
    flag: [{ on: true, label: 'yes' }],
  };

  it.each([
    ['a.b.c', 'deep'],
    ['list[0].v', 'first'],
    ['list[2].v', 'third'],
    ['list[-1].v', 'third'],
    ['list[9].v', undefined],
    ['list[*].v', ['first', 'second', 'third']],
    ['names[*].given', ['Ann', 'Marie', 'Annie']],
    ['names[0].given[1]', 'Marie'],
    ['ids[system=http://hl7.org/fhir/sid/us-npi].value', '1234567893'],
    ['ids[system=urn:oid:2.16.840.1.113883.4.6].value', 'other'],
    ['ids[system=nope].value', undefined],
    ['codes[code="x]y"].v', 'bracketed'],
    ["codes[code='x]y'].v", 'bracketed'],
    ['["odd.key"].inner', 'quoted'],
    ['nums[n=2].label', 'two'],
    ['flag[on=true].label', 'yes'],
    ['single[0].v', 'alone'],
    ['single[*].v', ['alone']],
    ['missing.deeper.still', undefined],
    ['$.a.b.c', 'deep'],
  ])('%s', (path, expected) => {
    expect(compilePath(path)(row)).toEqual(expected);
  });

  it('reads selectors whose key is itself a path with an index (FHIR identifier type codes)', () => {
    expect(compilePath('identifier[type.coding[0].code=MR].system')(devin)).toBe('http://hospital.smarthealthit.org');
    expect(compilePath('identifier[type.coding[*].code=MR].system')(devin)).toBe('http://hospital.smarthealthit.org');
  });

  it('looks a whole path up as a literal key first, so flat rows and odd keys just work', () => {
    expect(data({ x: 'a.b' }, row)).toMatchObject({ x: 'literal key' });
    expect(data({ price: 'List Price' }, { id: '1', 'List Price': '$3.00' })).toMatchObject({ price: '$3.00' });
  });

  it('takes CSV headers that are not path syntax as column names, and refuses them elsewhere', () => {
    const csvRow = { id: '1', 'Qty [each]': '12', 'Mfr Part #': 'A-1' };
    expect(data({ qty: { path: 'Qty [each]', convert: 'integer' }, part: 'Mfr Part #' }, csvRow, { flat: true })).toMatchObject({
      qty: 12,
      part: 'A-1',
    });
    const problems = compileProblems(() => map({ qty: 'Qty [each]' }, csvRow));
    expect(problems.message).toContain('fields.qty: bad path "Qty [each]"');
  });

  it('treats a name applied to a list as a row error that says how to fix the path', () => {
    const problems = reasons({ family: 'name.family' }, sumiko);
    expect(problems).toEqual(['family: source path name.family meets a list at "name": use name[0] or name[*]']);
  });

  it('throws PathMismatch from compilePath for the same mistake', () => {
    expect(() => compilePath('list.v')(row)).toThrow(PathMismatch);
  });

  it.each([
    ['a..b', 'a name is missing'],
    ['.a', 'a name is missing'],
    ['a.', 'a name is missing'],
    ['a[', 'never closed'],
    ['a[0', 'never closed'],
    ['a[]', 'needs an index'],
    ['a[key=]', 'selector value is empty'],
    ['a[key=value', 'never closed'],
    ['a[=v]', 'a name is missing'],
    ['a]', 'without a matching'],
    ['a["x"', 'never closed'],
    ['a["x"y]', 'expected "]", found "y"'],
    ['a[k="v"x]', 'expected "]", found "x"'],
    ['$x', 'must be followed by'],
    ['', 'empty'],
  ])('rejects the path %j (%s)', (path, problem) => {
    expect(() => parsePath(path)).toThrow(problem);
  });
});

describe('target paths', () => {
  it('splits names and indexes', () => {
    expect(parseTarget('identifiers[0].value')).toEqual(['identifiers', 0, 'value']);
    expect(parseTarget('a.b.c')).toEqual(['a', 'b', 'c']);
  });

  it.each([['a[*]'], ['a[x=1]'], ['a..b'], ['[0]'], ['a.'], ['a[0]b']])('rejects %j', (target) => {
    expect(() => parseTarget(target)).toThrow();
  });
});

describe('conversions', () => {
  const convert = (name: Parameters<typeof convertValue>[0], value: unknown) => {
    const result = convertValue(name, value);
    return result.ok ? result.value : 'FAIL';
  };

  it.each([
    ['1927-05-21', '1927-05-21'],
    ['1989-05-09T20:35:22-04:00', '1989-05-09'],
    ['2024-07-01T00:00:00Z', '2024-07-01'],
    ['20240701', '2024-07-01'],
    [20240701, '2024-07-01'],
    ['07/01/2024', '2024-07-01'],
    ['7/1/2024', '2024-07-01'],
    ['12/31/1999', '1999-12-31'],
    ['02/29/2024', '2024-02-29'],
    [' 2024-07-01 ', '2024-07-01'],
    ['02/29/2023', 'FAIL'],
    ['2023-02-29', 'FAIL'],
    ['13/01/2024', 'FAIL'],
    ['2024-13-01', 'FAIL'],
    ['20241301', 'FAIL'],
    ['07/01/24', 'FAIL'],
    ['July 1, 2024', 'FAIL'],
    [true, 'FAIL'],
  ])('date %j -> %j', (input, expected) => {
    expect(convert('date', input)).toBe(expected);
  });

  it.each([
    ['2024-07-02T14:05:11Z', '2024-07-02T14:05:11Z'],
    ['2024-07-02T14:05:11.250-04:00', '2024-07-02T14:05:11.250-04:00'],
    ['2024-07-02T14:05Z', '2024-07-02T14:05:00Z'],
    ['2024-07-02 14:05:11+0530', '2024-07-02T14:05:11+05:30'],
    ['2024-07-02t14:05:11z', '2024-07-02T14:05:11Z'],
    ['2024-07-02T14:05:11', 'FAIL'],
    ['2024-07-02', 'FAIL'],
    ['2024-07-02T25:00:00Z', 'FAIL'],
    ['2024-02-30T10:00:00Z', 'FAIL'],
  ])('datetime %j -> %j', (input, expected) => {
    expect(convert('datetime', input)).toBe(expected);
  });

  it.each([
    ['$14.95', 14.95],
    ['$1,249.00', 1249],
    [' $52.00 ', 52],
    ['(12.50)', -12.5],
    ['($1,000.10)', -1000.1],
    ['-$3.10', -3.1],
    ['$-3.10', -3.1],
    ['1.005', 1.01],
    ['2.675', 2.68],
    [19.999, 20],
    [-0.004, 0],
    ['0', 0],
    ['.5', 0.5],
    ['12', 12],
    ['abc', 'FAIL'],
    ['$', 'FAIL'],
    ['(-5)', 'FAIL'],
    ['$0.0825', 0.08],
    ['1.2.3', 'FAIL'],
    [{ amount: 1 }, 'FAIL'],
  ])('money %j -> %j', (input, expected) => {
    expect(convert('money', input)).toBe(expected);
  });

  it.each([
    ['unitPrice', '$0.0825', 0.0825],
    ['unitPrice', '$1,249.123456', 1249.1235],
    ['unitPrice', '(0.5)', -0.5],
    ['number', '1,234.5', 1234.5],
    ['number', '-0.25', -0.25],
    ['number', '12e2', 1200],
    ['number', 7, 7],
    ['number', '1,23', 'FAIL'],
    ['number', 'twelve', 'FAIL'],
    ['number', true, 'FAIL'],
    ['integer', '100', 100],
    ['integer', '3.0', 3],
    ['integer', '3.5', 'FAIL'],
    ['integer', 2.5, 'FAIL'],
    ['boolean', 'Y', true],
    ['boolean', 'no', false],
    ['boolean', 'TRUE', true],
    ['boolean', '0', false],
    ['boolean', 1, true],
    ['boolean', false, false],
    ['boolean', 'maybe', 'FAIL'],
    ['string', 42, '42'],
    ['string', true, 'true'],
    ['string', { a: 1 }, 'FAIL'],
    ['upper', 'ea', 'EA'],
    ['lower', 'MALE', 'male'],
    ['trim', '  padded  ', 'padded'],
    ['trim', '   ', undefined],
    ['digits', '(555) 201-3344', '5552013344'],
    ['digits', '1234-567-893', '1234567893'],
    ['digits', 'N/A', undefined],
  ] as const)('%s %j -> %j', (name, input, expected) => {
    expect(convert(name, input)).toEqual(expected);
  });

  it('names the field, the source and the shape of a value that does not convert, never the value', () => {
    const problems = reasons({ birthDate: { path: 'dob', convert: 'date' } }, { id: '1', dob: '03/14/86' });
    expect(problems).toEqual(['birthDate: cannot convert to date (source dob: a string shaped "99/99/99")']);
    expect(problems.join()).not.toContain('03/14/86');
  });

  it('describes long strings by length only', () => {
    expect(describeShape('x'.repeat(40))).toBe('a string of 40 characters');
    expect(describeShape('Quintana44')).toBe('a string shaped "AAAAAAAA99"');
    expect(describeShape([1, 2])).toBe('a list of 2');
    expect(describeShape({})).toBe('an object');
    expect(describeShape(3.5)).toBe('a decimal number');
  });

  it('converts each element of a list and names the element that fails', () => {
    expect(data({ codes: { path: 'c[*].v', convert: 'upper' } }, { id: '1', c: [{ v: 'a' }, { v: 'b' }] })).toMatchObject({
      codes: ['A', 'B'],
    });
    expect(reasons({ dates: { path: 'd', convert: 'date' } }, { id: '1', d: ['2024-01-01', 'soon'] })).toEqual([
      'dates: cannot convert to date (source d, element 1: a string shaped "AAAA")',
    ]);
  });

  it('applies a list of conversions in order', () => {
    expect(data({ uom: { path: 'u', convert: ['trim', 'upper'] } }, { id: '1', u: ' bx ' })).toMatchObject({ uom: 'BX' });
  });

  it('treats a conversion that leaves nothing as an empty source, so default applies', () => {
    expect(data({ phone: { path: 'p', convert: 'digits', default: 'none' } }, { id: '1', p: 'N/A' })).toMatchObject({ phone: 'none' });
  });
});

describe('map, default, required, const, template', () => {
  it('maps values after converting them, falling back to default for values it does not list', () => {
    const gender = { path: 'g', convert: 'upper', map: { M: 'male', F: 'female', U: null }, default: 'unknown' };
    expect(data({ gender }, { id: '1', g: 'f' })).toMatchObject({ gender: 'female' });
    expect(data({ gender }, { id: '1', g: 'X' })).toMatchObject({ gender: 'unknown' });
    expect(data({ gender }, { id: '1' })).toMatchObject({ gender: 'unknown' });
    // A null entry means "no value": default fills it.
    expect(data({ gender }, { id: '1', g: 'u' })).toMatchObject({ gender: 'unknown' });
  });

  it('makes an unlisted value a row error when there is no default', () => {
    expect(reasons({ gender: { path: 'g', map: { M: 'male' } } }, { id: '1', g: 'Q' })).toEqual([
      'gender: no entry in map for the value (source g: a string shaped "A")',
    ]);
  });

  it('maps numbers and booleans by their text', () => {
    expect(data({ active: { path: 'a', map: { true: 'active', '1': 'active', false: 'retired' } } }, { id: '1', a: true })).toMatchObject({
      active: 'active',
    });
  });

  it('treats blank strings, null and empty lists as no value', () => {
    const result = data({ a: 'a', b: 'b', c: 'c', d: { path: 'd', default: 'D' } }, { id: '1', a: '  ', b: null, c: [], d: '' });
    expect(result).toEqual({ schemaVersion: '1.0.0', d: 'D' });
  });

  it('does not convert a default', () => {
    expect(data({ price: { path: 'p', convert: 'money', default: 0 } }, { id: '1' })).toMatchObject({ price: 0 });
  });

  it('reports a required field that is empty, naming the source', () => {
    expect(reasons({ 'name.family': { path: 'last_name', required: true } }, { id: '1' })).toEqual([
      'name.family: is required but source last_name is empty',
    ]);
  });

  it('collects every problem of a row, not just the first', () => {
    const problems = reasons(
      { birthDate: { path: 'dob', convert: 'date' }, price: { path: 'p', convert: 'money' }, name: { path: 'n', required: true } },
      { id: '1', dob: 'x', p: 'y' },
    );
    expect(problems).toHaveLength(3);
  });

  it('writes constants, including whole objects of constants', () => {
    expect(data({ 'supplier.system': { const: 'acme' }, 'supplier.id': { const: 'ACME' }, currency: { const: 'USD' } }, { id: '1' })).toEqual({
      schemaVersion: '1.0.0',
      supplier: { system: 'acme', id: 'ACME' },
      currency: 'USD',
    });
  });

  it('leaves out a nested object whose row-read fields are all empty, even if it has constants', () => {
    const fields: FieldsSpec = {
      'identifiers[0].system': { const: 'urn:riverside:mrn' },
      'identifiers[0].value': 'mrn',
      'identifiers[1].system': { const: 'http://hl7.org/fhir/sid/us-npi' },
      'identifiers[1].value': 'npi',
    };
    // identifiers[0] is empty, so the NPI closes up to position 0.
    expect(data(fields, { id: '1', npi: '1234567893' })).toEqual({
      schemaVersion: '1.0.0',
      identifiers: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' }],
    });
    expect(data(fields, { id: '1' })).toEqual({ schemaVersion: '1.0.0' });
  });

  it('fills templates, leaving them empty when any placeholder is empty', () => {
    const fields: FieldsSpec = { key: { template: '{Supplier SKU}-{UOM}' }, braces: { template: '{{{UOM}}}' } };
    expect(data(fields, { id: '1', 'Supplier SKU': 'ACM-1', UOM: 'BX' }, { flat: true })).toMatchObject({ key: 'ACM-1-BX', braces: '{BX}' });
    expect(data(fields, { id: '1', 'Supplier SKU': 'ACM-1' }, { flat: true })).toEqual({ schemaVersion: '1.0.0' });
  });

  it('converts a template result', () => {
    expect(data({ at: { template: '{date}T{time}Z', convert: 'datetime' } }, { id: '1', date: '2024-07-01', time: '08:30' })).toMatchObject({
      at: '2024-07-01T08:30:00Z',
    });
  });

  it('refuses a list in a template placeholder', () => {
    expect(reasons({ full: { template: '{name[0].given} {name[0].family}' } }, sumiko)).toEqual([
      'full: template placeholder {name[0].given} is a list of 2, not a single value',
    ]);
  });

  it('sets schemaVersion unless the mapping does', () => {
    expect(data({ x: 'x' }, { id: '1', x: 'y' })).toEqual({ schemaVersion: '1.0.0', x: 'y' });
    expect(data({ schemaVersion: { const: '1.1.0' } }, { id: '1' })).toEqual({ schemaVersion: '1.1.0' });
  });
});

describe('each', () => {
  const employee = {
    id: 'emp_1',
    first_name: 'Avery',
    emails: [{ data: 'a@work.example', type: 'work' }, { data: '', type: 'personal' }, { type: 'work' }],
    phone_numbers: [{ data: '(555) 201-3344', type: 'personal' }, { data: 'n/a', type: 'fax' }],
    aliases: ['Ave', '', 'A.'],
  };

  it('builds one object per element and drops elements that end up empty', () => {
    expect(data({ emails: { each: 'emails', fields: { value: 'data' } } }, employee)).toMatchObject({
      emails: [{ value: 'a@work.example' }],
    });
  });

  it('keeps elements that have other data unless where leaves them out', () => {
    expect(data({ emails: { each: 'emails', fields: { value: 'data', type: 'type' } } }, employee)).toMatchObject({
      emails: [{ value: 'a@work.example', type: 'work' }, { type: 'personal' }, { type: 'work' }],
    });
    const fields: FieldsSpec = { emails: { each: 'emails', where: { path: 'data', exists: true }, fields: { value: 'data', type: 'type' } } };
    expect(data(fields, employee)).toMatchObject({ emails: [{ value: 'a@work.example', type: 'work' }] });
  });

  it('filters elements with where and reads the record with $', () => {
    const fields: FieldsSpec = {
      phones: {
        each: 'phone_numbers',
        where: { path: 'type', in: ['personal', 'work'] },
        fields: { value: { path: 'data', convert: 'digits' }, owner: '$.first_name' },
      },
    };
    expect(data(fields, employee)).toMatchObject({ phones: [{ value: '5552013344', owner: 'Avery' }] });
  });

  it('reads the element itself with @', () => {
    expect(data({ nicknames: { each: 'aliases', fields: { text: '@' } } }, employee)).toMatchObject({
      nicknames: [{ text: 'Ave' }, { text: 'A.' }],
    });
  });

  it('names the element in errors', () => {
    const fields: FieldsSpec = { phones: { each: 'phone_numbers', fields: { value: { path: 'data', convert: 'digits', required: true } } } };
    expect(reasons(fields, employee)).toEqual(['phones[1].value: is required but source data is empty']);
  });

  it('is absent, or an error when required, when there is nothing to iterate', () => {
    expect(data({ e: { each: 'nothing', fields: { v: 'v' } } }, employee)).toEqual({ schemaVersion: '1.0.0' });
    expect(reasons({ e: { each: 'nothing', required: true, fields: { v: 'v' } } }, employee)).toEqual([
      'e: is required but source nothing gives no elements',
    ]);
  });

  it('nests', () => {
    const row = { id: '1', contact: [{ telecom: [{ value: 'x' }, { value: 'y' }] }, { telecom: { value: 'z' } }] };
    const fields: FieldsSpec = { contacts: { each: 'contact', fields: { phones: { each: 'telecom', fields: { v: 'value' } } } } };
    expect(data(fields, row)).toMatchObject({ contacts: [{ phones: [{ v: 'x' }, { v: 'y' }] }, { phones: [{ v: 'z' }] }] });
  });
});

describe('external ids and rows', () => {
  it('turns a numeric id into text', () => {
    expect(map({ x: 'x' }, { id: 42, x: 'y' })).toMatchObject({ ok: true, externalId: '42' });
  });

  it('builds an id from a template', () => {
    const result = map({ x: 'x' }, { SKU: 'A-1', UOM: 'BX', x: 'y' }, { flat: true }, { template: '{SKU}|{UOM}' });
    expect(result).toMatchObject({ ok: true, externalId: 'A-1|BX' });
  });

  it('refuses a row without an id, naming the source', () => {
    expect(map({ x: 'x' }, { x: 'y' })).toEqual({ ok: false, reasons: ['externalId: is required but source id is empty'] });
  });

  it('refuses a list as an id', () => {
    expect(map({ x: 'x' }, { id: ['a', 'b'], x: 'y' })).toEqual({
      ok: false,
      reasons: ['externalId: must be a single value, the source gives a list of 2'],
    });
  });

  it('keeps the id of a row that fails, so its reject can be traced', () => {
    expect(map({ d: { path: 'd', convert: 'date' } }, { id: 'r9', d: 'x' })).toMatchObject({ ok: false, externalId: 'r9' });
  });

  it('refuses rows that are not objects', () => {
    expect(map({ x: 'x' }, [1, 2])).toEqual({ ok: false, reasons: ['row: expected an object, got a list of 2'] });
    expect(map({ x: 'x' }, 'text')).toEqual({ ok: false, reasons: ['row: expected an object, got a string shaped "AAAA"'] });
  });
});

describe('where', () => {
  const row = { resourceType: 'Patient', status: 'active', tags: ['a', 'b'], n: 5 };
  it.each([
    [{ path: 'resourceType', equals: 'Patient' }, true],
    [{ path: 'resourceType', equals: 'Practitioner' }, false],
    [{ path: 'status', notEquals: 'inactive' }, true],
    [{ path: 'missing', notEquals: 'x' }, true],
    [{ path: 'status', in: ['active', 'onboarding'] }, true],
    [{ path: 'tags', equals: 'b' }, true],
    [{ path: 'n', equals: 5 }, true],
    [{ path: 'n', equals: '5' }, true],
    [{ path: 'missing', exists: false }, true],
    [{ path: 'status', exists: true }, true],
    [[{ path: 'resourceType', equals: 'Patient' }, { path: 'status', equals: 'inactive' }], false],
  ] as const)('%j -> %s', (where, expected) => {
    expect(compileWhere(where as never)(row)).toBe(expected);
  });
});

describe('compile errors', () => {
  it('names the location of an unknown conversion and suggests the right one', () => {
    const { message, issues } = compileProblems(() =>
      compileMapping({ externalId: 'id', fields: { birthDate: { path: 'birthDate', convert: 'dat' } } }, { at: ['files', 1] }),
    );
    expect(message).toContain('files[1].fields.birthDate.convert: unknown convert "dat" (did you mean "date"?)');
    expect(issues).toEqual([expect.objectContaining({ path: '/config/files/1/fields/birthDate/convert' })]);
  });

  it('lists every problem of a mapping at once', () => {
    const { issues } = compileProblems(() =>
      compileMapping(
        {
          externalId: { const: 'x' },
          fields: {
            'name.family': { path: 'a', const: 'b' },
            'addr.city': 'city',
            'addr[0]': 'x',
            npi: 'identifier[system=http://hl7.org/fhir/sid/us-npi.value',
            price: { const: 1, convert: 'money' },
            'tags[*]': 'x',
            key: { template: 'no placeholders' },
            line: { template: '{open' },
            empty: { each: 'items', fields: {} },
            nothing: {},
            where: { each: 'x', where: { path: 'a', equals: 1, exists: true }, fields: { v: 'v' } },
          },
        },
        { at: ['webhook'] },
      ),
    );
    const messages = issues.map((i) => i.message);
    expect(messages).toEqual([
      'webhook.externalId: must read the row (a path or a template), not a const or each',
      'webhook.fields["name.family"]: has path and const: use only one',
      'webhook.fields["addr[0]"]: conflicts with addr.city: one treats it as an object, this one as a list',
      'webhook.fields.npi: bad path "identifier[system=http://hl7.org/fhir/sid/us-npi.value": "[" at position 11 is never closed',
      'webhook.fields.price.convert: is not allowed with const',
      'webhook.fields["tags[*]"]: bad target path: a target index must be a number like [0] (selectors and [*] are for source paths) (at position 5)',
      'webhook.fields.key.template: template "no placeholders" has no {placeholder}: use const for a fixed value',
      'webhook.fields.line.template: template "{open": "{" at position 1 is never closed',
      'webhook.fields.empty.fields: must map at least one target field (target: source)',
      'webhook.fields.nothing: needs one of path, const, template, each',
      'webhook.fields.where.where: has equals and exists: use one per condition',
    ]);
  });

  it('catches targets that overwrite each other', () => {
    const { issues } = compileProblems(() => compileMapping({ externalId: 'id', fields: { name: 'n', 'name.family': 'f' } }));
    expect(issues[0].message).toBe('fields["name.family"]: conflicts with name, which sets the whole value');
    const again = compileProblems(() => compileMapping({ externalId: 'id', fields: { 'name.family': 'f', name: 'n' } }));
    expect(again.issues[0].message).toBe('fields.name: conflicts with name.family: both set the same target');
  });

  it('requires externalId and fields', () => {
    const { issues } = compileProblems(() => compileMapping({} as never, { at: ['files', 0] }));
    expect(issues.map((i) => i.path)).toEqual(['/config/files/0/externalId', '/config/files/0/fields']);
  });

  it('checks where conditions', () => {
    const { message } = compileProblems(() => compileWhere({ path: 'a', equal: 'x' } as never, { at: ['files', 0, 'where'] }));
    expect(message).toContain('files[0].where.equal: is not a condition');
  });
});

describe('match', () => {
  const reference = { id: 'enc-1', individual: { reference: 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1234567893' } };

  it('keeps the first capture group, so an NPI can be pulled out of a FHIR search reference', () => {
    const result = map({ npi: { path: 'individual.reference', match: '\\|(\\d{10})$' } }, reference);
    expect(result).toMatchObject({ ok: true, data: { npi: '1234567893' } });
  });

  it('rejects a value that does not match, naming the field and never the value', () => {
    const result = map({ npi: { path: 'individual.reference', match: '^NPI:(\\d+)$' } }, reference);
    expect(result.ok).toBe(false);
    const reasons = (result as { reasons: string[] }).reasons.join(' ');
    expect(reasons).toMatch(/npi: does not match/);
    expect(reasons).not.toContain('1234567893');
  });

  it('reports an invalid expression when the mapping compiles', () => {
    expect(() => compileMapping({ externalId: 'id', fields: { npi: { path: 'x', match: '(' } } })).toThrow(/fields\.npi\.match.*not a valid regular expression/s);
  });
});
