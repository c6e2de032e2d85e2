/** Diagnoses and service lines of a canonical Claim, from FHIR Claim.diagnosis and Claim.item. */
import type { EntityData } from '../../../core/sdk/index.js';
import { icd10Of } from './conditions.js';
import { firstCoding, readDate } from './datatypes.js';
import type { Element } from './element.js';
import { fitsModel } from './model-formats.js';
import { PLACE_OF_SERVICE_SYSTEMS } from './organization.js';
import type { Scope } from './scope.js';

type Claim = EntityData<'Claim'>;
export type Line = Claim['serviceLines'][number];
type Diagnosis = Claim['diagnoses'][number];

/** CPT and HCPCS Level II, by URI and OID. */
const PROCEDURE_SYSTEMS: ReadonlySet<string> = new Set([
  'http://www.ama-assn.org/go/cpt',
  'urn:oid:2.16.840.1.113883.6.12',
  'https://bluebutton.cms.gov/resources/codesystem/hcpcs',
  'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  'urn:oid:2.16.840.1.113883.6.285',
]);
const PRESENT_ON_ADMISSION = new Set(['Y', 'N', 'U', 'W', '1']);
const MAX_POINTERS = 4;
/** The position of a diagnosis that could not be coded. */
const UNCODED = 0;
const MAX_POINTED_DIAGNOSIS = 12;
const MAX_MODIFIERS = 4;
const MAX_UNITS = 99999;

/** Diagnoses in `sequence` order, and each sequence's 1-based position (what line pointers name). */
export function diagnosesOf(resource: Element, scope: Scope): { diagnoses: Diagnosis[]; positions: Map<number, number> } {
  const diagnoses: Diagnosis[] = [];
  const positions = new Map<number, number>();
  const elements = resource.children('diagnosis').sort((a, b) => (a.number('sequence') ?? 0) - (b.number('sequence') ?? 0));
  for (const el of elements) {
    let code = icd10Of(el.child('diagnosisCodeableConcept'));
    if (code === undefined && el.has('diagnosisReference')) {
      code = icd10Of(scope.follow(el.child('diagnosisReference'), ['Condition']).resource?.child('code'));
    }
    const sequence = el.number('sequence');
    if (code === undefined) {
      scope.reject(el.path, 'no ICD-10-CM code: in diagnosisCodeableConcept, or in a referenced Condition in the same bundle');
      // Lines pointing at it are not reported again: the diagnosis is the fault.
      if (sequence !== undefined) positions.set(sequence, UNCODED);
      continue;
    }
    const poa = firstCoding(el.child('onAdmission'))?.code?.toUpperCase();
    diagnoses.push({ code, ...(poa && PRESENT_ON_ADMISSION.has(poa) ? { presentOnAdmission: poa as Diagnosis['presentOnAdmission'] } : {}) });
    if (sequence !== undefined) positions.set(sequence, diagnoses.length);
  }
  if (elements.length === 0) scope.missing('Claim.diagnosis', 'at least one ICD-10-CM diagnosis');
  if (diagnoses.length > 25) scope.reject('Claim.diagnosis', 'more than the 25 diagnoses an 837 carries');
  return { diagnoses, positions };
}

export function serviceLine(
  item: Element,
  scope: Scope,
  claimType: Claim['claimType'] | undefined,
  positions: Map<number, number>,
  fallbackDate: string | undefined,
): Line | undefined {
  // Which line fields are required depends on the claim type; with none readable, only the common ones are checked.
  const professional = claimType === 'professional';
  const institutional = claimType === 'institutional';
  const path = item.path;
  const rejectedBefore = scope.reasons.length;
  const code = firstCoding(item.child('productOrService'), PROCEDURE_SYSTEMS)?.code?.toUpperCase();
  const procedureCode = code !== undefined && fitsModel.cptHcpcs(code) ? code : undefined;
  if (professional && procedureCode === undefined) {
    scope.missing(`${path}.productOrService`, 'a CPT or HCPCS code, on a professional claim line');
  }
  const modifiers = item
    .children('modifier')
    .flatMap((m) => firstCoding(m)?.code?.toUpperCase() ?? [])
    .filter((m) => fitsModel.modifier(m));
  if (modifiers.length > MAX_MODIFIERS) scope.reject(`${path}.modifier`, `more than the ${MAX_MODIFIERS} modifiers a service line carries`);
  const revenue = firstCoding(item.child('revenue'))?.code;
  const revenueCode = revenue !== undefined && fitsModel.revenueCode(revenue) ? revenue : undefined;
  if (institutional && revenueCode === undefined) {
    scope.missing(`${path}.revenue`, 'an NUBC revenue code, on an institutional claim line');
  }
  const quantity = item.child('quantity')?.number('value');
  const units = quantity ?? 1;
  if (!(units > 0 && units <= MAX_UNITS)) scope.reject(`${path}.quantity`, `units must be more than 0 and at most ${MAX_UNITS}`);
  const charge = chargeOf(item, units, scope);
  const placeOfService = placeOfServiceOf(item);
  const serviced = item.child('servicedPeriod');
  const serviceDate = readDate(item, 'servicedDate') ?? (serviced ? readDate(serviced, 'start') : undefined) ?? fallbackDate;
  const serviceDateEnd = serviced ? readDate(serviced, 'end') : undefined;
  if (serviceDate === undefined) scope.missing(`${path}.servicedDate`, 'the date of service: servicedDate, servicedPeriod or Claim.billablePeriod');
  const diagnosisPointers = pointersOf(item, positions, scope);
  if (professional && !item.has('diagnosisSequence')) {
    scope.missing(`${path}.diagnosisSequence`, 'a diagnosis pointer, on a professional claim line');
  }
  if (scope.reasons.length > rejectedBefore || charge === undefined || serviceDate === undefined) return undefined;
  return {
    ...(procedureCode ? { procedure: { code: procedureCode, ...(modifiers.length ? { modifiers } : {}) } } : {}),
    ...(revenueCode ? { revenueCode } : {}),
    units,
    charge,
    ...(placeOfService ? { placeOfService } : {}),
    serviceDate,
    ...(serviceDateEnd && serviceDateEnd !== serviceDate ? { serviceDateEnd } : {}),
    ...(diagnosisPointers.length ? { diagnosisPointers } : {}),
  };
}

