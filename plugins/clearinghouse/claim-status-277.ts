/**
 * 277 transaction sets to canonical records, one per claim (loop 2200D, or 2200E for a dependent):
 * a 277CA (005010X214) becomes ClaimAcknowledgment records, a 277 claim status response
 * (005010X212) ClaimStatus records. Pure: one transaction set's segments in.
 */
import { createHash } from 'node:crypto';
import {
  buildLoops,
  chooseSpec,
  claimAcknowledgment277,
  claimStatus277,
  components,
  element,
  walkLoops,
  type Loop,
  type Segment,
} from '../../connectors/x12/index.js';
import type { EntityData } from '../../core/sdk/index.js';
import type { X12Envelope } from './acknowledgment-999.js';

type ClaimAcknowledgment = EntityData<'ClaimAcknowledgment'>;
type ClaimStatus = EntityData<'ClaimStatus'>;
type StatusCode = NonNullable<ClaimAcknowledgment['statusCodes']>[number];

export type Mapped277 =
  | { entity: 'ClaimAcknowledgment'; record: ClaimAcknowledgment; externalId: string }
  | { entity: 'ClaimStatus'; record: ClaimStatus; externalId: string };

export interface MappedClaimStatuses {
  /** Which guide the set follows: `277CA` (X214) or `277` (X212). */
  kind: '277CA' | '277';
  records: Mapped277[];
  /** By segment number and id, never quoting element values. */
  problems: string[];
}

/** 277CA STC01-1 (code 507): the acknowledgment categories. */
const ACCEPTED = new Set(['A1', 'A2', 'A5']);
const REJECTED = new Set(['A3', 'A4', 'A6', 'A7', 'A8']);

/** Maps the segments of one 277 transaction set (ST to SE); ST03 (or GS08) picks 277CA or 277. */
export function mapClaimStatus277(segments: readonly Segment[], context: X12Envelope = {}): MappedClaimStatuses {
  const st = segments[0];
  if (!st || st.id !== 'ST') return { kind: '277', records: [], problems: ['transaction set does not start with ST'] };
  const spec = chooseSpec([claimAcknowledgment277, claimStatus277], st, context.gs);
  const tree = buildLoops(segments, spec);
  const problems = tree.problems.map((p) => p.message);
  const kind = spec === claimAcknowledgment277 ? '277CA' : '277';
  const records = kind === '277CA' ? acknowledgments(tree.root, problems) : statuses(tree.root, problems);
  return { kind, records, problems };
}

function acknowledgments(root: Loop, problems: string[]): Mapped277[] {
  const bht = root.segments.find((s) => s.id === 'BHT');
  // 277CA BHT04/BHT05: when the acknowledgment was created.
  const acknowledgedAt = bht ? timestamp(element(bht, 4), element(bht, 5)) : undefined;
  const out: Mapped277[] = [];
  for (const source of root.loops.filter((l) => l.id === '2000A')) {
    const sourceParty = source.loops.find((l) => l.id === '2100A');
    const sourceId = partyId(sourceParty);
    const acknowledgedBy = acknowledgingParty(sourceParty);
    for (const { loop } of walkLoops(source)) {
      if (loop.id !== '2200D') continue;
      const trn = loop.segments[0]!;
      const stcs = loop.segments.filter((s) => s.id === 'STC');
      const statusCodes = stcs.flatMap(statusComposites);
      const lineCategories = loop.loops.flatMap((line) => line.segments.filter((s) => s.id === 'STC').flatMap(statusComposites)).map((c) => c.category);
      const claimCategory = statusCodes[0]?.category;
      if (!claimCategory || !(ACCEPTED.has(claimCategory) || REJECTED.has(claimCategory))) {
        problems.push(`segment ${(stcs[0] ?? trn).index} (${(stcs[0] ?? trn).id}): claim has no acknowledgment category (A1-A8) in STC01`);
        continue;
      }
      const rejected = statusCodes.some((c) => REJECTED.has(c.category));
      const linesRejected = lineCategories.some((c) => REJECTED.has(c));
      const status: ClaimAcknowledgment['status'] = rejected ? 'rejected' : linesRejected ? 'partially-accepted' : 'accepted';
      // 277CA 2200D TRN02: the patient control number (837 CLM01); REF*1K payer claim number; REF*D9 clearinghouse trace.
      const patientControlNumber = element(trn, 2);
      const payerClaimControlNumber = ref(loop, '1K');
      const clearinghouseTraceNumber = ref(loop, 'D9');
      const totalCharge = stcs[0] ? money(element(stcs[0], 4)) : undefined;
      const errors = statusCodes.filter((c) => REJECTED.has(c.category)).map((c) => ({ code: c.code, ...(c.entity ? { entity: c.entity } : {}) }));
      const record: ClaimAcknowledgment = {
        schemaVersion: '1.0.0',
        source: '277CA',
        acknowledgedBy,
        status,
        ...(acknowledgedAt ? { acknowledgedAt } : {}),
        ...(patientControlNumber ? { patientControlNumber } : {}),
        ...(payerClaimControlNumber ? { payerClaimControlNumber } : {}),
        ...(clearinghouseTraceNumber ? { clearinghouseTraceNumber } : {}),
        ...(totalCharge !== undefined ? { totalCharge } : {}),
        statusCodes,
        ...(errors.length ? { errors } : {}),
      };
      out.push({
        entity: 'ClaimAcknowledgment',
        record,
        // The acknowledging party and the claim's submission (its clearinghouse trace when given):
        // the same 277CA sent twice upserts; the payer's 277CA for the claim is a record of its own.
        externalId: ['277CA', sourceId, claimKey(patientControlNumber), clearinghouseTraceNumber ?? '-'].join('|'),
      });
    }
  }
  return out;
}

