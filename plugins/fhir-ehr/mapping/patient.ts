/**
 * FHIR Patient (US Core) to the canonical Patient: names, birth date, gender, addresses, telecom,
 * identifiers by system (the practice's MRN marked `MR`), and the US Core race and ethnicity
 * extensions.
 */
import type { EntityData } from '../../../core/sdk/index.js';
import {
  address,
  contactPoints,
  datePart,
  genderOf,
  identifier,
  identifierType,
  preferredName,
  readDate,
  type Identifier,
} from './datatypes.js';
import type { Element } from './element.js';
import { SSN_SYSTEM, aliasesOf } from './identifiers.js';
import { fitsModel } from './model-formats.js';
import type { Scope } from './scope.js';
import { SCHEMA_VERSION, type MappedRecord } from './types.js';

type Patient = EntityData<'Patient'>;

export const US_CORE_RACE = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race';
export const US_CORE_ETHNICITY = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity';

export function mapPatient(resource: Element, scope: Scope, id: string): MappedRecord[] {
  const name = preferredName(resource.children('name'));
  if (!name) scope.missing('Patient.name', 'a name with a family name');

  const identifiers = patientIdentifiers(resource.children('identifier'), scope);
  const birthDate = readDate(resource, 'birthDate');
  const gender = genderOf(resource);
  const deceased = resource.string('deceasedDateTime');
  const deceasedDate = deceased !== undefined ? datePart(deceased) : undefined;
  const addresses = resource
    .children('address')
    .filter((a) => a.string('use') !== 'old')
    .flatMap((a) => address(a) ?? []);
  const telecom = contactPoints(resource.children('telecom'));
  const race = raceOrEthnicity(resource, US_CORE_RACE, fitsModel.ombRace, 6);
  // US Core allows one OMB ethnicity category: Hispanic or Latino, or not.
  const ethnicity = raceOrEthnicity(resource, US_CORE_ETHNICITY, fitsModel.ombEthnicity, 1);
  const language = preferredLanguage(resource);
  const managingOrganization = scope.follow(resource.child('managingOrganization'), ['Organization']).ref;
  const active = resource.boolean('active');

  if (!name) return [];
  const record: Patient = {
    schemaVersion: SCHEMA_VERSION,
    name,
    ...(birthDate ? { birthDate } : {}),
    ...(gender ? { gender } : {}),
    ...(identifiers.length ? { identifiers } : {}),
    ...(deceasedDate ? { deceasedDate } : {}),
    ...(addresses.length ? { address: addresses } : {}),
    ...(telecom.length ? { telecom } : {}),
    ...(race ? { race: race as Patient['race'] } : {}),
    ...(ethnicity ? { ethnicity: ethnicity as Patient['ethnicity'] } : {}),
    ...(language ? { language } : {}),
    ...(managingOrganization ? { managingOrganization } : {}),
    ...(active !== undefined ? { active } : {}),
  };
  const mrnSystems = new Set(scope.context.mrnSystems);
  return [
    {
      entity: 'Patient',
      record,
      externalId: scope.refs.key('Patient', id),
      // Only the practice's MRN: it is how other systems of the practice name the patient, and
      // every further alias would be one more copy of a personal identifier in the store's keys.
      aliases: aliasesOf(resource.children('identifier'), (system) => mrnSystems.has(system)),
    },
  ];
}

function patientIdentifiers(list: Element[], scope: Scope): Identifier[] {
  const mrnSystems = new Set(scope.context.mrnSystems);
  const out: Identifier[] = [];
  let hasMrn = false;
  for (const el of list) {
    const system = el.string('system');
    if (system === SSN_SYSTEM || identifierType(el) === 'SS') {
      if (!scope.context.keepSsn) continue;
      // The model documents SSNs as 9 digits under the us-ssn system; sources often hyphenate.
      const value = el.string('value')?.replace(/-/g, '');
      if (value) out.push({ system: SSN_SYSTEM, value, type: 'SS' });
      continue;
    }
    const isMrn = system !== undefined && mrnSystems.has(system);
    const mapped = identifier(el, isMrn ? 'MR' : undefined);
    if (!mapped) continue;
    hasMrn ||= isMrn;
    out.push(mapped);
  }
  if (!hasMrn && mrnSystems.size > 0) {
    scope.problems.push("Patient.identifier: no medical record number in the practice's MRN system(s)");
  }
  return out;
}

/** Codes are checked against the model's value sets as they are read, hence the casts where it is placed. */
interface RaceOrEthnicity {
  ombCategories?: string[];
  detailed?: string[];
  text?: string;
}

/** US Core race / ethnicity: `ombCategory` codings, `detailed` codings and `text`, as sub-extensions. */
function raceOrEthnicity(
  resource: Element,
  url: string,
  fitsOmb: (code: string) => boolean,
  maxOmb: number,
): RaceOrEthnicity | undefined {
  const extension = resource.children('extension').find((e) => e.string('url') === url);
  if (!extension) return undefined;
  const omb: string[] = [];
  const detailed: string[] = [];
  let text: string | undefined;
  for (const part of extension.children('extension')) {
    const kind = part.string('url');
    if (kind === 'text') {
      text = part.string('valueString');
      continue;
    }
    if (kind !== 'ombCategory' && kind !== 'detailed') continue;
    const code = part.child('valueCoding')?.string('code');
    if (code === undefined) continue;
    const fits = kind === 'ombCategory' ? fitsOmb(code) : fitsModel.cdcRaceEthnicityCode(code);
    const into = kind === 'ombCategory' ? omb : detailed;
    if (!fits) part.problems.push(`${part.at('valueCoding')}: not a code of the ${kind === 'ombCategory' ? 'OMB category' : 'CDC race and ethnicity'} set; left out`);
    else if (!into.includes(code)) into.push(code);
  }
  if (omb.length > maxOmb) {
    extension.problems.push(`${extension.path}: more OMB categories than the model takes (${maxOmb}); the first kept`);
    omb.length = maxOmb;
  }
  if (omb.length === 0 && detailed.length === 0 && text === undefined) return undefined;
  return {
    ...(omb.length ? { ombCategories: omb } : {}),
    ...(detailed.length ? { detailed } : {}),
    ...(text ? { text } : {}),
  };
}

/** The preferred communication language (BCP 47), else the first one listed. */
function preferredLanguage(resource: Element): string | undefined {
  const communication = resource.children('communication');
  const preferred = communication.find((c) => c.boolean('preferred') === true) ?? communication[0];
  const code = preferred?.child('language')?.children('coding').flatMap((c) => c.string('code') ?? [])[0];
  return code !== undefined && fitsModel.language(code) ? code : undefined;
}
