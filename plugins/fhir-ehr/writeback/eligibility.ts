/**
 * A canonical EligibilityCheck (X12 270/271) as a FHIR R4 CoverageEligibilityResponse
 * (http://hl7.org/fhir/R4/coverageeligibilityresponse.html). Pure: the record in, the resource
 * (or the reasons it cannot be written) out.
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
  type WriteBackContext,
  type WriteBackPlan,
} from './common.js';

type EligibilityCheck = EntityData<'EligibilityCheck'>;
type Benefit = NonNullable<EligibilityCheck['benefits']>[number];

export const SERVICE_TYPE_SYSTEM = 'https://x12.org/codes/service-type-codes';
const BENEFIT_TYPE = 'http://terminology.hl7.org/CodeSystem/benefit-type';
const BENEFIT_NETWORK = 'http://terminology.hl7.org/CodeSystem/benefit-network';
const BENEFIT_UNIT = 'http://terminology.hl7.org/CodeSystem/benefit-unit';
const BENEFIT_TERM = 'http://terminology.hl7.org/CodeSystem/benefit-term';
const AAA03_SYSTEM = 'https://x12.org/codes/reject-reason-codes';

/** 271 EB01 kinds with a code in FHIR's benefit-type system; the others carry their name as text. */
const BENEFIT_TYPES: Partial<Record<Benefit['type'], string>> = {
  copay: 'copay',
  coinsurance: 'copay-percent',
  deductible: 'deductible',
};

/** 271 EB02 coverage level to benefit-unit. */
const UNITS: Record<string, string> = { IND: 'individual', FAM: 'family' };
/** 271 EB06 time period to benefit-term (29 "remaining" has none: it becomes `used`, below). */
const TERMS: Record<string, string> = { '23': 'annual', '25': 'annual', '7': 'day', '32': 'lifetime', '33': 'lifetime' };

const REMAINING = '29';

/** The identifier a check is written under: its 270/271 trace number, else the hub's record id. */
export function eligibilityIdentifier(check: EligibilityCheck, recordId: string, context: WriteBackContext) {
  return { system: hubSystem(context, 'coverage-eligibility-response'), value: check.traceNumber ?? `record-${recordId}` };
}

/**
 * Maps an EligibilityCheck to one CoverageEligibilityResponse. It cannot be written without a
 * patient (a Patient of this EHR, or a member id under a configured system) or before the 271
 * has answered.
 */
export function eligibilityToFhir(check: EligibilityCheck, recordId: string, context: WriteBackContext): WriteBackPlan {
  const problems: string[] = [];
  const patient =
    literalReference(check.member.patient, 'Patient', context) ?? memberReference(check.member.memberId, context);
  if (!patient) {
    problems.push(
      `CoverageEligibilityResponse.patient: required; member.patient is not a Patient of ${context.externalSystem} and no memberIdSystems is configured to name the member by member id`,
    );
  }
  const answered = check.respondedAt !== undefined || check.coverageActive !== undefined || (check.benefits?.length ?? 0) > 0 || (check.rejections?.length ?? 0) > 0;
  if (!answered) {
    problems.push('CoverageEligibilityResponse.outcome: the 271 has not answered yet (respondedAt, coverageActive, benefits and rejections are all absent)');
  }
  const created = check.respondedAt ?? check.requestedAt;
  if (created === undefined) problems.push('CoverageEligibilityResponse.created: required; the check has neither respondedAt nor requestedAt');
  if (problems.length || !patient || created === undefined) return { writes: [], problems };

  const identifier = eligibilityIdentifier(check, recordId, context);
  const rejected = (check.rejections?.length ?? 0) > 0;
  const items = benefitItems(check);
  const coverage: FhirReference =
    literalReference(check.member.coverage, 'Coverage', context) ??
    memberReference(check.member.memberId, context) ??
    { display: check.planName ?? check.payer.name };

  const resource = compact({
    resourceType: 'CoverageEligibilityResponse',
    identifier: [identifier],
    status: 'active',
    purpose: ['benefits'],
    patient,
    servicedDate: check.asOfDate,
    created,
    requestor: check.provider ? npiReference(check.provider.npi, check.provider.name) : undefined,
    // request is 1..1 and the hub keeps no CoverageEligibilityRequest: a logical reference by the 270's trace.
    request: { identifier: { system: hubSystem(context, 'coverage-eligibility-request'), value: identifier.value } },
    outcome: rejected && !items.length && check.coverageActive === undefined ? 'error' : 'complete',
    disposition: disposition(check),
    insurer: insurerReference(check.payer, context),
    insurance:
      check.coverageActive !== undefined || items.length || check.planPeriod
        ? [
            compact({
              coverage,
              // 271 EB01 1 (active) or 6 (inactive).
              inforce: check.coverageActive,
              benefitPeriod: check.planPeriod && compact({ start: check.planPeriod.start, end: check.planPeriod.end }),
              item: items.length ? items : undefined,
            }),
          ]
        : undefined,
    // 271 AAA03: why the payer could not answer.
    error: rejected ? check.rejections!.map((rejection) => ({ code: codeable(AAA03_SYSTEM, rejection.reasonCode) })) : undefined,
  });
  return { writes: [{ resource, identifier }], problems: [] };
}

