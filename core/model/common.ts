/**
 * Building blocks shared by the entity schemas. Each is a factory taking the description, because
 * the same shape (an address, a name) means something different on each field that uses it and
 * the generated reference documents every field in its own words. Shared shapes carry a `title`
 * (listed in `sharedShapes`) so the reference documents their inside once.
 */
import {
  Type,
  type TArray,
  type TBoolean,
  type TInteger,
  type TLiteral,
  type TNumber,
  type TObject,
  type TProperties,
  type TSchema,
  type TString,
  type TUnsafe,
} from '@sinclair/typebox';
import type { ModelFormatName } from './formats.js';

export const SCHEMA_VERSION = '1.0.0';

/** Extra JSON Schema keywords for a field (`minimum`, `maxItems`, `x-phi`, ...). */
export type FieldOptions = Record<string, unknown>;

/**
 * Marks personal data: HIPAA identifiers of patients and subscribers (names, dates tied to a person,
 * member ids, account numbers, addresses, phone numbers, SSNs) and the same personal data of
 * employees. The hub redacts these paths where payloads could leak (logs, viewer API answers).
 */
export const PHI = { 'x-phi': true } as const;

export const Optional = Type.Optional;

export function text(description: string, options?: FieldOptions): TString {
  return Type.String({ minLength: 1, ...options, description });
}

export function formatted(format: ModelFormatName, description: string, options?: FieldOptions): TString {
  return Type.String({ ...options, format, description });
}

/** A calendar date, `YYYY-MM-DD` (FHIR `date` without partial forms; X12 `D8` reformatted). */
export function date(description: string, options?: FieldOptions): TString {
  return Type.String({ ...options, format: 'date', description });
}

/** An instant with a time zone, RFC 3339 (FHIR `instant`). */
export function dateTime(description: string, options?: FieldOptions): TString {
  return Type.String({ ...options, format: 'date-time', description });
}

/**
 * An amount of money as a JSON number in major units (dollars) with at most 2 decimals, e.g.
 * `125.5`. Numbers rather than strings so that mappings and reports can add them directly. The
 * decimal limit is the `x-decimals` keyword rather than `multipleOf: 0.01`, because `multipleOf`
 * is judged in binary floating point (0.07 fails it in plain ajv), whereas `x-decimals` checks that
 * the number is exactly the double nearest to a value with that many decimals, which also keeps
 * float noise such as `0.1 + 0.2` out of the store. Negative values are allowed unless `minimum`
 * says otherwise (reversals and adjustments are negative in X12).
 */
export function money(description: string, options?: FieldOptions): TNumber {
  return Type.Number({ ...options, 'x-decimals': 2, description });
}

/** A unit price: like money but with up to 4 decimals, as supplier catalogs quote per-each prices. */
export function unitPrice(description: string, options?: FieldOptions): TNumber {
  return Type.Number({ minimum: 0, ...options, 'x-decimals': 4, description });
}

export function num(description: string, options?: FieldOptions): TNumber {
  return Type.Number({ ...options, description });
}

export function int(description: string, options?: FieldOptions): TInteger {
  return Type.Integer({ ...options, description });
}

export function bool(description: string, options?: FieldOptions): TBoolean {
  return Type.Boolean({ ...options, description });
}

/**
 * A closed code list. Emitted as a JSON Schema `enum` (not an `anyOf` of constants) so a wrong
 * value yields one issue listing the allowed values.
 */
export function enumOf<const T extends readonly string[]>(
  values: T,
  description: string,
  options?: FieldOptions,
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values], description });
}

export function list<T extends TSchema>(items: T, description: string, options?: FieldOptions): TArray<T> {
  return Type.Array(items, { ...options, description });
}

/** A closed object: unknown fields are errors, so a mapping typo never slips into the store silently. */
export function obj<P extends TProperties>(properties: P, description: string, options?: FieldOptions): TObject<P> {
  return Type.Object(properties, { ...options, additionalProperties: false, description });
}

