import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildInterchangeDetailed,
  buildLoops,
  institutional837,
  parseSegments,
  professional837,
  TransactionSetCollector,
  validateInterchange,
  type InterchangeOptions,
  type TransactionSetSegments,
} from '../../connectors/x12/index.js';
import { exampleRecords } from '../../core/model/examples.js';
import { ConfigurationError, validateEntity, type EntityData } from '../../core/sdk/index.js';
import {
  claimAsCarriedBy837,
  claimFrom837,
  claimsTo837,
  INSTITUTIONAL_837_VERSION,
  PROFESSIONAL_837_VERSION,
  type Claims837Options,
  type SegmentFields,
} from './claim-837.js';

type Claim = EntityData<'Claim'>;

const CREATED = new Date(Date.UTC(2026, 10, 2, 9, 30));

const OPTIONS: Claims837Options = {
  submitter: { name: 'LONE STAR HEALTH PARTNERS', id: 'LSHP0001', contact: { name: 'BILLING DESK', phone: '512-555-0100', email: 'edi@lshp.example' } },
  receiver: { name: 'SYNTHETIC CLEARINGHOUSE', id: 'SYNTHCH' },
  createdAt: CREATED,
  batchReference: 'LSHP20261102',
};

function interchange(version: string, controlNumber = 7001): InterchangeOptions {
  let n = controlNumber;
  return {
    sender: { qualifier: 'ZZ', id: 'LSHP0001' },
    receiver: { qualifier: 'ZZ', id: 'SYNTHCH' },
    gs: { sender: 'LSHP0001', receiver: 'SYNTHCH' },
    functionalId: 'HC',
    version,
    usage: 'T',
    controlNumbers: { next: () => n++ },
    date: CREATED,
  };
}

/** Writes the sets into one interchange, reads it back, checks the envelopes, and returns its sets. */
function writeAndRead(sets: SegmentFields[][], version: string, lineBreaks = false): { text: string; sets: TransactionSetSegments[] } {
  const built = buildInterchangeDetailed({ ...interchange(version), lineBreaks }, sets);
  const segments = parseSegments(built.text);
  expect(validateInterchange(segments).problems).toEqual([]);
  const collector = new TransactionSetCollector();
  const out: TransactionSetSegments[] = [];
  for (const segment of segments) {
    const set = collector.push(segment);
    if (set) out.push(set);
  }
  return { text: built.text, sets: out };
}

function roundTrip(claims: Claim[]): Claim[] {
  const out = claimsTo837(claims, OPTIONS);
  expect(out.problems).toEqual([]);
  const back: Claim[] = [];
  for (const [kind, version] of [['professional', PROFESSIONAL_837_VERSION], ['institutional', INSTITUTIONAL_837_VERSION]] as const) {
    if (out[kind].length === 0) continue;
    for (const set of writeAndRead(out[kind], version).sets) {
      const read = claimFrom837(set);
      expect(read.problems).toEqual([]);
      back.push(...read.claims.map((c) => c.claim));
    }
  }
  return back;
}

const example = exampleRecords.Claim;

/** A second synthetic claim on the same file: a child on a parent's policy (2000C patient loop). */
const dependentClaim: Claim = {
  ...example,
  patientControlNumber: 'RFM24050700512',
  subscriber: {
    memberId: 'SHP884120554',
    relationship: 'child',
    name: { family: 'Testperson', given: ['Jordan'] },
    birthDate: '1980-07-04',
    groupNumber: 'GRP-22870',
    insuranceType: 'CI',
    payerResponsibility: 'primary',
  },
  patient: { name: { family: 'Testperson', given: ['Riley'] }, birthDate: '2015-09-21', gender: 'unknown' },
  diagnoses: [{ code: 'J06.9' }],
  serviceLines: [{ procedure: { code: '99213' }, units: 1, charge: 110, serviceDate: '2024-05-07', diagnosisPointers: [1], lineControlNumber: 'RFM512-1' }],
  totalCharge: 110,
};

