/**
 * Canonical Claims to X12 837 transaction sets and back: 837P (005010X222A1) and 837I
 * (005010X223A2/A3). Pure: claims in, transaction set bodies out (for `buildInterchangeDetailed`),
 * and one transaction set's segments in, claims out. Problems name the claim, segment and field,
 * never a value (claims are PHI).
 *
 * What an 837 cannot carry, and so does not come back from `claimFrom837`, is listed on
 * `claimAsCarriedBy837`, which reduces a claim to exactly what survives the round trip.
 */
import {
  buildLoops,
  chooseSpec,
  components,
  element,
  institutional837,
  professional837,
  splitBatches,
  type ElementValue,
  type Loop,
  type Segment,
  type TransactionSetSegments,
} from '../../connectors/x12/index.js';
import { ConfigurationError, validateEntity, type EntityData } from '../../core/sdk/index.js';

type Claim = EntityData<'Claim'>;
type ProviderRef = Claim['billingProvider'];
type ServiceLine = Claim['serviceLines'][number];
type Address = NonNullable<ProviderRef['address']>;
type HumanName = Claim['patient']['name'];
type Institutional = NonNullable<Claim['institutional']>;

/** A segment as element values: a composite is a list of components. */
export type SegmentFields = ElementValue[];

export const PROFESSIONAL_837_VERSION = '005010X222A1';
export const INSTITUTIONAL_837_VERSION = '005010X223A3';
/** The 837 TR3s' limit on claims (CLM) per transaction set. */
export const MAX_CLAIMS_PER_TRANSACTION_SET = 5000;

export interface Claims837Options {
  /** Loop 1000A: the submitter (the MSO or the practice) as the clearinghouse knows it. */
  submitter: {
    /** NM103, organization name. */
    name: string;
    /** NM109 with NM108 = 46 (ETIN the clearinghouse assigned). */
    id: string;
    /** PER: the TR3 requires one contact number; without it no PER is written. */
    contact?: { name?: string; phone?: string; email?: string };
  };
  /** Loop 1000B: the clearinghouse (NM103) and its ETIN (NM109, qualifier 46). */
  receiver: { name: string; id: string };
  /** Billing provider fields filled in where a claim leaves them out (e.g. the group's tax id and address). */
  billingProviderDefaults?: Partial<ProviderRef>;
  /** BHT04/BHT05, the batch creation date and time (UTC). @defaultValue now */
  createdAt?: Date;
  /** BHT03 of the first transaction set; the n-th set gets `-n` appended after the first. @defaultValue `HUB` + createdAt digits */
  batchReference?: string;
  /** BHT06: `CH` chargeable, `RP` reporting (encounters). @defaultValue `CH` */
  claimOrEncounter?: 'CH' | 'RP';
  /** Claims per transaction set. @defaultValue 5000 (the TR3 maximum) */
  maxClaimsPerTransactionSet?: number;
}

export interface Claims837 {
  /** 837P transaction set bodies (ST to the last 2400 loop; SE is written by the generator). */
  professional: SegmentFields[][];
  /** 837I transaction set bodies. */
  institutional: SegmentFields[][];
  /** Positions in the input of the claims each set carries, parallel to `professional` and `institutional`. */
  claimsBySet: { professional: number[][]; institutional: number[][] };
  /** `claims[i]` (position in the input) and the field at fault; those claims are left out. */
  problems: string[];
}

/**
 * Turns canonical Claims into 837P and 837I transaction set bodies, ready for
 * `buildInterchangeDetailed` (GS08 `005010X222A1` for `professional`, `005010X223A3` for
 * `institutional`: one interchange per kind). Claims sharing a billing provider sit under one
 * 2000A HL; each claim gets its own subscriber HL (2000B) and, when the patient is not the
 * subscriber, a patient HL (2000C). A claim that fails the canonical schema, lacks a payer id or
 * holds an X12 delimiter is left out with a problem naming the field.
 */
export function claimsTo837(claims: readonly Claim[], options: Claims837Options): Claims837 {
  checkOptions(options);
  const problems: string[] = [];
  const byKind: Record<Claim['claimType'], { claim: Claim; index: number }[]> = { professional: [], institutional: [] };
  claims.forEach((input, index) => {
    const claim = withDefaults(input, options.billingProviderDefaults);
    const issues = validateEntity('Claim', claim);
    if (issues.length) {
      for (const issue of issues) problems.push(`claims[${index}]: ${issue.path} ${withoutValues(issue.message)}`);
      return;
    }
    if (!claim.payer.payerId) {
      problems.push(`claims[${index}]: /payer/payerId is required by the 837 (2010BB NM109)`);
      return;
    }
    byKind[claim.claimType].push({ claim, index });
  });

  const createdAt = options.createdAt ?? new Date();
  const reference = options.batchReference ?? `HUB${stamp(createdAt).join('')}`;
  let setNumber = 0;
  const build = (kind: Claim['claimType']) => {
    const sets: SegmentFields[][] = [];
    const claimsOfSets: number[][] = [];
    for (const batch of splitBatches(byKind[kind], options.maxClaimsPerTransactionSet ?? MAX_CLAIMS_PER_TRANSACTION_SET)) {
      const bht03 = setNumber++ === 0 ? reference : `${reference}-${setNumber}`;
      const body = transactionSet(kind, batch, options, createdAt, bht03, problems);
      if (!body) continue;
      sets.push(body);
      claimsOfSets.push(batch.map((entry) => entry.index));
    }
    return { sets, claimsOfSets };
  };
  const professional = build('professional');
  const institutional = build('institutional');
  return {
    professional: professional.sets,
    institutional: institutional.sets,
    claimsBySet: { professional: professional.claimsOfSets, institutional: institutional.claimsOfSets },
    problems,
  };
}

