/**
 * Check functions for the identifiers and code sets the canonical model carries. They are pure and
 * allocation-light because ajv calls them for every record on the emit path; plugin mappings may
 * also call them directly (e.g. to decide whether a source field holds an NPI or a legacy id).
 */

const DIGITS = /^[0-9]+$/;

/**
 * Luhn (mod 10, double-add-double) check digit for a string of digits, as used by the NPI
 * (ISO/IEC 7812). Returns the digit that must follow `payload`.
 */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  // The rightmost payload digit is doubled because the check digit will sit to its right.
  let double = true;
  for (let i = payload.length - 1; i >= 0; i--) {
    let d = payload.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * National Provider Identifier: 10 digits whose last digit is the Luhn check digit of the first
 * nine prefixed with 80840 (CMS, "NPI check digit" rule; the prefix is the US health-industry
 * issuer number in ISO 7812). `1234567893` is the example CMS publishes.
 */
export function isValidNpi(value: string): boolean {
  if (value.length !== 10) return false;
  // NPIs start with 1 or 2 (NPPES reserves the other leading digits).
  const lead = value.charCodeAt(0);
  if (lead !== 49 && lead !== 50) return false;
  // The Luhn sum of the card-issuer prefix 80840 comes to 24 (the NPI standard's constant); the nine
  // payload digits are summed in place rather than joined to it, which ajv would pay for per record.
  let sum = NPI_PREFIX_SUM;
  for (let i = 0; i < 9; i++) {
    let d = value.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return false;
    // The rightmost payload digit (i = 8) is doubled, and every second one to its left.
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  const check = value.charCodeAt(9) - 48;
  return check >= 0 && check <= 9 && (10 - (sum % 10)) % 10 === check;
}

/** What the prefix 80840 adds to an NPI's Luhn sum, as the NPI standard gives it. */
const NPI_PREFIX_SUM = 24;

/** GS1 mod-10 check digit (weights 3,1,3,... from the right) for a GTIN/GLN payload. */
export function gs1CheckDigit(payload: string): number {
  let sum = 0;
  let weight = 3;
  for (let i = payload.length - 1; i >= 0; i--) {
    sum += (payload.charCodeAt(i) - 48) * weight;
    weight = weight === 3 ? 1 : 3;
  }
  return (10 - (sum % 10)) % 10;
}

function hasGs1CheckDigit(value: string): boolean {
  return gs1CheckDigit(value.slice(0, -1)) === value.charCodeAt(value.length - 1) - 48;
}

/** GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN) or GTIN-14, with a valid GS1 check digit. */
export function isValidGtin(value: string): boolean {
  const n = value.length;
  if ((n !== 8 && n !== 12 && n !== 13 && n !== 14) || !DIGITS.test(value)) return false;
  return hasGs1CheckDigit(value);
}

/** GS1 Global Location Number: 13 digits with the GS1 mod-10 check digit. */
export function isValidGln(value: string): boolean {
  return value.length === 13 && DIGITS.test(value) && hasGs1CheckDigit(value);
}

// Letter, digit, alphanumeric category; then up to four more characters (etiology, anatomic site,
// severity, 7th-character extension), with or without the dot that print forms use and X12 omits.
const ICD10CM = /^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$/;

/** ICD-10-CM diagnosis code shape, e.g. `E11.9`, `E119`, `S72.001A`. Upper case only. */
export function isValidIcd10cm(value: string): boolean {
  return ICD10CM.test(value);
}

/** ICD-10-CM without the dot and in upper case: the form X12 HI segments carry. */
export function normalizeIcd10cm(value: string): string {
  return value.trim().replace('.', '').toUpperCase();
}

// CPT Category I (5 digits), Category II (4 digits + F), Category III (4 digits + T), PLA (4 digits
// + U); HCPCS Level II (a letter A-V + 4 digits).
const CPT_HCPCS = /^(?:[0-9]{5}|[0-9]{4}[FTU]|[A-V][0-9]{4})$/;

/** CPT or HCPCS Level II procedure code shape, e.g. `99213`, `0001F`, `0042T`, `J1100`. */
export function isValidCptHcpcs(value: string): boolean {
  return CPT_HCPCS.test(value);
}

const MODIFIER = /^[0-9A-Z]{2}$/;

/** CPT/HCPCS modifier: two alphanumeric characters, e.g. `25`, `59`, `LT`, `GT`. */
export function isValidProcedureModifier(value: string): boolean {
  return MODIFIER.test(value);
}

/**
 * UNSPSC commodity code: 8 digits (segment, family, class, commodity), optionally 10 with the
 * business-function pair. The segment is never `00`, and once a level is `00` every level below it
 * is too (a family-level code such as `42140000` is valid, `42001400` is not).
 */
export function isValidUnspsc(value: string): boolean {
  if ((value.length !== 8 && value.length !== 10) || !DIGITS.test(value)) return false;
  if (value.startsWith('00')) return false;
  let seenZeroLevel = false;
  for (let i = 2; i < 8; i += 2) {
    const zero = value[i] === '0' && value[i + 1] === '0';
    if (seenZeroLevel && !zero) return false;
    if (zero) seenZeroLevel = true;
  }
  return true;
}

const CARC = /^(?:[0-9]{1,3}|[A-Z][0-9]{1,2})$/;

/** Claim Adjustment Reason Code (X12 CAS02 / CAS05...), e.g. `45`, `253`, `B7`, `P12`. */
export function isValidCarc(value: string): boolean {
  return CARC.test(value);
}

const RARC = /^(?:M[1-9][0-9]{0,2}|MA[0-9]{2,3}|N[1-9][0-9]{0,3})$/;

/** Remittance Advice Remark Code (X12 LQ02, MOA/MIA), e.g. `M15`, `MA130`, `N381`. */
export function isValidRarc(value: string): boolean {
  return RARC.test(value);
}

/** Employer Identification Number as X12 REF*EI carries it: 9 digits, no hyphen. */
export function isValidEin(value: string): boolean {
  // Only the 00 prefix is ruled out: the IRS adds campus prefixes over time, and a stale list here
  // would reject real employers.
  return value.length === 9 && DIGITS.test(value) && !value.startsWith('00');
}

/**
 * Social Security Number, 9 digits without hyphens. Rejects the ranges SSA never issues: area
 * 000, 666 or 900-999, group 00, serial 0000.
 */
export function isValidSsn(value: string): boolean {
  if (value.length !== 9 || !DIGITS.test(value)) return false;
  const area = value.slice(0, 3);
  if (area === '000' || area === '666' || area[0] === '9') return false;
  return value.slice(3, 5) !== '00' && value.slice(5) !== '0000';
}

const TAXONOMY = /^[0-9]{3}[0-9A-Z]{6}X$/;

/** NUCC Health Care Provider Taxonomy code, e.g. `207Q00000X` (Family Medicine). */
export function isValidTaxonomyCode(value: string): boolean {
  return TAXONOMY.test(value);
}