describe('canonical Claim to 837P and back', () => {
  it('round-trips the example claim through a real interchange, losing only what the 837 has no place for', () => {
    const out = claimsTo837([example], OPTIONS);
    expect(out.problems).toEqual([]);
    expect(out.institutional).toEqual([]);
    expect(out.professional).toHaveLength(1);
    const { sets } = writeAndRead(out.professional, PROFESSIONAL_837_VERSION);
    expect(buildLoops(sets[0]!.segments, professional837).problems).toEqual([]);
    const read = claimFrom837(sets[0]!);
    expect(read.problems).toEqual([]);
    expect(read.claims).toHaveLength(1);
    const { claim, patientControlNumber } = read.claims[0]!;
    expect(patientControlNumber).toBe('RFM24050600481');
    expect(validateEntity('Claim', claim)).toEqual([]);

    // Not carried by an 837, so excluded explicitly: hub references (encounter, patient.record,
    // subscriber.coverage, payer.organization); the line unit basis comes back as the `UN` written.
    const { encounter: _encounter, ...rest } = example;
    const { record: _record, ...patient } = example.patient;
    const { coverage: _coverage, ...subscriber } = example.subscriber;
    expect(claim).toEqual({
      ...rest,
      patient,
      subscriber,
      payer: { name: example.payer.name, payerId: example.payer.payerId },
      serviceLines: example.serviceLines.map((line) => ({ ...line, unitType: 'UN' })),
    });
    expect(claim).toEqual(claimAsCarriedBy837(example));
  });

  it('writes the loops the 837P TR3 asks for', () => {
    const [body] = claimsTo837([example], OPTIONS).professional;
    const text = body!.map((s) => s.map((e) => (typeof e === 'string' ? e : e.join(':'))).join('*').replace(/\**$/, ''));
    expect(text).toEqual(
      expect.arrayContaining([
        'BHT*0019*00*LSHP20261102*20261102*0930*CH',
        'NM1*41*2*LONE STAR HEALTH PARTNERS*****46*LSHP0001',
        'PER*IC*BILLING DESK*TE*5125550100*EM*edi@lshp.example',
        'NM1*40*2*SYNTHETIC CLEARINGHOUSE*****46*SYNTHCH',
        'HL*1**20*1',
        'PRV*BI*PXC*207Q00000X',
        'NM1*85*2*Riverside Family Medicine PLLC*****XX*1842107330',
        'N3*2100 Riverside Dr*Suite 300',
        'N4*Austin*TX*787413318',
        'REF*EI*741234567',
        'HL*2*1*22*0',
        'SBR*P*18*GRP-22870******CI',
        'NM1*IL*1*Delgado*Marisol*Ines***MI*SHP884120553',
        'DMG*D8*19680314*F',
        'NM1*PR*2*Sunrise Health Plan*****PI*SHP01',
        'CLM*RFM24050600481*220***11:B:1*Y*A*Y*Y',
        'HI*ABK:E119*ABF:I10',
        'NM1*82*1*Okafor*Adaeze****XX*1923847564',
        'PRV*PE*PXC*207Q00000X',
        'LX*1',
        'SV1*HC:99214:25*175*UN*1***1:2',
        'DTP*472*D8*20240506',
        'REF*6R*RFM481-1',
        'SV1*HC:83036*45*UN*1***1',
      ]),
    );
  });

  // `npx vitest run plugins/clearinghouse/claim-837.test.ts -u` rewrites the fixture after a deliberate change.
  it('matches the shared fixture claim-837p.edi (two claims, one a dependent), byte for byte', async () => {
    const out = claimsTo837([example, dependentClaim], OPTIONS);
    expect(out.problems).toEqual([]);
    const { text, sets } = writeAndRead(out.professional, PROFESSIONAL_837_VERSION, true);
    await expect(text).toMatchFileSnapshot('./fixtures/claim-837p.edi');
    const read = claimFrom837(sets[0]!);
    expect(read.problems).toEqual([]);
    // Both claims under one billing provider HL; the dependent gets a 2000C patient HL.
    expect(text.match(/^HL\*\d+\*\*20\*/gm)).toHaveLength(1);
    expect(text).toMatch(/^HL\*\d+\*\d+\*23\*0~$/m);
    expect(text).toMatch(/^PAT\*19~$/m);
    expect(read.claims.map((c) => c.claim)).toEqual([claimAsCarriedBy837(example), claimAsCarriedBy837(dependentClaim)]);
  });

  it('puts claims of different billing providers under their own 2000A HL', () => {
    const other: Claim = {
      ...example,
      patientControlNumber: 'NWP0001',
      billingProvider: { npi: '1234567893', name: 'Northwest Pediatrics PA', taxId: '741234999' },
    };
    const [body] = claimsTo837([example, other, dependentClaim], OPTIONS).professional;
    const providers = body!.filter((s) => s[0] === 'HL' && s[3] === '20');
    expect(providers).toHaveLength(2);
    const back = roundTrip([example, other, dependentClaim]);
    // Grouped by provider in first-seen order: the Riverside claims first, then Northwest's.
    expect(back.map((c) => c.patientControlNumber)).toEqual(['RFM24050600481', 'RFM24050700512', 'NWP0001']);
  });

  it('splits 5,001 claims into two transaction sets of 5,000 and 1', () => {
    const claims = Array.from({ length: 5001 }, (_, i) => ({ ...example, patientControlNumber: `PCN${String(i).padStart(6, '0')}` }));
    const out = claimsTo837(claims, OPTIONS);
    expect(out.problems).toEqual([]);
    expect(out.professional).toHaveLength(2);
    const { sets } = writeAndRead(out.professional, PROFESSIONAL_837_VERSION);
    expect(sets).toHaveLength(2);
    const counts = sets.map((set) => set.segments.filter((s) => s.id === 'CLM').length);
    expect(counts).toEqual([5000, 1]);
    // Each set its own BHT03 reference, one billing provider HL each.
    expect(out.professional.map((body) => body[1]![3])).toEqual(['LSHP20261102', 'LSHP20261102-2']);
    const second = claimFrom837(sets[1]!);
    expect(second.problems).toEqual([]);
    expect(second.claims[0]!.patientControlNumber).toBe('PCN005000');
  });

  it('leaves out a claim with no billing NPI, naming the field and never a value', () => {
    const { npi: _npi, ...billingProvider } = example.billingProvider;
    const noNpi = { ...example, patientControlNumber: 'RFM-NO-NPI', billingProvider } as unknown as Claim;
    const withDelimiter: Claim = { ...example, patientControlNumber: 'RFM-DELIM', patient: { ...example.patient, name: { family: 'O*Brien' } } };
    const out = claimsTo837([example, noNpi, withDelimiter], OPTIONS);
    expect(out.problems).toEqual([
      'claims[1]: /billingProvider/npi is required',
      expect.stringMatching(/^claims\[2\]: NM103 \(NM1\*IL\) would contain an X12 delimiter character/),
    ]);
    const joined = out.problems.join('\n');
    for (const value of ['RFM-NO-NPI', 'RFM-DELIM', 'Brien', 'Delgado', 'SHP884120553']) expect(joined).not.toContain(value);
    expect(out.professional).toHaveLength(1);
    expect(out.professional[0]!.filter((s) => s[0] === 'CLM')).toHaveLength(1);
  });

  it('fills billing provider fields from billingProviderDefaults, and then accepts the claim', () => {
    const { npi: _npi, taxId: _taxId, ...billingProvider } = example.billingProvider;
    const partial = { ...example, billingProvider } as unknown as Claim;
    const out = claimsTo837([partial], { ...OPTIONS, billingProviderDefaults: { npi: '1842107330', taxId: '741234567' } });
    expect(out.problems).toEqual([]);
    expect(roundTrip([example])[0]!.billingProvider).toEqual(example.billingProvider);
  });

  it('refuses bad options at once, naming the option', () => {
    expect(() => claimsTo837([], { ...OPTIONS, receiver: { name: 'X', id: '' } })).toThrow(ConfigurationError);
    expect(() => claimsTo837([], { ...OPTIONS, receiver: { name: 'X', id: '' } })).toThrow(/receiver\.id is required/);
    expect(() => claimsTo837([], { ...OPTIONS, maxClaimsPerTransactionSet: 5001 })).toThrow(/maxClaimsPerTransactionSet/);
    expect(() => claimsTo837([], { ...OPTIONS, submitter: { ...OPTIONS.submitter, contact: { email: 'a*b@x.example' } } })).toThrow(
      /submitter\.contact\.email must not contain an X12 delimiter/,
    );
  });

  it('reports a claim without a principal diagnosis or service date by segment, without values', () => {
    const [body] = claimsTo837([example], OPTIONS).professional;
    const stripped = body!.filter((s) => s[0] !== 'HI' && !(s[0] === 'DTP' && s[1] === '472'));
    const { sets } = writeAndRead([stripped], PROFESSIONAL_837_VERSION);
    const read = claimFrom837(sets[0]!);
    expect(read.problems).toEqual([
      expect.stringMatching(/^segment \d+ \(CLM\): the claim has no HI\*ABK principal diagnosis$/),
      expect.stringMatching(/^segment \d+ \(SV1\): the service line has no DTP\*472 service date$/),
      expect.stringMatching(/^segment \d+ \(SV1\): the service line has no DTP\*472 service date$/),
    ]);
  });
});