function transactionSet(
  kind: Claim['claimType'],
  batch: { claim: Claim; index: number }[],
  options: Claims837Options,
  createdAt: Date,
  bht03: string,
  problems: string[],
): SegmentFields[] | undefined {
  const version = kind === 'professional' ? PROFESSIONAL_837_VERSION : INSTITUTIONAL_837_VERSION;
  const [date, time] = stamp(createdAt);
  const { submitter, receiver } = options;
  const contact = submitter.contact;
  const per: SegmentFields[] = [];
  if (contact && (contact.phone || contact.email)) {
    const numbers = [...(contact.phone ? ['TE', digits(contact.phone)] : []), ...(contact.email ? ['EM', contact.email] : [])];
    per.push(['PER', 'IC', contact.name ?? submitter.name, ...numbers]);
  }
  const body: SegmentFields[] = [
    ['ST', '837', '0001', version],
    // BHT01 0019 (information source, subscriber, dependent), BHT02 00 original.
    ['BHT', '0019', '00', bht03, date, time, options.claimOrEncounter ?? 'CH'],
    ['NM1', '41', '2', submitter.name, '', '', '', '', '46', submitter.id],
    ...per,
    ['NM1', '40', '2', receiver.name, '', '', '', '', '46', receiver.id],
  ];
  // Claims sharing a billing provider share its 2000A, in the order the provider first appears.
  const groups = new Map<string, { claim: Claim; index: number }[]>();
  for (const item of batch) {
    const key = JSON.stringify(billingKey(item.claim.billingProvider));
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  let hl = 0;
  let written = 0;
  for (const group of groups.values()) {
    const provider = group[0]!.claim.billingProvider;
    const providerHl = ++hl;
    const providerSegments: SegmentFields[] = [
      ['HL', String(providerHl), '', '20', '1'],
      ...(provider.taxonomyCode ? [['PRV', 'BI', 'PXC', provider.taxonomyCode]] : []),
      // 2010AA NM102 2: the billing provider is billed as an organization (a person as `Last, First`).
      ['NM1', '85', '2', provider.name ?? '', '', '', '', '', 'XX', provider.npi],
      ...addressSegments(provider.address),
      ...(provider.taxId ? [['REF', 'EI', provider.taxId]] : []),
    ];
    const claimSegments: SegmentFields[] = [];
    for (const { claim, index } of group) {
      const start = hl;
      const segments = claimHierarchy(kind, claim, providerHl, () => ++hl);
      const bad = delimiterProblem(segments);
      if (bad) {
        hl = start;
        problems.push(`claims[${index}]: ${bad} would contain an X12 delimiter character (* : ^ ~ or a line break)`);
        continue;
      }
      claimSegments.push(...segments);
    }
    if (claimSegments.length === 0) {
      hl = providerHl - 1;
      continue;
    }
    const bad = delimiterProblem(providerSegments);
    if (bad) {
      for (const { index } of group) problems.push(`claims[${index}]: billing provider ${bad} would contain an X12 delimiter character`);
      hl = providerHl - 1;
      continue;
    }
    body.push(...providerSegments, ...claimSegments);
    written++;
  }
  return written === 0 ? undefined : body;
}

/** 2000B (+ 2000C) and the claim loop for one claim. */
function claimHierarchy(kind: Claim['claimType'], claim: Claim, parentHl: number, nextHl: () => number): SegmentFields[] {
  const { subscriber, patient } = claim;
  const self = subscriber.relationship === 'self';
  const subscriberHl = nextHl();
  const out: SegmentFields[] = [
    ['HL', String(subscriberHl), String(parentHl), '22', self ? '0' : '1'],
    // SBR01 payer responsibility, SBR02 18 when the subscriber is the patient, SBR03 group, SBR09 filing indicator.
    ['SBR', RESPONSIBILITY_CODE[subscriber.payerResponsibility ?? 'primary'], self ? '18' : '', subscriber.groupNumber ?? '', '', '', '', '', '', subscriber.insuranceType ?? ''],
  ];
  if (self) {
    out.push(nameSegment('IL', patient.name, subscriber.memberId), ...addressSegments(patient.address), ...demographics(patient.birthDate, patient.gender));
  } else {
    out.push(nameSegment('IL', subscriber.name!, subscriber.memberId), ...demographics(subscriber.birthDate, undefined));
  }
  out.push(['NM1', 'PR', '2', claim.payer.name, '', '', '', '', 'PI', claim.payer.payerId!]);
  if (!self) {
    out.push(
      ['HL', String(nextHl()), String(subscriberHl), '23', '0'],
      ['PAT', RELATIONSHIP_CODE[subscriber.relationship]],
      nameSegment('QC', patient.name),
      ...addressSegments(patient.address),
      ...demographics(patient.birthDate, patient.gender),
    );
  }
  out.push(...(kind === 'professional' ? professionalClaim(claim) : institutionalClaim(claim)));
  return out;
}

function professionalClaim(claim: Claim): SegmentFields[] {
  const out: SegmentFields[] = [
    // CLM05: place of service : B (professional) : frequency; CLM06-09 signature, assignment, benefits, release.
    ['CLM', claim.patientControlNumber, money(claim.totalCharge), '', '', [claim.placeOfService!, 'B', claim.frequencyCode ?? '1'], 'Y', 'A', 'Y', 'Y'],
    ...claimReferences(claim),
    ...diagnosisSegments(claim, false),
    ...(claim.referringProvider ? [...personProvider('DN', claim.referringProvider)] : []),
    ...(claim.renderingProvider ? [...personProvider('82', claim.renderingProvider), ...taxonomy('PE', claim.renderingProvider)] : []),
    ...facility(claim),
  ];
  claim.serviceLines.forEach((line, i) => {
    out.push(
      ['LX', String(i + 1)],
      [
        'SV1',
        procedureComposite(line),
        money(line.charge),
        line.unitType ?? 'UN',
        quantity(line.units),
        line.placeOfService ?? '',
        '',
        (line.diagnosisPointers ?? []).map(String),
      ],
      ...lineDetails(line),
    );
  });
  return out;
}

function institutionalClaim(claim: Claim): SegmentFields[] {
  const inst = claim.institutional!;
  const { statementPeriod } = inst;
  const out: SegmentFields[] = [
    // 837I CLM05: facility type (type of bill digits 1-2) : A (institutional) : frequency (digit 3).
    ['CLM', claim.patientControlNumber, money(claim.totalCharge), '', '', [inst.typeOfBill.slice(0, 2), 'A', inst.typeOfBill.slice(2)], '', 'A', 'Y', 'Y'],
  ];
  if (inst.dischargeDate) out.push(['DTP', '096', 'TM', wallClock(inst.dischargeDate).slice(8)]);
  out.push(['DTP', '434', 'RD8', `${d8(statementPeriod.start)}-${d8(statementPeriod.end)}`]);
  if (inst.admissionDate) out.push(['DTP', '435', 'DT', wallClock(inst.admissionDate)]);
  if (inst.admissionType || inst.admissionSource || inst.patientStatus) {
    out.push(['CL1', inst.admissionType ?? '', inst.admissionSource ?? '', inst.patientStatus ?? '']);
  }
  out.push(
    ...claimReferences(claim),
    ...diagnosisSegments(claim, true),
    ...(inst.attendingProvider ? [...personProvider('71', inst.attendingProvider), ...taxonomy('AT', inst.attendingProvider)] : []),
    ...(inst.operatingProvider ? personProvider('72', inst.operatingProvider) : []),
    ...(claim.renderingProvider ? personProvider('82', claim.renderingProvider) : []),
    ...facility(claim),
    ...(claim.referringProvider ? personProvider('DN', claim.referringProvider) : []),
  );
  claim.serviceLines.forEach((line, i) => {
    out.push(
      ['LX', String(i + 1)],
      // SV201 revenue code, SV202 procedure, SV203 charge, SV204 unit basis, SV205 units.
      ['SV2', line.revenueCode!, line.procedure ? procedureComposite(line) : '', money(line.charge), line.unitType ?? 'UN', quantity(line.units)],
      ...lineDetails(line),
    );
  });
  return out;
}

function claimReferences(claim: Claim): SegmentFields[] {
  return [
    ...(claim.originalPayerClaimControlNumber ? [['REF', 'F8', claim.originalPayerClaimControlNumber]] : []),
    ...(claim.priorAuthorization ? [['REF', 'G1', claim.priorAuthorization]] : []),
  ];
}

/** HI: 837P ABK + up to 11 ABF; 837I ABK (with POA in HI0x-9), ABJ admitting, ABF others, DR. 12 per HI segment. */
function diagnosisSegments(claim: Claim, institutional: boolean): SegmentFields[] {
  const composites: string[][] = claim.diagnoses.map((dx, i) => {
    const qualifier = i === 0 ? 'ABK' : 'ABF';
    const code = dx.code.replace('.', '');
    return institutional && dx.presentOnAdmission ? [qualifier, code, '', '', '', '', '', '', dx.presentOnAdmission] : [qualifier, code];
  });
  const out: SegmentFields[] = [];
  const [principal, ...others] = composites;
  out.push(['HI', principal!]);
  const inst = claim.institutional;
  if (institutional && inst?.admittingDiagnosis) out.push(['HI', ['ABJ', inst.admittingDiagnosis.replace('.', '')]]);
  if (institutional) {
    // 837I order: principal, admitting, DRG, then other diagnoses (two HI of 12 at most).
    if (inst?.drgCode) out.push(['HI', ['DR', inst.drgCode]]);
    for (let i = 0; i < others.length; i += 12) out.push(['HI', ...others.slice(i, i + 12)]);
    return out;
  }
  // 837P: one HI with ABK first and the others after it (HI01-HI12).
  return [['HI', principal!, ...others]];
}

function lineDetails(line: ServiceLine): SegmentFields[] {
  const date = line.serviceDateEnd ? ['RD8', `${d8(line.serviceDate)}-${d8(line.serviceDateEnd)}`] : ['D8', d8(line.serviceDate)];
  return [
    ['DTP', '472', ...date],
    ...(line.lineControlNumber ? [['REF', '6R', line.lineControlNumber]] : []),
    // 2410: LIN03 NDC (qualifier N4); CTP04/05 the drug quantity (the line's units, as the model keeps no other).
    ...(line.ndc ? [['LIN', '', 'N4', line.ndc], ['CTP', '', '', '', quantity(line.units), ['UN']]] : []),
  ];
}

function procedureComposite(line: ServiceLine): string[] {
  const p = line.procedure!;
  const mods = p.modifiers ?? [];
  const parts = ['HC', p.code, mods[0] ?? '', mods[1] ?? '', mods[2] ?? '', mods[3] ?? '', p.description ?? ''];
  let last = parts.length;
  while (last > 2 && parts[last - 1] === '') last--;
  return parts.slice(0, last);
}

function facility(claim: Claim): SegmentFields[] {
  const f = claim.serviceFacility;
  if (!f) return [];
  return [['NM1', '77', '2', f.name, '', '', '', '', ...(f.npi ? ['XX', f.npi] : [])], ...addressSegments(f.address)];
}

/** A person provider (2310A/B/D, 2310A-F of the 837I): `Last, First` split over NM103/NM104. */
function personProvider(entity: string, provider: ProviderRef): SegmentFields[] {
  const name = provider.name ?? '';
  const comma = name.indexOf(', ');
  const [last, first] = comma === -1 ? [name, ''] : [name.slice(0, comma), name.slice(comma + 2)];
  return [['NM1', entity, '1', last, first, '', '', '', 'XX', provider.npi]];
}

function taxonomy(code: string, provider: ProviderRef): SegmentFields[] {
  return provider.taxonomyCode ? [['PRV', code, 'PXC', provider.taxonomyCode]] : [];
}

function nameSegment(entity: string, name: HumanName, memberId?: string): SegmentFields {
  const [first = '', ...middle] = name.given ?? [];
  return ['NM1', entity, '1', name.family, first, middle.join(' '), '', name.suffix ?? '', ...(memberId ? ['MI', memberId] : [])];
}

function addressSegments(address: Address | undefined): SegmentFields[] {
  if (!address) return [];
  const out: SegmentFields[] = [];
  if (address.line?.length) out.push(['N3', address.line[0]!, address.line[1] ?? '']);
  if (address.city || address.state || address.postalCode || (address.country && address.country !== 'US')) {
    // N403 digits only; N404 only outside the US.
    out.push(['N4', address.city ?? '', address.state ?? '', (address.postalCode ?? '').replace('-', ''), address.country && address.country !== 'US' ? address.country : '']);
  }
  return out;
}

function demographics(birthDate: string | undefined, gender: HumanGender | undefined): SegmentFields[] {
  if (!birthDate) return [];
  return [['DMG', 'D8', d8(birthDate), GENDER_CODE[gender ?? 'unknown']]];
}

type HumanGender = NonNullable<Claim['patient']['gender']>;

const GENDER_CODE: Record<HumanGender, string> = { male: 'M', female: 'F', other: 'U', unknown: 'U' };
const RESPONSIBILITY_CODE = { primary: 'P', secondary: 'S', tertiary: 'T' } as const;
const RELATIONSHIP_CODE = { self: '18', spouse: '01', child: '19', other: 'G8' } as const;

function billingKey(p: ProviderRef): unknown[] {
  return [p.npi, p.name, p.taxId, p.taxonomyCode, p.address?.line, p.address?.city, p.address?.state, p.address?.postalCode, p.address?.country];
}

function withDefaults(claim: Claim, defaults: Partial<ProviderRef> | undefined): Claim {
  if (!defaults) return claim;
  const billingProvider = { ...defaults, ...stripUndefined(claim.billingProvider ?? {}) } as ProviderRef;
  return { ...claim, billingProvider };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Rule messages may quote a date from the claim, e.g. `(2024-05-06)`: dropped, as PHI. */
function withoutValues(message: string): string {
  return message.replace(/\s*\(\d{4}-\d{2}-\d{2}[^)]*\)/g, '');
}

const DELIMITER = /[*:^~\n\r]/;

/** `NM103 of NM1*IL`, the first element that would hold a delimiter, or undefined. */
function delimiterProblem(segments: readonly SegmentFields[]): string | undefined {
  for (const fields of segments) {
    for (let i = 1; i < fields.length; i++) {
      const value = fields[i]!;
      const parts = typeof value === 'string' ? [value] : value;
      if (parts.some((part) => DELIMITER.test(part))) {
        return `${fields[0]}${String(i).padStart(2, '0')} (${fields[0]}${typeof fields[1] === 'string' && fields[0] !== 'CLM' && fields[0] !== 'N3' && fields[0] !== 'N4' ? `*${fields[1]}` : ''})`;
      }
    }
  }
  return undefined;
}

function checkOptions(options: Claims837Options): void {
  const problems: string[] = [];
  const party = (name: string, value: { name?: unknown; id?: unknown } | undefined) => {
    if (typeof value?.name !== 'string' || !value.name.trim()) problems.push(`${name}.name is required (NM103)`);
    if (typeof value?.id !== 'string' || !value.id.trim()) problems.push(`${name}.id is required (NM109)`);
    for (const [key, text] of Object.entries(value ?? {})) {
      if (typeof text === 'string' && DELIMITER.test(text)) problems.push(`${name}.${key} must not contain an X12 delimiter (* : ^ ~)`);
    }
  };
  party('submitter', options?.submitter);
  party('receiver', options?.receiver);
  for (const [key, text] of Object.entries(options?.submitter?.contact ?? {})) {
    if (typeof text === 'string' && DELIMITER.test(text)) problems.push(`submitter.contact.${key} must not contain an X12 delimiter (* : ^ ~)`);
  }
  const max = options?.maxClaimsPerTransactionSet;
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > MAX_CLAIMS_PER_TRANSACTION_SET)) {
    problems.push(`maxClaimsPerTransactionSet must be an integer from 1 to ${MAX_CLAIMS_PER_TRANSACTION_SET}`);
  }
  if (options?.createdAt !== undefined && Number.isNaN(options.createdAt.getTime())) problems.push('createdAt is not a valid date');
  if (problems.length) {
    throw new ConfigurationError(`claimsTo837 options: ${problems.join('; ')}`, problems.map((message) => ({ path: '/', message })));
  }
}

