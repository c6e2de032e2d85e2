/**
 * A deterministic synthetic Bulk Data export for the fhir bench: one NDJSON file per resource type,
 * shaped like a Synthea / US Core export (synthetic people only, every name, number and address
 * invented). Proportions follow what a primary-care practice's EHR holds: per patient about one
 * Coverage (one in five has a secondary), four encounters and a professional claim per encounter,
 * with a practitioner per 40 patients, a clinic location per 200 and a provider organization per
 * 400, plus a handful of payers. References agree: encounters name their patient, practitioner
 * (by NPI, as bulk exports write conditional references), location and organization; a coverage
 * names its patient and payer; a claim names its encounter, provider, practitioner and payer, and
 * carries its patient and coverage as contained resources, since an NDJSON line has no bundle to
 * resolve them in.
 *
 * Files are written line by line, so generating a million resources takes no more memory than ten.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

/** The order a bulk export lists them: targets before what points at them. */
export const EXPORT_TYPES = ['Organization', 'Location', 'Practitioner', 'Patient', 'Coverage', 'Encounter', 'Claim'] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];

export interface GeneratedExport {
  dir: string;
  files: { type: ExportType; path: string; count: number; bytes: number }[];
  total: number;
}

/** The MRN system the bench connector is configured with. */
export const MRN_SYSTEM = 'http://hospital.smarthealthit.org';
export const MEMBER_ID_SYSTEM = 'https://payers.example/member-id';
const NPI = 'http://hl7.org/fhir/sid/us-npi';
const SYNTHEA = 'https://github.com/synthetichealth/synthea';
const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const POS = 'https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set';

const ENCOUNTERS_PER_PATIENT = 4;
const PATIENTS_PER_PRACTITIONER = 40;
const PATIENTS_PER_LOCATION = 200;
const PATIENTS_PER_ORGANIZATION = 400;
const PAYERS = ['Sunrise Health Plan', 'Prairie Mutual', 'Lakeside Care Alliance', 'Medicare Part B', 'Medicaid (state plan)', 'Keystone Benefits', 'Harbor Point Insurance', 'Summit PPO'];
/** Resources per patient, all types together, for sizing: 1 + 1.2 + 4 + 4 + the shared ones. */
const PER_PATIENT = 1 + 1.2 + 2 * ENCOUNTERS_PER_PATIENT + 1 / PATIENTS_PER_PRACTITIONER + 1 / PATIENTS_PER_LOCATION + 1 / PATIENTS_PER_ORGANIZATION;

const FAMILY = ['Rivera', 'Okafor', 'Nguyen', 'Schmidt', 'Haddad', 'Kowalski', 'Tanaka', 'Silva', 'Moreau', 'Johansson', 'Larue', 'Medhurst', 'Kunze', 'Hoeger', 'Conn', 'Kreiger'];
const GIVEN_F = ['Ana', 'Linh', 'Layla', 'Yuki', 'Claire', 'Sofia', 'Sumiko', 'Karisa', 'Liz', 'Maren'];
const GIVEN_M = ['Chidi', 'Jonas', 'Piotr', 'Mateus', 'Erik', 'Omar', 'Adolph', 'Buster', 'Clemente', 'Tomas'];
const STREETS = ['Main St', 'Oak Ave', 'Lincoln St', 'Ross Pkwy', 'Riverside Dr', 'Mill Rd', 'Elm St', 'Cedar Ln'];
const CITIES = [
  ['Wichita', 'KS', '67211'],
  ['Olathe', 'KS', '66061'],
  ['Springfield', 'IL', '62701'],
  ['Riverside', 'CA', '92501'],
  ['Franklin', 'TN', '37064'],
  ['Austin', 'TX', '78741'],
] as const;
const VISITS = [
  ['185349003', 'Encounter for check up (procedure)', '99213', 95, 'Z00.00'],
  ['185347001', 'Encounter for problem', '99214', 140, 'I10'],
  ['410620009', 'Well child visit (procedure)', '99392', 120, 'Z00.129'],
  ['390906007', 'Follow-up encounter (procedure)', '99213', 95, 'E11.9'],
  ['162673000', 'General examination of patient (procedure)', '99396', 180, 'Z00.01'],
] as const;
const LABS = [
  ['83036', 45],
  ['80053', 38],
  ['85025', 22],
  ['36415', 12],
] as const;