describe('canonical Claim to 837I and back', () => {
  const inpatient: Claim = {
    schemaVersion: '1.0.0',
    claimType: 'institutional',
    patientControlNumber: 'SMH2405-00917',
    frequencyCode: '1',
    billingProvider: {
      npi: '1234567893',
      name: 'Synthetic Memorial Hospital',
      taxId: '741230001',
      taxonomyCode: '282N00000X',
      address: { line: ['900 Example Blvd'], city: 'Austin', state: 'TX', postalCode: '787010001' },
    },
    renderingProvider: { npi: '1923847564', name: 'Okafor, Adaeze' },
    referringProvider: { npi: '1245319599', name: 'Fictive, Casey' },
    payer: { name: 'Sunrise Health Plan', payerId: 'SHP01' },
    subscriber: {
      memberId: 'SHP771904237',
      relationship: 'spouse',
      name: { family: 'Sampleton', given: ['Morgan', 'Lee'], suffix: 'Jr' },
      birthDate: '1970-02-11',
      groupNumber: 'GRP-9001',
      insuranceType: 'CI',
      payerResponsibility: 'secondary',
    },
    patient: {
      name: { family: 'Sampleton', given: ['Alex'] },
      birthDate: '1972-12-01',
      gender: 'male',
      address: { line: ['12 Demo St', 'Apt 4'], city: 'Austin', state: 'TX', postalCode: '78702' },
    },
    priorAuthorization: 'AUTH-5521',
    diagnoses: [
      { code: 'K35.80', presentOnAdmission: 'Y' },
      { code: 'E119', presentOnAdmission: 'N' },
      { code: 'I10' },
    ],
    serviceLines: [
      { revenueCode: '0450', procedure: { code: '99284', modifiers: ['25'] }, units: 1, unitType: 'UN', charge: 1250.5, serviceDate: '2024-05-06', lineControlNumber: 'L1' },
      { revenueCode: '0120', units: 2, unitType: 'UN', charge: 3200, serviceDate: '2024-05-06', serviceDateEnd: '2024-05-08' },
      { revenueCode: '0250', units: 3, unitType: 'UN', charge: 89.25, serviceDate: '2024-05-07', ndc: '00093715001' },
    ],
    totalCharge: 4539.75,
    institutional: {
      typeOfBill: '111',
      statementPeriod: { start: '2024-05-06', end: '2024-05-08' },
      admissionDate: '2024-05-06T14:05:00Z',
      dischargeDate: '2024-05-08T11:30:00Z',
      admissionType: '1',
      admissionSource: '7',
      patientStatus: '01',
      admittingDiagnosis: 'R1031',
      drgCode: '343',
      attendingProvider: { npi: '1245319599', name: 'Fictive, Casey', taxonomyCode: '207R00000X' },
      operatingProvider: { npi: '1922034578', name: 'Mockington, Riley' },
    },
  };

  it('round-trips an institutional inpatient claim (spouse as subscriber, POA, admission and discharge)', () => {
    expect(validateEntity('Claim', inpatient)).toEqual([]);
    const out = claimsTo837([inpatient, example], OPTIONS);
    expect(out.problems).toEqual([]);
    expect(out.institutional).toHaveLength(1);
    expect(out.professional).toHaveLength(1);
    const { sets, text } = writeAndRead(out.institutional, INSTITUTIONAL_837_VERSION);
    expect(text).toContain('~CLM*SMH2405-00917*4539.75***11:A:1**A*Y*Y~');
    expect(text).toContain('~HI*ABK:K3580:::::::Y~HI*ABJ:R1031~HI*DR:343~HI*ABF:E119:::::::N*ABF:I10~');
    expect(text).toContain('~DTP*434*RD8*20240506-20240508~DTP*435*DT*202405061405~');
    expect(text).toContain('~SV2*0450*HC:99284:25*1250.5*UN*1~');
    expect(buildLoops(sets[0]!.segments, institutional837).problems).toEqual([]);
    const read = claimFrom837(sets[0]!);
    expect(read.problems).toEqual([]);
    const claim = read.claims[0]!.claim;
    expect(validateEntity('Claim', claim)).toEqual([]);
    // The one field it cannot carry as given: diagnosis codes lose their dot.
    expect(claim).toEqual({ ...inpatient, diagnoses: inpatient.diagnoses.map((d) => ({ ...d, code: d.code.replace('.', '') })) });
    expect(claim).toEqual(claimAsCarriedBy837(inpatient));
  });
});

