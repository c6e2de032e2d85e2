/**
 * 835 Health Care Claim Payment/Advice (005010X221A1) to the canonical Remittance. Pure: segments go
 * in one at a time as the tokenizer yields them, one record, or the reasons it cannot be one, comes
 * out. A payment's claims (from its first CLP to SE) are held as their bytes, off the heap, and
 * mapped only when it completes: built as the segments came, a 5,000-claim payment's objects lived
 * as long as the payment took to read, long enough to be promoted out of the young generation, and
 * the old one grew to several times what was live before each full collection. Built in one burst
 * at SE, they are handed over at once and die young in a reader that stores or drops them (finish()
 * and PlainConstructor say what else that takes).
 *
 * The 835's loops are simple enough to follow with a cursor: N1*PR/N1*PE open 1000A/1000B, CLP
 * opens a claim (2100), SVC a service line (2110); CAS, DTM, REF and AMT belong to whichever is open.
 */
import { components, element, elementCount, elementNumber, HeldSegments, type Segment } from '../../connectors/x12/index.js';
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

/** What a remittance takes from BPR: BPR04 method, BPR02 amount, BPR16 date (and where BPR was). */
interface Payment {
  index: number;
  method: Remittance['paymentMethod'];
  amount: number;
  date: string;
}

/**
 * Holders whose payment has been mapped, with their buffers, for the next payments: a reader makes
 * one builder per payment, and a buffer made per payment would be as much again to allocate and
 * free. Two, for files read side by side.
 */
const spareHolders: HeldSegments[] = [];
const SPARE_HOLDERS = 2;

const SPENT = 'Remittance835Builder: finish() has been called; a builder maps one transaction set';

/** Builds one Remittance from one 835 transaction set, segment by segment. */
export class Remittance835Builder {
  /** BPR and TRN are read as they come: finish() may replay segments that do not outlive apply(). */
  private bpr: Payment | undefined;
  private trn: { traceNumber: string; originator: string } | undefined;
  private firstIndex: number | undefined;
  private productionDate: string | undefined;
  private party: Party;
  private payerName = '';
  private payerRef: string | undefined;
  private payee: Remittance['payee'] = { name: '' };
  private payeeTaxRef: string | undefined;
  private claims: ClaimPayment[] = [];
  private claim: ClaimPayment | undefined;
  private line: LinePayment | undefined;
  private plb: ProviderAdjustment[] = [];
  /** The payment's segments from its first CLP on, to be mapped by finish(). */
  private held: HeldSegments | undefined;
  private finished = false;

  push(segment: Segment): void {
    if (this.finished) throw new Error(SPENT);
    this.firstIndex ??= segment.index;
    if (this.held !== undefined) this.held.hold(segment);
    else if (segment.id === 'CLP') {
      this.held = spareHolders.pop() ?? new HeldSegments();
      this.held.hold(segment);
    } else this.apply(segment);
  }

