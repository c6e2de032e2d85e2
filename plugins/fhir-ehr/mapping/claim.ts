/**
 * FHIR Claim to the canonical Claim (837P / 837I), and ChargeItem to nothing (see
 * CHARGE_ITEM_NOT_MAPPED). A canonical Claim is what a clearinghouse is sent, so every required
 * field must come from the resource or from the resources it references in the same bundle (the
 * Patient, the Coverage and its payer, the provider, Conditions); what cannot be filled rejects the
 * Claim with a reason naming the FHIR element it should have come from.
 */
import type { EntityData } from '../../../core/sdk/index.js';
import { billingProviderOf, facilityOf, insuranceOf, patientOf, renderingProvider } from './claim-parties.js';
import { claimPlaceOfService, diagnosesOf, serviceLine, totalOf, type Line } from './claim-lines.js';
import { icd10Of } from './conditions.js';
import { datePart, firstCoding, readDate } from './datatypes.js';
import type { Element } from './element.js';
import { fitsModel } from './model-formats.js';
import type { Scope } from './scope.js';
import { SCHEMA_VERSION, type MappedRecord } from './types.js';

type Claim = EntityData<'Claim'>;

/**
 * A ChargeItem is one charge. A canonical Claim bills all of an encounter's charges to one payer
 * for one member, with diagnoses and a place of service, none of which a ChargeItem carries (its
 * account and encounter lead there only through resources a page rarely holds), and one claim per
 * charge would bill a visit several times over. So charges map to nothing until the model has a
 * charge of its own, and are counted as such.
 */
export const CHARGE_ITEM_NOT_MAPPED =
  'ChargeItem: one charge cannot fill a canonical Claim (payer, member id, diagnoses, place of service come from the claim as a whole); counted, not mapped';

const CLAIM_TYPES = new Set(['professional', 'institutional']);
const MAX_PROFESSIONAL_DIAGNOSES = 12;
const MAX_PROFESSIONAL_LINES = 50;
const MAX_INSTITUTIONAL_LINES = 999;

export function mapClaim(resource: Element, scope: Scope, id: string): MappedRecord[] {
  const use = resource.string('use');
  if (use !== undefined && use !== 'claim') {
    scope.reject('Claim.use', 'only a claim becomes a canonical Claim, not a preauthorization or predetermination');
  }
  const status = resource.string('status');
  if (status === 'cancelled' || status === 'entered-in-error') {
    scope.reject('Claim.status', 'a cancelled or entered-in-error claim is not billed');
  }
  const typeCode = firstCoding(resource.child('type'))?.code;
  if (typeCode === undefined) scope.missing('Claim.type');
  else if (!CLAIM_TYPES.has(typeCode)) scope.reject('Claim.type', 'only professional and institutional claims have a canonical form (837P, 837I)');
  const claimType = typeCode !== undefined && CLAIM_TYPES.has(typeCode) ? (typeCode as Claim['claimType']) : undefined;
  const professional = claimType === 'professional';

  const patientControlNumber = controlNumber(resource, id, scope);
  const billingProvider = billingProviderOf(resource, scope);
  const patient = patientOf(resource, scope);
  const { payer, subscriber, priorAuthorization } = insuranceOf(resource, scope);
  const { diagnoses, positions } = diagnosesOf(resource, scope);
  if (professional && diagnoses.length > MAX_PROFESSIONAL_DIAGNOSES) {
    scope.reject('Claim.diagnosis', `more than the ${MAX_PROFESSIONAL_DIAGNOSES} diagnoses an 837P carries`);
  }
  const billable = resource.child('billablePeriod');
  const billableStart = billable?.string('start');
  const fallbackDate = billableStart !== undefined ? datePart(billableStart) : undefined;
  const items = resource.children('item').sort((a, b) => (a.number('sequence') ?? 0) - (b.number('sequence') ?? 0));
  if (items.length === 0) scope.missing('Claim.item', 'at least one service line');
  const maxLines = professional ? MAX_PROFESSIONAL_LINES : MAX_INSTITUTIONAL_LINES;
  if (items.length > maxLines) scope.reject('Claim.item', `more than the ${maxLines} service lines an ${professional ? '837P' : '837I'} claim carries`);
  const lines = items.flatMap((item) => serviceLine(item, scope, claimType, positions, fallbackDate) ?? []);
  const placeOfService = claimPlaceOfService(items, resource, scope);
  if (professional && placeOfService === undefined) {
    scope.missing('Claim.item.locationCodeableConcept', 'a CMS place of service code, on a professional claim');
  }
  const totalCharge = totalOf(lines, lines.length === items.length, resource, scope);
  const encounter = items.flatMap((item) => item.children('encounter')).map((e) => scope.follow(e, ['Encounter']).ref).find((r) => r !== undefined);
  const rendering = professional ? renderingProvider(resource, scope, billingProvider?.npi) : undefined;
  const serviceFacility = facilityOf(resource, scope);
  const institutional = claimType === 'institutional' ? institutionalOf(resource, scope, billable) : undefined;

  if (scope.reasons.length || !claimType || !patientControlNumber || !billingProvider || !patient || !payer || !subscriber || totalCharge === undefined) {
    return [];
  }
  const record: Claim = {
    schemaVersion: SCHEMA_VERSION,
    claimType,
    patientControlNumber,
    billingProvider,
    ...(rendering ? { renderingProvider: rendering } : {}),
    ...(serviceFacility ? { serviceFacility } : {}),
    payer,
    subscriber,
    patient,
    ...(encounter ? { encounter } : {}),
    ...(professional && placeOfService ? { placeOfService } : {}),
    ...(priorAuthorization ? { priorAuthorization } : {}),
    diagnoses,
    serviceLines: lines.map((line) => (line.placeOfService === placeOfService || !professional ? withoutPlace(line) : line)),
    totalCharge,
    ...(institutional ? { institutional } : {}),
  };
  return [{ entity: 'Claim', record, externalId: scope.refs.key('Claim', id), aliases: [] }];
}