// ---------------------------------------------------------------------------------------------
// Property: arbitrary valid professional claims survive canonical -> 837 -> parse -> canonical.

function npiCheckDigit(nine: string): number {
  const digits = `80840${nine}`;
  let sum = 0;
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

const digit = fc.constantFrom(...'0123456789');
const upper = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
const alnum = fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789');
const str = (chars: fc.Arbitrary<string>, min: number, max: number) => fc.array(chars, { minLength: min, maxLength: max }).map((a) => a.join(''));

const npi = fc.tuple(fc.constantFrom('1', '2'), str(digit, 8, 8)).map(([first, rest]) => `${first}${rest}${npiCheckDigit(first + rest)}`);
const icd10 = fc.tuple(upper, digit, fc.oneof(digit, upper), fc.option(str(alnum, 1, 4), { nil: undefined })).map(([a, b, c, tail]) => `${a}${b}${c}${tail ?? ''}`);
const cpt = fc.oneof(str(digit, 5, 5), fc.tuple(str(digit, 4, 4), fc.constantFrom('F', 'T')).map(([d, s]) => d + s), fc.tuple(fc.constantFrom(...'ABCGJKLQ'), str(digit, 4, 4)).map(([l, d]) => l + d));
const modifier = fc.constantFrom('25', '59', 'LT', 'RT', 'GT', '95', 'XU', '76');
const word = fc.tuple(upper, str(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), 1, 10)).map(([a, b]) => a + b);
const isoDay = fc.integer({ min: 0, max: 3650 }).map((d) => new Date(Date.UTC(2018, 0, 1) + d * 86_400_000).toISOString().slice(0, 10));
const birthDay = fc.integer({ min: 0, max: 30000 }).map((d) => new Date(Date.UTC(1930, 0, 1) + d * 86_400_000).toISOString().slice(0, 10));
const pos = fc.constantFrom('11', '02', '10', '22', '19', '81');
const gender = fc.constantFrom('male' as const, 'female' as const, 'unknown' as const);
const humanName = fc.record(
  { family: fc.oneof(word, fc.tuple(word, word).map(([a, b]) => `${a}-${b}`)), given: fc.array(word, { minLength: 1, maxLength: 3 }), suffix: fc.constantFrom('Jr', 'Sr', 'III') },
  { requiredKeys: ['family'] },
);
const address = fc.record(
  {
    line: fc.array(fc.tuple(str(digit, 1, 5), word, fc.constantFrom('St', 'Ave', 'Ln')).map((p) => p.join(' ')), { minLength: 1, maxLength: 2 }),
    city: word,
    state: fc.constantFrom('TX', 'NM', 'OK', 'CA'),
    postalCode: fc.oneof(str(digit, 5, 5), str(digit, 9, 9)),
  },
  { requiredKeys: ['line', 'city', 'state', 'postalCode'] },
);
const personProvider = fc.record({ npi, name: fc.tuple(word, word).map(([l, f]) => `${l}, ${f}`) }, { requiredKeys: ['npi'] });