/** Mulberry32: small, fast and the same numbers on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deterministic, UUID-shaped id (version 4 layout, not random). */
function uuidOf(kind: number, n: number): string {
  const hex = (v: number, len: number) => (v >>> 0).toString(16).padStart(len, '0').slice(-len);
  const mix = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b) ^ kind;
  return `${hex(mix, 8)}-${hex(kind * 0x1f1f + (n >>> 16), 4)}-4${hex(n, 3)}-a${hex(mix >>> 8, 3)}-${hex(kind, 4)}${hex(n, 8)}`;
}

/**
 * A 10-digit NPI with its Luhn check digit (over the 80840 prefix). NPPES only issues numbers
 * starting with 1 or 2; these sit in a 19… range kept for synthetic data here, like Synthea's 9999….
 */
export function npi(n: number): string {
  const base = `19${String(n % 10_000_000).padStart(7, '0')}`;
  const digits = `80840${base}`;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return `${base}${(10 - (sum % 10)) % 10}`;
}

const pick = <T>(list: readonly T[], n: number): T => list[n % list.length]!;
const pad = (n: number, len = 2) => String(n).padStart(len, '0');

function address(n: number) {
  const [city, state, postalCode] = pick(CITIES, n);
  return { line: [`${100 + (n % 8900)} ${pick(STREETS, n >> 3)}`], city, state, postalCode, country: 'US' };
}

function organization(n: number) {
  return {
    resourceType: 'Organization',
    id: uuidOf(1, n),
    meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-organization'] },
    identifier: [
      { system: SYNTHEA, value: uuidOf(1, n) },
      { system: NPI, value: npi(1_000_000 + n) },
    ],
    active: true,
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'prov', display: 'Healthcare Provider' }], text: 'Healthcare Provider' }],
    name: `${pick(FAMILY, n)} Family Medicine ${n + 1}`,
    telecom: [{ system: 'phone', value: `316555${pad(n % 10_000, 4)}` }],
    address: [address(n)],
  };
}

function payer(n: number) {
  return {
    resourceType: 'Organization',
    id: `payer-${n + 1}`,
    identifier: [{ system: 'https://payers.example/payer-id', value: `PAY${pad(n + 1, 5)}` }],
    active: true,
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'ins', display: 'Insurance Company' }] }],
    name: PAYERS[n]!,
    address: [address(n + 7)],
  };
}

function location(n: number, organizations: number) {
  const org = n % organizations;
  return {
    resourceType: 'Location',
    id: uuidOf(2, n),
    meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-location'] },
    identifier: [{ system: SYNTHEA, value: uuidOf(2, n) }],
    status: 'active',
    name: `${pick(FAMILY, org)} Clinic ${n + 1}`,
    telecom: [{ system: 'phone', value: `316866${pad(n % 10_000, 4)}` }],
    address: address(n * 3),
    position: { longitude: -97.29 + (n % 100) / 1000, latitude: 37.64 + (n % 97) / 1000 },
    managingOrganization: { reference: `Organization/${uuidOf(1, org)}`, display: `${pick(FAMILY, org)} Family Medicine ${org + 1}` },
  };
}

function practitioner(n: number) {
  const female = n % 2 === 0;
  const given = pick(female ? GIVEN_F : GIVEN_M, n);
  const family = pick(FAMILY, n * 5 + 1);
  return {
    resourceType: 'Practitioner',
    id: uuidOf(3, n),
    meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner'] },
    identifier: [{ system: NPI, value: npi(n) }],
    active: true,
    name: [{ family, given: [given], prefix: ['Dr.'] }],
    telecom: [{ system: 'email', value: `${given}.${family}${n}@example.com`, use: 'work' }],
    address: [address(n * 11)],
    gender: female ? 'female' : 'male',
  };
}

