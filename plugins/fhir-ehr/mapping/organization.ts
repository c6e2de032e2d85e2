/** FHIR Organization and Location (US Core) to the canonical Organization and Location. */
import type { EntityData } from '../../../core/sdk/index.js';
import { address, codes, contactPoints, firstCoding, identifier, identifierType, preferredAddress, type Identifier } from './datatypes.js';
import type { Element } from './element.js';
import { NPI_SYSTEM, TIN_SYSTEM, aliasesOf, npiOf } from './identifiers.js';
import { fitsModel } from './model-formats.js';
import type { Scope } from './scope.js';
import { SCHEMA_VERSION, type MappedRecord } from './types.js';

type Organization = EntityData<'Organization'>;
type Location = EntityData<'Location'>;

/**
 * Organization.type (http://terminology.hl7.org/CodeSystem/organization-type) to the role the
 * organization plays for the MSO. An EHR's provider organizations are the practice and the places
 * it refers to; the MSO and suppliers never come from an EHR.
 */
const KINDS: Record<string, Organization['kind']> = { prov: 'practice', ins: 'payer', pay: 'payer' };

/** CMS Place of Service code systems, as US implementation guides name them. */
export const PLACE_OF_SERVICE_SYSTEMS: ReadonlySet<string> = new Set([
  'https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set',
  'http://terminology.hl7.org/CodeSystem/ex-serviceplace',
]);

export function mapOrganization(resource: Element, scope: Scope, id: string): MappedRecord[] {
  const name = resource.string('name');
  if (!name) {
    scope.missing('Organization.name');
    return [];
  }
  const identifierElements = resource.children('identifier');
  const npi = npiOf(identifierElements);
  const taxId = taxIdOf(identifierElements);
  const identifiers = otherIdentifiers(identifierElements, [npi, taxId]);
  const kind = resource.children('type').flatMap((t) => codes(t)).map((code) => KINDS[code]).find((k) => k !== undefined) ?? 'other';
  const active = resource.boolean('active');
  const partOf = scope.follow(resource.child('partOf'), ['Organization']).ref;
  const mainAddress = preferredAddress(resource.children('address'), 'billing');
  const telecom = contactPoints(resource.children('telecom'));

  const record: Organization = {
    schemaVersion: SCHEMA_VERSION,
    kind,
    name,
    ...(npi ? { npi } : {}),
    ...(taxId ? { taxId } : {}),
    ...(identifiers.length ? { identifiers } : {}),
    ...(active !== undefined ? { active } : {}),
    ...(partOf ? { partOf } : {}),
    ...(mainAddress ? { address: mainAddress } : {}),
    ...(telecom.length ? { telecom } : {}),
  };
  return [{ entity: 'Organization', record, externalId: scope.refs.key('Organization', id), aliases: aliasesOf(identifierElements) }];
}

export function mapLocation(resource: Element, scope: Scope, id: string): MappedRecord[] {
  const name = resource.string('name');
  if (!name) {
    scope.missing('Location.name');
    return [];
  }
  const identifierElements = resource.children('identifier');
  const npi = npiOf(identifierElements);
  const identifiers = otherIdentifiers(identifierElements, [npi]);
  const status = resource.string('status');
  const organization = scope.follow(resource.child('managingOrganization'), ['Organization']).ref;
  const types = resource.children('type');
  const placeOfService = types.map((t) => firstCoding(t, PLACE_OF_SERVICE_SYSTEMS)?.code).find((c) => c !== undefined && fitsModel.placeOfService(c));
  const type = types.map((t) => firstCoding(t)).find((c) => c !== undefined);
  const addressElement = resource.child('address');
  const mainAddress = addressElement ? address(addressElement) : undefined;
  const telecom = contactPoints(resource.children('telecom'));

  const record: Location = {
    schemaVersion: SCHEMA_VERSION,
    name,
    ...(status === 'active' || status === 'suspended' || status === 'inactive' ? { status } : {}),
    ...(organization ? { organization } : {}),
    ...(npi ? { npi } : {}),
    ...(placeOfService ? { placeOfService } : {}),
    ...(type ? { type } : {}),
    ...(identifiers.length ? { identifiers } : {}),
    ...(mainAddress ? { address: mainAddress } : {}),
    ...(telecom.length ? { telecom } : {}),
  };
  return [{ entity: 'Location', record, externalId: scope.refs.key('Location', id), aliases: aliasesOf(identifierElements) }];
}

/** An EIN, from the IRS TIN system or an identifier of type `TAX`; sources often hyphenate it. */
export function taxIdOf(identifiers: Element[]): string | undefined {
  for (const el of identifiers) {
    if (el.string('system') !== TIN_SYSTEM && identifierType(el) !== 'TAX') continue;
    const value = el.string('value')?.replace(/-/g, '');
    if (value !== undefined && fitsModel.ein(value)) return value;
    el.problems.push(`${el.at('value')}: not an EIN of 9 digits; not used as the tax id`);
  }
  return undefined;
}

/** The identifiers not already carried by a dedicated field (the NPI, the tax id). */
function otherIdentifiers(elements: Element[], placed: (string | undefined)[]): Identifier[] {
  return elements
    .filter((el) => {
      const system = el.string('system');
      const value = el.string('value')?.replace(/-/g, '');
      const dedicated = system === NPI_SYSTEM || system === TIN_SYSTEM || identifierType(el) === 'TAX';
      return !(dedicated && value !== undefined && placed.includes(value));
    })
    .flatMap((el) => identifier(el) ?? []);
}