const serviceLine = (diagnosisCount: number) =>
  fc
    .record(
      {
        procedure: fc.record(
          { code: cpt, modifiers: fc.array(modifier, { minLength: 1, maxLength: 4 }), description: fc.array(word, { minLength: 1, maxLength: 4 }).map((w) => w.join(' ')) },
          { requiredKeys: ['code'] },
        ),
        units: fc.oneof(fc.integer({ min: 1, max: 99 }), fc.constantFrom(0.5, 1.5, 2.25)),
        unitType: fc.constantFrom('UN' as const, 'MJ' as const),
        cents: fc.integer({ min: 0, max: 2_500_000 }),
        placeOfService: pos,
        serviceDate: isoDay,
        days: fc.integer({ min: 0, max: 30 }),
        hasEnd: fc.boolean(),
        diagnosisPointers: fc.uniqueArray(fc.integer({ min: 1, max: Math.min(diagnosisCount, 12) }), { minLength: 1, maxLength: 4 }),
        ndc: str(digit, 11, 11),
        lineControlNumber: str(alnum, 1, 20),
      },
      { requiredKeys: ['procedure', 'units', 'unitType', 'cents', 'serviceDate', 'days', 'hasEnd', 'diagnosisPointers'] },
    )
    .map(({ cents, days, hasEnd, ...line }) => ({
      ...line,
      charge: cents / 100,
      ...(hasEnd ? { serviceDateEnd: new Date(Date.parse(line.serviceDate) + days * 86_400_000).toISOString().slice(0, 10) } : {}),
    }));