function patientName(n: number) {
  const female = n % 2 === 0;
  return { female, family: pick(FAMILY, n * 7 + 3), given: pick(female ? GIVEN_F : GIVEN_M, n * 3) };
}

function birthDate(n: number): string {
  return `${1935 + (n % 85)}-${pad((n % 12) + 1)}-${pad((n % 28) + 1)}`;
}

function patient(n: number) {
  const { female, family, given } = patientName(n);
  const id = uuidOf(4, n);
  return {
    resourceType: 'Patient',
    id,
    meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient'] },
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">Generated by the hub's bench. Person seed: ${n}</div>` },
    extension: [
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
        extension: [
          { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: n % 3 === 0 ? '2054-5' : '2106-3', display: n % 3 === 0 ? 'Black or African American' : 'White' } },
          { url: 'text', valueString: n % 3 === 0 ? 'Black or African American' : 'White' },
        ],
      },
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity',
        extension: [
          { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: n % 5 === 0 ? '2135-2' : '2186-5', display: n % 5 === 0 ? 'Hispanic or Latino' : 'Not Hispanic or Latino' } },
          { url: 'text', valueString: n % 5 === 0 ? 'Hispanic or Latino' : 'Not Hispanic or Latino' },
        ],
      },
      { url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: female ? 'F' : 'M' },
    ],
    identifier: [
      { system: SYNTHEA, value: id },
      { type: { coding: [{ system: V2_0203, code: 'MR', display: 'Medical Record Number' }], text: 'Medical Record Number' }, system: MRN_SYSTEM, value: id },
      { type: { coding: [{ system: V2_0203, code: 'SS', display: 'Social Security Number' }], text: 'Social Security Number' }, system: 'http://hl7.org/fhir/sid/us-ssn', value: `999-${pad(n % 100)}-${pad(n % 10_000, 4)}` },
      { type: { coding: [{ system: V2_0203, code: 'DL', display: "Driver's license number" }], text: "Driver's license number" }, system: 'urn:oid:2.16.840.1.113883.4.3.25', value: `S99${pad(n % 1_000_000, 6)}` },
    ],
    name: [{ use: 'official', family, given: [given], prefix: [female ? 'Ms.' : 'Mr.'] }],
    telecom: [{ system: 'phone', value: `555-01${pad(n % 100)}`, use: 'home' }],
    gender: female ? 'female' : 'male',
    birthDate: birthDate(n),
    address: [address(n)],
    maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: n % 2 ? 'M' : 'S' }], text: n % 2 ? 'M' : 'S' },
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: n % 4 === 0 ? 'es' : 'en-US' }] } }],
  };
}

function memberId(n: number, order: number): string {
  return `M${pad(n, 9)}${order}`;
}

function coverage(n: number, order: 1 | 2, payerIndex: number) {
  const payerName = PAYERS[payerIndex]!;
  return {
    resourceType: 'Coverage',
    id: uuidOf(5, n * 2 + order),
    identifier: [{ type: { coding: [{ system: V2_0203, code: 'MB' }] }, system: MEMBER_ID_SYSTEM, value: memberId(n, order) }],
    status: 'active',
    subscriberId: memberId(n, order),
    beneficiary: { reference: `Patient/${uuidOf(4, n)}` },
    relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }] },
    period: { start: '2024-01-01', end: '2024-12-31' },
    payor: [{ reference: `Organization/payer-${payerIndex + 1}`, display: payerName }],
    class: [
      { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code: 'group' }] }, value: `GRP-${pad(n % 50_000, 5)}`, name: 'Employer group' },
      { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code: 'plan' }] }, value: 'CPPO', name: `${payerName} Choice PPO` },
    ],
    order,
  };
}

interface Shared {
  organizations: number;
  locations: number;
  practitioners: number;
}

