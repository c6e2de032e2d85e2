/**
 * The parties of a canonical Claim, read from a FHIR Claim and the resources it references in the
 * same bundle: billing and rendering providers, the service facility, the patient, and the payer
 * and subscriber through the focal insurance's Coverage. A Patient or Coverage named by id alone is
 * read from the canonical record synced before (KnownRecords), when the caller looked it up.
 */
import type { EntityData, ExternalRef } from '../../../core/sdk/index.js';
import { billingName, firstCoding, genderOf, preferredAddress, preferredName, readDate } from './datatypes.js';
import { Element, isObject } from './element.js';
import { MEMBER_ID_SOURCES, coverageClass, groupNumberOf, memberIdOf, payerOf, relationshipOf, subscriberPerson } from './coverage.js';
import { npiOf, npiOfReference } from './identifiers.js';
import type { KnownEntity } from './known-records.js';
import { fitsModel } from './model-formats.js';
import { taxIdOf } from './organization.js';
import { NUCC_TAXONOMY } from './practitioner.js';
import { References, type BundleIndex, type Followed } from './references.js';
import type { Scope } from './scope.js';
import type { MappingContext } from './types.js';

type Claim = EntityData<'Claim'>;
type ProviderRef = Claim['billingProvider'];
type ClaimPatient = Claim['patient'];
/** The payer and subscriber of the policy billed, before the link to its Coverage record. */
type Policy = { payer: Claim['payer']; subscriber: Omit<Claim['subscriber'], 'coverage'> };

const PATIENT_SOURCES = 'the patient’s name: the Patient, with a name, in the same bundle, contained, or synced before (Patient records)';
const COVERAGE_SOURCES = 'the member id and relationship: the Coverage in the same bundle, contained, or synced before (Coverage records)';
const MAX_MEMBER_ID = 80;

const SUBSCRIBER_RELATIONSHIPS: Record<string, Claim['subscriber']['relationship']> = {
  self: 'self',
  spouse: 'spouse',
  child: 'child',
  parent: 'other',
  common: 'other',
  other: 'other',
  injured: 'other',
};
const RESPONSIBILITY: Record<number, NonNullable<Claim['subscriber']['payerResponsibility']>> = {
  1: 'primary',
  2: 'secondary',
  3: 'tertiary',
};
const PROVIDER_TARGETS = ['Practitioner', 'PractitionerRole', 'Organization'];
const NUCC: ReadonlySet<string> = new Set([NUCC_TAXONOMY]);

/** 837 loop 2010AA: Claim.provider, which must come with an NPI. */
export function billingProviderOf(resource: Element, scope: Scope): ProviderRef | undefined {
  return provider(scope.follow(resource.child('provider'), PROVIDER_TARGETS), 'Claim.provider', scope, true);
}

/** A provider as claims name it: its NPI is required, from the reference or from the target in the bundle. */
function provider(followed: Followed, path: string, scope: Scope, required: boolean): ProviderRef | undefined {
  const target = followed.resource;
  // A role says where and as what; the person, and usually the NPI, are on its practitioner.
  const role = followed.type === 'PractitionerRole' ? target : undefined;
  const person = role ? scope.follow(role.child('practitioner'), ['Practitioner']) : followed;
  const npi = npiOfReference(followed) ?? (role ? npiOfReference(person) : undefined);
  if (npi === undefined) {
    if (required) scope.missing(path, 'an NPI: a us-npi identifier on the reference, or the referenced resource in the same bundle');
    return undefined;
  }
  let name: string | undefined = person.display ?? followed.display;
  let taxId: string | undefined;
  let address: ProviderRef['address'];
  if (target && followed.type === 'Organization') {
    name = target.string('name') ?? name;
    taxId = taxIdOf(target.children('identifier'));
    address = preferredAddress(target.children('address'), 'billing');
  }
  const personName = person.type === 'Practitioner' && person.resource ? preferredName(person.resource.children('name')) : undefined;
  if (personName) name = billingName(personName);
  const taxonomyCode = role
    ?.children('specialty')
    .map((s) => firstCoding(s, NUCC)?.code)
    .find((code) => code !== undefined && fitsModel.taxonomy(code));
  // The model has no PractitionerRole record: a role links to its practitioner's.
  const record = role ? person.ref : followed.ref;
  return {
    npi,
    ...(name ? { name } : {}),
    ...(taxId ? { taxId } : {}),
    ...(taxonomyCode ? { taxonomyCode } : {}),
    ...(address ? { address } : {}),
    ...(record ? { record } : {}),
  };
}

export function patientOf(resource: Element, scope: Scope): ClaimPatient | undefined {
  const followed = scope.follow(resource.child('patient'), ['Patient']);
  // What came with the claim wins; the store stands in only for a Patient named by reference alone.
  const patient = followed.resource ? patientFromResource(followed.resource) : patientFromRecord(scope.known?.patient(followed.ref));
  if (!patient) {
    scope.missing('Claim.patient', PATIENT_SOURCES);
    return undefined;
  }
  return { ...patient, ...(followed.ref ? { record: followed.ref } : {}) };
}

