import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { exampleRecords } from './examples.js';
import {
  type EntityData,
  type EntityName,
  entityNames,
  entitySchemas,
  isEntityName,
  phiPaths,
  validateEntity,
} from './index.js';

function clone<N extends EntityName>(name: N): EntityData<N> {
  return structuredClone(exampleRecords[name]);
}

describe('canonical entities', () => {
  it('covers identity, revenue cycle, workforce and supply', () => {
    expect(entityNames).toEqual([
      'Organization',
      'Location',
      'Practitioner',
      'Patient',
      'Coverage',
      'Encounter',
      'Claim',
      'ClaimAcknowledgment',
      'ClaimStatus',
      'ClaimLifecycle',
      'Remittance',
      'EligibilityCheck',
      'Employee',
      'PayrollRun',
      'PayStatement',
      'Supplier',
      'CatalogItem',
      'PriceChange',
      'PurchaseOrder',
    ]);
    expect(isEntityName('Claim')).toBe(true);
    expect(isEntityName('claim')).toBe(false);
    expect(isEntityName('toString')).toBe(false);
  });

  it.each(entityNames)('accepts the example %s', (name) => {
    expect(validateEntity(name, exampleRecords[name])).toEqual([]);
  });

  it.each(entityNames)('%s has its name as $id, a required schemaVersion and a description on every field', (name) => {
    const schema = entitySchemas[name] as TSchema;
    expect(schema.$id).toBe(name);
    expect(schema.required).toContain('schemaVersion');
    expect(undocumentedFields(schema, '')).toEqual([]);
  });
});

function undocumentedFields(schema: TSchema, path: string): string[] {
  const missing: string[] = [];
  const properties = (schema.properties ?? {}) as Record<string, TSchema>;
  for (const [key, child] of Object.entries(properties)) {
    const childPath = `${path}/${key}`;
    if (typeof child.description !== 'string' || child.description.length < 3) missing.push(childPath);
    missing.push(...undocumentedFields(child, childPath));
  }
  if (schema.items) missing.push(...undocumentedFields(schema.items as TSchema, `${path}/*`));
  return missing;
}

describe('validateEntity names the field and says what is wrong', () => {
  it('reports a bad procedure code and a bad NPI by path', () => {
    const claim = clone('Claim');
    claim.serviceLines[0].procedure!.code = '9921';
    claim.billingProvider.npi = '1234567890';
    expect(validateEntity('Claim', claim)).toEqual([
      {
        path: '/billingProvider/npi',
        message: 'must be a valid NPI (10 digits with a Luhn check digit)',
      },
      {
        path: '/serviceLines/0/procedure/code',
        message: 'must be a CPT code (5 digits, or 4 digits + F/T/U) or a HCPCS Level II code (letter A-V + 4 digits)',
      },
    ]);
  });

  it('reports a missing required field at the field’s own path', () => {
    const remittance = clone('Remittance');
    Reflect.deleteProperty(remittance, 'traceNumber');
    Reflect.deleteProperty(remittance.claimPayments[0], 'payerClaimControlNumber');
    expect(validateEntity('Remittance', remittance)).toEqual([
      { path: '/traceNumber', message: 'is required' },
      { path: '/claimPayments/0/payerClaimControlNumber', message: 'is required' },
    ]);
  });

  it('rejects a field the model does not know, so mapping typos surface', () => {
    const patient = { ...clone('Patient'), dateOfBirth: '1968-03-14' };
    expect(validateEntity('Patient', patient)).toEqual([
      { path: '/dateOfBirth', message: 'is not a field of the canonical model (check the spelling, or the schema version)' },
    ]);
  });

  it('requires a patient name', () => {
    const { name: _name, ...nameless } = clone('Patient');
    expect(validateEntity('Patient', nameless)).toEqual([{ path: '/name', message: 'is required' }]);
  });

  it('checks money, dates, code lists and the schema version', () => {
    const remittance = clone('Remittance');
    remittance.claimPayments[0].serviceLinePayments![0].adjustments![0].amount = 62.605;
    remittance.claimPayments[0].serviceLinePayments![0].adjustments![0].group = 'XX' as 'CO';
    remittance.claimPayments[0].serviceLinePayments![1].remarkCodes = ['381'];
    remittance.paymentDate = '2024-02-30';
    (remittance as { schemaVersion: string }).schemaVersion = '0.9.0';
    expect(validateEntity('Remittance', remittance)).toEqual([
      { path: '/schemaVersion', message: 'must be "1.0.0"' },
      { path: '/paymentDate', message: 'must be a date in YYYY-MM-DD form' },
      { path: '/claimPayments/0/serviceLinePayments/0/adjustments/0/group', message: 'must be one of: CO, PR, OA, PI, CR' },
      { path: '/claimPayments/0/serviceLinePayments/0/adjustments/0/amount', message: 'must have at most 2 decimal places' },
      {
        path: '/claimPayments/0/serviceLinePayments/1/remarkCodes/0',
        message: 'must be a Remittance Advice Remark Code (M, MA or N followed by digits, e.g. N381)',
      },
    ]);
  });

  it('accepts cents that binary floating point cannot represent exactly', () => {
    const statement = clone('PayStatement');
    statement.taxes[0].amount = 0.07;
    statement.deductions[0].amount = 1234567.89;
    statement.earnings[0].amount = 0.1 * 3;
    expect(validateEntity('PayStatement', statement)).toEqual([
      // 0.30000000000000004: float noise from a mapping's arithmetic, which must be rounded first.
      { path: '/earnings/0/amount', message: 'must have at most 2 decimal places' },
    ]);
  });

  it('requires timestamps to carry a time zone', () => {
    const encounter = clone('Encounter');
    encounter.period = { start: '2024-05-06T09:30:00' };
    expect(validateEntity('Encounter', encounter)).toEqual([
      { path: '/period/start', message: 'must be a timestamp with a time zone (e.g. 2024-05-01T14:30:00Z)' },
    ]);
  });

  it('treats an optional field set to undefined as absent, as JSON storage will', () => {
    const patient: EntityData<'Patient'> = { ...clone('Patient'), birthDate: undefined };
    expect(validateEntity('Patient', patient)).toEqual([]);
  });

  it('says what the root should be when the record is not an object', () => {
    expect(validateEntity('Patient', 'Delgado')).toEqual([{ path: '/', message: 'must be of type object' }]);
  });

  it('rejects an unknown entity type passed from untyped code', () => {
    expect(validateEntity('Invoice' as EntityName, {})).toEqual([
      { path: '/', message: 'is not a known entity type: "Invoice"' },
    ]);
  });

  it('gives the same answer on repeated calls (validators are compiled once and reused)', () => {
    const bad = { ...clone('Coverage'), memberId: '' };
    const first = validateEntity('Coverage', bad);
    expect(first).toEqual([{ path: '/memberId', message: 'must not be empty' }]);
    expect(validateEntity('Coverage', bad)).toEqual(first);
    expect(validateEntity('Coverage', exampleRecords.Coverage)).toEqual([]);
  });
});

