/**
 * 271 Eligibility, Coverage or Benefit Information (005010X279A1) to canonical EligibilityCheck
 * records: one per member answered for, a subscriber (loop 2000C) or a dependent (2000D). Pure:
 * one 271 transaction set's segments in.
 */
import { createHash } from 'node:crypto';
import { buildLoops, eligibilityResponse271, element, repetitions, type Loop, type Segment } from '../../connectors/x12/index.js';
import type { EntityData } from '../../core/sdk/index.js';
import type { X12Envelope } from './acknowledgment-999.js';

type EligibilityCheck = EntityData<'EligibilityCheck'>;
type Benefit = NonNullable<EligibilityCheck['benefits']>[number];
type Rejection = NonNullable<EligibilityCheck['rejections']>[number];

export interface MappedEligibility {
  entity: 'EligibilityCheck';
  record: EligibilityCheck;
  /**
   * Payer, trace number (TRN02) and a digest of the member: the same 271 sent again upserts the
   * same records; the answer to a new 270 (a new trace) is a record of its own.
   */
  externalId: string;
}

export interface MappedEligibilities {
  kind: '271';
  records: MappedEligibility[];
  /** By segment number and id, never quoting element values. */
  problems: string[];
}

/** 271 EB01 (code 1390) to the model's benefit kinds; anything else is `other`. */
const BENEFIT_TYPE: Record<string, Benefit['type']> = {
  '1': 'active-coverage',
  '6': 'inactive',
  A: 'coinsurance',
  B: 'copay',
  C: 'deductible',
  G: 'out-of-pocket',
  F: 'limitation',
  I: 'non-covered',
};

/** 271 DMG03 (code 1068). */
const GENDER: Record<string, NonNullable<EligibilityCheck['member']['gender']>> = { F: 'female', M: 'male', U: 'unknown' };

/** EB03 `30`: health benefit plan coverage, what a 270 asks about when it names no service type. */
const HEALTH_PLAN_COVERAGE = '30';

interface Party {
  payer: EligibilityCheck['payer'];
  payerKey: string;
  provider: EligibilityCheck['provider'] | undefined;
}

/** Maps the segments of one 271 transaction set (ST to SE). */
export function mapEligibility271(segments: readonly Segment[], _envelope: X12Envelope = {}): MappedEligibilities {
  const st = segments[0];
  if (!st || st.id !== 'ST' || element(st, 1) !== '271') {
    return { kind: '271', records: [], problems: ['transaction set does not start with ST*271'] };
  }
  const tree = buildLoops(segments, eligibilityResponse271);
  const problems = tree.problems.map((p) => p.message);
  const records: MappedEligibility[] = [];
  for (const source of tree.root.loops.filter((l) => l.id === '2000A')) {
    const sourceNm1 = child(source, '2100A')?.segments[0];
    // 2000A/2100A AAA: the payer (or its system) turned the whole request down.
    reportRejections(source, 'information source', problems);
    reportRejections(child(source, '2100A'), 'information source', problems);
    if (!sourceNm1 || (!element(sourceNm1, 3) && !element(sourceNm1, 9))) {
      problems.push(`segment ${source.segments[0]!.index} (HL): information source has no 2100A NM1 with a name or id`);
      continue;
    }
    // 2100A NM103 payer name, NM109 payer id (NM108 PI, or XV for a CMS plan id).
    const payerId = element(sourceNm1, 9);
    const payer: EligibilityCheck['payer'] = { name: element(sourceNm1, 3) || payerId, ...(payerId ? { payerId } : {}) };
    for (const receiver of source.loops.filter((l) => l.id === '2000B')) {
      const receiverName = child(receiver, '2100B');
      reportRejections(receiverName, 'information receiver', problems);
      const party: Party = { payer, payerKey: payerId || payer.name, provider: providerOf(receiverName?.segments[0]) };
      for (const subscriber of receiver.loops.filter((l) => l.id === '2000C')) {
        const subscriberName = child(subscriber, '2100C');
        const subscriberNm1 = subscriberName?.segments[0];
        const dependents = subscriber.loops.filter((l) => l.id === '2000D');
        // A subscriber level that only carries a dependent's answer is no check of its own.
        const answered = subscriberName !== undefined && (subscriberName.loops.length > 0 || subscriberName.segments.some((s) => s.id === 'AAA'));
        if (answered || dependents.length === 0) {
          const mapped = member(subscriber, subscriberName, undefined, party, problems);
          if (mapped) records.push(mapped);
        }
        for (const dependent of dependents) {
          const mapped = member(dependent, child(dependent, '2100D'), subscriberNm1, party, problems);
          if (mapped) records.push(mapped);
        }
      }
    }
  }
  return { kind: '271', records, problems };
}