function patientFromResource(target: Element): ClaimPatient | undefined {
  const name = preferredName(target.children('name'));
  if (!name) return undefined;
  const birthDate = readDate(target, 'birthDate');
  const gender = genderOf(target);
  const home = preferredAddress(target.children('address'), 'home');
  return { name, ...(birthDate ? { birthDate } : {}), ...(gender ? { gender } : {}), ...(home ? { address: home } : {}) };
}

/** The claim's view of a canonical Patient: its name and demographics, and its home address. */
function patientFromRecord(patient: EntityData<'Patient'> | undefined): ClaimPatient | undefined {
  if (!patient) return undefined;
  const { name, birthDate, gender } = patient;
  const home = homeAddress(patient.address);
  return { name, ...(birthDate ? { birthDate } : {}), ...(gender ? { gender } : {}), ...(home ? { address: home } : {}) };
}

/** As `preferredAddress` picks from FHIR: the home address, else the first that is not an old one. */
function homeAddress(addresses: EntityData<'Patient'>['address']): ClaimPatient['address'] {
  const current = (addresses ?? []).filter((address) => address.use !== 'old');
  return current.find((address) => address.use === 'home') ?? current[0];
}

interface InsuranceReading {
  payer?: Claim['payer'];
  subscriber?: Claim['subscriber'];
  priorAuthorization?: string;
}

/** The focal insurance (the one this claim is adjudicated under) and its Coverage. */
export function insuranceOf(resource: Element, scope: Scope): InsuranceReading {
  const insurance = focalInsurance(resource);
  if (!insurance) {
    scope.missing('Claim.insurance', 'the policy billed');
    return {};
  }
  const preAuth = insurance.strings('preAuthRef')[0];
  const priorAuthorization = preAuth !== undefined && preAuth.length <= 50 ? preAuth : undefined;
  const followed = scope.follow(insurance.child('coverage'), ['Coverage']);
  // What came with the claim wins; the store stands in only for a Coverage named by reference alone.
  const policy = followed.resource
    ? policyFromResource(followed.resource, resource, insurance, scope)
    : policyFromRecord(scope.known?.coverage(followed.ref), insurance, scope);
  if (!policy) return {};
  return {
    payer: policy.payer,
    subscriber: { ...policy.subscriber, ...(followed.ref ? { coverage: followed.ref } : {}) },
    ...(priorAuthorization ? { priorAuthorization } : {}),
  };
}

function focalInsurance(resource: Element): Element | undefined {
  const insurances = resource.children('insurance');
  return insurances.find((i) => i.boolean('focal') === true) ?? insurances[0];
}

/** The policy from the FHIR Coverage contained in the claim or in its bundle. */
function policyFromResource(coverage: Element, resource: Element, insurance: Element, scope: Scope): Policy | undefined {
  const reading = payerOf(coverage, scope);
  let payer = reading.payer;
  if (!payer) {
    // The insurer named on the claim stands in for a Coverage without a readable payor.
    const insurer = scope.follow(resource.child('insurer'), ['Organization']);
    const name = insurer.resource?.string('name') ?? insurer.display;
    if (name) payer = { name, ...(insurer.ref ? { organization: insurer.ref } : {}) };
    else scope.missing(`${insurance.path}.coverage.resolve().payor`, reading.missing);
  }
  const memberId = memberIdOf(coverage, scope.context);
  const memberIdFits = checkMemberId(memberId, insurance, scope);
  // FHIR Coverage.relationship absent means the beneficiary is the subscriber.
  const relationship = SUBSCRIBER_RELATIONSHIPS[relationshipOf(coverage) ?? 'self']!;
  const holder = relationship === 'self' ? undefined : subscriberPerson(coverage, scope);
  if (relationship !== 'self' && !holder) {
    scope.missing(`${insurance.path}.coverage.resolve().subscriber`, 'the subscriber’s name, when the patient is not the subscriber: the Patient or RelatedPerson in the same bundle');
  }
  const holderBirthDate = holder ? readDate(holder.person, 'birthDate') : undefined;
  const groupNumber = groupNumberOf(coverage, coverageClass(coverage, 'group').value);
  const payerResponsibility = responsibilityOf(coverage.number('order'));
  if (!payer || !memberId || !memberIdFits || (relationship !== 'self' && !holder)) return undefined;
  return policyOf(payer, { memberId, relationship, name: holder?.name, birthDate: holderBirthDate, groupNumber, payerResponsibility });
}

/**
 * The policy from the canonical Coverage synced before, under the same rules as a FHIR one. The
 * Coverage relationship codes a claim has no code for (parent, common, injured) bill as other.
 */
