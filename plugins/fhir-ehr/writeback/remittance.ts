/**
 * A canonical Remittance (X12 835) as FHIR R4 ExplanationOfBenefit resources, one per claim
 * payment (http://hl7.org/fhir/R4/explanationofbenefit.html). Pure: the record and the Claims its
 * payments point at in, the resources (or the reasons a payment cannot be written) out.
 */
import type { EntityData } from '../../../core/sdk/index.js';
import {
  codeable,
  compact,
  hubSystem,
  insurerReference,
  literalReference,
  memberReference,
  money,
  npiReference,
  type FhirReference,
  type RecordRef,
  type WriteBack,
  type WriteBackContext,
  type WriteBackPlan,
} from './common.js';

type Remittance = EntityData<'Remittance'>;
type ClaimPayment = Remittance['claimPayments'][number];
type Adjustment = NonNullable<ClaimPayment['adjustments']>[number];
type Claim = EntityData<'Claim'>;

const CLAIM_TYPE = 'http://terminology.hl7.org/CodeSystem/claim-type';
const ADJUDICATION = 'http://terminology.hl7.org/CodeSystem/adjudication';
const PAYMENT_TYPE = 'http://terminology.hl7.org/CodeSystem/ex-paymenttype';
export const CARC_SYSTEM = 'https://x12.org/codes/claim-adjustment-reason-codes';
export const CAS_GROUP_SYSTEM = 'https://x12.org/codes/claim-adjustment-group-codes';
const CPT_SYSTEM = 'http://www.ama-assn.org/go/cpt';
const HCPCS_SYSTEM = 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets';
const REVENUE_SYSTEM = 'https://www.nubc.org/CodeSystem/RevenueCodes';

/** 835 CLP02 claim status, as a person reads it in `disposition`. */
const DISPOSITIONS: Record<ClaimPayment['statusCode'], string> = {
  '1': 'Processed as primary',
  '2': 'Processed as secondary',
  '3': 'Processed as tertiary',
  '4': 'Denied',
  '19': 'Processed as primary, forwarded to additional payer(s)',
  '20': 'Processed as secondary, forwarded to additional payer(s)',
  '21': 'Processed as tertiary, forwarded to additional payer(s)',
  '22': 'Reversal of previous payment',
  '23': 'Not our claim, forwarded to additional payer(s)',
  '25': 'Predetermination pricing only - no payment',
};

/** Canonical Claims the deliver job read from the store, by the `system|id` a claim payment's `claim` names. */
export type ClaimLookup = ReadonlyMap<string, Claim>;

export function claimKey(ref: RecordRef): string {
  return `${ref.system}|${ref.id}`;
}

/**
 * The identifier an EOB is written under: the payment's trace (835 TRN02) and the payer claim
 * control number (CLP07). A reversal shares CLP07 with the payment it reverses, often in the same
 * 835, so it gets its own.
 */
export function eobIdentifier(remittance: Remittance, payment: ClaimPayment, context: WriteBackContext) {
  const reversal = payment.statusCode === '22' ? ':reversal' : '';
  return { system: hubSystem(context, 'eob'), value: `${remittance.traceNumber}:${payment.payerClaimControlNumber}${reversal}` };
}

/**
 * One ExplanationOfBenefit per claim payment. A payment without a patient (no linked Claim whose
 * patient is a Patient of this EHR, and no member id under a configured system) cannot be
 * written: its problem names it by position; the other payments are still written.
 */
export function remittanceToFhir(remittance: Remittance, context: WriteBackContext, claims: ClaimLookup = new Map()): WriteBackPlan {
  const writes: WriteBack[] = [];
  const problems: string[] = [];
  remittance.claimPayments.forEach((payment, index) => {
    const claim = payment.claim && claims.get(claimKey(payment.claim));
    const memberId = payment.patient?.memberId ?? claim?.subscriber.memberId;
    const patient = literalReference(claim?.patient.record, 'Patient', context) ?? memberReference(memberId, context);
    if (!patient) {
      problems.push(
        `claimPayments[${index}]: ExplanationOfBenefit.patient: required; the payment's claim has no Patient of ${context.externalSystem} and no memberIdSystems is configured to name the member by member id`,
      );
      return;
    }
    writes.push(eobOf(remittance, payment, { patient, claim, memberId }, context));
  });
  return { writes, problems };
}

