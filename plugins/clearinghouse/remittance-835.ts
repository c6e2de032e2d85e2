/**
 * 835 Health Care Claim Payment/Advice (005010X221A1) to the canonical Remittance. Pure: one
 * transaction set's loop tree in, one record (or the reasons it cannot be one) out.
 */
import { buildLoops, components, element, remittance835, type Loop, type Segment } from '../../connectors/x12/index.js';
import type { EntityData } from '../../core/sdk/index.js';

type Remittance = EntityData<'Remittance'>;
type ClaimPayment = Remittance['claimPayments'][number];
type LinePayment = NonNullable<ClaimPayment['serviceLinePayments']>[number];
type Adjustment = NonNullable<ClaimPayment['adjustments']>[number];
type ProviderAdjustment = NonNullable<Remittance['providerAdjustments']>[number];

export interface MappedRemittance {
  /** Absent when the transaction set cannot become a Remittance at all. */
  remittance?: Remittance;
  /** The reassociation key: payer id (TRN03) + trace number (TRN02). */
  externalId?: string;
  /**
   * What is wrong, by segment number and id, never quoting values: a total that does not balance
   * is reported here (and the model's balancing rules reject the record), never accepted silently.
   */
  problems: string[];
}

const CENTS = 100;

/** Maps the segments of one 835 transaction set (ST to SE). */
export function mapRemittance835(segments: readonly Segment[]): MappedRemittance {
  const tree = buildLoops(segments, remittance835);
  const problems = tree.problems.map((p) => p.message);
  const root = tree.root;
  const bpr = first(root.segments, 'BPR');
  const trn = first(root.segments, 'TRN');
  if (!bpr || !trn) {
    problems.push(`transaction set at segment ${segments[0]?.index ?? '?'}: an 835 needs BPR and TRN`);
    return { problems };
  }
  const payerLoop = root.loops.find((l) => l.id === '1000A');
  const payeeLoop = root.loops.find((l) => l.id === '1000B');
  const payerN1 = payerLoop?.segments[0];
  const payeeN1 = payeeLoop?.segments[0];
  // 835 TRN03: payer identifier (1 + EIN, or the payer's own id); REF*2U overrides when present.
  const payerId = refValue(payerLoop, '2U') ?? (element(trn, 3) || undefined);

  const claimPayments = root.loops.filter((l) => l.id === '2000').flatMap((lx) => lx.loops.filter((l) => l.id === '2100').map(mapClaim));
  const providerAdjustments = root.segments.filter((s) => s.id === 'PLB').flatMap(mapPlb);

  const remittance: Remittance = {
    schemaVersion: '1.0.0',
    payer: { name: payerN1 ? element(payerN1, 2) : '', ...(payerId ? { payerId } : {}) },
    payee: {
      name: payeeN1 ? element(payeeN1, 2) : '',
      // 835 N1*PE N103: XX = NPI, FI = federal tax id.
      ...(payeeN1 && element(payeeN1, 3) === 'XX' ? { npi: element(payeeN1, 4) } : {}),
      ...(payeeN1 && element(payeeN1, 3) === 'FI' ? { taxId: element(payeeN1, 4) } : {}),
      ...(!(payeeN1 && element(payeeN1, 3) === 'FI') && refValue(payeeLoop, 'TJ') ? { taxId: refValue(payeeLoop, 'TJ')! } : {}),
    },
    paymentMethod: element(bpr, 4) as Remittance['paymentMethod'],
    paymentAmount: amount(element(bpr, 2)),
    paymentDate: x12Date(element(bpr, 16)),
    traceNumber: element(trn, 2),
    ...optional('productionDate', dateOf(root.segments, '405')),
    claimPayments,
    ...(providerAdjustments.length ? { providerAdjustments } : {}),
  };

  // BPR02 must equal the claim payments less the provider-level adjustments (835 TR3 1.10.2.1).
  const paid = sumCents(claimPayments.map((c) => c.paidAmount));
  const withheld = sumCents(providerAdjustments.map((p) => p.amount));
  const total = Math.round(remittance.paymentAmount * CENTS);
  if (paid - withheld !== total) {
    problems.push(
      `segment ${bpr.index} (BPR): BPR02 does not balance: claim payments ${fmt(paid)} less provider adjustments ${fmt(withheld)} ` +
        `make ${fmt(paid - withheld)}, BPR02 says ${fmt(total)}`,
    );
  }
  return { remittance, externalId: `${payerId ?? 'unknown-payer'}|${remittance.traceNumber}`, problems };
}

function mapClaim(loop: Loop): ClaimPayment {
  const clp = loop.segments[0]!;
  const patient = loop.segments.find((s) => s.id === 'NM1' && element(s, 1) === 'QC');
  const rendering = loop.segments.find((s) => s.id === 'NM1' && element(s, 1) === '82');
  const start = dateOf(loop.segments, '232');
  const end = dateOf(loop.segments, '233');
  const moa = loop.segments.find((s) => s.id === 'MOA');
  const lines = loop.loops.filter((l) => l.id === '2110').map(mapLine);
  const adjustments = loop.segments.filter((s) => s.id === 'CAS').flatMap(mapCas);
  return {
    // 835 CLP01-07: patient control number, status, charge, payment, patient responsibility, filing indicator, payer control number.
    patientControlNumber: element(clp, 1),
    statusCode: element(clp, 2) as ClaimPayment['statusCode'],
    chargeAmount: amount(element(clp, 3)),
    paidAmount: amount(element(clp, 4)),
    ...optional('patientResponsibility', element(clp, 5) ? amount(element(clp, 5)) : undefined),
    ...optional('claimFilingIndicator', element(clp, 6) || undefined),
    payerClaimControlNumber: element(clp, 7),
    ...optional('facilityTypeCode', element(clp, 8) || undefined),
    ...optional('frequencyCode', element(clp, 9) || undefined),
    ...(patient
      ? {
          patient: {
            name: personName(patient),
            // NM108 MI: member identification number.
            ...(element(patient, 8) === 'MI' && element(patient, 9) ? { memberId: element(patient, 9) } : {}),
          },
        }
      : {}),
    ...(rendering && element(rendering, 8) === 'XX' ? { renderingProviderNpi: element(rendering, 9) } : {}),
    ...(start || end ? { servicePeriod: { ...optional('start', start), ...optional('end', end) } } : {}),
    ...(adjustments.length ? { adjustments } : {}),
    ...remarks(moa ? moa.elements.slice(2, 7) : []),
    ...(lines.length ? { serviceLinePayments: lines } : {}),
  };
}

