/** Identifier systems the mappings recognise, and the readings shared by several resources. */
import type { ExternalRef } from '../../../core/sdk/index.js';
import type { Element } from './element.js';
import { fitsModel } from './model-formats.js';
import type { Followed } from './references.js';

export const NPI_SYSTEM = 'http://hl7.org/fhir/sid/us-npi';
export const SSN_SYSTEM = 'http://hl7.org/fhir/sid/us-ssn';
/** US IRS taxpayer identification number (EIN for organizations). */
export const TIN_SYSTEM = 'urn:oid:2.16.840.1.113883.4.4';

/** The valid NPI among a resource's identifiers; a malformed one is reported and skipped. */
export function npiOf(identifiers: Element[]): string | undefined {
  for (const el of identifiers) {
    if (el.string('system') !== NPI_SYSTEM) continue;
    const value = el.string('value');
    if (value === undefined) continue;
    if (fitsModel.npi(value)) return value;
    el.problems.push(`${el.at('value')}: not a valid NPI (10 digits with a check digit); not used as the NPI`);
  }
  return undefined;
}

/** The NPI a reference carries, or that its target (in the bundle) carries. */
export function npiOfReference(followed: Followed): string | undefined {
  const carried = followed.identifier;
  if (carried?.system === NPI_SYSTEM && fitsModel.npi(carried.value)) return carried.value;
  return followed.resource ? npiOf(followed.resource.children('identifier')) : undefined;
}

/** Keys an identifier reference to this record may use (see references.ts). */
export function aliasesOf(identifiers: Element[], keep: (system: string) => boolean = () => true): ExternalRef[] {
  const out: ExternalRef[] = [];
  const seen = new Set<string>();
  for (const el of identifiers) {
    const system = el.string('system');
    const value = el.string('value');
    if (system === undefined || value === undefined || !keep(system)) continue;
    const key = `${system}|${value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ system, id: value });
  }
  return out;
}
