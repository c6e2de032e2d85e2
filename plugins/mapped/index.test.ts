import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPluginHarness, runPluginSync, runPluginWebhook, type PluginHarness } from '../../core/sdk/testkit.js';
import { ConfigurationError, type StoredRecord } from '../../core/sdk/index.js';
import mapped from './index.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const PATIENTS = join(fixtures, 'riverside-ehr-export', 'Patient.000.ndjson');
const PRICE_LIST = join(fixtures, 'acme-supply', 'price-list-2024-07.csv');

/** The riverside connector as MSO IT would write it: a Synthea bulk export and a supplier price list. */
const riversideConfig = (extra: Record<string, unknown> = {}) => ({
  externalSystem: 'riverside-ehr',
  files: [
    {
      pattern: 'Patient*.ndjson',
      format: 'ndjson',
      entity: 'Patient',
      where: { path: 'resourceType', equals: 'Patient' },
      externalId: 'id',
      fields: {
        'name.family': 'name[0].family',
        'name.given': 'name[0].given',
        birthDate: { path: 'birthDate', convert: 'date' },
        gender: { path: 'gender', map: { male: 'male', female: 'female' }, default: 'unknown' },
        'identifiers[0].system': { const: 'urn:riverside:mrn' },
        'identifiers[0].type': { const: 'MR' },
        'identifiers[0].value': 'identifier[type.coding[0].code=MR].value',
        telecom: { each: 'telecom', fields: { system: 'system', value: 'value', use: 'use' } },
        'race.ombCategories[0]':
          'extension[url=http://hl7.org/fhir/us/core/StructureDefinition/us-core-race].extension[url=ombCategory].valueCoding.code',
      },
    },
    {
      pattern: 'price-list-*.csv',
      format: 'csv',
      entity: 'CatalogItem',
      externalSystem: 'acme-medical',
      externalId: { template: '{Supplier SKU}|{UOM}' },
      fields: {
        'supplier.system': { const: 'acme-medical' },
        'supplier.id': { const: 'ACME' },
        supplierSku: 'Supplier SKU',
        description: 'Description',
        manufacturer: 'Manufacturer',
        manufacturerPartNumber: 'Mfr Part #',
        gtin: { path: 'GTIN', convert: 'digits' },
        unspsc: 'UNSPSC',
        uom: { path: 'UOM', convert: ['trim', 'upper'] },
        packQuantity: { path: 'Pack Qty', convert: 'integer' },
        listPrice: { path: 'List Price', convert: 'money' },
        contractPrice: { path: 'Contract Price', convert: 'money' },
        'effectivePeriod.start': { path: 'Effective Date', convert: 'date' },
        latexFree: { path: 'Latex Free', convert: 'boolean' },
        currency: { const: 'USD' },
      },
    },
  ],
  ...extra,
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A drop folder holding copies of the given files (fixtures are never moved or changed). */
async function dropFolder(files: Record<string, string | { copyOf: string }>): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'mapped-'));
  cleanups.push(() => rm(folder, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(folder, name, '..'), { recursive: true });
    if (typeof content === 'string') await writeFile(join(folder, name), content);
    else await copyFile(content.copyOf, join(folder, name));
  }
  return folder;
}

function track<T extends { harness: PluginHarness }>(result: T): T {
  cleanups.push(() => result.harness.close());
  return result;
}

const byType = (records: StoredRecord[], type: string) => records.filter((r) => r.type === type);

