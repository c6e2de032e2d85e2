/**
 * 835 Health Care Claim Payment/Advice (005010X221A1) to the canonical Remittance. Pure and
 * single-pass: segments go in one at a time as the tokenizer yields them (a 5,000-claim payment is
 * never held as segments or as a loop tree), one record, or the reasons it cannot be one, comes out.
 *
 * The 835's loops are simple enough to follow with a cursor: N1*PR/N1*PE open 1000A/1000B, CLP
 * opens a claim (2100), SVC a service line (2110); CAS, DTM, REF and AMT belong to whichever is open.
 */
import { components, element, elementCount, elementNumber, type Segment } from '../../connectors/x12/index.js';
import type { EntityData } from '../../core/sdk/index.js';

type Remittance = EntityData<'Remittance'>;
type ClaimPayment = Remittance['claimPayments'][number];
type LinePayment = NonNullable<ClaimPayment['serviceLinePayments']>[number];
type Adjustment = NonNullable<ClaimPayment['adjustments']>[number];
type ProviderAdjustment = NonNullable<Remittance['providerAdjustments']>[number];

export interface MappedRemittance {
  /** Absent when the transaction set cannot become a Remittance at all. */
  remittance?: Remittance;
  /** The reassociation key: payer id (REF*2U, else TRN03) + trace number (TRN02). */
  externalId?: string;
  /**
   * What is wrong, by segment number and id, never quoting values: a total that does not balance
   * is reported here (and the model's balancing rules reject the record), never accepted silently.
   */
  problems: string[];
}

const CENTS = 100;
/** Lists up to this long are kept at their exact size (see withItem). */
const SHORT_LIST = 8;

type Party = 'payer' | 'payee' | undefined;

/** Builds one Remittance from one 835 transaction set, segment by segment. */
export class Remittance835Builder {
  private bpr: Segment | undefined;
  private trn: Segment | undefined;
  private firstIndex: number | undefined;
  private productionDate: string | undefined;
  private party: Party;
  private payerName = '';
  private payerRef: string | undefined;
  private payee: Remittance['payee'] = { name: '' };
  private payeeTaxRef: string | undefined;
  private readonly claims: ClaimPayment[] = [];
  private claim: ClaimPayment | undefined;
  private line: LinePayment | undefined;
  private readonly plb: ProviderAdjustment[] = [];

  push(segment: Segment): void {
    this.firstIndex ??= segment.index;
    switch (segment.id) {
      case 'BPR':
        this.bpr = segment;
        return;
      case 'TRN':
        this.trn ??= segment;
        return;
      case 'N1':
        this.openParty(segment);
        return;
      case 'REF':
        this.ref(segment);
        return;
      case 'DTM':
        this.dtm(segment);
        return;
      case 'LX':
        this.party = undefined;
        this.claim = this.line = undefined;
        return;
      case 'CLP':
        this.openClaim(segment);
        return;
      case 'SVC':
        this.openLine(segment);
        return;
      case 'CAS': {
        const target = this.line ?? this.claim;
        if (target) addCas(target, segment);
        return;
      }
      case 'NM1':
        this.nm1(segment);
        return;
      case 'MOA':
        // 835 MOA03-07: claim-level remark codes (outpatient).
        if (this.claim) for (let i = 3; i <= 7; i++) addRemark(this.claim, element(segment, i));
        return;
      case 'AMT':
        // 835 AMT*B6: the line's allowed amount.
        if (this.line && element(segment, 1) === 'B6') this.line.allowedAmount = amountAt(segment, 2);
        return;
      case 'LQ':
        // 835 LQ*HE: line-level remark code.
        if (this.line && element(segment, 1) === 'HE') addRemark(this.line, element(segment, 2));
        return;
      case 'PLB':
        this.claim = this.line = undefined;
        this.plb.push(...mapPlb(segment));
        return;
    }
  }