/** X12 R amounts: no trailing zeros needed (`125.5`, `80`). */
function money(amount: number): string {
  return String(Math.round(amount * 100) / 100);
}

function quantity(value: number): string {
  return String(value);
}

function digits(phone: string): string {
  return phone.replace(/\D/g, '');
}

function d8(date: string): string {
  return date.replaceAll('-', '');
}

/** CCYYMMDDHHMM as the timestamp's own wall clock (the facility's local time, which is what the TR3 means). */
function wallClock(dateTime: string): string {
  return `${d8(dateTime.slice(0, 10))}${dateTime.slice(11, 13)}${dateTime.slice(14, 16)}`;
}

function stamp(date: Date): [string, string] {
  const two = (n: number) => String(n).padStart(2, '0');
  return [`${date.getUTCFullYear()}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}`, `${two(date.getUTCHours())}${two(date.getUTCMinutes())}`];
}

// ---------------------------------------------------------------------------------------------
// 837 to canonical

export interface ClaimFrom837 {
  claim: Claim;
  /** CLM01, the key the 999/277CA/835 ledger matches on. */
  patientControlNumber: string;
}

export interface ClaimsFrom837 {
  claims: ClaimFrom837[];
  /** Structure problems and missing required segments, by segment number and id; never a value. */
  problems: string[];
}