function disposition(check: EligibilityCheck): string {
  if (check.rejections?.length) return 'The payer rejected the eligibility request';
  const plan = check.planName ? ` (${check.planName})` : '';
  if (check.coverageActive === true) return `Coverage active${plan}`;
  if (check.coverageActive === false) return `Coverage inactive${plan}`;
  return 'The payer did not state whether coverage is active';
}

interface ItemDraft {
  category: string;
  network?: boolean;
  unit?: string;
  term?: string;
  excluded?: boolean;
  authorizationRequired?: boolean;
  description: string[];
  benefit: Array<Record<string, unknown>>;
}

/**
 * 271 EB segments as `insurance.item`: one item per service type (EB03, else the types asked
 * for), network (EB12), coverage level (EB02) and term (EB06). A "remaining" amount (EB06 29)
 * becomes `used` on the same benefit's annual amount; alone, FHIR has no element for it.
 */
function benefitItems(check: EligibilityCheck): Array<Record<string, unknown>> {
  const drafts = new Map<string, ItemDraft>();
  const draftOf = (benefit: Benefit, serviceType: string, term: string | undefined) => {
    const key = [serviceType, benefit.inNetwork, benefit.coverageLevel, term].join('|');
    let draft = drafts.get(key);
    if (!draft) {
      draft = { category: serviceType, network: benefit.inNetwork, unit: benefit.coverageLevel && UNITS[benefit.coverageLevel], term, description: [], benefit: [] };
      drafts.set(key, draft);
    }
    return draft;
  };
  const benefits = check.benefits ?? [];
  for (const benefit of benefits) {
    if (benefit.type === 'active-coverage' || benefit.type === 'inactive') continue; // said by insurance.inforce
    if (benefit.timePeriod === REMAINING) continue; // folded into its annual sibling below
    for (const serviceType of benefit.serviceTypes ?? check.serviceTypes) {
      const term = benefit.timePeriod === undefined ? undefined : TERMS[benefit.timePeriod];
      const draft = draftOf(benefit, serviceType, term);
      if (benefit.type === 'non-covered') draft.excluded = true;
      if (benefit.authorizationRequired !== undefined) draft.authorizationRequired = benefit.authorizationRequired;
      if (benefit.messages) draft.description.push(...benefit.messages);
      const allowed = allowedOf(benefit);
      if (!allowed) continue;
      const code = BENEFIT_TYPES[benefit.type];
      const remaining = benefits.find(
        (other) =>
          other.timePeriod === REMAINING &&
          other.type === benefit.type &&
          other.amount !== undefined &&
          benefit.amount !== undefined &&
          other.inNetwork === benefit.inNetwork &&
          other.coverageLevel === benefit.coverageLevel &&
          (other.serviceTypes ?? check.serviceTypes).includes(serviceType),
      );
      draft.benefit.push({
        type: code ? codeable(BENEFIT_TYPE, code) : { text: benefit.type },
        ...allowed,
        ...(remaining ? { usedMoney: money(round(benefit.amount! - remaining.amount!)) } : {}),
      });
    }
  }
  return [...drafts.values()]
    .filter((draft) => draft.benefit.length || draft.excluded !== undefined || draft.authorizationRequired !== undefined || draft.description.length)
    .map((draft) =>
      compact({
        category: codeable(SERVICE_TYPE_SYSTEM, draft.category),
        excluded: draft.excluded,
        description: draft.description.length ? draft.description.join(' ') : undefined,
        network: draft.network === undefined ? undefined : codeable(BENEFIT_NETWORK, draft.network ? 'in' : 'out'),
        unit: draft.unit === undefined ? undefined : codeable(BENEFIT_UNIT, draft.unit),
        term: draft.term === undefined ? undefined : codeable(BENEFIT_TERM, draft.term),
        benefit: draft.benefit.length ? draft.benefit : undefined,
        authorizationRequired: draft.authorizationRequired,
      }),
    );
}

/** 271 EB07 amount, EB08 percent (as a whole percent) or EB10 quantity, as `allowed[x]`. */
function allowedOf(benefit: Benefit): Record<string, unknown> | undefined {
  if (benefit.amount !== undefined) return { allowedMoney: money(benefit.amount) };
  if (benefit.percent !== undefined) return { allowedUnsignedInt: Math.round(benefit.percent * 100) };
  if (benefit.quantity !== undefined && Number.isInteger(benefit.quantity) && benefit.quantity >= 0) return { allowedUnsignedInt: benefit.quantity };
  return undefined;
}

function round(amount: number): number {
  return Math.round(amount * 100) / 100;
}