function visitOf(p: number, e: number, rand: () => number) {
  const visit = pick(VISITS, p * 3 + e);
  const day = Math.floor(rand() * 365);
  const start = new Date(Date.UTC(2024, 0, 1, 13 + (day % 6), (day * 7) % 60) + day * 86_400_000);
  const end = new Date(start.getTime() + 20 * 60_000);
  return { visit, start, end };
}

function encounter(p: number, e: number, shared: Shared, when: ReturnType<typeof visitOf>) {
  const id = uuidOf(6, p * ENCOUNTERS_PER_PATIENT + e);
  const prac = (p + e) % shared.practitioners;
  const loc = p % shared.locations;
  const org = loc % shared.organizations;
  const { visit, start, end } = when;
  const period = { start: start.toISOString().replace('.000Z', '-05:00'), end: end.toISOString().replace('.000Z', '-05:00') };
  return {
    resourceType: 'Encounter',
    id,
    meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-encounter'] },
    identifier: [{ use: 'official', system: SYNTHEA, value: id }],
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    type: [{ coding: [{ system: 'http://snomed.info/sct', code: visit[0], display: visit[1] }], text: visit[1] }],
    subject: { reference: `Patient/${uuidOf(4, p)}` },
    participant: [
      {
        type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PPRF', display: 'primary performer' }], text: 'primary performer' }],
        period,
        individual: { reference: `Practitioner?identifier=${NPI}|${npi(prac)}` },
      },
    ],
    period,
    location: [{ location: { reference: `Location?identifier=${SYNTHEA}|${uuidOf(2, loc)}` } }],
    serviceProvider: { reference: `Organization?identifier=${SYNTHEA}|${uuidOf(1, org)}` },
  };
}

function claim(p: number, e: number, shared: Shared, when: ReturnType<typeof visitOf>, payerIndex: number, rand: () => number) {
  const n = p * ENCOUNTERS_PER_PATIENT + e;
  const { female, family, given } = patientName(p);
  const prac = (p + e) % shared.practitioners;
  const org = (p % shared.locations) % shared.organizations;
  const { visit, start } = when;
  const date = start.toISOString().slice(0, 10);
  const lab = rand() < 0.4 ? pick(LABS, n) : undefined;
  const items = [
    { code: visit[2], charge: visit[3], diagnoses: [1] },
    ...(lab ? [{ code: lab[0], charge: lab[1], diagnoses: [1, 2] }] : []),
  ];
  const total = items.reduce((sum, item) => sum + item.charge, 0);
  return {
    resourceType: 'Claim',
    id: uuidOf(7, n),
    contained: [
      {
        resourceType: 'Patient',
        id: 'patient',
        identifier: [{ system: MRN_SYSTEM, value: uuidOf(4, p) }],
        name: [{ use: 'official', family, given: [given] }],
        gender: female ? 'female' : 'male',
        birthDate: birthDate(p),
        address: [address(p)],
      },
      {
        resourceType: 'Coverage',
        id: 'coverage',
        status: 'active',
        subscriberId: memberId(p, 1),
        beneficiary: { reference: '#patient' },
        relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }] },
        payor: [{ reference: `Organization/payer-${payerIndex + 1}`, display: PAYERS[payerIndex] }],
        class: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code: 'group' }] }, value: `GRP-${pad(p % 50_000, 5)}` }],
        order: 1,
      },
    ],
    identifier: [{ system: 'https://practice.example/patient-account', value: `PA${pad(n, 10)}` }],
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
    use: 'claim',
    patient: { reference: '#patient' },
    billablePeriod: { start: date, end: date },
    created: `${date}T18:00:00-05:00`,
    insurer: { reference: `Organization/payer-${payerIndex + 1}`, display: PAYERS[payerIndex] },
    provider: { reference: `Organization/${uuidOf(1, org)}`, identifier: { system: NPI, value: npi(1_000_000 + org) }, display: `${pick(FAMILY, org)} Family Medicine ${org + 1}` },
    priority: { coding: [{ code: 'normal' }] },
    careTeam: [
      {
        sequence: 1,
        provider: { reference: `Practitioner/${uuidOf(3, prac)}`, identifier: { system: NPI, value: npi(prac) } },
        role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claimcareteamrole', code: 'primary' }] },
        qualification: { coding: [{ system: 'http://nucc.org/provider-taxonomy', code: '207Q00000X' }] },
      },
    ],
    diagnosis: [
      { sequence: 1, diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: visit[4] }] } },
      { sequence: 2, diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E78.5' }] } },
    ],
    insurance: [{ sequence: 1, focal: true, coverage: { reference: '#coverage' } }],
    item: items.map((item, i) => ({
      sequence: i + 1,
      careTeamSequence: [1],
      diagnosisSequence: item.diagnoses,
      productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: item.code }] },
      servicedDate: date,
      locationCodeableConcept: { coding: [{ system: POS, code: '11', display: 'Office' }] },
      quantity: { value: 1 },
      unitPrice: { value: item.charge, currency: 'USD' },
      net: { value: item.charge, currency: 'USD' },
      encounter: [{ reference: `Encounter/${uuidOf(6, n)}` }],
    })),
    total: { value: total, currency: 'USD' },
  };
}