const professionalClaim: fc.Arbitrary<Claim> = fc
  .record({
    diagnoses: fc.array(icd10, { minLength: 1, maxLength: 12 }),
    lineCount: fc.integer({ min: 1, max: 6 }),
  })
  .chain(({ diagnoses, lineCount }) =>
    fc.record(
      {
        claimType: fc.constant('professional' as const),
        patientControlNumber: str(alnum, 1, 20),
        frequency: fc.constantFrom('1', '7', '8'),
        originalPayerClaimControlNumber: str(alnum, 5, 15),
        billingProvider: fc.record(
          {
            npi,
            name: fc.tuple(word, fc.constantFrom('Medical Group', 'Family Medicine PLLC', 'Clinic')).map((p) => p.join(' ')),
            taxId: fc.tuple(fc.integer({ min: 1, max: 99 }), str(digit, 7, 7)).map(([a, b]) => `${String(a).padStart(2, '0')}${b}`),
            taxonomyCode: fc.constantFrom('207Q00000X', '208D00000X', '261QP2300X'),
            address,
          },
          { requiredKeys: ['npi', 'name'] },
        ),
        renderingProvider: fc.record({ npi, name: fc.tuple(word, word).map(([l, f]) => `${l}, ${f}`), taxonomyCode: fc.constantFrom('207Q00000X', '208000000X') }, { requiredKeys: ['npi'] }),
        referringProvider: personProvider,
        serviceFacility: fc.record({ name: fc.tuple(word, fc.constant('Clinic')).map((p) => p.join(' ')), npi, address }, { requiredKeys: ['name', 'address'] }),
        payer: fc.record({ name: fc.tuple(word, fc.constant('Health Plan')).map((p) => p.join(' ')), payerId: str(alnum, 2, 10) }),
        subscriberBase: fc.record({
          memberId: str(alnum, 6, 20),
          groupNumber: str(alnum, 3, 12),
          insuranceType: fc.constantFrom('CI', 'MB', 'MC', 'BL', '12', 'HM'),
          payerResponsibility: fc.constantFrom('primary' as const, 'secondary' as const, 'tertiary' as const),
        }, { requiredKeys: ['memberId', 'payerResponsibility'] }),
        relationship: fc.constantFrom('self' as const, 'spouse' as const, 'child' as const, 'other' as const),
        subscriberName: humanName,
        subscriberBirthDate: birthDay,
        patient: fc.record({ name: humanName, birthDate: birthDay, gender, address }, { requiredKeys: ['name', 'birthDate', 'gender'] }),
        placeOfService: pos,
        priorAuthorization: str(alnum, 4, 20),
        serviceLines: fc.array(serviceLine(diagnoses.length), { minLength: lineCount, maxLength: lineCount }),
      },
      { requiredKeys: ['claimType', 'patientControlNumber', 'frequency', 'originalPayerClaimControlNumber', 'billingProvider', 'payer', 'subscriberBase', 'relationship', 'subscriberName', 'subscriberBirthDate', 'patient', 'placeOfService', 'serviceLines'] },
    ).map(({ frequency, originalPayerClaimControlNumber, subscriberBase, relationship, subscriberName, subscriberBirthDate, serviceLines, ...rest }): Claim => {
      const totalCents = serviceLines.reduce((sum, line) => sum + Math.round(line.charge * 100), 0);
      return {
        schemaVersion: '1.0.0',
        ...rest,
        frequencyCode: frequency,
        // REF*F8 only where the TR3 wants it: replacements and voids.
        ...(frequency === '1' ? {} : { originalPayerClaimControlNumber }),
        subscriber: {
          ...subscriberBase,
          relationship,
          ...(relationship === 'self' ? {} : { name: subscriberName, birthDate: subscriberBirthDate }),
        },
        diagnoses: diagnoses.map((code) => ({ code })),
        serviceLines,
        totalCharge: totalCents / 100,
      };
    }),
  );

describe('property: canonical -> 837P -> parse -> canonical', () => {
  it('gives back every arbitrary valid professional claim unchanged', () => {
    fc.assert(
      fc.property(fc.array(professionalClaim, { minLength: 1, maxLength: 3 }), (claims) => {
        for (const claim of claims) expect(validateEntity('Claim', claim)).toEqual([]);
        // Distinct control numbers, as a real batch has.
        const batch = claims.map((claim, i) => ({ ...claim, patientControlNumber: `${claim.patientControlNumber.slice(0, 17)}-${i}` }));
        const back = roundTrip(batch);
        const byPcn = new Map(back.map((c) => [c.patientControlNumber, c]));
        expect(back).toHaveLength(batch.length);
        for (const claim of batch) {
          expect(byPcn.get(claim.patientControlNumber)).toEqual(claim);
          expect(claimAsCarriedBy837(claim)).toEqual(claim);
        }
      }),
      { numRuns: 200 },
    );
  });
});