function policyFromRecord(coverage: EntityData<'Coverage'> | undefined, insurance: Element, scope: Scope): Policy | undefined {
  if (!coverage) {
    scope.missing(`${insurance.path}.coverage`, COVERAGE_SOURCES);
    return undefined;
  }
  const { payer, memberId, groupNumber, insuranceType } = coverage;
  const memberIdFits = checkMemberId(memberId, insurance, scope);
  const relationship = SUBSCRIBER_RELATIONSHIPS[coverage.relationship ?? 'self']!;
  const holder = relationship === 'self' ? undefined : coverage.subscriber;
  if (relationship !== 'self' && !holder) {
    scope.missing(
      `${insurance.path}.coverage.resolve().subscriber`,
      'the subscriber’s name, when the patient is not the subscriber: the Coverage synced before (Coverage records) names none',
    );
  }
  const payerResponsibility = responsibilityOf(coverage.order);
  if (!memberIdFits || (relationship !== 'self' && !holder)) return undefined;
  return policyOf(payer, { memberId, relationship, name: holder?.name, birthDate: holder?.birthDate, groupNumber, insuranceType, payerResponsibility });
}

type Subscriber = Policy['subscriber'];
type OptionalParts = { [K in Exclude<keyof Subscriber, 'memberId' | 'relationship'>]?: Subscriber[K] | undefined };

/** The policy billed, with the subscriber's optional fields only when they have a value. */
function policyOf(payer: Claim['payer'], parts: Pick<Subscriber, 'memberId' | 'relationship'> & OptionalParts): Policy {
  const subscriber = { ...parts } as Record<string, unknown>;
  for (const key of Object.keys(subscriber)) if (subscriber[key] === undefined || subscriber[key] === '') delete subscriber[key];
  return { payer, subscriber: subscriber as Subscriber };
}

/** 837 NM109 takes a member id of up to 80 characters; reports one that is absent or longer. */
function checkMemberId(memberId: string | undefined, insurance: Element, scope: Scope): boolean {
  if (memberId && memberId.length <= MAX_MEMBER_ID) return true;
  scope.missing(`${insurance.path}.coverage.resolve().subscriberId`, `the member id, up to ${MAX_MEMBER_ID} characters: ${MEMBER_ID_SOURCES}`);
  return false;
}

function responsibilityOf(order: number | undefined): Claim['subscriber']['payerResponsibility'] {
  return order !== undefined ? RESPONSIBILITY[order] : undefined;
}

/** A Claim's Patient or focal Coverage that is named by reference alone: the store must supply it. */
export interface PartyLookup {
  entity: KnownEntity;
  ref: ExternalRef;
}

/**
 * What a caller should look up in the store before mapping this resource: the Claim's Patient and
 * focal Coverage when neither contained nor in `bundle`. Empty for anything else, and for a Claim
 * that carries its parties, so such claims map at once. Reads references only, as `mapResource`
 * will (same rules, same focal insurance), and reports nothing: the mapping reports what it must.
 */
export function partyLookupsOf(resource: unknown, context: MappingContext, bundle?: BundleIndex): PartyLookup[] {
  if (!isObject(resource) || resource.resourceType !== 'Claim') return [];
  const claim = new Element(resource, 'Claim', []);
  const refs = new References(context, claim, bundle);
  const lookups: PartyLookup[] = [];
  const wanted = (entity: KnownEntity, el: Element | undefined) => {
    const followed = refs.follow(el, [entity]);
    if (!followed.resource && followed.ref) lookups.push({ entity, ref: followed.ref });
  };
  wanted('Patient', claim.child('patient'));
  wanted('Coverage', focalInsurance(claim)?.child('coverage'));
  return lookups;
}

/** 837P loop 2310B: the care team member in the `primary` role, when not the billing provider. */
export function renderingProvider(resource: Element, scope: Scope, billingNpi: string | undefined): ProviderRef | undefined {
  const team = resource.children('careTeam');
  const primary = team.find((m) => firstCoding(m.child('role'))?.code === 'primary') ?? (team.length === 1 ? team[0] : undefined);
  if (!primary) return undefined;
  const followed = scope.follow(primary.child('provider'), PROVIDER_TARGETS);
  const rendering = provider(followed, `${primary.path}.provider`, scope, false);
  if (!rendering) {
    primary.problems.push(`${primary.at('provider')}: no NPI for the rendering provider; left out`);
    return undefined;
  }
  if (rendering.npi === billingNpi) return undefined;
  const qualification = primary.child('qualification');
  const taxonomy = qualification ? firstCoding(qualification, NUCC)?.code : undefined;
  return taxonomy && fitsModel.taxonomy(taxonomy) ? { ...rendering, taxonomyCode: taxonomy } : rendering;
}

/** 837 loop 2310C/2310E: the facility Location, when it has a name and an address. */
export function facilityOf(resource: Element, scope: Scope): Claim['serviceFacility'] | undefined {
  const followed = scope.follow(resource.child('facility'), ['Location']);
  const location = followed.resource;
  if (!location) return undefined;
  const name = location.string('name');
  const addressElement = location.child('address');
  const address = addressElement ? preferredAddress([addressElement]) : undefined;
  if (!name || !address) return undefined;
  const npi = npiOf(location.children('identifier'));
  return { name, ...(npi ? { npi } : {}), address, ...(followed.ref ? { location: followed.ref } : {}) };
}