function eobOf(
  remittance: Remittance,
  payment: ClaimPayment,
  linked: { patient: FhirReference; claim: Claim | undefined; memberId: string | undefined },
  context: WriteBackContext,
): WriteBack {
  const identifier = eobIdentifier(remittance, payment, context);
  const institutional = linked.claim?.claimType === 'institutional' || (payment.serviceLinePayments ?? []).some((line) => line.revenueCode !== undefined);
  const coverage: FhirReference =
    literalReference(linked.claim?.subscriber.coverage, 'Coverage', context) ?? memberReference(linked.memberId, context) ?? { display: remittance.payer.name };
  const payee = remittance.payee;
  const provider: FhirReference = {
    ...literalReference(payee.organization, 'Organization', context),
    ...(payee.npi !== undefined ? npiReference(payee.npi, payee.name) : { display: payee.name }),
  };
  const resource = compact({
    resourceType: 'ExplanationOfBenefit',
    identifier: [
      identifier,
      // 835 CLP07, in the payer's namespace.
      ...(remittance.payer.payerId !== undefined
        ? [{ system: `urn:mso-hub:payer-claim-control-number:${remittance.payer.payerId}`, value: payment.payerClaimControlNumber }]
        : []),
    ],
    status: 'active',
    type: codeable(CLAIM_TYPE, institutional ? 'institutional' : 'professional'),
    use: payment.statusCode === '25' ? 'predetermination' : 'claim',
    patient: linked.patient,
    // 835 DTM*232/233: claim statement period.
    billablePeriod: payment.servicePeriod && compact({ start: payment.servicePeriod.start, end: payment.servicePeriod.end }),
    // 835 DTM*405, else BPR16.
    created: remittance.productionDate ?? remittance.paymentDate,
    insurer: insurerReference(remittance.payer, context),
    provider,
    outcome: 'complete',
    disposition: DISPOSITIONS[payment.statusCode],
    claim: literalReference(payment.claim, 'Claim', context),
    careTeam: payment.renderingProviderNpi ? [{ sequence: 1, provider: npiReference(payment.renderingProviderNpi) }] : undefined,
    insurance: [{ focal: true, coverage }],
    item: payment.serviceLinePayments?.length ? payment.serviceLinePayments.map(itemOf) : undefined,
    // 835 loop 2100 CAS: claim-level adjustments.
    adjudication: payment.adjustments?.length ? payment.adjustments.map(adjustmentOf) : undefined,
    total: [
      // 835 CLP03 charged, CLP04 paid.
      { category: codeable(ADJUDICATION, 'submitted'), amount: money(payment.chargeAmount) },
      { category: codeable(ADJUDICATION, 'benefit'), amount: money(payment.paidAmount) },
    ],
    payment: compact({
      type: payment.paidAmount > 0 ? codeable(PAYMENT_TYPE, payment.paidAmount >= payment.chargeAmount ? 'complete' : 'partial') : undefined,
      // 835 BPR16 and CLP04; TRN02 identifies the check or EFT.
      date: remittance.paymentDate,
      amount: money(payment.paidAmount),
      identifier: { system: hubSystem(context, 'payment-trace'), value: remittance.traceNumber },
    }),
  });
  return { resource, identifier };
}

type LinePayment = NonNullable<ClaimPayment['serviceLinePayments']>[number];

function itemOf(line: LinePayment, index: number): Record<string, unknown> {
  const system = /^[A-Z]\d{4}$/.test(line.procedure.code) ? HCPCS_SYSTEM : CPT_SYSTEM;
  return compact({
    sequence: index + 1,
    // 835 SVC04.
    revenue: line.revenueCode !== undefined ? codeable(REVENUE_SYSTEM, line.revenueCode) : undefined,
    // 835 SVC01-2 and SVC01-3..6.
    productOrService: codeable(system, line.procedure.code),
    modifier: line.procedure.modifiers?.map((modifier) => codeable(CPT_SYSTEM, modifier)),
    servicedDate: line.serviceDate,
    // 835 SVC05.
    quantity: line.units !== undefined ? { value: line.units } : undefined,
    adjudication: [
      // 835 SVC02 charged, AMT*B6 allowed, SVC03 paid.
      { category: codeable(ADJUDICATION, 'submitted'), amount: money(line.chargeAmount) },
      ...(line.allowedAmount !== undefined ? [{ category: codeable(ADJUDICATION, 'eligible'), amount: money(line.allowedAmount) }] : []),
      { category: codeable(ADJUDICATION, 'benefit'), amount: money(line.paidAmount) },
      // 835 loop 2110 CAS.
      ...(line.adjustments ?? []).map(adjustmentOf),
    ],
  });
}

/** 835 CAS: the group code (CAS01) as the category, the CARC (CAS02…) as the reason. */
function adjustmentOf(adjustment: Adjustment): Record<string, unknown> {
  return compact({
    category: codeable(CAS_GROUP_SYSTEM, adjustment.group),
    reason: codeable(CARC_SYSTEM, adjustment.reasonCode),
    amount: money(adjustment.amount),
    value: adjustment.quantity,
  });
}