export interface ClaimFrom837Options {
  /**
   * The UTC offset given to 837I admission and discharge times (DTP*435 / DTP*096 carry the
   * facility's wall clock without one). @defaultValue `Z`
   */
  utcOffset?: string;
}

/**
 * Reads the claims of one 837P or 837I transaction set (ST to SE; the spec is chosen from ST03,
 * failing that GS08). The claims are not validated here: the caller validates at `emit`.
 */
export function claimFrom837(input: readonly Segment[] | TransactionSetSegments, options: ClaimFrom837Options = {}): ClaimsFrom837 {
  const segments = Array.isArray(input) ? (input as readonly Segment[]) : (input as TransactionSetSegments).segments;
  const gs = Array.isArray(input) ? undefined : (input as TransactionSetSegments).gs;
  const st = segments[0];
  if (!st || st.id !== 'ST' || element(st, 1) !== '837') {
    return { claims: [], problems: [`segment ${st?.index ?? '?'}: not an 837 transaction set (ST01 must be 837)`] };
  }
  const spec = chooseSpec([professional837, institutional837], st, gs);
  const tree = buildLoops(segments, spec);
  const problems = tree.problems.map((p) => p.message);
  const kind: Claim['claimType'] = spec === institutional837 ? 'institutional' : 'professional';
  const claims: ClaimFrom837[] = [];
  for (const providerLoop of tree.root.loops.filter((l) => l.id === '2000A')) {
    const billingLoop = child(providerLoop, '2010AA');
    if (!billingLoop) {
      problems.push(`segment ${providerLoop.segments[0]!.index} (HL): billing provider HL has no 2010AA NM1*85`);
      continue;
    }
    const billingProvider: ProviderRef = {
      ...provider(billingLoop.segments[0]!, 'organization'),
      ...taxonomyOf(providerLoop.segments, 'BI'),
      ...optional('taxId', refOf(billingLoop.segments, 'EI')),
    };
    const address = addressOf(billingLoop.segments);
    if (address) billingProvider.address = address;
    for (const subscriberLoop of providerLoop.loops.filter((l) => l.id === '2000B')) {
      const sbr = subscriberLoop.segments.find((s) => s.id === 'SBR');
      const subscriberName = child(subscriberLoop, '2010BA');
      const payerLoop = child(subscriberLoop, '2010BB');
      const hlIndex = subscriberLoop.segments[0]!.index;
      if (!sbr || !subscriberName || !payerLoop) {
        problems.push(`segment ${hlIndex} (HL): subscriber HL needs SBR, 2010BA NM1*IL and 2010BB NM1*PR`);
        continue;
      }
      const base = { sbr, subscriberName, payerLoop, billingProvider };
      for (const claimLoop of subscriberLoop.loops.filter((l) => l.id === '2300')) {
        claims.push(readClaim(kind, claimLoop, base, undefined, options, problems));
      }
      for (const patientLoop of subscriberLoop.loops.filter((l) => l.id === '2000C')) {
        for (const claimLoop of patientLoop.loops.filter((l) => l.id === '2300')) {
          claims.push(readClaim(kind, claimLoop, base, patientLoop, options, problems));
        }
      }
    }
  }
  return { claims, problems };
}