function mapLine(loop: Loop): LinePayment {
  const svc = loop.segments[0]!;
  const adjustments = loop.segments.filter((s) => s.id === 'CAS').flatMap(mapCas);
  const allowed = loop.segments.find((s) => s.id === 'AMT' && element(s, 1) === 'B6');
  const control = loop.segments.find((s) => s.id === 'REF' && element(s, 1) === '6R');
  const remarkCodes = loop.segments.filter((s) => s.id === 'LQ' && element(s, 1) === 'HE').map((s) => element(s, 2));
  const submitted = element(svc, 6);
  return {
    procedure: procedure(svc, element(svc, 1)),
    chargeAmount: amount(element(svc, 2)),
    paidAmount: amount(element(svc, 3)),
    ...optional('revenueCode', element(svc, 4) || undefined),
    ...optional('units', element(svc, 5) ? Number(element(svc, 5)) : undefined),
    ...(submitted ? { submittedProcedure: procedure(svc, submitted) } : {}),
    ...optional('serviceDate', dateOf(loop.segments, '472') ?? dateOf(loop.segments, '150')),
    ...optional('lineControlNumber', control ? element(control, 2) : undefined),
    ...optional('allowedAmount', allowed ? amount(element(allowed, 2)) : undefined),
    ...(adjustments.length ? { adjustments } : {}),
    ...remarks(remarkCodes),
  };
}

/** CAS01 group, then up to six (reason, amount, quantity) triplets. */
function mapCas(cas: Segment): Adjustment[] {
  const group = element(cas, 1) as Adjustment['group'];
  const out: Adjustment[] = [];
  for (let i = 2; i <= 17; i += 3) {
    const reasonCode = element(cas, i);
    if (!reasonCode) continue;
    const quantity = element(cas, i + 2);
    out.push({ group, reasonCode, amount: amount(element(cas, i + 1)), ...(quantity ? { quantity: Number(quantity) } : {}) });
  }
  return out;
}

/** PLB01 provider, PLB02 fiscal period date, then up to six (reason:reference, amount) pairs. */
function mapPlb(plb: Segment): ProviderAdjustment[] {
  const out: ProviderAdjustment[] = [];
  for (let i = 3; i <= 13; i += 2) {
    const reason = element(plb, i);
    if (!reason) continue;
    const [reasonCode, referenceId] = components(reason, plb.delimiters);
    out.push({
      providerId: element(plb, 1),
      fiscalPeriodDate: x12Date(element(plb, 2)),
      reasonCode: reasonCode ?? '',
      ...optional('referenceId', referenceId || undefined),
      amount: amount(element(plb, i + 1)),
    });
  }
  return out;
}

/** SVC01 / SVC06: `HC:99213:25:59` — qualifier, code, up to four modifiers, description. */
function procedure(svc: Segment, composite: string): LinePayment['procedure'] {
  const [, code = '', m1, m2, m3, m4, description] = components(composite, svc.delimiters);
  const modifiers = [m1, m2, m3, m4].filter((m): m is string => !!m);
  return { code, ...(modifiers.length ? { modifiers } : {}), ...optional('description', description || undefined) };
}

function personName(nm1: Segment): NonNullable<ClaimPayment['patient']>['name'] {
  const given = [element(nm1, 4), element(nm1, 5)].filter(Boolean);
  return { family: element(nm1, 3), ...(given.length ? { given } : {}), ...optional('suffix', element(nm1, 7) || undefined) };
}

function remarks(codes: string[]): { remarkCodes?: string[] } {
  const unique = [...new Set(codes.filter(Boolean))];
  return unique.length ? { remarkCodes: unique } : {};
}

function refValue(loop: Loop | undefined, qualifier: string): string | undefined {
  const ref = loop?.segments.find((s) => s.id === 'REF' && element(s, 1) === qualifier);
  return ref ? element(ref, 2) || undefined : undefined;
}

function first(segments: readonly Segment[], id: string): Segment | undefined {
  return segments.find((s) => s.id === id);
}

function dateOf(segments: readonly Segment[], qualifier: string): string | undefined {
  const dtm = segments.find((s) => s.id === 'DTM' && element(s, 1) === qualifier);
  return dtm ? x12Date(element(dtm, 2)) : undefined;
}

/** CCYYMMDD to YYYY-MM-DD; anything else passes through for the schema to reject by name. */
function x12Date(value: string): string {
  return /^\d{8}$/.test(value) ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}` : value;
}

/** X12 R (decimal) amounts: at most 2 decimals in money fields, kept exact through cents. */
function amount(value: string): number {
  const n = Number(value);
  return Number.isFinite(n) ? Math.round(n * CENTS) / CENTS : Number.NaN;
}

function sumCents(values: number[]): number {
  return values.reduce((sum, v) => sum + Math.round(v * CENTS), 0);
}

function fmt(cents: number): string {
  return (cents / CENTS).toFixed(2);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