class NdjsonFile {
  readonly out: WriteStream;
  count = 0;
  bytes = 0;
  constructor(readonly type: ExportType, readonly path: string) {
    this.out = createWriteStream(path);
  }
  async write(resource: object): Promise<void> {
    const line = `${JSON.stringify(resource)}\n`;
    this.count++;
    this.bytes += Buffer.byteLength(line);
    if (!this.out.write(line)) await once(this.out, 'drain');
  }
  async close(): Promise<void> {
    this.out.end();
    await once(this.out, 'finish');
  }
}

/**
 * Writes an export of at least `resources` resources into `dir`, the same files for the same
 * count on every run.
 */
export async function generateExport(dir: string, resources: number): Promise<GeneratedExport> {
  const patients = Math.max(PATIENTS_PER_ORGANIZATION, Math.ceil((resources - PAYERS.length) / PER_PATIENT));
  const shared: Shared = {
    organizations: Math.ceil(patients / PATIENTS_PER_ORGANIZATION),
    locations: Math.ceil(patients / PATIENTS_PER_LOCATION),
    practitioners: Math.ceil(patients / PATIENTS_PER_PRACTITIONER),
  };
  const files = Object.fromEntries(EXPORT_TYPES.map((type) => [type, new NdjsonFile(type, join(dir, `${type}.000.ndjson`))])) as Record<ExportType, NdjsonFile>;
  try {
    for (let i = 0; i < PAYERS.length; i++) await files.Organization.write(payer(i));
    for (let i = 0; i < shared.organizations; i++) await files.Organization.write(organization(i));
    for (let i = 0; i < shared.locations; i++) await files.Location.write(location(i, shared.organizations));
    for (let i = 0; i < shared.practitioners; i++) await files.Practitioner.write(practitioner(i));
    const rand = random(0x5eed);
    let total = PAYERS.length + shared.organizations + shared.locations + shared.practitioners;
    for (let p = 0; p < patients && total < resources; p++) {
      await files.Patient.write(patient(p));
      const payerIndex = p % PAYERS.length;
      await files.Coverage.write(coverage(p, 1, payerIndex));
      total += 2;
      if (p % 5 === 4) {
        await files.Coverage.write(coverage(p, 2, (payerIndex + 3) % PAYERS.length));
        total++;
      }
      for (let e = 0; e < ENCOUNTERS_PER_PATIENT; e++) {
        const when = visitOf(p, e, rand);
        await files.Encounter.write(encounter(p, e, shared, when));
        await files.Claim.write(claim(p, e, shared, when, payerIndex, rand));
        total += 2;
      }
    }
  } finally {
    await Promise.all(EXPORT_TYPES.map((type) => files[type].close()));
  }
  const list = EXPORT_TYPES.map((type) => ({ type, path: files[type].path, count: files[type].count, bytes: files[type].bytes }));
  return { dir, files: list, total: list.reduce((sum, f) => sum + f.count, 0) };
}