function statuses(root: Loop, problems: string[]): Mapped277[] {
  const out: Mapped277[] = [];
  for (const source of root.loops.filter((l) => l.id === '2000A')) {
    const payerNm1 = source.loops.find((l) => l.id === '2100A')?.segments[0];
    // 277 2100A NM103 payer name, NM109 payer id (NM108 PI or XV).
    const payer: ClaimStatus['payer'] = {
      name: payerNm1 ? element(payerNm1, 3) : '',
      ...(payerNm1 && element(payerNm1, 9) ? { payerId: element(payerNm1, 9) } : {}),
    };
    const payerKey = payer.payerId ?? (payer.name || 'unknown-payer');
    for (const receiver of source.loops.filter((l) => l.id === '2000B')) {
      for (const provider of receiver.loops.filter((l) => l.id === '2000C')) {
        const providerNm1 = provider.loops.find((l) => l.id === '2100C')?.segments[0];
        const providerRef: ClaimStatus['provider'] | undefined =
          providerNm1 && element(providerNm1, 8) === 'XX'
            ? { npi: element(providerNm1, 9), ...(element(providerNm1, 3) ? { name: element(providerNm1, 3) } : {}) }
            : undefined;
        for (const subscriber of provider.loops.filter((l) => l.id === '2000D')) {
          const subscriberNm1 = subscriber.loops.find((l) => l.id === '2100D')?.segments[0];
          const claims: [Loop, Segment | undefined][] = subscriber.loops.filter((l) => l.id === '2200D').map((l) => [l, subscriberNm1]);
          for (const dependent of subscriber.loops.filter((l) => l.id === '2000E')) {
            const dependentNm1 = dependent.loops.find((l) => l.id === '2100E')?.segments[0];
            claims.push(...dependent.loops.filter((l) => l.id === '2200E').map((l): [Loop, Segment | undefined] => [l, dependentNm1]));
          }
          for (const [claim, patientNm1] of claims) {
            const mapped = claimStatus(claim, patientNm1, payer, providerRef, problems);
            if (mapped) out.push({ entity: 'ClaimStatus', record: mapped, externalId: ['277', payerKey, claimKey(mapped.patientControlNumber)].join('|') });
          }
        }
      }
    }
  }
  return out;
}