/** An entity's root schema: `$id` is the entity name and `schemaVersion` is always required. */
export function entity<P extends TProperties>(
  name: string,
  description: string,
  properties: P,
): TObject<P & { schemaVersion: TLiteral<typeof SCHEMA_VERSION> }> {
  return Type.Object(
    {
      schemaVersion: Type.Literal(SCHEMA_VERSION, {
        description: `Version of the canonical ${name} schema this record follows (semver). Bumped on any change to the shape.`,
      }),
      ...properties,
    },
    { $id: name, title: name, description, additionalProperties: false },
  );
}

// ---------------------------------------------------------------------------------------------
// Shared shapes

/** FHIR Identifier (system + value), e.g. an MRN, a payer-assigned provider id, a DUNS number. */
export function identifier(description: string, options?: FieldOptions) {
  return obj(
    {
      system: text(
        'FHIR Identifier.system: namespace of the value, a URI (e.g. `http://hl7.org/fhir/sid/us-npi`) or a short source name (e.g. `riverside-ehr-mrn`).',
      ),
      value: text('FHIR Identifier.value: the identifier itself.'),
      type: Optional(
        text(
          'FHIR Identifier.type as an HL7 v2 table 0203 code, e.g. `MR` (medical record number), `MB` (member number), `TAX`, `NPI`, `SS`, `DUNS`.',
        ),
      ),
      period: Optional(datePeriod('FHIR Identifier.period: when the identifier was valid.')),
    },
    description,
    { ...options, title: 'Identifier' },
  );
}

/** FHIR HumanName, reduced to what US claims and payroll carry. */
export function humanName(description: string, options?: FieldOptions) {
  return obj(
    {
      family: text('FHIR HumanName.family: family (last) name; X12 NM103.'),
      given: Optional(
        list(text('One given name.'), 'FHIR HumanName.given: given (first, then middle) names in order; X12 NM104, NM105.', {
          maxItems: 5,
        }),
      ),
      prefix: Optional(text('FHIR HumanName.prefix, e.g. `Dr.`.')),
      suffix: Optional(text('FHIR HumanName.suffix, e.g. `Jr.`, `III`; X12 NM107.')),
      use: Optional(
        enumOf(['official', 'usual', 'nickname', 'maiden', 'old'] as const, 'FHIR HumanName.use (name-use value set).'),
      ),
    },
    description,
    { ...options, title: 'HumanName' },
  );
}

/** FHIR Address, US-shaped (X12 N3/N4). Every part is optional because sources often send partial addresses. */
export function address(description: string, options?: FieldOptions) {
  return obj(
    {
      use: Optional(enumOf(['home', 'work', 'temp', 'old', 'billing'] as const, 'FHIR Address.use.')),
      line: Optional(
        list(text('One street line.'), 'FHIR Address.line: street lines; X12 N301, N302.', { minItems: 1, maxItems: 4 }),
      ),
      city: Optional(text('FHIR Address.city; X12 N401.')),
      state: Optional(formatted('state-code', 'FHIR Address.state as a USPS 2-letter code; X12 N402.')),
      postalCode: Optional(
        text('FHIR Address.postalCode: ZIP or ZIP+4 for US addresses (digits, optional hyphen); X12 N403.', { maxLength: 10 }),
      ),
      country: Optional(formatted('country-code', 'FHIR Address.country as ISO 3166-1 alpha-2; `US` when absent.')),
    },
    description,
    { minProperties: 1, ...options, title: 'Address' },
  );
}

/** FHIR ContactPoint (telecom). */
export function contactPoint(description: string, options?: FieldOptions) {
  return obj(
    {
      system: enumOf(['phone', 'fax', 'email', 'url', 'sms', 'other'] as const, 'FHIR ContactPoint.system.'),
      value: text('FHIR ContactPoint.value: the number or address, as the source wrote it.'),
      use: Optional(enumOf(['home', 'work', 'mobile', 'temp', 'old'] as const, 'FHIR ContactPoint.use.')),
    },
    description,
    { ...options, title: 'ContactPoint' },
  );
}

/** A period of calendar dates, both ends inclusive (FHIR Period with `date` precision). */
export function datePeriod(description: string, options?: FieldOptions) {
  return obj(
    {
      start: Optional(date('First day of the period (inclusive).')),
      end: Optional(date('Last day of the period (inclusive); absent while open-ended.')),
    },
    description,
    { ...options, title: 'DatePeriod' },
  );
}