describe('mapped: files from a watched folder', () => {
  it('lands the EHR export and the price list as canonical records', async () => {
    const folder = await dropFolder({ 'Patient.000.ndjson': { copyOf: PATIENTS }, 'price-list-2024-07.csv': { copyOf: PRICE_LIST } });
    const result = track(await runPluginSync(mapped, { config: riversideConfig(), files: folder, tenant: 'riverside-family' }));

    expect(result.error).toBeUndefined();
    expect(result.rejects).toEqual([]);
    expect(result.counts).toMatchObject({ files: 2, rows: 7, created: 7, rejected: 0 });
    expect(result.counts.rowErrors ?? 0).toBe(0);

    const patients = byType(result.records, 'Patient');
    expect(patients).toHaveLength(3);
    const sumiko = patients.find((p) => p.externalId === '129c6ac7-8d06-89de-ad63-0204a93e76c3')!;
    expect(sumiko.externalSystem).toBe('riverside-ehr');
    expect(sumiko.tenant).toBe('riverside-family');
    expect(sumiko.data).toEqual({
      schemaVersion: '1.0.0',
      name: { family: 'Medhurst46', given: ['Sumiko254', 'Larue605'] },
      birthDate: '1927-05-21',
      gender: 'female',
      identifiers: [{ system: 'urn:riverside:mrn', type: 'MR', value: '129c6ac7-8d06-89de-ad63-0204a93e76c3' }],
      telecom: [{ system: 'phone', value: '555-810-7203', use: 'home' }],
      race: { ombCategories: ['2106-3'] },
    });

    const items = byType(result.records, 'CatalogItem');
    expect(items.map((i) => i.externalId).sort()).toEqual(['ACM-BPC-ADL|EA', 'ACM-GAUZE-4X4|CS', 'ACM-GLV-NIT-M|BX', 'ACM-SYR-3ML|BX']);
    const gauze = items.find((i) => i.externalId === 'ACM-GAUZE-4X4|CS')!;
    expect(gauze.externalSystem).toBe('acme-medical');
    expect(gauze.data).toMatchObject({
      description: 'Gauze sponge 4" x 4", 12-ply, sterile',
      listPrice: 1249,
      contractPrice: 989.5,
      packQuantity: 1200,
      effectivePeriod: { start: '2024-07-01' },
      latexFree: true,
      supplier: { system: 'acme-medical', id: 'ACME' },
    });
    const syringe = items.find((i) => i.externalId === 'ACM-SYR-3ML|BX')!;
    expect(syringe.data).not.toHaveProperty('contractPrice');
    const cuff = items.find((i) => i.externalId === 'ACM-BPC-ADL|EA')!;
    expect(cuff.data).toMatchObject({ listPrice: 52, latexFree: false });
  });

  it('processes nothing new when the same files are listed again, and everything on a full resync', async () => {
    const folder = await dropFolder({ 'Patient.000.ndjson': { copyOf: PATIENTS }, 'price-list-2024-07.csv': { copyOf: PRICE_LIST } });
    const first = track(await runPluginSync(mapped, { config: riversideConfig(), files: folder }));
    expect(first.counts).toMatchObject({ files: 2, created: 7 });

    const second = await first.rerun();
    expect(second.error).toBeUndefined();
    expect(second.counts).toMatchObject({ filesSkipped: 2, created: 0, updated: 0 });
    expect(second.counts.rows ?? 0).toBe(0);
    expect(second.records).toHaveLength(7);

    const full = await first.rerun({ full: true });
    expect(full.counts).toMatchObject({ files: 2, rows: 7, created: 0, updated: 0, unchanged: 7 });
  });

  it('processes just the named file in a file job, and says so when no rule takes the path', async () => {
    const folder = await dropFolder({ 'Patient.000.ndjson': { copyOf: PATIENTS }, 'price-list-2024-07.csv': { copyOf: PRICE_LIST } });
    const harness = await createPluginHarness(mapped, { config: riversideConfig(), files: folder });
    cleanups.push(() => harness.close());

    const one = await harness.file('price-list-2024-07.csv');
    expect(one.error).toBeUndefined();
    expect(one.counts).toMatchObject({ files: 1, created: 4 });
    expect(byType(one.records, 'Patient')).toEqual([]);

    const unknown = await harness.file('notes.txt');
    expect(unknown.run.status).toBe('failed');
    expect(unknown.run.error).toMatch(/no file rule matches "notes\.txt"/);
  });

  it('reads a changed file again: the ledger keys on content, not name', async () => {
    const folder = await dropFolder({ 'Patient.000.ndjson': { copyOf: PATIENTS } });
    const first = track(await runPluginSync(mapped, { config: riversideConfig(), files: folder }));
    const lines = (await readFile(PATIENTS, 'utf8')).trim().split('\n');
    const moved = JSON.parse(lines[1]);
    moved.address[0].city = 'Wichita';
    moved.gender = 'other';
    await writeFile(join(folder, 'Patient.000.ndjson'), [lines[0], JSON.stringify(moved), lines[2]].join('\n'));

    const second = await first.rerun();
    expect(second.counts).toMatchObject({ files: 1, rows: 3, unchanged: 2, updated: 1 });
    // `other` is not in the map, so the default applies.
    expect(second.records.find((r) => r.externalId === moved.id)!.data).toMatchObject({ gender: 'unknown' });
  });

  it('rejects a bad row with reasons naming the file and line, and lands the rest', async () => {
    const lines = (await readFile(PATIENTS, 'utf8')).trim().split('\n');
    const badDate = { ...JSON.parse(lines[0]), id: 'bad-date-1', birthDate: '05/21/27' };
    const folder = await dropFolder({
      'Patient.001.ndjson': [lines[0], JSON.stringify(badDate), '{"resourceType":"Patient", "id": oops', lines[1], lines[2]].join('\n'),
    });
    const result = track(await runPluginSync(mapped, { config: riversideConfig(), files: folder }));

    expect(result.error).toBeUndefined();
    expect(byType(result.records, 'Patient')).toHaveLength(3);
    expect(result.counts).toMatchObject({ files: 1, rows: 5, rowErrors: 2, created: 3, rejected: 2 });
    const reasons = result.rejects.flatMap((r) => r.reasons).sort();
    expect(reasons).toEqual([
      'Patient.001.ndjson line 2: birthDate: cannot convert to date (source birthDate: a string shaped "99/99/99")',
      'Patient.001.ndjson line 3: is not valid JSON',
    ]);
    const rejected = result.rejects.find((r) => r.externalId === 'bad-date-1')!;
    expect(rejected).toMatchObject({ type: 'Patient', externalSystem: 'riverside-ehr' });
    // The source row is kept for review (in the store, never in logs).
    expect(rejected.data).toMatchObject({ birthDate: '05/21/27' });
    const logged = JSON.stringify(result.harness.logs);
    expect(logged).not.toContain('05/21/27');
    expect(logged).not.toContain('Medhurst46');
  });

  it('rejects a mapped record that breaks the canonical schema, through emit', async () => {
    const folder = await dropFolder({
      'price-list-2024-08.csv':
        'Supplier SKU,Description,UOM,List Price\r\nACM-1,Exam table paper,RL,$21.00\r\nACM-2,Tongue depressors,EACH,$4.10\r\n',
    });
    const config = riversideConfig();
    const result = track(await runPluginSync(mapped, { config: { ...config, files: [config.files[1]] }, files: folder }));
    expect(result.records.map((r) => r.externalId)).toEqual(['ACM-1|RL']);
    expect(result.rejects).toHaveLength(1);
    expect(result.rejects[0]).toMatchObject({ externalId: 'ACM-2|EACH', type: 'CatalogItem' });
    expect(result.rejects[0].reasons.join()).toContain('uom');
    expect(result.counts.rowErrors ?? 0).toBe(0);
  });

  it('offers each row of a mixed export to every rule, and skips rows no rule wants', async () => {
    const [patient] = (await readFile(PATIENTS, 'utf8')).trim().split('\n');
    const practitioner = {
      resourceType: 'Practitioner',
      id: '0965e26a-8bc3-395f-b7b0-4620fb6e778c',
      identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '9999908392' }],
      name: [{ family: 'Emard19', given: ['Irvin970'], prefix: ['Dr.'] }],
      gender: 'male',
    };
    const folder = await dropFolder({
      'export.ndjson': [patient, JSON.stringify(practitioner), JSON.stringify({ resourceType: 'Device', id: 'd1' })].join('\n'),
    });
    const config = {
      externalSystem: 'riverside-ehr',
      files: [
        { ...riversideConfig().files[0], pattern: '*.ndjson' },
        {
          pattern: 'export.ndjson',
          format: 'ndjson',
          entity: 'Practitioner',
          where: { path: 'resourceType', equals: 'Practitioner' },
          externalId: 'id',
          fields: {
            'name.family': 'name[0].family',
            'name.given': 'name[0].given',
            'identifiers[0].system': 'identifier[system=http://hl7.org/fhir/sid/us-npi].system',
            'identifiers[0].value': 'identifier[system=http://hl7.org/fhir/sid/us-npi].value',
            gender: 'gender',
          },
        },
      ],
    };
    const result = track(await runPluginSync(mapped, { config, files: folder }));
    expect(result.error).toBeUndefined();
    expect(result.records.map((r) => r.type).sort()).toEqual(['Patient', 'Practitioner']);
    expect(result.counts).toMatchObject({ files: 1, rows: 3, rowsFiltered: 1 });
    expect(byType(result.records, 'Practitioner')[0].data).toMatchObject({
      identifiers: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '9999908392' }],
    });
  });

  it('quarantines a file that is not what its rule describes, with the reason beside it', async () => {
    const folder = await dropFolder({
      'Patient.002.ndjson': 'MRN,Last,First\n1001,Quintana44,Avery812\n1002,Okafor215,Marcus93\n',
      'Patient.000.ndjson': { copyOf: PATIENTS },
    });
    const result = track(
      await runPluginSync(mapped, { config: riversideConfig(), files: { path: folder, archive: 'archive', quarantine: 'quarantine' } }),
    );
    expect(result.error).toBeUndefined();
    expect(result.counts).toMatchObject({ files: 1, filesQuarantined: 1, created: 3, rejected: 0 });
    expect(result.rejects).toEqual([]);
    expect(await readdir(folder)).toEqual(expect.not.arrayContaining(['Patient.002.ndjson', 'Patient.000.ndjson']));
    expect(await readdir(join(folder, 'archive'))).toEqual(['Patient.000.ndjson']);
    expect((await readdir(join(folder, 'quarantine'))).sort()).toEqual(['Patient.002.ndjson', 'Patient.002.ndjson.reason.txt']);
    const reason = await readFile(join(folder, 'quarantine', 'Patient.002.ndjson.reason.txt'), 'utf8');
    expect(reason).toContain('none of its 3 rows could be read or mapped');
    expect(reason).toContain('line 1: is not valid JSON');
    expect(reason).not.toContain('Quintana44');

    const second = await result.rerun();
    expect(second.counts.files ?? 0).toBe(0);
    expect(second.counts.filesQuarantined ?? 0).toBe(0);
  });

  it('quarantines a CSV whose header is unusable', async () => {
    const folder = await dropFolder({ 'price-list-2024-09.csv': 'Supplier SKU,UOM,UOM\nA,EA,EA\n' });
    const result = track(await runPluginSync(mapped, { config: riversideConfig(), files: folder }));
    expect(result.counts).toMatchObject({ filesQuarantined: 1 });
    expect(result.harness.logs.find((l) => l.msg === 'file quarantined')).toMatchObject({
      file: 'price-list-2024-09.csv',
      detail: expect.stringContaining('"UOM" appears twice'),
    });
  });

  it('fails the job with a configuration error when files are configured without transport.files', async () => {
    const result = track(await runPluginSync(mapped, { config: riversideConfig() }));
    expect(result.error).toBeInstanceOf(ConfigurationError);
    expect((result.error as Error).message).toBe('mapped: files in config need transport.files');
  });
});