  finish(): MappedRemittance {
    const { bpr, trn } = this;
    if (!bpr || !trn) {
      return { problems: [`transaction set at segment ${this.firstIndex ?? '?'}: an 835 needs BPR and TRN`] };
    }
    const payerId = this.payerRef ?? (element(trn, 3) || undefined);
    const payee = { ...this.payee };
    if (payee.taxId === undefined && this.payeeTaxRef) payee.taxId = this.payeeTaxRef;
    const remittance: Remittance = {
      schemaVersion: '1.0.0',
      payer: { name: this.payerName, ...(payerId ? { payerId } : {}) },
      payee,
      paymentMethod: element(bpr, 4) as Remittance['paymentMethod'],
      paymentAmount: amountAt(bpr, 2),
      paymentDate: x12Date(element(bpr, 16)),
      traceNumber: element(trn, 2),
      ...optional('productionDate', this.productionDate),
      claimPayments: this.claims,
      ...(this.plb.length ? { providerAdjustments: this.plb } : {}),
    };
    const problems: string[] = [];
    // BPR02 must equal the claim payments less the provider-level adjustments (835 TR3 1.10.2.1).
    const paid = sumCents(this.claims.map((c) => c.paidAmount));
    const withheld = sumCents(this.plb.map((p) => p.amount));
    const total = Math.round(remittance.paymentAmount * CENTS);
    if (paid - withheld !== total) {
      problems.push(
        `segment ${bpr.index} (BPR): BPR02 does not balance: claim payments ${fmt(paid)} less provider adjustments ${fmt(withheld)} ` +
          `make ${fmt(paid - withheld)}, BPR02 says ${fmt(total)}`,
      );
    }
    return { remittance, externalId: `${payerId ?? 'unknown-payer'}|${remittance.traceNumber}`, problems };
  }

  private openParty(n1: Segment): void {
    this.claim = this.line = undefined;
    const role = element(n1, 1);
    if (role === 'PR') {
      this.party = 'payer';
      this.payerName = element(n1, 2);
    } else if (role === 'PE') {
      this.party = 'payee';
      // 835 N1*PE N103: XX = NPI, FI = federal tax id.
      const qualifier = element(n1, 3);
      this.payee = {
        name: element(n1, 2),
        ...(qualifier === 'XX' ? { npi: element(n1, 4) } : {}),
        ...(qualifier === 'FI' ? { taxId: element(n1, 4) } : {}),
      };
    } else this.party = undefined;
  }

  private ref(ref: Segment): void {
    const qualifier = element(ref, 1);
    const value = element(ref, 2);
    if (this.line) {
      // 835 REF*6R: line item control number from the claim.
      if (qualifier === '6R' && value) this.line.lineControlNumber = value;
      return;
    }
    if (this.claim) return;
    if (this.party === 'payer' && qualifier === '2U' && value) this.payerRef = value;
    if (this.party === 'payee' && qualifier === 'TJ' && value) this.payeeTaxRef = value;
  }

  private dtm(dtm: Segment): void {
    const qualifier = element(dtm, 1);
    const date = x12Date(element(dtm, 2));
    if (this.line) {
      // 835 DTM*472 (service date), or DTM*150 (service period start) on a line.
      if (qualifier === '472' || (qualifier === '150' && !this.line.serviceDate)) this.line.serviceDate = date;
      return;
    }
    if (this.claim) {
      // 835 DTM*232/233: claim statement period.
      if (qualifier === '232') setPeriodEnd(this.claim, 'start', date);
      if (qualifier === '233') setPeriodEnd(this.claim, 'end', date);
      return;
    }
    if (qualifier === '405') this.productionDate = date;
  }

  private openClaim(clp: Segment): void {
    this.party = undefined;
    this.line = undefined;
    // 835 CLP01-09: patient control number, status, charge, payment, patient responsibility,
    // filing indicator, payer claim control number, facility type, frequency.
    // Plain assignments rather than spreads, elements read one by one rather than split: this runs
    // once per claim of files with millions of them.
    const claim = new ClaimPaymentObject(
      element(clp, 1),
      element(clp, 2) as ClaimPayment['statusCode'],
      amountAt(clp, 3),
      amountAt(clp, 4),
      element(clp, 7),
    );
    const responsibility = element(clp, 5);
    if (responsibility) claim.patientResponsibility = amount(responsibility);
    const filing = element(clp, 6);
    if (filing) claim.claimFilingIndicator = filing;
    const facility = element(clp, 8);
    if (facility) claim.facilityTypeCode = facility;
    const frequency = element(clp, 9);
    if (frequency) claim.frequencyCode = frequency;
    this.claims.push(claim);
    this.claim = claim;
  }