interface SubscriberContext {
  sbr: Segment;
  subscriberName: Loop;
  payerLoop: Loop;
  billingProvider: ProviderRef;
}

function readClaim(
  kind: Claim['claimType'],
  loop: Loop,
  ctx: SubscriberContext,
  patientLoop: Loop | undefined,
  options: ClaimFrom837Options,
  problems: string[],
): ClaimFrom837 {
  const clm = loop.segments[0]!;
  const where = `segment ${clm.index} (CLM)`;
  const [facilityCode = '', , frequency = ''] = components(element(clm, 5), clm.delimiters);
  const subscriberNm1 = ctx.subscriberName.segments[0]!;
  const payerNm1 = ctx.payerLoop.segments[0]!;
  const self = patientLoop === undefined;
  const relationship = self ? 'self' : RELATIONSHIP_BY_CODE[element(patientLoop.segments.find((s) => s.id === 'PAT') ?? clm, 1)] ?? 'other';
  if (!self && !patientLoop.segments.some((s) => s.id === 'PAT')) problems.push(`segment ${patientLoop.segments[0]!.index} (HL): patient HL has no PAT`);
  const patientNameLoop = self ? ctx.subscriberName : child(patientLoop, '2010CA');
  if (!patientNameLoop) problems.push(`segment ${patientLoop!.segments[0]!.index} (HL): patient HL has no 2010CA NM1*QC`);
  const patientSegments = patientNameLoop?.segments ?? [];
  const patientDmg = patientSegments.find((s) => s.id === 'DMG');
  const subscriberDmg = ctx.subscriberName.segments.find((s) => s.id === 'DMG');

  const subscriber: Claim['subscriber'] = {
    memberId: element(subscriberNm1, 9),
    relationship,
    ...(self ? {} : { name: personName(subscriberNm1) }),
    ...optional('birthDate', !self && subscriberDmg ? isoDate(element(subscriberDmg, 2)) : undefined),
    ...optional('groupNumber', element(ctx.sbr, 3) || undefined),
    ...optional('insuranceType', element(ctx.sbr, 9) || undefined),
    payerResponsibility: RESPONSIBILITY_BY_CODE[element(ctx.sbr, 1)] ?? 'primary',
  };
  const patientAddress = addressOf(patientSegments);
  const patient: Claim['patient'] = {
    name: patientSegments[0] ? personName(patientSegments[0]) : { family: '' },
    ...optional('birthDate', patientDmg ? isoDate(element(patientDmg, 2)) : undefined),
    ...optional('gender', patientDmg ? GENDER_BY_CODE[element(patientDmg, 3)] : undefined),
    ...(patientAddress ? { address: patientAddress } : {}),
  };

  const hi = loop.segments.filter((s) => s.id === 'HI').flatMap((s) => s.elements.filter(Boolean).map((e) => components(e, s.delimiters)));
  const diagnoses: Claim['diagnoses'] = hi
    .filter(([q]) => q === 'ABK' || q === 'BK' || q === 'ABF' || q === 'BF')
    .map(([, code = '', , , , , , , poa]) => ({ code, ...(poa ? { presentOnAdmission: poa as Claim['diagnoses'][number]['presentOnAdmission'] } : {}) }));
  if (diagnoses.length === 0) problems.push(`${where}: the claim has no HI*ABK principal diagnosis`);

  const nm1 = (loopId: string) => child(loop, loopId)?.segments[0];
  const prv = (loopId: string) => child(loop, loopId)?.segments.find((s) => s.id === 'PRV');
  const renderingLoop = kind === 'professional' ? '2310B' : '2310D';
  const referringLoop = kind === 'professional' ? '2310A' : '2310F';
  const facilityLoop = child(loop, kind === 'professional' ? '2310C' : '2310E');
  const facilityNm1 = facilityLoop?.segments[0];

  const lines = loop.loops.filter((l) => l.id === '2400').map((lx) => readLine(kind, lx, problems));
  if (lines.length === 0) problems.push(`${where}: the claim has no service line (LX)`);

  const claim: Claim = {
    schemaVersion: '1.0.0',
    claimType: kind,
    patientControlNumber: element(clm, 1),
    frequencyCode: frequency || '1',
    ...optional('originalPayerClaimControlNumber', refOf(loop.segments, 'F8')),
    billingProvider: ctx.billingProvider,
    ...(nm1(renderingLoop) ? { renderingProvider: { ...provider(nm1(renderingLoop)!, 'person'), ...taxonomyFrom(prv(renderingLoop)) } } : {}),
    ...(nm1(referringLoop) ? { referringProvider: provider(nm1(referringLoop)!, 'person') } : {}),
    ...(facilityNm1
      ? {
          serviceFacility: {
            name: element(facilityNm1, 3),
            ...optional('npi', element(facilityNm1, 8) === 'XX' ? element(facilityNm1, 9) : undefined),
            address: addressOf(facilityLoop!.segments) ?? {},
          },
        }
      : {}),
    payer: { name: element(payerNm1, 3), ...optional('payerId', element(payerNm1, 9) || undefined) },
    subscriber,
    patient,
    ...(kind === 'professional' ? optional('placeOfService', facilityCode || undefined) : {}),
    ...optional('priorAuthorization', refOf(loop.segments, 'G1')),
    diagnoses,
    serviceLines: lines,
    totalCharge: amount(element(clm, 2)),
  };
  if (kind === 'institutional') claim.institutional = readInstitutional(loop, hi, facilityCode, frequency, options, where, problems);
  return { claim, patientControlNumber: claim.patientControlNumber };
}