describe('mapped: configuration', () => {
  it('lists every mapping problem with its location when the connector loads', async () => {
    const config = riversideConfig();
    config.files[0].entity = 'Patiant';
    (config.files[0].fields as Record<string, unknown>).birthDate = { path: 'birthDate', convert: 'dat' };
    (config.files[1] as Record<string, unknown>).delimiter = ';';
    config.files[1].format = 'ndjson';
    let error: unknown;
    try {
      await createPluginHarness(mapped, { config });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const messages = (error as ConfigurationError).issues.map((i) => i.message);
    expect(messages).toEqual([
      expect.stringMatching(/^files\[0\]\.entity: unknown entity "Patiant" \(did you mean "Patient"\?\); canonical entities: .*CatalogItem/),
      'files[0].fields.birthDate.convert: unknown convert "dat" (did you mean "date"?); use one of string, number, integer, boolean, date, datetime, money, unitPrice, upper, lower, trim, digits',
      'files[1].delimiter: is for csv files only',
    ]);
    expect((error as ConfigurationError).issues[1].path).toBe('/config/files/0/fields/birthDate/convert');
  });

  it('is refused by the schema when a field is misspelt', async () => {
    await expect(createPluginHarness(mapped, { config: { ...riversideConfig(), archive: 'done' } })).rejects.toThrow(/unknown field "archive"/);
  });

  it('needs files or webhook', async () => {
    await expect(createPluginHarness(mapped, { config: { externalSystem: 'x' } })).rejects.toThrow(/nothing to do/);
  });
});

describe('mapped: webhooks', () => {
  const payrollConfig = {
    externalSystem: 'sunrise-payroll',
    webhook: {
      entity: 'Employee',
      records: 'data.employees',
      externalId: 'id',
      fields: {
        'name.family': { path: 'last_name', required: true },
        'name.given[0]': 'first_name',
        'name.given[1]': 'middle_name',
        employeeNumber: 'work_id',
        birthDate: { path: 'dob', convert: 'date' },
        gender: { path: 'gender', map: { F: 'female', M: 'male' }, default: 'unknown' },
        title: 'title',
        department: 'department.name',
        employmentType: 'employment.type',
        employmentSubtype: 'employment.subtype',
        isActive: { path: 'is_active', convert: 'boolean' },
        startDate: { path: 'start_date', convert: 'date' },
        endDate: { path: 'end_date', convert: 'date' },
        'income.unit': 'income.unit',
        'income.amount': { path: 'income.amount', convert: 'money' },
        'income.effectiveDate': { path: 'income.effective_date', convert: 'date' },
        emails: { each: 'emails', fields: { value: 'data', type: 'type' } },
        phones: { each: 'phone_numbers', fields: { value: 'data', type: 'type' } },
      },
    },
  };

  it('maps each record of a payroll event body', async () => {
    const body = JSON.parse(await readFile(join(fixtures, 'sunrise-payroll', 'employees-updated.json'), 'utf8'));
    const result = track(await runPluginWebhook(mapped, { config: payrollConfig, body }));
    expect(result.error).toBeUndefined();
    expect(result.rejects).toEqual([]);
    expect(result.counts).toMatchObject({ rows: 2, created: 2 });
    const avery = result.records.find((r) => r.externalId === 'emp_1001')!;
    expect(avery.externalSystem).toBe('sunrise-payroll');
    expect(avery.data).toEqual({
      schemaVersion: '1.0.0',
      name: { family: 'Quintana44', given: ['Avery812', 'Jo341'] },
      employeeNumber: '1001',
      birthDate: '1986-03-14',
      gender: 'female',
      title: 'Medical Assistant',
      department: 'Clinical',
      employmentType: 'employee',
      employmentSubtype: 'full_time',
      isActive: true,
      startDate: '2019-08-05',
      income: { unit: 'hourly', amount: 21.5, effectiveDate: '2024-01-01' },
      emails: [{ value: 'avery.quintana@riverside.example', type: 'work' }],
      phones: [{ value: '(555) 201-3344', type: 'personal' }],
    });
    const marcus = result.records.find((r) => r.externalId === 'emp_1002')!;
    expect(marcus.data).toMatchObject({ isActive: false, endDate: '2024-06-28', income: { unit: 'yearly', amount: 52000 } });
    expect(marcus.data).not.toHaveProperty('emails');
  });

  it('rejects a record that does not map and keeps the others', async () => {
    const body = { data: { employees: [{ id: 'emp_1', last_name: 'Ng7', dob: 'unknown' }, { id: 'emp_2', last_name: 'Ruiz12' }, { id: 'emp_3' }] } };
    const result = track(await runPluginWebhook(mapped, { config: payrollConfig, body, eventId: 'evt-42' }));
    expect(result.records.map((r) => r.externalId)).toEqual(['emp_2']);
    expect(result.counts).toMatchObject({ rows: 3, rowErrors: 2, rejected: 2 });
    expect(result.rejects.flatMap((r) => r.reasons).sort()).toEqual([
      'event evt-42 record 0: birthDate: cannot convert to date (source dob: a string shaped "AAAAAAA")',
      'event evt-42 record 2: name.family: is required but source last_name is empty',
    ]);
  });

  it('treats a body without the records list as holding none, and a single-record body as one record', async () => {
    const none = track(await runPluginWebhook(mapped, { config: payrollConfig, body: { event: 'ping' } }));
    expect(none.error).toBeUndefined();
    expect(none.counts.rows ?? 0).toBe(0);

    const single = { ...payrollConfig, webhook: { ...payrollConfig.webhook, records: undefined } };
    const one = track(await runPluginWebhook(mapped, { config: single, body: { id: 'emp_9', last_name: 'Solo3' } }));
    expect(one.records.map((r) => r.externalId)).toEqual(['emp_9']);
  });

  it('fails the job for a webhook when the connector maps none', async () => {
    const result = track(await runPluginWebhook(mapped, { config: riversideConfig(), body: {} }));
    expect(result.error).toBeInstanceOf(ConfigurationError);
  });
});
