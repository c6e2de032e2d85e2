/** FHIR Coverage (US Core) to the canonical Coverage; the member id and payer readings are shared with Claim. */
import type { EntityData } from '../../../core/sdk/index.js';
import { codes, datePeriod, genderOf, identifierType, preferredAddress, preferredName, readDate, type HumanName } from './datatypes.js';
import type { Element } from './element.js';
import type { Scope } from './scope.js';
import { SCHEMA_VERSION, type MappedRecord, type MappingContext } from './types.js';

type Coverage = EntityData<'Coverage'>;
type PayerRef = Coverage['payer'];
type Subscriber = NonNullable<Coverage['subscriber']>;

const COVERAGE_CLASS = 'http://terminology.hl7.org/CodeSystem/coverage-class';
const STATUSES = new Set(['active', 'cancelled', 'draft', 'entered-in-error']);
const RELATIONSHIPS = new Set(['self', 'spouse', 'child', 'parent', 'common', 'other', 'injured']);
const MAX_MEMBER_ID = 80;

export const MEMBER_ID_SOURCES =
  'an identifier in the member-id system(s), an identifier of type MB, or subscriberId';

/**
 * The member id on the card: an identifier in a configured member-id system, else one of type `MB`
 * (US Core's member identifier slice), else `subscriberId` (the subscriber's id, which is the
 * member's for every relationship but a dependent with a suffixed id).
 */
export function memberIdOf(coverage: Element, context: MappingContext): string | undefined {
  const identifiers = coverage.children('identifier');
  const systems = new Set(context.memberIdSystems ?? []);
  const configured = identifiers.find((el) => systems.has(el.string('system') ?? ''))?.string('value');
  const typed = identifiers.find((el) => identifierType(el) === 'MB')?.string('value');
  return configured ?? typed ?? coverage.string('subscriberId');
}

export interface PayerReading {
  payer?: PayerRef;
  /** Why no payer could be read, for the caller's reason. */
  missing?: string;
}

/** The insurer: the first `payor`, named by the Organization in the bundle or by the reference's display. */
export function payerOf(coverage: Element, scope: Scope): PayerReading {
  const payor = coverage.children('payor')[0];
  if (!payor) return { missing: 'no payor' };
  const followed = scope.follow(payor, ['Organization', 'Patient', 'RelatedPerson']);
  if (followed.type === 'Patient' || followed.type === 'RelatedPerson') {
    return { missing: 'the payor is a person, that is self-pay; the canonical Coverage is insurance with a payer organization' };
  }
  const name = followed.resource?.string('name') ?? followed.display;
  if (!name) return { missing: 'the payer’s name: the payor Organization in the same bundle, or payor.display' };
  return { payer: { name, ...(followed.ref ? { organization: followed.ref } : {}) } };
}

/** The value and name of the first class of a type (`group`, `plan`). */
export function coverageClass(coverage: Element, type: string): { value?: string; name?: string } {
  const el = coverage
    .children('class')
    .find((c) => c.child('type')?.children('coding').some((k) => k.string('code') === type && (k.string('system') ?? COVERAGE_CLASS) === COVERAGE_CLASS));
  if (!el) return {};
  const value = el.string('value');
  const name = el.string('name');
  return { ...(value ? { value } : {}), ...(name ? { name } : {}) };
}

export function relationshipOf(coverage: Element): Coverage['relationship'] | undefined {
  const code = codes(coverage.child('relationship')).find((c) => RELATIONSHIPS.has(c));
  return code as Coverage['relationship'] | undefined;
}

/** The policy holder's demographics, when the subscriber is someone other than the beneficiary. */
export function subscriberPerson(coverage: Element, scope: Scope): { name: HumanName; person: Element; ref?: Subscriber['patient'] } | undefined {
  const followed = scope.follow(coverage.child('subscriber'), ['Patient', 'RelatedPerson']);
  const person = followed.resource;
  if (!person) return undefined;
  const name = preferredName(person.children('name'));
  if (!name) return undefined;
  return { name, person, ...(followed.type === 'Patient' && followed.ref ? { ref: followed.ref } : {}) };
}

export function mapCoverage(resource: Element, scope: Scope, id: string): MappedRecord[] {
  const { payer, missing } = payerOf(resource, scope);
  if (!payer) scope.missing('Coverage.payor', missing);
  const memberId = memberIdOf(resource, scope.context);
  if (!memberId) scope.missing('Coverage.subscriberId', `the member id: ${MEMBER_ID_SOURCES}`);
  else if (memberId.length > MAX_MEMBER_ID) scope.reject('Coverage.subscriberId', `longer than the ${MAX_MEMBER_ID} characters a member id may have`);

  const status = resource.string('status');
  const beneficiary = scope.follow(resource.child('beneficiary'), ['Patient']).ref;
  const relationship = relationshipOf(resource);
  const subscriber = subscriberOf(resource, scope, relationship, beneficiary);
  const group = coverageClass(resource, 'group');
  const plan = coverageClass(resource, 'plan');
  const groupNumber = groupNumberOf(resource, group.value);
  const period = datePeriod(resource.child('period'));
  const order = resource.number('order');

  if (!payer || !memberId || scope.reasons.length) return [];
  const record: Coverage = {
    schemaVersion: SCHEMA_VERSION,
    ...(status && STATUSES.has(status) ? { status: status as NonNullable<Coverage['status']> } : {}),
    payer,
    memberId,
    ...(beneficiary ? { beneficiary } : {}),
    ...(relationship ? { relationship } : {}),
    ...(subscriber ? { subscriber } : {}),
    ...(groupNumber ? { groupNumber } : {}),
    ...(group.name ? { groupName: group.name } : {}),
    ...(plan.name ? { planName: plan.name } : {}),
    ...(period ? { period } : {}),
    ...(order !== undefined && Number.isInteger(order) && order >= 1 && order <= 11 ? { order } : {}),
  };
  // No aliases: a member id is personal data and no FHIR reference names a Coverage by it.
  return [{ entity: 'Coverage', record, externalId: scope.refs.key('Coverage', id), aliases: [] }];
}

/** X12 SBR03 takes 50 characters; a longer group value is not a group number a payer issued. */
export function groupNumberOf(coverage: Element, value: string | undefined): string | undefined {
  if (value === undefined || value.length <= 50) return value;
  coverage.problems.push(`${coverage.path}.class: the group value is longer than 50 characters; left out`);
  return undefined;
}

function subscriberOf(
  resource: Element,
  scope: Scope,
  relationship: Coverage['relationship'] | undefined,
  beneficiary: Coverage['beneficiary'],
): Subscriber | undefined {
  if (relationship === 'self' || relationship === undefined) return undefined;
  const found = subscriberPerson(resource, scope);
  if (!found) {
    scope.problems.push('Coverage.subscriber: the subscriber (Patient or RelatedPerson with a name) is not in the bundle; left out');
    return undefined;
  }
  if (found.ref && beneficiary && found.ref.id === beneficiary.id && found.ref.system === beneficiary.system) return undefined;
  const { person } = found;
  const birthDate = readDate(person, 'birthDate');
  const gender = genderOf(person);
  const home = preferredAddress(person.children('address'), 'home');
  return {
    name: found.name,
    ...(birthDate ? { birthDate } : {}),
    ...(gender ? { gender } : {}),
    ...(home ? { address: home } : {}),
    ...(found.ref ? { patient: found.ref } : {}),
  };
}
