/**
 * FHIR Practitioner (US Core) to the canonical Practitioner; PractitionerRole to nothing (see
 * PRACTITIONER_ROLE_NOT_MAPPED).
 */
import type { EntityData } from '../../../core/sdk/index.js';
import { contactPoints, datePeriod, genderOf, identifier, preferredName } from './datatypes.js';
import type { Element } from './element.js';
import { NPI_SYSTEM, aliasesOf, npiOf } from './identifiers.js';
import { fitsModel } from './model-formats.js';
import type { Scope } from './scope.js';
import { SCHEMA_VERSION, type MappedRecord } from './types.js';

type Practitioner = EntityData<'Practitioner'>;
type Qualification = NonNullable<Practitioner['qualifications']>[number];

export const NUCC_TAXONOMY = 'http://nucc.org/provider-taxonomy';

/**
 * A PractitionerRole says where a practitioner works and as what (organization, locations,
 * specialty, period). The canonical Practitioner has no field for any of it, and emitting a partial
 * Practitioner from a role would replace the one mapped from the Practitioner resource (upserts
 * replace content), so a role maps to nothing and is counted as such.
 */
export const PRACTITIONER_ROLE_NOT_MAPPED =
  'PractitionerRole: the canonical model has no place for a practitioner’s role (organization, locations, specialty); counted, not mapped';

export function mapPractitioner(resource: Element, scope: Scope, id: string): MappedRecord[] {
  const name = preferredName(resource.children('name'));
  if (!name) {
    scope.missing('Practitioner.name', 'a name with a family name');
    return [];
  }
  const identifierElements = resource.children('identifier');
  const npi = npiOf(identifierElements);
  const identifiers = identifierElements
    .flatMap((el) => identifier(el) ?? [])
    .filter((i) => !(npi !== undefined && i.value === npi && i.system === NPI_SYSTEM));
  const qualificationElements = resource.children('qualification');
  const qualifications = qualificationElements.flatMap((el) => qualification(el) ?? []);
  const taxonomyCode = taxonomyOf(qualificationElements);
  const gender = genderOf(resource);
  const active = resource.boolean('active');
  const telecom = contactPoints(resource.children('telecom'));

  const record: Practitioner = {
    schemaVersion: SCHEMA_VERSION,
    name,
    ...(npi ? { npi } : {}),
    ...(taxonomyCode ? { taxonomyCode } : {}),
    ...(gender ? { gender } : {}),
    ...(active !== undefined ? { active } : {}),
    ...(qualifications.length ? { qualifications } : {}),
    ...(identifiers.length ? { identifiers } : {}),
    ...(telecom.length ? { telecom } : {}),
  };
  return [{ entity: 'Practitioner', record, externalId: scope.refs.key('Practitioner', id), aliases: aliasesOf(identifierElements) }];
}

/** A qualification coded in the NUCC taxonomy is the practitioner's billing taxonomy (X12 PRV03). */
function taxonomyOf(qualifications: Element[]): string | undefined {
  for (const el of qualifications) {
    for (const coding of el.child('code')?.children('coding') ?? []) {
      const code = coding.string('code');
      if (coding.string('system') === NUCC_TAXONOMY && code !== undefined && fitsModel.taxonomy(code)) return code;
    }
  }
  return undefined;
}

function qualification(el: Element): Qualification | undefined {
  const concept = el.child('code');
  const code = concept?.children('coding').flatMap((c) => c.string('code') ?? [])[0] ?? concept?.string('text');
  if (code === undefined) {
    el.problems.push(`${el.at('code')}: a qualification without a code cannot be kept; left out`);
    return undefined;
  }
  const number = el.children('identifier').flatMap((i) => i.string('value') ?? [])[0];
  const issuer = el.child('issuer')?.string('display');
  const period = datePeriod(el.child('period'));
  return {
    code,
    ...(number ? { identifier: number } : {}),
    ...(issuer ? { issuer } : {}),
    ...(period ? { period } : {}),
  };
}