function readInstitutional(
  loop: Loop,
  hi: string[][],
  facilityCode: string,
  frequency: string,
  options: ClaimFrom837Options,
  where: string,
  problems: string[],
): Institutional {
  const dtp = (q: string) => loop.segments.find((s) => s.id === 'DTP' && element(s, 1) === q);
  const statement = dtp('434');
  const [start = '', end = ''] = statement ? element(statement, 3).split('-') : [];
  if (!statement) problems.push(`${where}: an 837I claim needs DTP*434 (statement dates)`);
  const offset = options.utcOffset ?? 'Z';
  const admission = dtp('435');
  const discharge = dtp('096');
  const cl1 = loop.segments.find((s) => s.id === 'CL1');
  const admitting = hi.find(([q]) => q === 'ABJ' || q === 'BJ');
  const drg = hi.find(([q]) => q === 'DR');
  const nm1 = (loopId: string) => child(loop, loopId)?.segments[0];
  const attending = nm1('2310A');
  const attendingPrv = child(loop, '2310A')?.segments.find((s) => s.id === 'PRV');
  const operating = nm1('2310B');
  return {
    typeOfBill: `${facilityCode}${frequency}`,
    statementPeriod: { start: isoDate(start), end: isoDate(end || start) },
    ...optional('admissionDate', admission ? isoDateTime(element(admission, 3), offset) : undefined),
    // DTP*096 carries the discharge hour only; the date is the statement's last day.
    ...optional('dischargeDate', discharge ? isoDateTime(`${(end || start)}${element(discharge, 3)}`, offset) : undefined),
    ...optional('admissionType', cl1 ? element(cl1, 1) || undefined : undefined),
    ...optional('admissionSource', cl1 ? element(cl1, 2) || undefined : undefined),
    ...optional('patientStatus', cl1 ? element(cl1, 3) || undefined : undefined),
    ...optional('admittingDiagnosis', admitting?.[1] || undefined),
    ...optional('drgCode', drg?.[1] || undefined),
    ...(attending ? { attendingProvider: { ...provider(attending, 'person'), ...taxonomyFrom(attendingPrv) } } : {}),
    ...(operating ? { operatingProvider: provider(operating, 'person') } : {}),
  };
}

function readLine(kind: Claim['claimType'], loop: Loop, problems: string[]): ServiceLine {
  const sv = loop.segments.find((s) => s.id === (kind === 'professional' ? 'SV1' : 'SV2'));
  if (!sv) {
    problems.push(`segment ${loop.segments[0]!.index} (LX): the service line has no ${kind === 'professional' ? 'SV1' : 'SV2'}`);
    return { units: 0, charge: 0, serviceDate: '' };
  }
  const dtp = loop.segments.find((s) => s.id === 'DTP' && element(s, 1) === '472');
  const [from = '', to] = dtp ? element(dtp, 3).split('-') : [];
  if (!dtp) problems.push(`segment ${sv.index} (${sv.id}): the service line has no DTP*472 service date`);
  const lin = child(loop, '2410')?.segments[0];
  const p = kind === 'professional' ? 1 : 2;
  const procedureElement = element(sv, p);
  const unitType = element(sv, p + 2);
  const common = {
    ...(procedureElement ? { procedure: readProcedure(procedureElement, sv) } : {}),
    units: Number(element(sv, p + 3)),
    ...(unitType ? { unitType: unitType as ServiceLine['unitType'] } : {}),
    charge: amount(element(sv, p + 1)),
  };
  const dates = { serviceDate: isoDate(from), ...optional('serviceDateEnd', to ? isoDate(to) : undefined) };
  const tail = {
    ...optional('ndc', lin && element(lin, 2) === 'N4' ? element(lin, 3) : undefined),
    ...optional('lineControlNumber', refOf(loop.segments, '6R')),
  };
  if (kind === 'institutional') return { ...optional('revenueCode', element(sv, 1) || undefined), ...common, ...dates, ...tail };
  const pointers = components(element(sv, 7), sv.delimiters).filter(Boolean).map(Number);
  return {
    ...common,
    ...optional('placeOfService', element(sv, 5) || undefined),
    ...dates,
    ...(pointers.length ? { diagnosisPointers: pointers } : {}),
    ...tail,
  };
}