  /** Maps one segment into the record, in the order the segments came. */
  private apply(segment: Segment): void {
    switch (segment.id) {
      case 'BPR':
        this.bpr = {
          index: segment.index,
          method: element(segment, 4) as Remittance['paymentMethod'],
          amount: amountAt(segment, 2),
          date: x12Date(element(segment, 16)),
        };
        return;
      case 'TRN':
        // TRN02 trace number, TRN03 originating company (the payer's id when REF*2U is absent).
        this.trn ??= { traceNumber: element(segment, 2), originator: element(segment, 3) };
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

  /**
   * The Remittance, or the reasons there is none. Once: the builder lets go of the claims it hands
   * over (see below), and a second call, or a push after it, throws rather than answer without them.
   */
  finish(): MappedRemittance {
    if (this.finished) throw new Error(SPENT);
    this.finished = true;
    const held = this.held;
    if (held !== undefined) {
      this.held = undefined;
      // The lists the claims go into are made now, like the claims: the builder itself has often
      // lived long enough to be promoted, and an old list (its items, its claims) would be kept
      // alive by the young generation's remembered set, dead or not, until the next full collection.
      this.claims = emptyList();
      this.plb = this.plb.slice();
      // No segment is kept past apply() (BPR and TRN are read as they come), so the replay may
      // point the same few segment objects at each batch: they would otherwise be a third of what
      // the burst allocates, and the more it allocates, the likelier the first claims it makes
      // outlive two scavenges (and are promoted) before the reader is done with them.
      for (const batch of held.replayBatches({ reuseSegments: true })) for (const segment of batch) this.apply(segment);
      held.clear();
      if (spareHolders.length < SPARE_HOLDERS) spareHolders.push(held);
    }
    const mapped = this.mapped();
    // Nor may the builder, old perhaps, point at what it hands over.
    this.claims = [];
    this.plb = [];
    this.claim = this.line = undefined;
    return mapped;
  }

  private mapped(): MappedRemittance {
    const { bpr, trn } = this;
    if (!bpr || !trn) {
      return { problems: [`transaction set at segment ${this.firstIndex ?? '?'}: an 835 needs BPR and TRN`] };
    }
    const payerId = this.payerRef ?? (trn.originator || undefined);
    const payee = { ...this.payee };
    if (payee.taxId === undefined && this.payeeTaxRef) payee.taxId = this.payeeTaxRef;
    // Made by a constructor, as are the claims (see PlainConstructor): what points at them must
    // not be allocated old either, or it would keep them alive, dead or not, as the builder would.
    const remittance = new RemittanceObject(
      { name: this.payerName, ...(payerId ? { payerId } : {}) },
      payee,
      bpr,
      trn.traceNumber,
      this.productionDate,
      this.claims,
      this.plb.length ? this.plb : undefined,
    );
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
    return new MappedObject(remittance, `${payerId ?? 'unknown-payer'}|${remittance.traceNumber}`, problems);
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
      claim.patient = new PatientObject(name, memberId);
    } else if (role === '82' && element(nm1, 8) === 'XX') {
      claim.renderingProviderNpi = element(nm1, 9);
    }
  }
}

/**
 * The records are made by constructors, not literals, for two reasons. Claim payments and their
 * lines gain properties segment by segment (CAS, NM1, DTM, SVC, AMT…): an object literal holds
 * only the properties it was written with and moves each later one to a separate store,
 * reallocated as it grows; an object made by a constructor has room to spare for them. And V8
 * watches what each literal (and `[]`) makes: once most of it has outlived the young generation,
 * that literal allocates straight into the old generation, for good. The first payments a process
 * maps, while its young generation is still small, would decide that for every claim after them,
 * and the old generation would fill with claims again however young they die. Constructors, and
 * the builtins that copy arrays, are not watched that way (see listOf). The constructors' prototype
 * is Object.prototype: what they make are plain objects, their properties in the order the
 * literals would have them.
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

const RemittanceObject = function (
  this: Remittance,
  payer: Remittance['payer'],
  payee: Remittance['payee'],
  payment: Payment,
  traceNumber: string,
  productionDate: string | undefined,
  claimPayments: ClaimPayment[],
  providerAdjustments: ProviderAdjustment[] | undefined,
) {
  this.schemaVersion = '1.0.0';
  this.payer = payer;
  this.payee = payee;
  this.paymentMethod = payment.method;
  this.paymentAmount = payment.amount;
  this.paymentDate = payment.date;
  this.traceNumber = traceNumber;
  if (productionDate !== undefined) this.productionDate = productionDate;
  this.claimPayments = claimPayments;
  if (providerAdjustments !== undefined) this.providerAdjustments = providerAdjustments;
} as unknown as PlainConstructor<Remittance, [Remittance['payer'], Remittance['payee'], Payment, string, string | undefined, ClaimPayment[], ProviderAdjustment[] | undefined]>;
RemittanceObject.prototype = Object.prototype;

const MappedObject = function (this: MappedRemittance, remittance: Remittance, externalId: string, problems: string[]) {
  this.remittance = remittance;
  this.externalId = externalId;
  this.problems = problems;
} as unknown as PlainConstructor<MappedRemittance, [Remittance, string, string[]]>;
MappedObject.prototype = Object.prototype;

type Procedure = LinePayment['procedure'];
type Name = NonNullable<ClaimPayment['patient']>['name'];
type Period = NonNullable<ClaimPayment['servicePeriod']>;

const AdjustmentObject = function (this: Adjustment, group: Adjustment['group'], reasonCode: string, amount: number) {
  this.group = group;
  this.reasonCode = reasonCode;
  this.amount = amount;
} as unknown as PlainConstructor<Adjustment, [Adjustment['group'], string, number]>;
AdjustmentObject.prototype = Object.prototype;

const ProcedureObject = function (this: Procedure, code: string) {
  this.code = code;
} as unknown as PlainConstructor<Procedure, [string]>;
ProcedureObject.prototype = Object.prototype;

const NameObject = function (this: Name, family: string, given: string[] | undefined, suffix: string) {
  this.family = family;
  if (given !== undefined) this.given = given;
  if (suffix) this.suffix = suffix;
} as unknown as PlainConstructor<Name, [string, string[] | undefined, string]>;
NameObject.prototype = Object.prototype;

const PatientObject = function (this: NonNullable<ClaimPayment['patient']>, name: Name, memberId: string) {
  this.name = name;
  if (memberId) this.memberId = memberId;
} as unknown as PlainConstructor<NonNullable<ClaimPayment['patient']>, [Name, string]>;
PatientObject.prototype = Object.prototype;

const StartFirst = function (this: Period, start: string | undefined, end: string | undefined) {
  this.start = start;
  if (end !== undefined) this.end = end;
} as unknown as PlainConstructor<Period, [string | undefined, string | undefined]>;
StartFirst.prototype = Object.prototype;

const EndFirst = function (this: Period, end: string | undefined, start: string | undefined) {
  this.end = end;
  if (start !== undefined) this.start = start;
} as unknown as PlainConstructor<Period, [string | undefined, string | undefined]>;
EndFirst.prototype = Object.prototype;

/**
 * Sets one end of the claim's statement period, keys in the order the DTMs came. The period is
 * remade with both keys rather than grown: an object given a key after it was made holds it in a
 * separate, larger store, and a remittance holds thousands of these.
 */
function setPeriodEnd(claim: ClaimPayment, side: 'start' | 'end', date: string): void {
  const period = claim.servicePeriod;
  if (period === undefined) claim.servicePeriod = side === 'start' ? new StartFirst(date, undefined) : new EndFirst(date, undefined);
  else if (period[side] !== undefined) period[side] = date;
  else if (side === 'start') claim.servicePeriod = new EndFirst(period.end, date);
  else claim.servicePeriod = new StartFirst(period.start, date);
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
 * Lists of one and two items, copied from these by slice() rather than written as literals (see
 * PlainConstructor); Array.of, which V8 does not watch either, takes several times as long.
 */
const ONE: unknown[] = [undefined];
const TWO: unknown[] = [undefined, undefined];

function emptyList<T>(): T[] {
  return ONE.slice(0, 0) as T[];
}

function listOf<T>(item: T): T[] {
  const list = ONE.slice() as T[];
  list[0] = item;
  return list;
}

function listOf2<T>(first: T, second: T): T[] {
  const list = TWO.slice() as T[];
  list[0] = first;
  list[1] = second;
  return list;
}

/**
 * The list with one more item. Short lists are copied to their exact size: `[]` then push would
 * reserve room for 17 items, in each of the thousands of claims and lines a remittance holds. The
 * list is always replaced in place, so the record's key order is the order items first came.
 */
function withItem<T>(list: T[] | undefined, item: T): T[] {
  if (list === undefined) return listOf(item);
  // The usual second item (a claim's second line, a line's second adjustment) without concat's temporary array.
  if (list.length === 1) return listOf2(list[0]!, item);
  if (list.length < SHORT_LIST) return list.concat(listOf(item));
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
    const adjustment = new AdjustmentObject(group, reasonCode, amountAt(cas, i + 1));
    const quantity = element(cas, i + 2);
    if (quantity) adjustment.quantity = Number(quantity);
    list = withItem(list, adjustment);
  }
  // A CAS without a reason still opens the list, as it always has.
  target.adjustments = list ?? emptyList();
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
    if (first === -1) return new ProcedureObject('');
    const known = codes.get(composite);
    return new ProcedureObject(known !== undefined && known.length === composite.length - first - 1 ? known : shared(codes, composite, composite.slice(first + 1)));
  }
  const parts = components(composite, svc.delimiters);
  const result = new ProcedureObject(parts[1] ?? '');
  if (parts.length > 2) {
    const modifiers = parts.slice(2, 6).filter(Boolean);
    if (modifiers.length) result.modifiers = modifiers;
    if (parts[6]) result.description = parts[6];
  }
  return result;
}

/** NM103 family, NM104-05 given, NM107 suffix: a name gets only the keys it has, in that order. */
function personName(nm1: Segment): NonNullable<ClaimPayment['patient']>['name'] {
  const family = element(nm1, 3);
  const first = element(nm1, 4);
  const middle = element(nm1, 5);
  const suffix = element(nm1, 7);
  if (!first && !middle) return new NameObject(family, undefined, suffix);
  return new NameObject(family, first && middle ? listOf2(first, middle) : listOf(first || middle), suffix);
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