/** One 2000C or 2000D level and its name loop (2100C/2100D) with the benefits under it (2110C/2110D). */
function member(level: Loop, name: Loop | undefined, subscriberNm1: Segment | undefined, party: Party, problems: string[]): MappedEligibility | undefined {
  const hl = level.segments[0]!;
  const dependent = subscriberNm1 !== undefined;
  const nm1 = name?.segments[0];
  if (!name || !nm1) {
    problems.push(`segment ${hl.index} (HL): ${dependent ? 'dependent has no 2100D' : 'subscriber has no 2100C'} NM1`);
    return undefined;
  }
  // 2100C NM109 (NM108 MI); a dependent without an id of its own is known by the subscriber's.
  const memberId = element(nm1, 9) || (subscriberNm1 ? element(subscriberNm1, 9) : '');
  if (!memberId) {
    problems.push(`segment ${nm1.index} (NM1): no member id in NM109${dependent ? ' of the dependent or its subscriber' : ''}`);
    return undefined;
  }
  const given = [element(nm1, 4), element(nm1, 5)].filter(Boolean);
  const suffix = element(nm1, 7);
  const dmg = name.segments.find((s) => s.id === 'DMG');
  // DMG01 D8, DMG02 birth date, DMG03 gender.
  const birthDate = dmg && element(dmg, 1) === 'D8' ? date(element(dmg, 2)) : undefined;
  const gender = dmg ? GENDER[element(dmg, 3)] : undefined;

  const benefitLoops = name.loops.filter((l) => l.id === '2110C' || l.id === '2110D');
  const benefits = benefitLoops.map(benefit);
  const rejections = reportRejections(name, dependent ? 'dependent' : 'subscriber', problems);
  for (const loop of benefitLoops) rejections.push(...reportRejections(loop, dependent ? 'dependent benefit' : 'subscriber benefit', problems));

  // TRN02 with TRN01 `2`: the 270's trace echoed back; else the first TRN (the payer's own).
  const trns = level.segments.filter((s) => s.id === 'TRN');
  const traceNumber = element(trns.find((s) => element(s, 1) === '2') ?? trns[0] ?? hl, 2) || undefined;
  // The 271 does not echo EQ01: the service types answered for stand in, `30` when none is named.
  const serviceTypes = [...new Set(benefits.flatMap((b) => b.serviceTypes ?? []))];
  const ebs = benefitLoops.map((l) => l.segments[0]!);
  const coverage = ebs.filter((eb) => element(eb, 5)).find((eb) => ['1', '6'].includes(element(eb, 1))) ?? ebs.find((eb) => element(eb, 5));
  // Plan name: EB05 of the coverage EB, else REF*18 REF03 (plan description) or REF02 (plan number).
  const plan = findRef([name, ...benefitLoops], '18');
  const planName = (coverage ? element(coverage, 5) : '') || (plan ? element(plan, 3) || element(plan, 2) : '') || undefined;
  const group = findRef([name, ...benefitLoops], '6P');
  const groupNumber = group ? element(group, 2) || undefined : undefined;
  const planPeriod = period(name) ?? benefitLoops.filter((l) => element(l.segments[0]!, 1) === '1').map(period).find(Boolean);
  const coverageActive = active(benefits);

  const record: EligibilityCheck = {
    schemaVersion: '1.0.0',
    member: {
      memberId,
      ...(element(nm1, 3) ? { name: { family: element(nm1, 3), ...(given.length ? { given } : {}), ...(suffix ? { suffix } : {}) } } : {}),
      ...(birthDate ? { birthDate } : {}),
      ...(gender ? { gender } : {}),
    },
    payer: party.payer,
    ...(party.provider ? { provider: party.provider } : {}),
    serviceTypes: serviceTypes.length ? serviceTypes : [HEALTH_PLAN_COVERAGE],
    ...(traceNumber ? { traceNumber } : {}),
    ...(coverageActive !== undefined ? { coverageActive } : {}),
    ...(planName ? { planName } : {}),
    ...(groupNumber ? { groupNumber } : {}),
    ...(planPeriod ? { planPeriod } : {}),
    ...(benefits.length ? { benefits } : {}),
    ...(rejections.length ? { rejections } : {}),
  };
  const who = dependent ? ['D', memberId, element(nm1, 3), ...given, birthDate ?? ''] : ['C', memberId];
  return { entity: 'EligibilityCheck', record, externalId: ['271', party.payerKey, traceNumber ?? '-', memberKey(who)].join('|') };
}

