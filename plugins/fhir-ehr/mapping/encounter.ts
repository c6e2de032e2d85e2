/** FHIR Encounter (US Core) to the canonical Encounter. */
import type { EntityData } from '../../../core/sdk/index.js';
import { icd10Of } from './conditions.js';
import { codes, codingCode, firstCoding, instantPeriod } from './datatypes.js';
import type { Element } from './element.js';
import { npiOfReference } from './identifiers.js';
import type { Scope } from './scope.js';
import { SCHEMA_VERSION, type MappedRecord } from './types.js';

type Encounter = EntityData<'Encounter'>;
type Participant = NonNullable<Encounter['participants']>[number];
type Diagnosis = NonNullable<Encounter['diagnoses']>[number];

const STATUSES = new Set(['planned', 'arrived', 'triaged', 'in-progress', 'onleave', 'finished', 'cancelled', 'entered-in-error', 'unknown']);
const CLASSES = new Set(['AMB', 'EMER', 'FLD', 'HH', 'IMP', 'ACUTE', 'NONAC', 'OBSENC', 'PRENC', 'SS', 'VR']);

export function mapEncounter(resource: Element, scope: Scope, id: string): MappedRecord[] {
  const status = resource.string('status');
  if (status === undefined) scope.missing('Encounter.status');
  else if (!STATUSES.has(status)) scope.reject('Encounter.status', 'not an R4 encounter status');
  // R4 sends class as a Coding; later versions (and some servers) a CodeableConcept.
  const classCode = codingCode(resource.child('class'));
  if (classCode === undefined) scope.missing('Encounter.class');
  else if (!CLASSES.has(classCode)) scope.reject('Encounter.class', 'not a v3 ActEncounterCode the canonical Encounter takes (AMB, EMER, IMP, VR, ...)');
  const patient = scope.follow(resource.child('subject'), ['Patient']).ref;
  if (!patient) scope.missing('Encounter.subject', 'a reference to the Patient');

  const type = resource.children('type').flatMap((t) => firstCoding(t) ?? []);
  const period = instantPeriod(resource.child('period'));
  const participants = resource.children('participant').flatMap((p) => participant(p, scope) ?? []);
  const diagnoses = resource.children('diagnosis').flatMap((d) => diagnosis(d, scope) ?? []);
  const reasonCodes = resource.children('reasonCode').flatMap((r) => firstCoding(r) ?? []);
  const location = resource
    .children('location')
    .map((l) => scope.follow(l.child('location'), ['Location']).ref)
    .find((ref) => ref !== undefined);
  const serviceProvider = scope.follow(resource.child('serviceProvider'), ['Organization']).ref;
  const appointment = resource.children('appointment').map((a) => scope.follow(a, ['Appointment']).ref)[0];

  if (scope.reasons.length || !patient) return [];
  const record: Encounter = {
    schemaVersion: SCHEMA_VERSION,
    status: status as Encounter['status'],
    class: classCode as Encounter['class'],
    patient,
    ...(type.length ? { type } : {}),
    ...(period ? { period } : {}),
    ...(participants.length ? { participants } : {}),
    ...(diagnoses.length ? { diagnoses } : {}),
    ...(reasonCodes.length ? { reasonCodes } : {}),
    ...(location ? { location } : {}),
    ...(serviceProvider ? { serviceProvider } : {}),
    ...(appointment ? { appointmentId: appointment.id.slice(appointment.id.indexOf('/') + 1) } : {}),
  };
  return [{ entity: 'Encounter', record, externalId: scope.refs.key('Encounter', id), aliases: [] }];
}

function participant(el: Element, scope: Scope): Participant | undefined {
  const individual = el.child('individual');
  if (!individual) return undefined;
  let followed = scope.follow(individual, ['Practitioner', 'PractitionerRole', 'RelatedPerson']);
  // The model has no role record: a role in hand stands for its practitioner.
  if (followed.type === 'PractitionerRole' && followed.resource) {
    followed = scope.follow(followed.resource.child('practitioner'), ['Practitioner']);
  } else if (followed.type === 'PractitionerRole') {
    individual.problems.push(`${individual.path}: a PractitionerRole not in the bundle; its practitioner is unknown, left out`);
    return undefined;
  }
  // Relatives and other non-practitioners have no canonical participant record.
  if (followed.type !== 'Practitioner' || !followed.ref) return undefined;
  const npi = npiOfReference(followed);
  const role = el.children('type').map((t) => codes(t)[0]).find((c) => c !== undefined);
  return { practitioner: followed.ref, ...(npi ? { npi } : {}), ...(role ? { role } : {}) };
}

/** Encounter.diagnosis points at a Condition; its ICD-10-CM code is readable when the Condition is in hand. */
function diagnosis(el: Element, scope: Scope): Diagnosis | undefined {
  const condition = scope.follow(el.child('condition'), ['Condition']);
  if (!condition.resource) {
    el.problems.push(`${el.at('condition')}: the Condition is not in the bundle, so its code is unknown; left out`);
    return undefined;
  }
  const code = icd10Of(condition.resource.child('code'));
  if (code === undefined) {
    el.problems.push(`${el.at('condition')}: the Condition has no ICD-10-CM code; left out`);
    return undefined;
  }
  const rank = el.number('rank');
  const use = firstCoding(el.child('use'))?.code;
  return {
    code,
    ...(rank !== undefined && Number.isInteger(rank) && rank >= 1 ? { rank } : {}),
    ...(use ? { use } : {}),
  };
}