describe('claim rules', () => {
  it('checks that the total charge is the sum of the lines', () => {
    const claim = clone('Claim');
    claim.totalCharge = 230;
    expect(validateEntity('Claim', claim)).toEqual([
      { path: '/totalCharge', message: 'must equal the sum of the service line charges (220.00)' },
    ]);
  });

  it('checks diagnosis pointers against the diagnoses', () => {
    const claim = clone('Claim');
    claim.serviceLines[1].diagnosisPointers = [3];
    expect(validateEntity('Claim', claim)).toEqual([
      { path: '/serviceLines/1/diagnosisPointers/0', message: 'must point at one of the 2 diagnoses (1-2)' },
    ]);
  });

  it('requires a procedure, pointers and a place of service on professional claims', () => {
    const claim = clone('Claim');
    delete claim.placeOfService;
    delete claim.serviceLines[0].procedure;
    delete claim.serviceLines[0].diagnosisPointers;
    expect(validateEntity('Claim', claim)).toEqual([
      { path: '/placeOfService', message: 'is required for a professional claim (837P CLM05-1)' },
      { path: '/serviceLines/0/procedure', message: 'is required on a professional claim line (837P SV101)' },
      { path: '/serviceLines/0/diagnosisPointers', message: 'is required on a professional claim line (837P SV107)' },
    ]);
  });

  it('accepts an institutional claim with its UB-04 details and requires revenue codes', () => {
    const claim: EntityData<'Claim'> = {
      ...clone('Claim'),
      claimType: 'institutional',
      placeOfService: undefined,
      diagnoses: [{ code: 'R07.9', presentOnAdmission: 'Y' }],
      serviceLines: [
        { revenueCode: '0450', procedure: { code: '99284' }, units: 1, charge: 1250, serviceDate: '2024-05-06' },
        { revenueCode: '0300', units: 3, charge: 210.5, serviceDate: '2024-05-06' },
      ],
      totalCharge: 1460.5,
      institutional: {
        typeOfBill: '131',
        statementPeriod: { start: '2024-05-06', end: '2024-05-06' },
        admissionType: '1',
        patientStatus: '01',
        attendingProvider: { npi: '1923847564', name: 'Okafor, Adaeze' },
      },
    };
    delete claim.placeOfService;
    expect(validateEntity('Claim', claim)).toEqual([]);

    delete claim.serviceLines[1].revenueCode;
    delete claim.institutional;
    expect(validateEntity('Claim', claim)).toEqual([
      { path: '/institutional', message: 'is required on an institutional claim (type of bill, statement period)' },
      { path: '/serviceLines/1/revenueCode', message: 'is required on an institutional claim line (837I SV201)' },
    ]);
  });

  it('requires the original claim number on a replacement', () => {
    const claim = clone('Claim');
    claim.frequencyCode = '7';
    expect(validateEntity('Claim', claim)).toEqual([
      { path: '/originalPayerClaimControlNumber', message: 'is required when frequencyCode is 7 (replacement) or 8 (void) (837 REF*F8)' },
    ]);
    claim.originalPayerClaimControlNumber = 'SHP24128000917';
    expect(validateEntity('Claim', claim)).toEqual([]);
  });
});

