import { describe, expect, it } from 'vitest';
import { exampleRecords } from '../../core/model/examples.js';
import { validateEntity } from '../../core/sdk/index.js';
import {
  addEvent,
  adjudicated,
  claimAcknowledged,
  envelopeAcknowledged,
  MAX_EVENTS,
  raiseAlert,
  statusReported,
  submitted,
  type Acknowledgment,
  type ClaimPayment,
  type Lifecycle,
} from './lifecycle-rules.js';

const AT = '2026-11-20T10:00:00.000Z';
const fresh = (): Lifecycle =>
  submitted(
    undefined,
    { claim: { system: 'billing', id: 'PCN-1' }, claimRecordId: 'rec-1', patientControlNumber: 'PCN-1', claimType: 'professional', totalCharge: 220 },
    { file: 'outbound/837P-000000001.x12', interchangeControlNumber: '000000001', groupControlNumber: '1', transactionSetControlNumber: '0001', submittedAt: AT, claimVersion: 1 },
  );

const payment = (extra: Partial<ClaimPayment>): ClaimPayment => ({
  patientControlNumber: 'PCN-1',
  statusCode: '1',
  chargeAmount: 220,
  paidAmount: 150,
  payerClaimControlNumber: 'SUN-1',
  ...extra,
});

const line = (charge: number, paid: number, group: 'CO' | 'PR', amount: number) => ({
  procedure: { code: '99213' },
  chargeAmount: charge,
  paidAmount: paid,
  adjustments: [{ group, reasonCode: group === 'PR' ? '1' : '96', amount }],
});

describe('claim lifecycle rules', () => {
  it('starts a valid ClaimLifecycle record at `submitted`', () => {
    expect(validateEntity('ClaimLifecycle', fresh())).toEqual([]);
    expect(validateEntity('ClaimLifecycle', exampleRecords.ClaimLifecycle)).toEqual([]);
    expect(fresh().events[0]!.summary).toBe('submitted in outbound/837P-000000001.x12 (ISA13 000000001, GS06 1, ST02 0001)');
  });

  it('tells paid, partially paid and denied apart', () => {
    expect(adjudicated(payment({}))).toBe('paid');
    // Nothing paid but a deductible the patient owes: the payer processed it, it is not a denial.
    expect(adjudicated(payment({ paidAmount: 0, patientResponsibility: 220 }))).toBe('paid');
    expect(adjudicated(payment({ paidAmount: 0, patientResponsibility: 0 }))).toBe('denied');
    expect(adjudicated(payment({ paidAmount: 100, serviceLinePayments: [line(175, 100, 'CO', 75), line(45, 0, 'CO', 45)] }))).toBe('partially-paid');
    // A line the patient pays in full is not a denied line.
    expect(adjudicated(payment({ paidAmount: 100, serviceLinePayments: [line(175, 100, 'CO', 75), line(45, 0, 'PR', 45)] }))).toBe('paid');
  });

  it('never lets a late acknowledgment or status undo a payment', () => {
    const paid = addEvent(fresh(), AT, { kind: '835', from: 'payer', state: 'paid', summary: '835 paid' });
    const lateAck: Acknowledgment = { schemaVersion: '1.0.0', source: '277CA', acknowledgedBy: 'payer', status: 'accepted' };
    expect(claimAcknowledged(paid, lateAck, 'in.x12', undefined).state).toBeUndefined();
    const late999: Acknowledgment = { schemaVersion: '1.0.0', source: '999', status: 'rejected', groupControlNumber: '1' };
    expect(envelopeAcknowledged(paid, late999, 'in.x12', undefined).state).toBeUndefined();
    const status = { ...exampleRecords.ClaimStatus, statuses: [{ category: 'P1', code: '20' }] };
    expect(statusReported(paid, status, 'in.x12', undefined).state).toBeUndefined();
    // The other way round, a 277 F2 for a claim still pending is a denial.
    expect(statusReported(fresh(), { ...status, statuses: [{ category: 'F2', code: '88' }] }, 'in.x12', undefined).state).toBe('denied');
  });

  it('moves stateSince only when the state changes, and marks when the payer last spoke', () => {
    const accepted = addEvent(fresh(), '2026-11-21T00:00:00.000Z', { kind: '999', from: 'clearinghouse', state: 'accepted', summary: '999 accepted' });
    expect(accepted.stateSince).toBe('2026-11-21T00:00:00.000Z');
    const again = addEvent(accepted, '2026-11-22T00:00:00.000Z', { kind: '277CA', from: 'payer', state: 'accepted', summary: '277CA accepted' });
    expect(again.stateSince).toBe('2026-11-21T00:00:00.000Z');
    expect(again.lastPayerResponseAt).toBe('2026-11-22T00:00:00.000Z');
  });

  it('raises an alert once and clears it with the answer it waits for', () => {
    const alerted = raiseAlert(fresh(), AT, 'no-999', 'no 999 for the file');
    expect(raiseAlert(alerted, AT, 'no-999', 'no 999 for the file')).toBe(alerted);
    expect(alerted.alerts).toEqual([{ kind: 'no-999', raisedAt: AT, detail: 'no 999 for the file' }]);
    const answered = addEvent(alerted, AT, { kind: '999', from: 'clearinghouse', state: 'accepted', summary: '999 accepted' });
    expect(answered.alerts).toBeUndefined();
    expect(validateEntity('ClaimLifecycle', answered)).toEqual([]);
  });

  it('keeps the latest events within what the schema allows', () => {
    let lifecycle = fresh();
    for (let i = 0; i < MAX_EVENTS + 10; i++) lifecycle = addEvent(lifecycle, AT, { kind: '277', from: 'payer', summary: `277 #${i}` });
    expect(lifecycle.events).toHaveLength(MAX_EVENTS);
    expect(lifecycle.events.at(-1)!.summary).toBe(`277 #${MAX_EVENTS + 9}`);
    expect(validateEntity('ClaimLifecycle', lifecycle)).toEqual([]);
  });
});