function claimStatus(
  loop: Loop,
  patientNm1: Segment | undefined,
  payer: ClaimStatus['payer'],
  provider: ClaimStatus['provider'] | undefined,
  problems: string[],
): ClaimStatus | undefined {
  const trn = loop.segments[0]!;
  const stcs = loop.segments.filter((s) => s.id === 'STC');
  const statuses = stcs.flatMap(statusComposites);
  // 277 2200D TRN02, or REF*EJ when the payer echoes the patient account number there.
  const patientControlNumber = element(trn, 2) || ref(loop, 'EJ') || '';
  if (!patientControlNumber || statuses.length === 0) {
    problems.push(`segment ${trn.index} (TRN): a claim status needs TRN02 and at least one STC`);
    return undefined;
  }
  const stc = stcs[0]!;
  const payerClaimControlNumber = ref(loop, '1K');
  const dtp = loop.segments.find((s) => s.id === 'DTP' && element(s, 1) === '472');
  const period = dtp ? datePeriod(element(dtp, 2), element(dtp, 3)) : undefined;
  const given = patientNm1 ? [element(patientNm1, 4), element(patientNm1, 5)].filter(Boolean) : [];
  // 277 STC04 charge, STC05 payment, STC06 adjudication date, STC08 payment date, STC09 check/EFT number.
  const totalCharge = money(element(stc, 4));
  const paidAmount = money(element(stc, 5));
  const adjudicationDate = date(element(stc, 6));
  const paymentDate = date(element(stc, 8));
  const checkNumber = element(stc, 9);
  return {
    schemaVersion: '1.0.0',
    patientControlNumber,
    ...(payerClaimControlNumber ? { payerClaimControlNumber } : {}),
    payer,
    ...(provider ? { provider } : {}),
    ...(patientNm1
      ? {
          patient: {
            name: { family: element(patientNm1, 3), ...(given.length ? { given } : {}) },
            ...(element(patientNm1, 8) === 'MI' && element(patientNm1, 9) ? { memberId: element(patientNm1, 9) } : {}),
          },
        }
      : {}),
    statuses,
    ...(totalCharge !== undefined ? { totalCharge } : {}),
    ...(paidAmount !== undefined ? { paidAmount } : {}),
    ...(adjudicationDate ? { adjudicationDate } : {}),
    ...(paymentDate ? { paymentDate } : {}),
    ...(checkNumber ? { checkNumber } : {}),
    ...(period ? { servicePeriod: period } : {}),
  };
}

/** STC01, STC10 and STC11: category:code:entity composites; STC02 the effective date. */
function statusComposites(stc: Segment): StatusCode[] {
  const effectiveDate = date(element(stc, 2));
  const out: StatusCode[] = [];
  for (const position of [1, 10, 11]) {
    const [category, code, entity] = components(element(stc, position), stc.delimiters);
    if (!category) continue;
    out.push({ category, code: code ?? '', ...(entity ? { entity } : {}), ...(effectiveDate ? { effectiveDate } : {}) });
  }
  return out;
}

/**
 * The claim part of an external id. The patient control number is PHI in the model, so ids carry
 * a digest of it: stable for upserts, readable by nobody.
 */
function claimKey(patientControlNumber: string): string {
  return `pcn-${createHash('sha256').update(patientControlNumber).digest('hex').slice(0, 20)}`;
}

/** NM109 of the information source (NM108 46/PI/XV), or its name. */
function partyId(loop: Loop | undefined): string {
  const nm1 = loop?.segments[0];
  return (nm1 && (element(nm1, 9) || element(nm1, 3))) || 'unknown-source';
}

/** 277CA 2100A NM101: `PR` is the payer; `AY` (or anything else) the clearinghouse that edited the claims. */
function acknowledgingParty(loop: Loop | undefined): NonNullable<ClaimAcknowledgment['acknowledgedBy']> {
  const nm1 = loop?.segments[0];
  return nm1 && element(nm1, 1) === 'PR' ? 'payer' : 'clearinghouse';
}

function ref(loop: Loop, qualifier: string): string | undefined {
  const segment = loop.segments.find((s) => s.id === 'REF' && element(s, 1) === qualifier);
  return segment ? element(segment, 2) || undefined : undefined;
}

function money(value: string): number | undefined {
  if (value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? Math.round(n * 100) / 100 : Number.NaN;
}

/** CCYYMMDD to YYYY-MM-DD; anything else passes through for the schema to reject by name. */
function date(value: string): string | undefined {
  if (value === '') return undefined;
  return /^\d{8}$/.test(value) ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}` : value;
}

/** DTP03 as D8 (`CCYYMMDD`) or RD8 (`CCYYMMDD-CCYYMMDD`). */
function datePeriod(format: string, value: string): { start?: string; end?: string } | undefined {
  const [start, end] = format === 'RD8' ? value.split('-') : [value, value];
  const period = { ...(start ? { start: date(start)! } : {}), ...(end ? { end: date(end)! } : {}) };
  return period.start || period.end ? period : undefined;
}

/** BHT04 (CCYYMMDD) and BHT05 (HHMM, HHMMSS or more), read as UTC. */
function timestamp(day: string, time: string): string | undefined {
  if (!/^\d{8}$/.test(day)) return undefined;
  const t = /^\d{4,}/.test(time) ? time : '0000';
  const seconds = /^\d{6}/.test(t) ? t.slice(4, 6) : '00';
  return `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${seconds}Z`;
}
