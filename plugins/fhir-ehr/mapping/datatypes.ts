/**
 * FHIR R4 data types (HumanName, Address, ContactPoint, Identifier, Period, CodeableConcept, dates)
 * to the model's shared shapes. A value that does not fit its canonical field is left out and
 * reported by path, so the rest of the record still lands.
 */
import type { EntityData } from '../../../core/sdk/index.js';
import type { Element } from './element.js';
import { fitsModel } from './model-formats.js';
import { USPS_STATE_CODES } from './us-states.js';

export type HumanName = EntityData<'Practitioner'>['name'];
export type Address = NonNullable<EntityData<'Organization'>['address']>;
export type ContactPoint = NonNullable<EntityData<'Organization'>['telecom']>[number];
export type Identifier = NonNullable<EntityData<'Organization'>['identifiers']>[number];
export type Coding = NonNullable<EntityData<'Location'>['type']>;
export type DatePeriod = NonNullable<EntityData<'Coverage'>['period']>;
export type InstantPeriod = NonNullable<EntityData<'Encounter'>['period']>;

export type Gender = NonNullable<EntityData<'Patient'>['gender']>;

export const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';

const GENDERS: ReadonlySet<string> = new Set(['male', 'female', 'other', 'unknown']);

/** FHIR AdministrativeGender, which the model takes as it is. */
export function genderOf(el: Element): Gender | undefined {
  const value = el.string('gender');
  return value !== undefined && GENDERS.has(value) ? (value as Gender) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Dates. FHIR allows partial dates (`1995`, `2002-05`) and date-only dateTimes; the model takes
// full dates and instants with a zone only, and inventing the missing parts would be a guess.

const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** The calendar date a FHIR date or dateTime starts with, when it has full precision. */
export function datePart(value: string): string | undefined {
  const match = FULL_DATE.exec(value);
  if (!match) return undefined;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  // Date.UTC rolls 2023-02-30 over into March; a real date survives the round trip.
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  if (value.length > 10 && value[10] !== 'T') return undefined;
  return match[0];
}

/** A FHIR instant, or a dateTime with a time and zone. */
export function instant(value: string): string | undefined {
  return INSTANT.test(value) && datePart(value) !== undefined ? value : undefined;
}

/** A date element (or the date part of a dateTime), reported when it is too partial to keep. */
export function readDate(el: Element, key: string): string | undefined {
  const value = el.string(key);
  if (value === undefined) return undefined;
  const date = datePart(value);
  if (date === undefined) el.problems.push(`${el.at(key)}: not a full date (YYYY-MM-DD); left out`);
  return date;
}

export function readInstant(el: Element, key: string): string | undefined {
  const value = el.string(key);
  if (value === undefined) return undefined;
  const at = instant(value);
  if (at === undefined) el.problems.push(`${el.at(key)}: not a timestamp with a time zone; left out`);
  return at;
}

export function datePeriod(el: Element | undefined): DatePeriod | undefined {
  if (!el) return undefined;
  const start = readDate(el, 'start');
  const end = readDate(el, 'end');
  if (start === undefined && end === undefined) return undefined;
  return { ...(start ? { start } : {}), ...(end ? { end } : {}) };
}

export function instantPeriod(el: Element | undefined): InstantPeriod | undefined {
  if (!el) return undefined;
  const start = readInstant(el, 'start');
  const end = readInstant(el, 'end');
  if (start === undefined && end === undefined) return undefined;
  return { ...(start ? { start } : {}), ...(end ? { end } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Names

const NAME_USES = new Set(['official', 'usual', 'nickname', 'maiden', 'old']);
const MAX_GIVEN = 5;

/** A HumanName with a family name; without one it has no canonical form. */
export function humanName(el: Element): HumanName | undefined {
  const family = el.string('family');
  if (family === undefined) return undefined;
  let given = el.strings('given');
  if (given.length > MAX_GIVEN) {
    el.problems.push(`${el.at('given')}: more than ${MAX_GIVEN} given names; the rest left out`);
    given = given.slice(0, MAX_GIVEN);
  }
  const prefix = el.strings('prefix').join(' ');
  const suffix = el.strings('suffix').join(' ');
  const use = el.string('use');
  return {
    family,
    ...(given.length ? { given } : {}),
    ...(prefix ? { prefix } : {}),
    ...(suffix ? { suffix } : {}),
    ...(use && NAME_USES.has(use) ? { use: use as NonNullable<HumanName['use']> } : {}),
  };
}

// A person's current legal name first; a maiden or old name only when nothing else has a family name.
const NAME_PREFERENCE = ['official', 'usual', undefined, 'nickname', 'temp', 'anonymous', 'maiden', 'old'];

function namePreference(el: Element): number {
  const rank = NAME_PREFERENCE.indexOf(el.string('use'));
  return rank === -1 ? NAME_PREFERENCE.length : rank;
}

/** The name a person is billed and matched under: the preferred use that has a family name. */
export function preferredName(names: Element[]): HumanName | undefined {
  const ordered = names.map((el, i) => ({ el, i })).sort((a, b) => namePreference(a.el) - namePreference(b.el) || a.i - b.i);
  for (const { el } of ordered) {
    const name = humanName(el);
    if (name) return name;
  }
  return undefined;
}

/** `Family, Given` as claims print a person's name. */
export function billingName(name: HumanName): string {
  return name.given?.length ? `${name.family}, ${name.given[0]}` : name.family;
}

// ---------------------------------------------------------------------------------------------
// Address and telecom

const ADDRESS_USES = new Set(['home', 'work', 'temp', 'old', 'billing']);
const MAX_LINES = 4;
const US_NAMES = new Set(['us', 'usa', 'united states', 'united states of america']);

export function address(el: Element): Address | undefined {
  const out: Address = {};
  const use = el.string('use');
  if (use && ADDRESS_USES.has(use)) out.use = use as NonNullable<Address['use']>;
  let line = el.strings('line');
  if (line.length > MAX_LINES) {
    el.problems.push(`${el.at('line')}: more than ${MAX_LINES} lines; the rest left out`);
    line = line.slice(0, MAX_LINES);
  }
  if (line.length) out.line = line;
  const city = el.string('city');
  if (city) out.city = city;
  const stateText = el.string('state');
  const state = stateText === undefined ? undefined : (USPS_STATE_CODES.get(stateText.toLowerCase()) ?? stateText.toUpperCase());
  if (state !== undefined) {
    if (fitsModel.state(state)) out.state = state;
    else el.problems.push(`${el.at('state')}: not a US state (a 2-letter code or a state name); left out`);
  }
  const postalCode = el.string('postalCode');
  if (postalCode !== undefined) {
    if (fitsModel.postalCode(postalCode)) out.postalCode = postalCode;
    else el.problems.push(`${el.at('postalCode')}: longer than a ZIP+4 code; left out`);
  }
  const country = el.string('country');
  if (country !== undefined) {
    const code = US_NAMES.has(country.toLowerCase()) ? 'US' : country.toUpperCase();
    if (fitsModel.country(code)) out.country = code;
    else el.problems.push(`${el.at('country')}: not an ISO 3166 alpha-2 country code; left out`);
  }
  // `use` alone says nothing about where someone is.
  const { use: _use, ...parts } = out;
  return Object.keys(parts).length ? out : undefined;
}

/** The address of a given use (e.g. `billing`), else the first that maps. */
export function preferredAddress(addresses: Element[], use?: string): Address | undefined {
  const ordered = use ? [...addresses.filter((a) => a.string('use') === use), ...addresses.filter((a) => a.string('use') !== use)] : addresses;
  for (const el of ordered) {
    if (el.string('use') === 'old') continue;
    const mapped = address(el);
    if (mapped) return mapped;
  }
  return undefined;
}

const TELECOM_SYSTEMS: Record<string, ContactPoint['system']> = {
  phone: 'phone',
  fax: 'fax',
  email: 'email',
  url: 'url',
  sms: 'sms',
  pager: 'other',
  other: 'other',
};
const TELECOM_USES = new Set(['home', 'work', 'mobile', 'temp', 'old']);

export function contactPoints(list: Element[]): ContactPoint[] {
  const out: ContactPoint[] = [];
  for (const el of list) {
    const value = el.string('value');
    const system = TELECOM_SYSTEMS[el.string('system') ?? ''];
    // A contact point without a value or a known system (FHIR allows both) reaches no one.
    if (!value || !system) continue;
    const use = el.string('use');
    out.push({ system, value, ...(use && TELECOM_USES.has(use) ? { use: use as NonNullable<ContactPoint['use']> } : {}) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Identifiers and codes

/** The HL7 v2 table 0203 code of an Identifier.type (`MR`, `MB`, `TAX`, `NPI`, `SS`, ...). */
export function identifierType(el: Element): string | undefined {
  const type = el.child('type');
  if (!type) return undefined;
  const codings = type.children('coding');
  const v2 = codings.find((c) => c.string('system') === V2_0203) ?? codings[0];
  return v2?.string('code');
}

/** An Identifier with both system and value; anything less is reported and left out. */
export function identifier(el: Element, type?: string): Identifier | undefined {
  const system = el.string('system');
  const value = el.string('value');
  if (system === undefined || value === undefined) {
    el.problems.push(`${el.path}: an identifier needs both system and value to be kept; left out`);
    return undefined;
  }
  const resolvedType = type ?? identifierType(el);
  const period = datePeriod(el.child('period'));
  return { system, value, ...(resolvedType ? { type: resolvedType } : {}), ...(period ? { period } : {}) };
}

/** The first coding of a CodeableConcept that has a code (optionally from one of `systems`). */
export function firstCoding(concept: Element | undefined, systems?: ReadonlySet<string>): Coding | undefined {
  if (!concept) return undefined;
  for (const el of concept.children('coding')) {
    const code = el.string('code');
    const system = el.string('system');
    if (code === undefined) continue;
    if (systems && (system === undefined || !systems.has(system))) continue;
    const display = el.string('display');
    return { ...(system ? { system } : {}), code, ...(display ? { display } : {}) };
  }
  return undefined;
}

/** Every code of a CodeableConcept (any system): for value sets whose codes are unique on their own. */
export function codes(concept: Element | undefined): string[] {
  if (!concept) return [];
  return concept.children('coding').flatMap((c) => c.string('code') ?? []);
}

/** The code of a single Coding element, or of the first coding when a CodeableConcept is sent instead. */
export function codingCode(el: Element | undefined): string | undefined {
  if (!el) return undefined;
  return el.string('code') ?? codes(el)[0];
}