  private openLine(svc: Segment): void {
    if (!this.claim) return;
    // 835 SVC01-06: procedure, charge, payment, revenue code, units, submitted procedure.
    const line = new LinePaymentObject(procedure(svc, element(svc, 1)), amountAt(svc, 2), amountAt(svc, 3));
    const revenueCode = element(svc, 4);
    if (revenueCode) line.revenueCode = revenueCode;
    const units = element(svc, 5);
    if (units) line.units = Number(units);
    const submitted = element(svc, 6);
    if (submitted) line.submittedProcedure = procedure(svc, submitted);
    this.claim.serviceLinePayments = withItem(this.claim.serviceLinePayments, line);
    this.line = line;
  }

  private nm1(nm1: Segment): void {
    const claim = this.claim;
    if (!claim || this.line) return;
    const role = element(nm1, 1);
    if (role === 'QC') {
      // 835 NM1*QC: the patient; NM108 MI = member identification number.
      const name = personName(nm1);
      const memberId = element(nm1, 8) === 'MI' ? element(nm1, 9) : '';
      // One literal per shape (see setPeriodEnd).
      claim.patient = memberId ? { name, memberId } : { name };
    } else if (role === '82' && element(nm1, 8) === 'XX') {
      claim.renderingProviderNpi = element(nm1, 9);
    }
  }
}

/**
 * Claim payments and their lines gain properties segment by segment (CAS, NM1, DTM, SVC, AMT…).
 * An object literal holds only the properties it was written with and moves each later one to a
 * separate store, reallocated as it grows; an object made by a constructor has room to spare for
 * them. The constructors' prototype is Object.prototype: what they make are plain objects, with
 * their properties in the same order as the literals would have them.
 */
interface PlainConstructor<T, A extends unknown[]> {
  new (...args: A): T;
  prototype: object;
}

const ClaimPaymentObject = function (
  this: ClaimPayment,
  patientControlNumber: string,
  statusCode: ClaimPayment['statusCode'],
  chargeAmount: number,
  paidAmount: number,
  payerClaimControlNumber: string,
) {
  this.patientControlNumber = patientControlNumber;
  this.statusCode = statusCode;
  this.chargeAmount = chargeAmount;
  this.paidAmount = paidAmount;
  this.payerClaimControlNumber = payerClaimControlNumber;
} as unknown as PlainConstructor<ClaimPayment, [string, ClaimPayment['statusCode'], number, number, string]>;
ClaimPaymentObject.prototype = Object.prototype;

const LinePaymentObject = function (this: LinePayment, procedure: LinePayment['procedure'], chargeAmount: number, paidAmount: number) {
  this.procedure = procedure;
  this.chargeAmount = chargeAmount;
  this.paidAmount = paidAmount;
} as unknown as PlainConstructor<LinePayment, [LinePayment['procedure'], number, number]>;
LinePaymentObject.prototype = Object.prototype;

/**
 * Sets one end of the claim's statement period, keys in the order the DTMs came. The period is
 * remade as one literal with both keys rather than grown: an object given a key after it was made
 * holds it in a separate, larger store, and a payment keeps thousands of these until it completes.
 */
function setPeriodEnd(claim: ClaimPayment, side: 'start' | 'end', date: string): void {
  const period = claim.servicePeriod;
  if (period === undefined) claim.servicePeriod = side === 'start' ? { start: date } : { end: date };
  else if (period[side] !== undefined) period[side] = date;
  else if (side === 'start') claim.servicePeriod = { end: period.end, start: date };
  else claim.servicePeriod = { start: period.start, end: date };
}

/** Maps the segments of one 835 transaction set (ST to SE). */
export function mapRemittance835(segments: Iterable<Segment>): MappedRemittance {
  const builder = new Remittance835Builder();
  for (const segment of segments) builder.push(segment);
  return builder.finish();
}

function addRemark(target: { remarkCodes?: string[] }, code: string): void {
  if (code && !target.remarkCodes?.includes(code)) target.remarkCodes = withItem(target.remarkCodes, code);
}

/**
 * The list with one more item. Short lists are copied to their exact size: `[]` then push would
 * reserve room for 17 items, in each of the claims and lines a payment holds until it completes.
 * The list is always replaced in place, so the record's key order is the order items first came.
 */