/** Line charge: `net`, else `unitPrice` x quantity x factor, in cents-exact dollars. */
function chargeOf(item: Element, units: number, scope: Scope): number | undefined {
  const net = item.child('net');
  const unitPrice = item.child('unitPrice');
  const money = net ?? unitPrice;
  if (!money) {
    scope.missing(`${item.path}.net`, 'the line charge: net, or unitPrice');
    return undefined;
  }
  const currency = money.string('currency');
  if (currency !== undefined && currency !== 'USD') {
    scope.reject(`${money.path}.currency`, 'claims are billed in USD');
    return undefined;
  }
  const value = money.number('value');
  if (value === undefined) {
    scope.missing(`${money.path}.value`, 'the line charge');
    return undefined;
  }
  const amount = net ? value : value * units * (item.number('factor') ?? 1);
  const charge = Math.round(amount * 100) / 100;
  if (charge < 0) {
    scope.reject(money.path, 'a line charge cannot be negative');
    return undefined;
  }
  if (charge !== amount) scope.problems.push(`${money.path}: rounded to whole cents`);
  return charge;
}

function pointersOf(item: Element, positions: Map<number, number>, scope: Scope): number[] {
  const pointers: number[] = [];
  const sequences = item.data.diagnosisSequence;
  if (sequences === undefined) return pointers;
  if (!Array.isArray(sequences)) {
    scope.reject(`${item.path}.diagnosisSequence`, 'expected an array of diagnosis sequence numbers');
    return pointers;
  }
  for (const sequence of sequences) {
    const position = typeof sequence === 'number' ? positions.get(sequence) : undefined;
    if (position === UNCODED) continue;
    if (position === undefined) {
      scope.reject(`${item.path}.diagnosisSequence`, 'names a diagnosis the claim does not have');
    } else if (position > MAX_POINTED_DIAGNOSIS) {
      scope.reject(`${item.path}.diagnosisSequence`, `points past the ${MAX_POINTED_DIAGNOSIS} diagnoses a line may point at`);
    } else if (!pointers.includes(position)) {
      pointers.push(position);
    }
  }
  if (pointers.length > MAX_POINTERS) scope.reject(`${item.path}.diagnosisSequence`, `more than the ${MAX_POINTERS} pointers a service line carries`);
  return pointers;
}

function placeOfServiceOf(item: Element): string | undefined {
  const code = firstCoding(item.child('locationCodeableConcept'), PLACE_OF_SERVICE_SYSTEMS)?.code;
  return code !== undefined && fitsModel.placeOfService(code) ? code : undefined;
}

/**
 * The claim's place of service: the first item's, else the facility Location's. Read from the
 * items rather than the mapped lines, so that a line rejected for another fault does not also
 * read as a missing place of service.
 */
export function claimPlaceOfService(items: Element[], resource: Element, scope: Scope): string | undefined {
  const fromItem = items.map(placeOfServiceOf).find((c) => c !== undefined);
  if (fromItem) return fromItem;
  const facility = scope.follow(resource.child('facility'), ['Location']).resource;
  return facility
    ?.children('type')
    .map((t) => firstCoding(t, PLACE_OF_SERVICE_SYSTEMS)?.code)
    .find((c) => c !== undefined && fitsModel.placeOfService(c));
}

/** 837 CLM02 must equal the sum of the lines; a Claim.total that disagrees is not guessed at. */
export function totalOf(lines: Line[], everyLine: boolean, resource: Element, scope: Scope): number | undefined {
  const cents = lines.reduce((sum, line) => sum + Math.round(line.charge * 100), 0);
  const total = resource.child('total')?.number('value');
  // With a line already rejected the sum is short, and the mismatch would say nothing new.
  if (everyLine && total !== undefined && Math.round(total * 100) !== cents) {
    scope.reject('Claim.total', 'does not equal the sum of the item charges');
    return undefined;
  }
  return cents / 100;
}