function readProcedure(composite: string, sv: Segment): NonNullable<ServiceLine['procedure']> {
  const [, code = '', m1, m2, m3, m4, description] = components(composite, sv.delimiters);
  const modifiers = [m1, m2, m3, m4].filter((m): m is string => !!m);
  return { code, ...(modifiers.length ? { modifiers } : {}), ...optional('description', description || undefined) };
}

function provider(nm1: Segment, kind: 'organization' | 'person'): ProviderRef {
  const last = element(nm1, 3);
  const first = element(nm1, 4);
  const name = kind === 'person' && first ? `${last}, ${first}` : last;
  return { npi: element(nm1, 8) === 'XX' ? element(nm1, 9) : '', ...optional('name', name || undefined) };
}

function taxonomyOf(segments: readonly Segment[], code: string): { taxonomyCode?: string } {
  return taxonomyFrom(segments.find((s) => s.id === 'PRV' && element(s, 1) === code));
}

function taxonomyFrom(prv: Segment | undefined): { taxonomyCode?: string } {
  return prv && element(prv, 2) === 'PXC' && element(prv, 3) ? { taxonomyCode: element(prv, 3) } : {};
}

function personName(nm1: Segment): HumanName {
  const given = [element(nm1, 4), ...element(nm1, 5).split(' ')].filter(Boolean);
  return { family: element(nm1, 3), ...(given.length ? { given } : {}), ...optional('suffix', element(nm1, 7) || undefined) };
}

function addressOf(segments: readonly Segment[]): Address | undefined {
  const n3 = segments.find((s) => s.id === 'N3');
  const n4 = segments.find((s) => s.id === 'N4');
  if (!n3 && !n4) return undefined;
  const line = n3 ? [element(n3, 1), element(n3, 2)].filter(Boolean) : [];
  return {
    ...(line.length ? { line } : {}),
    ...optional('city', n4 ? element(n4, 1) || undefined : undefined),
    ...optional('state', n4 ? element(n4, 2) || undefined : undefined),
    ...optional('postalCode', n4 ? element(n4, 3) || undefined : undefined),
    ...optional('country', n4 ? element(n4, 4) || undefined : undefined),
  };
}

function refOf(segments: readonly Segment[], qualifier: string): string | undefined {
  const ref = segments.find((s) => s.id === 'REF' && element(s, 1) === qualifier);
  return ref ? element(ref, 2) || undefined : undefined;
}

function child(loop: Loop, id: string): Loop | undefined {
  return loop.loops.find((l) => l.id === id);
}

const GENDER_BY_CODE: Record<string, HumanGender> = { M: 'male', F: 'female', U: 'unknown' };
const RESPONSIBILITY_BY_CODE: Record<string, 'primary' | 'secondary' | 'tertiary'> = { P: 'primary', S: 'secondary', T: 'tertiary' };
const RELATIONSHIP_BY_CODE: Record<string, Claim['subscriber']['relationship']> = { '18': 'self', '01': 'spouse', '19': 'child', G8: 'other' };

