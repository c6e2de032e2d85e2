/**
 * How each document moves a claim through its lifecycle: pure functions from a lifecycle and one
 * acknowledgment, status or payment to the next lifecycle. The ledger (lifecycle-ledger.ts) finds
 * the claims a document speaks of and keeps the results; nothing here does I/O.
 */
import type { EntityData } from '../../core/sdk/index.js';

export type Lifecycle = EntityData<'ClaimLifecycle'>;
export type LifecycleEvent = Lifecycle['events'][number];
export type ClaimState = Lifecycle['state'];
export type Acknowledgment = EntityData<'ClaimAcknowledgment'>;
export type ClaimStatusRecord = EntityData<'ClaimStatus'>;
export type ClaimPayment = EntityData<'Remittance'>['claimPayments'][number];
type Submission = Lifecycle['submission'];
type AlertKind = NonNullable<Lifecycle['alerts']>[number]['kind'];

/** The schema keeps at most this many events; the oldest go first (the record history keeps them). */
export const MAX_EVENTS = 200;

/** Outcomes an acknowledgment or a status cannot undo: only a payment or a resubmission moves on from them. */
const ADJUDICATED: ReadonlySet<ClaimState> = new Set(['paid', 'partially-paid', 'denied']);

export interface NewEvent extends Omit<LifecycleEvent, 'state' | 'at'> {
  /** Where the claim goes; undefined leaves it where it is. */
  state?: ClaimState;
}

/** A claim's first submission, or a changed claim submitted again: state goes back to `submitted`. */
export function submitted(
  previous: Lifecycle | undefined,
  claim: Omit<Lifecycle, 'schemaVersion' | 'state' | 'stateSince' | 'submission' | 'events'>,
  submission: Submission,
): Lifecycle {
  const where = `${submission.file} (ISA13 ${submission.interchangeControlNumber}, GS06 ${submission.groupControlNumber}, ST02 ${submission.transactionSetControlNumber})`;
  const base: Lifecycle = {
    ...(previous ?? { events: [] }),
    ...claim,
    schemaVersion: '1.0.0',
    state: 'submitted',
    stateSince: submission.submittedAt,
    submission,
  };
  // A resubmission waits for new answers: the old alerts are about the old file.
  delete base.alerts;
  return addEvent(base, submission.submittedAt, {
    kind: 'submitted',
    from: 'hub',
    state: 'submitted',
    summary: previous ? `resubmitted (claim version ${submission.claimVersion}) in ${where}` : `submitted in ${where}`,
    file: submission.file,
  });
}

/** Appends an event, moves the state when the event says so, and clears the alerts it answers. */
export function addEvent(lifecycle: Lifecycle, at: string, event: NewEvent): Lifecycle {
  const state = event.state ?? lifecycle.state;
  const { state: _ignored, ...rest } = event;
  const events = [...lifecycle.events, { at, ...rest, state }].slice(-MAX_EVENTS);
  const next: Lifecycle = { ...lifecycle, events, state, stateSince: state === lifecycle.state ? lifecycle.stateSince : at };
  const answered = answeredAlerts(event);
  if (next.alerts && answered.length) {
    const alerts = next.alerts.filter((alert) => !answered.includes(alert.kind));
    if (alerts.length) next.alerts = alerts;
    else delete next.alerts;
  }
  if (event.from === 'payer') next.lastPayerResponseAt = at;
  return next;
}

function answeredAlerts(event: NewEvent): AlertKind[] {
  const kinds: AlertKind[] = [];
  if (event.kind === '999' || event.kind === 'TA1') kinds.push('no-999');
  if (event.from === 'payer') kinds.push('no-payer-response');
  return kinds;
}

/** Raises an alert once: a timer that fires again for the same wait adds nothing. */
export function raiseAlert(lifecycle: Lifecycle, at: string, kind: AlertKind, detail: string): Lifecycle {
  if (lifecycle.alerts?.some((alert) => alert.kind === kind)) return lifecycle;
  const raised = addEvent(lifecycle, at, { kind: 'alert', from: 'hub', summary: detail, codes: [kind] });
  return { ...raised, alerts: [...(raised.alerts ?? []), { kind, raisedAt: at, detail }] };
}