/** One 2110C/2110D loop: its EB segment, and the MSG segments after it. */
function benefit(loop: Loop): Benefit {
  const eb = loop.segments[0]!;
  const code = element(eb, 1);
  const serviceTypes = repetitions(element(eb, 3), eb.delimiters);
  const amount = decimal(element(eb, 7));
  const percent = decimal(element(eb, 8));
  const quantity = decimal(element(eb, 10));
  const messages = loop.segments.filter((s) => s.id === 'MSG').map((s) => element(s, 1)).filter(Boolean);
  return {
    type: BENEFIT_TYPE[code] ?? 'other',
    ...(code ? { informationCode: code } : {}),
    ...(element(eb, 2) ? { coverageLevel: element(eb, 2) } : {}), // EB02 coverage level
    ...(serviceTypes.length ? { serviceTypes } : {}), // EB03 service types, repeating
    ...(element(eb, 4) ? { insuranceType: element(eb, 4) } : {}), // EB04 insurance type
    ...(element(eb, 6) ? { timePeriod: element(eb, 6) } : {}), // EB06 time period qualifier
    ...(amount !== undefined ? { amount: Math.round(amount * 100) / 100 } : {}), // EB07 monetary amount
    ...(percent !== undefined ? { percent } : {}), // EB08 percent, already a fraction (.2)
    ...(quantity !== undefined ? { quantity } : {}), // EB10 quantity (EB09 qualifier)
    ...yesNo('authorizationRequired', element(eb, 11)), // EB11 authorization or certification
    ...yesNo('inNetwork', element(eb, 12)), // EB12 in plan network; W (both) and U (unknown) stay absent
    ...(messages.length ? { messages } : {}),
  };
}

/**
 * Whether coverage is active, from EB01 `1` / `6`; the health plan coverage answer (EB03 `30` or no
 * service type) wins over a service-specific one, and any active answer over an inactive one.
 */
function active(benefits: readonly Benefit[]): boolean | undefined {
  const statuses = benefits.filter((b) => b.informationCode === '1' || b.informationCode === '6');
  const plan = statuses.filter((b) => !b.serviceTypes || b.serviceTypes.includes(HEALTH_PLAN_COVERAGE));
  const pool = plan.length ? plan : statuses;
  if (pool.length === 0) return undefined;
  return pool.some((b) => b.informationCode === '1');
}

/** AAA segments of a loop: reported as problems by segment, and returned as rejections. */
function reportRejections(loop: Loop | undefined, level: string, problems: string[]): Rejection[] {
  const out: Rejection[] = [];
  for (const aaa of loop?.segments.filter((s) => s.id === 'AAA') ?? []) {
    // AAA03 reject reason, AAA04 follow-up action.
    const reasonCode = element(aaa, 3);
    const followUp = element(aaa, 4);
    problems.push(`segment ${aaa.index} (AAA): the payer rejected the request at ${level} level${reasonCode ? ' (reason in AAA03)' : ''}`);
    if (reasonCode) out.push({ reasonCode, ...(followUp ? { followUp } : {}) });
  }
  return out;
}

/** 2100B NM1: the provider by NPI (NM108 XX); name NM103, and NM104 for a person. */
function providerOf(nm1: Segment | undefined): EligibilityCheck['provider'] | undefined {
  if (!nm1 || element(nm1, 8) !== 'XX' || !element(nm1, 9)) return undefined;
  const name = [element(nm1, 3), element(nm1, 4)].filter(Boolean).join(', ');
  return { npi: element(nm1, 9), ...(name ? { name } : {}) };
}

/** DTP*346 (plan begin), DTP*347 (plan end) or DTP*291 (plan, D8 or RD8) of a loop. */
function period(loop: Loop): { start?: string; end?: string } | undefined {
  const dtp = (qualifier: string) => loop.segments.find((s) => s.id === 'DTP' && element(s, 1) === qualifier);
  const begin = dtp('346');
  const end = dtp('347');
  if (begin || end) {
    const start = begin ? date(element(begin, 3).split('-')[0]!) : undefined;
    const finish = end ? date(element(end, 3).split('-').at(-1)!) : undefined;
    return { ...(start ? { start } : {}), ...(finish ? { end: finish } : {}) };
  }
  const plan = dtp('291');
  if (!plan) return undefined;
  const [start, finish] = element(plan, 2) === 'RD8' ? element(plan, 3).split('-') : [element(plan, 3), undefined];
  const out = { ...(start ? { start: date(start)! } : {}), ...(finish ? { end: date(finish)! } : {}) };
  return out.start || out.end ? out : undefined;
}

function findRef(loops: readonly Loop[], qualifier: string): Segment | undefined {
  for (const loop of loops) {
    const found = loop.segments.find((s) => s.id === 'REF' && element(s, 1) === qualifier && element(s, 2));
    if (found) return found;
  }
  return undefined;
}

function child(loop: Loop, id: string): Loop | undefined {
  return loop.loops.find((l) => l.id === id);
}

/**
 * The member part of an external id. Member ids and names are PHI, so ids carry a digest of them:
 * stable for upserts, readable by nobody.
 */
function memberKey(parts: readonly string[]): string {
  return `mbr-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 20)}`;
}

function yesNo<K extends 'authorizationRequired' | 'inNetwork'>(key: K, value: string): Partial<Record<K, boolean>> {
  if (value === 'Y') return { [key]: true } as Record<K, boolean>;
  if (value === 'N') return { [key]: false } as Record<K, boolean>;
  return {};
}

function decimal(value: string): number | undefined {
  if (value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : Number.NaN;
}

/** CCYYMMDD to YYYY-MM-DD; anything else passes through for the schema to reject by name. */
function date(value: string): string | undefined {
  if (value === '') return undefined;
  return /^\d{8}$/.test(value) ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}` : value;
}