/** CCYYMMDD to YYYY-MM-DD; anything else passes through for the schema to reject by name. */
function isoDate(value: string): string {
  return /^\d{8}$/.test(value) ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}` : value;
}

/** CCYYMMDDHHMM (or a YYYY-MM-DD date + HHMM) to an RFC 3339 timestamp with the given offset. */
function isoDateTime(value: string, offset: string): string {
  const compact = value.replaceAll('-', '');
  if (!/^\d{12}$/.test(compact)) return value;
  return `${isoDate(compact.slice(0, 8))}T${compact.slice(8, 10)}:${compact.slice(10, 12)}:00${offset}`;
}

function amount(value: string): number {
  const n = Number(value);
  return Number.isFinite(n) ? Math.round(n * 100) / 100 : Number.NaN;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

// ---------------------------------------------------------------------------------------------
// What survives the round trip

/**
 * The claim as an 837 carries it: what `claimFrom837(claimsTo837([claim]))` gives back. Left out,
 * because the 837 has no place for them (or the hub does not write them):
 * - `schemaVersion` is always the reader's; `encounter`, every `record`/`coverage`/`location`/
 *   `organization` reference (hub links, not X12 data);
 * - names: `prefix`, `use`; given names are NM104 + NM105 (the middle names joined by spaces), so
 *   a middle name holding a space comes back as two; a provider `name` of a person is `Last, First` (NM103, NM104);
 * - addresses: `use`, lines 3-4, `country` `US` (N404 is only for other countries), a hyphen in the
 *   ZIP code (N403 is digits);
 * - gender `other` is written U and comes back `unknown`;
 * - diagnosis codes lose their dot (HI wants none); 837P has no present-on-admission indicator;
 * - the rendering/referring/attending/operating providers' `taxId` and `address` (those loops have
 *   no REF*EI or N3/N4), the referring and operating providers' `taxonomyCode`;
 * - with `relationship` `self`, `subscriber.name` and `subscriber.birthDate` (the patient's are
 *   written); the subscriber's gender is not in the model;
 * - 837I: `placeOfService` (CLM05-1 is the facility type), line `placeOfService` and
 *   `diagnosisPointers` (the 837I has no SV105/SV107), `frequencyCode` (it is the type of bill's
 *   last digit), admission/discharge seconds and UTC offset (DTP*435 DT is the wall clock;
 *   DTP*096 is the discharge hour, its date the statement's last day).
 * Defaults the reader fills in: `frequencyCode` `1`, `payerResponsibility` `primary`, `unitType` `UN`.
 */
export function claimAsCarriedBy837(claim: Claim): Claim {
  const institutional = claim.claimType === 'institutional';
  const name = (n: HumanName): HumanName => {
    const [first, ...middle] = n.given ?? [];
    const given = [first, ...middle.flatMap((g) => g.split(' '))].filter((g): g is string => !!g);
    return { family: n.family, ...(given.length ? { given } : {}), ...optional('suffix', n.suffix) };
  };
  const address = (a: Address | undefined): Address | undefined => {
    if (!a) return undefined;
    const line = a.line?.slice(0, 2);
    const out: Address = {
      ...(line?.length ? { line } : {}),
      ...optional('city', a.city),
      ...optional('state', a.state),
      ...optional('postalCode', a.postalCode?.replace('-', '')),
      ...optional('country', a.country && a.country !== 'US' ? a.country : undefined),
    };
    return Object.keys(out).length ? out : undefined;
  };
  const person = (p: ProviderRef, keepTaxonomy: boolean): ProviderRef => ({
    npi: p.npi,
    ...optional('name', p.name),
    ...(keepTaxonomy ? optional('taxonomyCode', p.taxonomyCode) : {}),
  });
  const billing = claim.billingProvider;
  const billingAddress = address(billing.address);
  const self = claim.subscriber.relationship === 'self';
  const patientAddress = address(claim.patient.address);
  const inst = claim.institutional;
  const gender = claim.patient.gender === 'other' ? 'unknown' : claim.patient.gender;
  return {
    schemaVersion: '1.0.0',
    claimType: claim.claimType,
    patientControlNumber: claim.patientControlNumber,
    frequencyCode: institutional && inst ? inst.typeOfBill.slice(2) : claim.frequencyCode ?? '1',
    ...optional('originalPayerClaimControlNumber', claim.originalPayerClaimControlNumber),
    billingProvider: {
      npi: billing.npi,
      ...optional('name', billing.name),
      ...optional('taxId', billing.taxId),
      ...optional('taxonomyCode', billing.taxonomyCode),
      ...(billingAddress ? { address: billingAddress } : {}),
    },
    ...(claim.renderingProvider ? { renderingProvider: person(claim.renderingProvider, !institutional) } : {}),
    ...(claim.referringProvider ? { referringProvider: person(claim.referringProvider, false) } : {}),
    ...(claim.serviceFacility
      ? { serviceFacility: { name: claim.serviceFacility.name, ...optional('npi', claim.serviceFacility.npi), address: address(claim.serviceFacility.address) ?? {} } }
      : {}),
    payer: { name: claim.payer.name, ...optional('payerId', claim.payer.payerId) },
    subscriber: {
      memberId: claim.subscriber.memberId,
      relationship: claim.subscriber.relationship,
      ...(!self && claim.subscriber.name ? { name: name(claim.subscriber.name) } : {}),
      ...(!self ? optional('birthDate', claim.subscriber.birthDate) : {}),
      ...optional('groupNumber', claim.subscriber.groupNumber),
      ...optional('insuranceType', claim.subscriber.insuranceType),
      payerResponsibility: claim.subscriber.payerResponsibility ?? 'primary',
    },
    patient: {
      name: name(claim.patient.name),
      ...optional('birthDate', claim.patient.birthDate),
      ...(claim.patient.birthDate ? optional('gender', gender ?? 'unknown') : {}),
      ...(patientAddress ? { address: patientAddress } : {}),
    },
    ...(!institutional ? optional('placeOfService', claim.placeOfService) : {}),
    ...optional('priorAuthorization', claim.priorAuthorization),
    diagnoses: claim.diagnoses.map((dx) => ({
      code: dx.code.replace('.', ''),
      ...(institutional ? optional('presentOnAdmission', dx.presentOnAdmission) : {}),
    })),
    serviceLines: claim.serviceLines.map((line) => ({
      ...(institutional ? optional('revenueCode', line.revenueCode) : {}),
      ...(line.procedure
        ? {
            procedure: {
              code: line.procedure.code,
              ...(line.procedure.modifiers?.length ? { modifiers: line.procedure.modifiers } : {}),
              ...optional('description', line.procedure.description),
            },
          }
        : {}),
      units: line.units,
      unitType: line.unitType ?? 'UN',
      charge: line.charge,
      ...(!institutional ? optional('placeOfService', line.placeOfService) : {}),
      serviceDate: line.serviceDate,
      ...optional('serviceDateEnd', line.serviceDateEnd),
      ...(!institutional ? optional('diagnosisPointers', line.diagnosisPointers) : {}),
      ...optional('ndc', line.ndc),
      ...optional('lineControlNumber', line.lineControlNumber),
    })),
    totalCharge: claim.totalCharge,
    ...(inst
      ? {
          institutional: {
            typeOfBill: inst.typeOfBill,
            statementPeriod: { start: inst.statementPeriod.start, end: inst.statementPeriod.end },
            ...optional('admissionDate', inst.admissionDate ? `${inst.admissionDate.slice(0, 16)}:00Z` : undefined),
            ...optional('dischargeDate', inst.dischargeDate ? `${inst.statementPeriod.end}T${inst.dischargeDate.slice(11, 16)}:00Z` : undefined),
            ...optional('admissionType', inst.admissionType),
            ...optional('admissionSource', inst.admissionSource),
            ...optional('patientStatus', inst.patientStatus),
            ...optional('admittingDiagnosis', inst.admittingDiagnosis?.replace('.', '')),
            ...optional('drgCode', inst.drgCode),
            ...(inst.attendingProvider ? { attendingProvider: person(inst.attendingProvider, true) } : {}),
            ...(inst.operatingProvider ? { operatingProvider: person(inst.operatingProvider, false) } : {}),
          },
        }
      : {}),
  };
}