describe('remittance balancing (835 TR3)', () => {
  it('checks the payment against claim payments and provider adjustments', () => {
    const remittance = clone('Remittance');
    remittance.paymentAmount = 100.72;
    expect(validateEntity('Remittance', remittance)).toEqual([
      { path: '/paymentAmount', message: 'must equal claim payments minus provider adjustments (80.72) (835 BPR02 balancing)' },
    ]);
  });

  it('checks each claim and service line against its adjustments', () => {
    const remittance = clone('Remittance');
    remittance.claimPayments[0].serviceLinePayments![0].adjustments![0].amount = 60;
    expect(validateEntity('Remittance', remittance)).toEqual([
      {
        path: '/claimPayments/0/paidAmount',
        message: 'must equal chargeAmount minus the adjustments (103.32) (835 claim balancing)',
      },
      {
        path: '/claimPayments/0/serviceLinePayments/0/paidAmount',
        message: 'must equal chargeAmount minus the adjustments (90.00) (835 service line balancing)',
      },
    ]);
  });

  it('balances a reversal, where amounts are negative', () => {
    const remittance = clone('Remittance');
    const original = remittance.claimPayments[0];
    remittance.claimPayments = [
      {
        ...original,
        statusCode: '22',
        chargeAmount: -220,
        paidAmount: -100.72,
        patientResponsibility: -25,
        adjustments: [
          { group: 'CR', reasonCode: '45', amount: -94.28 },
          { group: 'PR', reasonCode: '3', amount: -25 },
        ],
      },
      original,
    ];
    delete remittance.claimPayments[0].serviceLinePayments;
    remittance.paymentAmount = 0;
    remittance.providerAdjustments = [];
    remittance.paymentMethod = 'NON';
    expect(validateEntity('Remittance', remittance)).toEqual([]);
  });
});

describe('PHI marking', () => {
  it('lists the personal fields of a patient and not the clinical ones', () => {
    const paths = phiPaths('Patient');
    expect(paths).toEqual(expect.arrayContaining(['/name', '/birthDate', '/identifiers', '/address', '/telecom', '/deceasedDate']));
    expect(paths).not.toContain('/gender');
    expect(paths).not.toContain('/race');
  });

  it('reaches into arrays with *', () => {
    expect(phiPaths('Remittance')).toEqual(
      expect.arrayContaining(['/claimPayments/*/patient/name', '/claimPayments/*/patient/memberId', '/claimPayments/*/patientControlNumber']),
    );
    expect(phiPaths('Coverage')).toEqual(expect.arrayContaining(['/memberId', '/subscriber/name', '/subscriber/birthDate']));
    expect(phiPaths('Employee')).toEqual(expect.arrayContaining(['/ssn', '/birthDate', '/name', '/residence']));
  });

  it('marks nothing on public or commercial records', () => {
    expect(phiPaths('Practitioner')).toEqual([]);
    expect(phiPaths('Organization')).toEqual([]);
    expect(phiPaths('CatalogItem')).toEqual([]);
  });

  it('hands out copies, so callers cannot change the model', () => {
    phiPaths('Patient').push('/gender');
    expect(phiPaths('Patient')).not.toContain('/gender');
  });
});

describe('EntityData types follow the schemas', () => {
  it('types a record from its schema', () => {
    const item: EntityData<'CatalogItem'> = {
      schemaVersion: '1.0.0',
      supplier: { system: 'supplier-gulf-coast', id: 'gulf-coast' },
      supplierSku: 'GCM-SYR-3ML',
      description: 'Syringe, 3 mL, luer lock, sterile',
      uom: 'BX',
    };
    // @ts-expect-error claimType is a closed code list
    const wrong: EntityData<'Claim'>['claimType'] = 'dental';
    // @ts-expect-error amounts are numbers, not strings
    const text: EntityData<'Remittance'>['paymentAmount'] = '80.72';
    expect(validateEntity('CatalogItem', item)).toEqual([]);
    expect([wrong, text]).toHaveLength(2);
  });
});