function withItem<T>(list: T[] | undefined, item: T): T[] {
  if (list === undefined) return [item];
  // The usual second item (a claim's second line, a line's second adjustment) without concat's temporary array.
  if (list.length === 1) return [list[0]!, item];
  if (list.length < SHORT_LIST) return list.concat([item]);
  list.push(item);
  return list;
}

/** CAS01 group, then up to six (reason, amount, quantity) triplets. */
function addCas(target: { adjustments?: Adjustment[] }, cas: Segment): void {
  let list = target.adjustments;
  const group = element(cas, 1) as Adjustment['group'];
  // CAS02/05/08/11/14/17: reason; the amount and quantity follow each. Most CAS hold one triplet:
  // positions past the last element are not asked for.
  const last = Math.min(elementCount(cas), 17);
  for (let i = 2; i <= last; i += 3) {
    const reasonCode = element(cas, i);
    if (!reasonCode) continue;
    const adjustment: Adjustment = { group, reasonCode, amount: amountAt(cas, i + 1) };
    const quantity = element(cas, i + 2);
    if (quantity) adjustment.quantity = Number(quantity);
    list = withItem(list, adjustment);
  }
  // A CAS without a reason still opens the list, as it always has.
  target.adjustments = list ?? [];
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
      amount: amountAt(plb, i + 1),
    });
  }
  return out;
}

/** SVC01 / SVC06: `HC:99213:25:59` — qualifier, code, up to four modifiers, description. */
function procedure(svc: Segment, composite: string): LinePayment['procedure'] {
  const separator = svc.delimiters.component;
  const first = composite.indexOf(separator);
  const second = first === -1 ? -1 : composite.indexOf(separator, first + 1);
  // Qualifier and code only, the usual case: no need to split. A code remembered for the same
  // composite is the same text if it has the same length (another interchange may split it elsewhere).
  if (second === -1) {
    if (first === -1) return { code: '' };
    const known = codes.get(composite);
    return { code: known !== undefined && known.length === composite.length - first - 1 ? known : shared(codes, composite, composite.slice(first + 1)) };
  }
  const parts = components(composite, svc.delimiters);
  const result: LinePayment['procedure'] = { code: parts[1] ?? '' };
  if (parts.length > 2) {
    const modifiers = parts.slice(2, 6).filter(Boolean);
    if (modifiers.length) result.modifiers = modifiers;
    if (parts[6]) result.description = parts[6];
  }
  return result;
}

/** NM103 family, NM104-05 given, NM107 suffix; each shape one literal (see setPeriodEnd). */
function personName(nm1: Segment): NonNullable<ClaimPayment['patient']>['name'] {
  const family = element(nm1, 3);
  const first = element(nm1, 4);
  const middle = element(nm1, 5);
  const suffix = element(nm1, 7);
  if (!first && !middle) return suffix ? { family, suffix } : { family };
  const given = first && middle ? [first, middle] : [first || middle];
  return suffix ? { family, given, suffix } : { family, given };
}

/**
 * Values derived from an element (a date reformatted, a code cut from a composite): a payment's
 * claims share a handful of each, so most derivations are a lookup, and its records share one
 * string per value rather than each holding a copy.
 */
const dates = new Map<string, string>();
const codes = new Map<string, string>();
const SHARED_KEPT = 4096;

/** Remembers what `value` derives to (look it up first: `cache.get(value) ?? shared(…)`). */
function shared(cache: Map<string, string>, value: string, derived: string): string {
  if (cache.size >= SHARED_KEPT) cache.clear();
  cache.set(value, derived);
  return derived;
}

/** CCYYMMDD to YYYY-MM-DD; anything else passes through for the schema to reject by name. */
function x12Date(value: string): string {
  const known = dates.get(value);
  if (known !== undefined) return known;
  if (!/^\d{8}$/.test(value)) return value;
  return shared(dates, value, `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}`);
}

/** X12 R (decimal) amounts: at most 2 decimals in money fields, kept exact through cents. */
function amount(value: string): number {
  return cents(Number(value));
}

/** The amount at an element position, read without making a string of it. */
function amountAt(segment: Segment, position: number): number {
  return cents(elementNumber(segment, position));
}

function cents(n: number): number {
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
