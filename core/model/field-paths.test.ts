import { describe, expect, it } from 'vitest';
import { exampleRecords } from './examples.js';
import { FieldCoverageCounter, fieldPaths, filledFieldPaths, summarizeCoverage } from './field-paths.js';
import { entityNames } from './schemas.js';

const patient = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: '1.0.0',
  name: { family: 'Okafor', given: ['Ada', 'N'] },
  birthDate: '1980-04-02',
  ...extra,
});

describe('fieldPaths', () => {
  it("lists every field of an entity's schema as the model reference writes it", () => {
    const paths = fieldPaths('Patient');
    expect(paths).toEqual(
      expect.arrayContaining(['name.family', 'name.given[]', 'identifiers[]', 'identifiers[].period.start', 'ethnicity.ombCategories[]', 'managingOrganization']),
    );
    // A reference is one field, an object has no path of its own, schemaVersion is left out.
    expect(paths).not.toContain('managingOrganization.id');
    expect(paths).not.toContain('name');
    expect(paths).not.toContain('schemaVersion');
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('has a list for every entity', () => {
    for (const entity of entityNames) expect(fieldPaths(entity).length, entity).toBeGreaterThan(0);
  });
});

describe('filledFieldPaths', () => {
  it('lists the fields a record fills, arrays collapsed, empty values skipped', () => {
    const record = patient({
      identifiers: [{ system: 'urn:mrn', value: '1' }, { system: 'urn:mrn', value: '2', type: 'MR' }],
      telecom: [],
      gender: '',
      managingOrganization: { system: 'urn:riverside-ehr', id: 'org-1' },
    });
    expect(filledFieldPaths('Patient', record)).toEqual([
      'birthDate',
      'identifiers[]',
      'identifiers[].system',
      'identifiers[].type',
      'identifiers[].value',
      'managingOrganization',
      'name.family',
      'name.given[]',
    ]);
  });

  it('fills only paths the schema has, for every example record', () => {
    for (const [entity, record] of Object.entries(exampleRecords)) {
      const known = new Set(fieldPaths(entity as never));
      const filled = filledFieldPaths(entity as never, record);
      expect(filled.length, entity).toBeGreaterThan(0);
      for (const path of filled) expect(known.has(path), `${entity} ${path}`).toBe(true);
    }
  });
});

describe('FieldCoverageCounter', () => {
  it('counts per entity how many records filled each field, a field inside an array once per record', () => {
    const counter = new FieldCoverageCounter();
    expect(counter.empty).toBe(true);
    counter.add('Patient', patient({ ethnicity: { ombCategories: ['2186-5'] }, identifiers: [{ system: 'a', value: '1' }, { system: 'b', value: '2' }] }));
    counter.add('Patient', patient());
    counter.add('Patient', patient({ name: { family: 'Haddad' } }));
    counter.add('Organization', { schemaVersion: '1.0.0', kind: 'practice', name: 'Riverside' });
    counter.add('NotAnEntity', { anything: 1 });

    expect(counter.empty).toBe(false);
    const coverage = counter.toJSON();
    expect(Object.keys(coverage).sort()).toEqual(['Organization', 'Patient']);
    expect(coverage.Patient).toEqual({
      records: 3,
      fields: {
        'name.family': 3,
        'name.given[]': 2,
        birthDate: 3,
        'identifiers[]': 1,
        'identifiers[].system': 1,
        'identifiers[].value': 1,
        'ethnicity.ombCategories[]': 1,
      },
    });
    expect(coverage.Organization).toEqual({ records: 1, fields: { kind: 1, name: 1 } });
  });

  it('never keeps a value, only paths and counts', () => {
    const counter = new FieldCoverageCounter();
    counter.add('Patient', patient({ name: { family: 'Lindqvist-Unique' }, birthDate: '1931-12-25' }));
    const text = JSON.stringify(counter.toJSON());
    expect(text).not.toContain('Lindqvist-Unique');
    expect(text).not.toContain('1931-12-25');
  });
});

describe('summarizeCoverage', () => {
  it('adds runs up per entity, lists never-filled fields at 0 and puts the lowest rates first', () => {
    const summary = summarizeCoverage([
      { Patient: { records: 3, fields: { 'name.family': 3, birthDate: 3, 'ethnicity.ombCategories[]': 1 } } },
      { Patient: { records: 1, fields: { 'name.family': 1, birthDate: 1 } }, Organization: { records: 2, fields: { kind: 2, name: 2 } } },
    ]);
    expect(summary.map((e) => [e.entity, e.records, e.runs])).toEqual([
      ['Organization', 2, 1],
      ['Patient', 4, 2],
    ]);
    const patient = summary[1]!;
    expect(patient.fields.map((f) => f.path)).toEqual(expect.arrayContaining([...fieldPaths('Patient')]));
    expect(patient.fields).toHaveLength(fieldPaths('Patient').length);
    const byPath = Object.fromEntries(patient.fields.map((f) => [f.path, f]));
    expect(byPath['ethnicity.ombCategories[]']).toEqual({ path: 'ethnicity.ombCategories[]', filled: 1, rate: 0.25 });
    expect(byPath['ethnicity.text']).toEqual({ path: 'ethnicity.text', filled: 0, rate: 0 });
    expect(byPath['name.family']).toEqual({ path: 'name.family', filled: 4, rate: 1 });
    const rates = patient.fields.map((f) => f.rate);
    expect(rates).toEqual([...rates].sort((a, b) => a - b));
    expect(patient.fields.at(-1)!.rate).toBe(1);
  });

  it('is empty for no runs', () => {
    expect(summarizeCoverage([])).toEqual([]);
  });
});