/**
 * TA1 and 999: a rejection sends the claim back (it never reached the payer); an acceptance moves a
 * claim that was only submitted forward, and never undoes an answer that came later.
 */
export function envelopeAcknowledged(lifecycle: Lifecycle, acknowledgment: Acknowledgment, file: string, record: LifecycleEvent['record']): NewEvent {
  const kind = acknowledgment.source === 'TA1' ? 'TA1' : '999';
  const scope = kind === 'TA1' ? 'the file' : acknowledgment.transactionSetControlNumber ? 'the transaction set' : 'the functional group';
  const errors = (acknowledgment.errors ?? []).map((e) => e.code);
  const outcome = acknowledgment.status === 'partially-accepted' ? 'accepted with errors' : acknowledgment.status;
  let state: ClaimState | undefined;
  if (acknowledgment.status === 'rejected') state = ADJUDICATED.has(lifecycle.state) ? undefined : 'rejected';
  else if (lifecycle.state === 'submitted' && kind === '999') state = 'accepted';
  return {
    kind,
    from: 'clearinghouse',
    state,
    summary: `${kind} ${outcome} ${scope}${errors.length ? ` (${errors.slice(0, 5).join(', ')})` : ''}`,
    ...documentDate(acknowledgment.acknowledgedAt),
    file,
    record,
    ...(errors.length ? { codes: errors.slice(0, 20) } : {}),
  };
}

/** 277CA: the clearinghouse's or the payer's front-end edits accepted or rejected this claim. */
export function claimAcknowledged(lifecycle: Lifecycle, acknowledgment: Acknowledgment, file: string, record: LifecycleEvent['record']): NewEvent {
  const from = acknowledgment.acknowledgedBy ?? 'clearinghouse';
  const codes = (acknowledgment.statusCodes ?? []).map((s) => `${s.category}:${s.code}`);
  let state: ClaimState | undefined;
  if (!ADJUDICATED.has(lifecycle.state)) state = acknowledgment.status === 'rejected' ? 'rejected' : 'accepted';
  const outcome = acknowledgment.status === 'partially-accepted' ? 'accepted, with some lines rejected' : acknowledgment.status;
  return {
    kind: '277CA',
    from,
    state,
    summary: `277CA from the ${from}: ${outcome}${codes.length ? ` (${codes.slice(0, 3).join(', ')})` : ''}`,
    ...documentDate(acknowledgment.acknowledgedAt),
    file,
    record,
    ...(codes.length ? { codes: codes.slice(0, 20) } : {}),
  };
}

/**
 * 277 (claim status, X212) STC01-1 categories: F1 paid, F2 and F4 denied, A1/A2 and P* still with
 * the payer, A3-A8 rejected. An F-category never overrides amounts an 835 already settled.
 */
export function statusReported(lifecycle: Lifecycle, status: ClaimStatusRecord, file: string, record: LifecycleEvent['record']): NewEvent {
  const category = status.statuses[0]!.category;
  const codes = status.statuses.map((s) => `${s.category}:${s.code}`);
  let state: ClaimState | undefined;
  if (category === 'F1') state = ADJUDICATED.has(lifecycle.state) ? undefined : 'paid';
  else if (category === 'F2' || category === 'F4') state = ADJUDICATED.has(lifecycle.state) ? undefined : 'denied';
  else if (/^A[3-8]$/.test(category)) state = ADJUDICATED.has(lifecycle.state) ? undefined : 'rejected';
  else if (/^(A[12]|P\d)$/.test(category) && (lifecycle.state === 'submitted' || lifecycle.state === 'rejected')) state = 'accepted';
  const paid = status.paidAmount !== undefined ? `, paid ${amount(status.paidAmount)}` : '';
  return {
    kind: '277',
    from: 'payer',
    state,
    summary: `277 claim status ${codes.slice(0, 3).join(', ')}${paid}`,
    ...documentDate(status.adjudicationDate ?? status.paymentDate),
    file,
    record,
    codes: codes.slice(0, 20),
  };
}

