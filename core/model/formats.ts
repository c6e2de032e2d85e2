import {
  isValidCarc,
  isValidCptHcpcs,
  isValidEin,
  isValidGln,
  isValidGtin,
  isValidIcd10cm,
  isValidNpi,
  isValidProcedureModifier,
  isValidRarc,
  isValidSsn,
  isValidTaxonomyCode,
  isValidUnspsc,
} from './identifiers.js';

export interface ModelFormat {
  /** Returns true for a valid value. Only strings reach it (ajv applies formats to strings only). */
  validate: (value: string) => boolean;
  /** The issue message when a value fails, worded to complete "<field> ...". */
  message: string;
  /** Where the rule comes from, shown in the generated reference. */
  standard: string;
}

function pattern(re: RegExp): (value: string) => boolean {
  return (value) => re.test(value);
}

/**
 * Every string format the canonical schemas use beyond ajv-formats' `date` and `date-time`.
 * Formats rather than bare `pattern`s so that an issue says what the value should be, not a regex.
 */
export const modelFormats = {
  npi: {
    validate: isValidNpi,
    message: 'must be a valid NPI (10 digits with a Luhn check digit)',
    standard: 'CMS NPI: 10 digits, Luhn check digit over 80840 + first 9 digits',
  },
  gtin: {
    validate: isValidGtin,
    message: 'must be a valid GTIN (8, 12, 13 or 14 digits with a GS1 check digit)',
    standard: 'GS1 GTIN-8/12/13/14, mod-10 check digit',
  },
  gln: {
    validate: isValidGln,
    message: 'must be a valid GLN (13 digits with a GS1 check digit)',
    standard: 'GS1 Global Location Number, mod-10 check digit',
  },
  icd10cm: {
    validate: isValidIcd10cm,
    message: 'must be an ICD-10-CM code (e.g. E11.9 or E119, upper case)',
    standard: 'ICD-10-CM (CDC/NCHS) code shape; dot optional',
  },
  'cpt-hcpcs': {
    validate: isValidCptHcpcs,
    message: 'must be a CPT code (5 digits, or 4 digits + F/T/U) or a HCPCS Level II code (letter A-V + 4 digits)',
    standard: 'AMA CPT / CMS HCPCS Level II',
  },
  'procedure-modifier': {
    validate: isValidProcedureModifier,
    message: 'must be a CPT/HCPCS modifier (2 letters or digits, e.g. 25, LT)',
    standard: 'CPT/HCPCS modifier',
  },
  unspsc: {
    validate: isValidUnspsc,
    message: 'must be a UNSPSC code (8 or 10 digits, segment not 00, no level below a 00 level)',
    standard: 'UNSPSC (GS1 US) commodity code',
  },
  carc: {
    validate: isValidCarc,
    message: 'must be a Claim Adjustment Reason Code (1-3 digits, or a letter + 1-2 digits, e.g. 45, B7)',
    standard: 'X12 Claim Adjustment Reason Codes (CARC)',
  },
  rarc: {
    validate: isValidRarc,
    message: 'must be a Remittance Advice Remark Code (M, MA or N followed by digits, e.g. N381)',
    standard: 'X12 Remittance Advice Remark Codes (RARC)',
  },
  ein: {
    validate: isValidEin,
    message: 'must be an EIN of 9 digits without a hyphen',
    standard: 'IRS Employer Identification Number',
  },
  ssn: {
    validate: isValidSsn,
    message: 'must be an SSN of 9 digits without hyphens, in a range SSA issues',
    standard: 'SSA Social Security Number',
  },
  'nucc-taxonomy': {
    validate: isValidTaxonomyCode,
    message: 'must be a NUCC taxonomy code (10 characters ending in X, e.g. 207Q00000X)',
    standard: 'NUCC Health Care Provider Taxonomy',
  },
  'place-of-service': {
    validate: pattern(/^(?:0[1-9]|[1-9][0-9])$/),
    message: 'must be a CMS place of service code (2 digits, 01-99)',
    standard: 'CMS Place of Service code set',
  },
  'revenue-code': {
    validate: pattern(/^[0-9]{4}$/),
    message: 'must be an NUBC revenue code (4 digits, e.g. 0450)',
    standard: 'NUBC UB-04 revenue codes',
  },
  'type-of-bill': {
    validate: pattern(/^[0-9]{2}[0-9A-Z]$/),
    message: 'must be a type of bill without the leading zero (facility type, classification, frequency; e.g. 131)',
    standard: 'NUBC UB-04 FL 4 type of bill',
  },
  ndc: {
    validate: pattern(/^[0-9]{11}$/),
    message: 'must be an NDC in the 11-digit 5-4-2 form without hyphens',
    standard: 'FDA National Drug Code, HIPAA 11-digit form',
  },
  'currency-code': {
    validate: pattern(/^[A-Z]{3}$/),
    message: 'must be an ISO 4217 currency code (3 upper-case letters, e.g. USD)',
    standard: 'ISO 4217',
  },
  'state-code': {
    validate: pattern(/^[A-Z]{2}$/),
    message: 'must be a 2-letter state or province code (e.g. TX)',
    standard: 'USPS state abbreviation',
  },
  'country-code': {
    validate: pattern(/^[A-Z]{2}$/),
    message: 'must be an ISO 3166-1 alpha-2 country code (e.g. US)',
    standard: 'ISO 3166-1 alpha-2',
  },
  'unit-of-measure': {
    validate: pattern(/^[A-Z0-9]{2,3}$/),
    message: 'must be a unit of measure code (2-3 upper-case letters or digits, e.g. EA, BX, CS)',
    standard: 'X12 355 / UN/CEFACT Rec. 20 unit of measure',
  },
  'x12-code': {
    validate: pattern(/^[0-9A-Z]{1,3}$/),
    message: 'must be an X12 code value (1-3 upper-case letters or digits)',
    standard: 'X12 5010 code list (see the field description)',
  },
} satisfies Record<string, ModelFormat>;

export type ModelFormatName = keyof typeof modelFormats;

/**
 * RFC 3339 full-date (`YYYY-MM-DD`, a real calendar day), exactly as ajv-formats' `date` reads it,
 * without the regular expression: its match array was an allocation per date, and an 835 carries
 * several dates per claim.
 */
export function isValidDate(value: string): boolean {
  if (value.length !== 10 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return false;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month]!);
}

/** Orders two full-dates (as ajv-formats does, for formatMinimum/formatMaximum). */
export function compareDates(a: string, b: string): number | undefined {
  if (!(a && b)) return undefined;
  return a > b ? 1 : a < b ? -1 : 0;
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The ASCII digits at value[from, from + count) as a number; -1 when any is not a digit. */
function digitsAt(value: string, from: number, count: number): number {
  let n = 0;
  for (let k = from; k < from + count; k++) {
    const digit = value.charCodeAt(k) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/** Messages for the date formats the model uses (`date` checked by isValidDate, `date-time` by ajv-formats). */
export const builtinFormatMessages: Record<string, { message: string; standard: string }> = {
  date: { message: 'must be a date in YYYY-MM-DD form', standard: 'RFC 3339 full-date (FHIR date, X12 D8)' },
  'date-time': {
    message: 'must be a timestamp with a time zone (e.g. 2024-05-01T14:30:00Z)',
    standard: 'RFC 3339 date-time (FHIR instant)',
  },
};