/** A period of instants (FHIR Period with timestamp precision). */
export function instantPeriod(description: string, options?: FieldOptions) {
  return obj(
    {
      start: Optional(dateTime('When the period began.')),
      end: Optional(dateTime('When the period ended; absent while ongoing.')),
    },
    description,
    { ...options, title: 'InstantPeriod' },
  );
}

/** CodeableConcept reduced to its one significant coding. */
export function coding(description: string, options?: FieldOptions) {
  return obj(
    {
      system: Optional(
        text('FHIR Coding.system: the code system URI, e.g. `http://snomed.info/sct`, `http://www.ama-assn.org/go/cpt`.'),
      ),
      code: text('FHIR Coding.code: the code in that system.'),
      display: Optional(text('FHIR Coding.display: human-readable meaning of the code.')),
    },
    description,
    { ...options, title: 'Coding' },
  );
}

/**
 * A link to another canonical record by the external id it was emitted with (the envelope's
 * `system` + `id`), so a mapping can link records without knowing hub ids.
 */
export function reference(description: string, options?: FieldOptions) {
  return obj(
    {
      system: text('External id namespace of the referenced record, as passed to `emit` (e.g. `riverside-ehr`).'),
      id: text('External id of the referenced record within that namespace.'),
    },
    description,
    { ...options, title: 'Reference' },
  );
}

/** A payer as claims and remittances name it (X12 loop 2010BB / 1000A). */
export function payerRef(description: string, options?: FieldOptions) {
  return obj(
    {
      name: text('Payer name; X12 NM103 (entity PR).'),
      payerId: Optional(
        text('Payer identifier used by the clearinghouse; X12 NM109 with NM108 = PI, or 835 N104 / REF*2U.', { maxLength: 80 }),
      ),
      organization: Optional(reference('The payer Organization record, when known.')),
    },
    description,
    { ...options, title: 'PayerRef' },
  );
}

/** A provider as claims name it (X12 loops 2010AA, 2310A-D). */
export function providerRef(description: string, options?: FieldOptions) {
  return obj(
    {
      npi: formatted('npi', 'National Provider Identifier; X12 NM109 with NM108 = XX.'),
      name: Optional(text('Provider name as billed (organization name, or `Last, First` for a person); X12 NM103-NM104.')),
      taxId: Optional(formatted('ein', 'Federal tax id (EIN); X12 REF*EI.')),
      taxonomyCode: Optional(formatted('nucc-taxonomy', 'NUCC taxonomy code the claim is billed under; X12 PRV03.')),
      address: Optional(address('Provider address; X12 N3/N4 (2010AA requires a street address, not a PO box).')),
      record: Optional(reference('The Practitioner or Organization record, when known.')),
    },
    description,
    { ...options, title: 'ProviderRef' },
  );
}

export const CURRENCY_DESCRIPTION =
  'ISO 4217 currency of every amount in this record; `USD` when absent (X12 amounts are always USD).';

export function currency() {
  return Optional(formatted('currency-code', CURRENCY_DESCRIPTION));
}

/** A person's administrative gender (FHIR AdministrativeGender; X12 DMG03 M/F/U maps to male/female/unknown). */
export function gender(description: string, options?: FieldOptions) {
  return enumOf(['male', 'female', 'other', 'unknown'] as const, description, options);
}

/** The shared shapes by title, each with a neutral description, for the reference's "Shared shapes" section. */
export const sharedShapes = {
  Identifier: identifier('An identifier in a namespace (FHIR Identifier).'),
  HumanName: humanName('A person’s name (FHIR HumanName).'),
  Address: address('A postal address (FHIR Address; X12 N3/N4).'),
  ContactPoint: contactPoint('A phone number, email or other contact point (FHIR ContactPoint).'),
  DatePeriod: datePeriod('A range of calendar dates (FHIR Period).'),
  InstantPeriod: instantPeriod('A range of instants (FHIR Period).'),
  Coding: coding('A code from a code system (FHIR Coding; a CodeableConcept reduced to one coding).'),
  Reference: reference('A link to another canonical record by its external id.'),
  PayerRef: payerRef('A payer as X12 transactions name it.'),
  ProviderRef: providerRef('A provider as X12 transactions name it.'),
} as const;
