/**
 * The parties of a canonical Claim, read from a FHIR Claim and the resources it references in the
 * same bundle: billing and rendering providers, the service facility, the patient, and the payer
 * and subscriber through the focal insurance's Coverage.
 */
import type { EntityData } from '../../../core/sdk/index.js';
import { billingName, firstCoding, genderOf, preferredAddress, preferredName, readDate } from './datatypes.js';
import type { Element } from './element.js';
import { MEMBER_ID_SOURCES, coverageClass, groupNumberOf, memberIdOf, payerOf, relationshipOf, subscriberPerson } from './coverage.js';
import { npiOf, npiOfReference } from './identifiers.js';
import { fitsModel } from './model-formats.js';
import { taxIdOf } from './organization.js';
import { NUCC_TAXONOMY } from './practitioner.js';
import type { Followed } from './references.js';
import type { Scope } from './scope.js';

type Claim = EntityData<'Claim'>;
type ProviderRef = Claim['billingProvider'];

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

export function patientOf(resource: Element, scope: Scope): Claim['patient'] | undefined {
  const followed = scope.follow(resource.child('patient'), ['Patient']);
  const target = followed.resource;
  const name = target ? preferredName(target.children('name')) : undefined;
  if (!target || !name) {
    scope.missing('Claim.patient', 'the patient’s name: the Patient, with a name, in the same bundle or contained');
    return undefined;
  }
  const birthDate = readDate(target, 'birthDate');
  const gender = genderOf(target);
  const home = preferredAddress(target.children('address'), 'home');
  return {
    name,
    ...(birthDate ? { birthDate } : {}),
    ...(gender ? { gender } : {}),
    ...(home ? { address: home } : {}),
    ...(followed.ref ? { record: followed.ref } : {}),
  };
}

interface InsuranceReading {
  payer?: Claim['payer'];
  subscriber?: Claim['subscriber'];
  priorAuthorization?: string;
}

/** The focal insurance (the one this claim is adjudicated under) and its Coverage. */
export function insuranceOf(resource: Element, scope: Scope): InsuranceReading {
  const insurances = resource.children('insurance');
  const insurance = insurances.find((i) => i.boolean('focal') === true) ?? insurances[0];
  if (!insurance) {
    scope.missing('Claim.insurance', 'the policy billed');
    return {};
  }
  const preAuth = insurance.strings('preAuthRef')[0];
  const priorAuthorization = preAuth !== undefined && preAuth.length <= 50 ? preAuth : undefined;
  const followed = scope.follow(insurance.child('coverage'), ['Coverage']);
  const coverage = followed.resource;
  if (!coverage) {
    scope.missing(`${insurance.path}.coverage`, 'the member id and relationship: the Coverage in the same bundle or contained');
    return {};
  }
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
  if (!memberId || memberId.length > 80) {
    scope.missing(`${insurance.path}.coverage.resolve().subscriberId`, `the member id, up to 80 characters: ${MEMBER_ID_SOURCES}`);
  }
  // FHIR Coverage.relationship absent means the beneficiary is the subscriber.
  const relationship = SUBSCRIBER_RELATIONSHIPS[relationshipOf(coverage) ?? 'self']!;
  const holder = relationship === 'self' ? undefined : subscriberPerson(coverage, scope);
  if (relationship !== 'self' && !holder) {
    scope.missing(`${insurance.path}.coverage.resolve().subscriber`, 'the subscriber’s name, when the patient is not the subscriber: the Patient or RelatedPerson in the same bundle');
  }
  const holderBirthDate = holder ? readDate(holder.person, 'birthDate') : undefined;
  const groupNumber = groupNumberOf(coverage, coverageClass(coverage, 'group').value);
  const order = coverage.number('order');
  const payerResponsibility = order !== undefined ? RESPONSIBILITY[order] : undefined;
  if (!payer || !memberId || memberId.length > 80 || (relationship !== 'self' && !holder)) return {};
  return {
    payer,
    subscriber: {
      memberId,
      relationship,
      ...(holder ? { name: holder.name } : {}),
      ...(holderBirthDate ? { birthDate: holderBirthDate } : {}),
      ...(groupNumber ? { groupNumber } : {}),
      ...(payerResponsibility ? { payerResponsibility } : {}),
      ...(followed.ref ? { coverage: followed.ref } : {}),
    },
    ...(priorAuthorization ? { priorAuthorization } : {}),
  };
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