/** 835 CLP02: what one claim payment says about the claim. */
export function paymentReceived(payment: ClaimPayment, paymentDate: string, file: string, record: LifecycleEvent['record']): NewEvent {
  const codes = [
    ...adjustmentCodes(payment.adjustments),
    ...(payment.serviceLinePayments ?? []).flatMap((line) => adjustmentCodes(line.adjustments)),
    ...(payment.remarkCodes ?? []),
    ...(payment.serviceLinePayments ?? []).flatMap((line) => line.remarkCodes ?? []),
  ];
  const base = { kind: '835' as const, from: 'payer' as const, ...documentDate(paymentDate), file, record, amount: payment.paidAmount };
  const withCodes = codes.length ? { codes: [...new Set(codes)].slice(0, 20) } : {};
  const owes = payment.patientResponsibility ? `; patient owes ${amount(payment.patientResponsibility)}` : '';
  switch (payment.statusCode) {
    case '22':
      // The payer takes back an earlier payment; a corrected payment usually follows in the same 835.
      return { ...base, ...withCodes, state: 'accepted', summary: `835 reversed an earlier payment (${amount(payment.paidAmount)})` };
    case '4':
      return { ...base, ...withCodes, state: 'denied', summary: `835 denied the claim (charge ${amount(payment.chargeAmount)})` };
    case '23':
      return { ...base, ...withCodes, summary: '835: not this payer’s claim; forwarded to another payer' };
    case '25':
      return { ...base, ...withCodes, summary: `835 predetermination only: ${amount(payment.paidAmount)} would be paid` };
    default: {
      const state = adjudicated(payment);
      const verb = state === 'denied' ? 'paid nothing on' : state === 'partially-paid' ? 'partially paid' : 'paid';
      const of = state === 'denied' ? `a charge of ${amount(payment.chargeAmount)}` : `${amount(payment.paidAmount)} of ${amount(payment.chargeAmount)}`;
      return { ...base, ...withCodes, state, summary: `835 ${verb} ${of}${owes}` };
    }
  }
}

/**
 * Paid, partially paid or denied, for a processed claim: nothing paid and nothing owed by the
 * patient is a denial; a payment with a service line that got nothing for reasons other than
 * patient responsibility is partial.
 */
export function adjudicated(payment: ClaimPayment): ClaimState {
  const patientOwes = payment.patientResponsibility ?? 0;
  if (payment.paidAmount <= 0 && patientOwes <= 0) return 'denied';
  const lineDenied = (payment.serviceLinePayments ?? []).some(
    (line) => line.chargeAmount > 0 && line.paidAmount <= 0 && (line.adjustments ?? []).some((a) => a.group !== 'PR' && a.amount > 0),
  );
  return lineDenied && payment.paidAmount > 0 ? 'partially-paid' : 'paid';
}

/** Running totals a payment leaves on the lifecycle. */
export function paymentTotals(lifecycle: Lifecycle, payment: ClaimPayment): Partial<Lifecycle> {
  if (payment.statusCode === '23' || payment.statusCode === '25') return {};
  return {
    paidAmount: round2((lifecycle.paidAmount ?? 0) + payment.paidAmount),
    ...(payment.statusCode === '22' ? {} : { patientResponsibility: payment.patientResponsibility ?? 0 }),
    payerClaimControlNumber: payment.payerClaimControlNumber,
  };
}

function adjustmentCodes(adjustments: ClaimPayment['adjustments']): string[] {
  return (adjustments ?? []).map((a) => `${a.group}-${a.reasonCode}`);
}

function documentDate(value: string | undefined): { documentDate?: string } {
  if (!value) return {};
  return { documentDate: value.length === 10 ? `${value}T00:00:00Z` : value };
}

function amount(value: number): string {
  return value.toFixed(2);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