/** 837 CLM01: the provider's own claim number, else the EHR's claim id. */
function controlNumber(resource: Element, id: string, scope: Scope): string | undefined {
  const value = resource.children('identifier').flatMap((i) => i.string('value') ?? [])[0] ?? id;
  if (value.length > 38) {
    scope.reject('Claim.identifier', 'longer than the 38 characters of a patient control number (837 CLM01)');
    return undefined;
  }
  return value;
}

function withoutPlace(line: Line): Line {
  const { placeOfService: _, ...rest } = line;
  return rest;
}

/**
 * The UB-04 block. FHIR R4 Claim has no type-of-bill element; US implementation guides (CARIN
 * Blue Button) carry it as supportingInfo of category `typeofbill`, and the discharge status as
 * `discharge-status`, which is what is read here.
 */
function institutionalOf(resource: Element, scope: Scope, billable: Element | undefined): Claim['institutional'] | undefined {
  const info = (category: string) =>
    resource.children('supportingInfo').find((s) => firstCoding(s.child('category'))?.code === category);
  const infoCode = (el: Element | undefined) => (el ? firstCoding(el.child('code'))?.code ?? el.string('valueString') : undefined);
  // UB-04 FL 4 prints a leading zero that 837I CLM05 does not carry.
  const rawTypeOfBill = infoCode(info('typeofbill'));
  const typeOfBill = rawTypeOfBill?.length === 4 && rawTypeOfBill.startsWith('0') ? rawTypeOfBill.slice(1) : rawTypeOfBill;
  if (typeOfBill === undefined || !fitsModel.typeOfBill(typeOfBill)) {
    scope.missing('Claim.supportingInfo', 'the type of bill: supportingInfo of category typeofbill, e.g. 0131');
  }
  const start = billable ? readDate(billable, 'start') : undefined;
  const end = billable ? readDate(billable, 'end') : undefined;
  if (start === undefined || end === undefined) scope.missing('Claim.billablePeriod', 'the statement period, start and end');
  const status = infoCode(info('discharge-status'));
  const patientStatus = status !== undefined && fitsModel.patientStatus(status) ? status : undefined;
  const admitting = resource
    .children('diagnosis')
    .find((d) => d.children('type').some((t) => firstCoding(t)?.code === 'admitting'));
  const admittingDiagnosis = admitting ? icd10Of(admitting.child('diagnosisCodeableConcept')) : undefined;
  if (typeOfBill === undefined || start === undefined || end === undefined || !fitsModel.typeOfBill(typeOfBill)) return undefined;
  return {
    typeOfBill,
    statementPeriod: { start, end },
    ...(patientStatus ? { patientStatus } : {}),
    ...(admittingDiagnosis ? { admittingDiagnosis } : {}),
  };
}
