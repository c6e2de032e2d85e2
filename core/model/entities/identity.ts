/**
 * Who is who: organizations (the MSO, its practices, payers, suppliers), their locations,
 * practitioners, patients and their coverage. Aligned with FHIR R4 / US Core.
 */
import {
  Optional,
  PHI,
  address,
  bool,
  contactPoint,
  coding,
  datePeriod,
  date,
  entity,
  formatted,
  gender,
  humanName,
  identifier,
  int,
  list,
  obj,
  enumOf,
  payerRef,
  reference,
  text,
} from '../common.js';

export const OrganizationSchema = entity(
  'Organization',
  'An organization the MSO deals with: the MSO itself, a member practice, a payer, a supplier. FHIR Organization.',
  {
    kind: enumOf(
      ['mso', 'practice', 'payer', 'supplier', 'other'] as const,
      'Role of the organization for the MSO (FHIR Organization.type, simplified): `mso`, `practice`, `payer`, `supplier` or `other`.',
    ),
    name: text('FHIR Organization.name: legal or doing-business-as name.'),
    npi: Optional(formatted('npi', 'Organization NPI (NPPES entity type 2); FHIR identifier system `http://hl7.org/fhir/sid/us-npi`.')),
    taxId: Optional(formatted('ein', 'Federal tax id (EIN), 9 digits; FHIR identifier type `TAX`, X12 REF*EI.')),
    payerId: Optional(
      text('For payers: the id clearinghouses route claims with (X12 NM109 with NM108 = PI).', { maxLength: 80 }),
    ),
    identifiers: Optional(
      list(identifier('Another identifier of the organization.'), 'FHIR Organization.identifier: other ids (PTAN, DUNS, GLN, state license, source-system ids).'),
    ),
    active: Optional(bool('FHIR Organization.active: whether the organization is in active use; true when absent.')),
    partOf: Optional(reference('FHIR Organization.partOf: the parent organization, e.g. the MSO a practice belongs to.')),
    address: Optional(address('FHIR Organization.address: main (billing) address.')),
    telecom: Optional(list(contactPoint('One contact point.'), 'FHIR Organization.telecom: phone, fax, email, web.')),
  },
);

export const LocationSchema = entity(
  'Location',
  'A physical place where care is delivered or goods are received: a clinic site, a suite, a warehouse dock. FHIR Location.',
  {
    name: text('FHIR Location.name.'),
    status: Optional(enumOf(['active', 'suspended', 'inactive'] as const, 'FHIR Location.status; `active` when absent.')),
    organization: Optional(reference('FHIR Location.managingOrganization: the practice (or MSO) that runs this location.')),
    npi: Optional(formatted('npi', 'NPI of the service facility, when it has its own; X12 2310C NM109.')),
    placeOfService: Optional(
      formatted('place-of-service', 'Default CMS place of service code for care delivered here, e.g. `11` (office); FHIR Location.type.'),
    ),
    type: Optional(coding('FHIR Location.type: kind of location (HL7 v3 ServiceDeliveryLocationRoleType).')),
    identifiers: Optional(list(identifier('Another identifier of the location.'), 'FHIR Location.identifier.')),
    address: Optional(address('FHIR Location.address.')),
    telecom: Optional(list(contactPoint('One contact point.'), 'FHIR Location.telecom.')),
  },
);

export const PractitionerSchema = entity(
  'Practitioner',
  'A person who provides or bills care: physician, nurse practitioner, therapist. FHIR Practitioner (US Core). Practitioner identity is public (NPPES), so nothing here is marked PHI.',
  {
    name: humanName('FHIR Practitioner.name: the name the practitioner bills under.'),
    npi: Optional(
      formatted('npi', 'Individual NPI (NPPES entity type 1); US Core requires it when known. X12 NM109 with NM108 = XX.'),
    ),
    taxonomyCode: Optional(
      formatted('nucc-taxonomy', 'Primary NUCC provider taxonomy code, e.g. `207Q00000X` (Family Medicine); X12 PRV03.'),
    ),
    gender: Optional(gender('FHIR Practitioner.gender.')),
    active: Optional(bool('FHIR Practitioner.active; true when absent.')),
    qualifications: Optional(
      list(
        obj(
          {
            code: text('FHIR Practitioner.qualification.code: degree, certificate or license type, e.g. `MD`, `DO`, `NP`, `RN`, `DEA`.'),
            identifier: Optional(text('License or certificate number, e.g. a state medical license number.')),
            issuer: Optional(text('FHIR Practitioner.qualification.issuer: who issued it, e.g. `Texas Medical Board`.')),
            state: Optional(formatted('state-code', 'State that issued a license, USPS code.')),
            period: Optional(datePeriod('FHIR Practitioner.qualification.period: when it is valid.')),
          },
          'One qualification.',
        ),
        'FHIR Practitioner.qualification: degrees, licenses and certifications.',
      ),
    ),
    identifiers: Optional(list(identifier('Another identifier of the practitioner.'), 'FHIR Practitioner.identifier: other ids (state license, DEA, PTAN, source-system ids).')),
    telecom: Optional(list(contactPoint('One contact point.'), 'FHIR Practitioner.telecom: work contact points.')),
  },
);

const OMB_RACE = ['1002-5', '2028-9', '2054-5', '2076-8', '2106-3', 'UNK', 'ASKU'] as const;
const OMB_ETHNICITY = ['2135-2', '2186-5', 'UNK', 'ASKU'] as const;
const CDC_RACE_CODE = { pattern: '^[0-9]{4}-[0-9]$' };

export const PatientSchema = entity(
  'Patient',
  'A person receiving care at a practice. FHIR Patient (US Core). `name` is required: every source the hub reads (FHIR exports, X12 NM1*QC/IL) carries one, and a nameless record cannot be matched by a person.',
  {
    name: humanName('FHIR Patient.name: the official name; X12 2010CA/2010BA NM1.', PHI),
    birthDate: Optional(date('FHIR Patient.birthDate; X12 DMG02.', PHI)),
    gender: Optional(gender('FHIR Patient.gender (administrative gender); X12 DMG03.')),
    identifiers: Optional(
      list(
        identifier('One identifier.'),
        'FHIR Patient.identifier: medical record numbers (type `MR`), and other ids. An SSN, if a source sends one, goes here with system `http://hl7.org/fhir/sid/us-ssn`.',
        PHI,
      ),
    ),
    deceasedDate: Optional(date('FHIR Patient.deceasedDateTime (date part).', PHI)),
    address: Optional(list(address('One address.'), 'FHIR Patient.address: home and other addresses.', PHI)),
    telecom: Optional(list(contactPoint('One contact point.'), 'FHIR Patient.telecom: phone numbers and email.', PHI)),
    race: Optional(
      obj(
        {
          ombCategories: Optional(
            list(
              enumOf(OMB_RACE, 'One OMB race category code (CDC Race & Ethnicity code set), or `UNK` / `ASKU`.'),
              'US Core race extension `ombCategory`: 1002-5 American Indian or Alaska Native, 2028-9 Asian, 2054-5 Black or African American, 2076-8 Native Hawaiian or Other Pacific Islander, 2106-3 White.',
              { maxItems: 6, uniqueItems: true },
            ),
          ),
          detailed: Optional(
            list(text('One CDC race code.', CDC_RACE_CODE), 'US Core race extension `detailed`: CDC Race & Ethnicity codes (e.g. `2036-2` Filipino).', {
              uniqueItems: true,
            }),
          ),
          text: Optional(text('US Core race extension `text`: the race as the patient described it.')),
        },
        'US Core Race extension (http://hl7.org/fhir/us/core/StructureDefinition/us-core-race).',
      ),
    ),
    ethnicity: Optional(
      obj(
        {
          ombCategories: Optional(
            list(
              enumOf(OMB_ETHNICITY, 'One OMB ethnicity code: 2135-2 Hispanic or Latino, 2186-5 Not Hispanic or Latino, or `UNK` / `ASKU`.'),
              'US Core ethnicity extension `ombCategory`.',
              { maxItems: 1 },
            ),
          ),
          detailed: Optional(
            list(text('One CDC ethnicity code.', CDC_RACE_CODE), 'US Core ethnicity extension `detailed`: CDC Race & Ethnicity codes.', {
              uniqueItems: true,
            }),
          ),
          text: Optional(text('US Core ethnicity extension `text`.')),
        },
        'US Core Ethnicity extension (http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity).',
      ),
    ),
    language: Optional(text('FHIR Patient.communication.language (preferred): BCP 47 tag, e.g. `en`, `es`.', { maxLength: 35 })),
    managingOrganization: Optional(reference('FHIR Patient.managingOrganization: the practice that keeps the record.')),
    active: Optional(bool('FHIR Patient.active; true when absent.')),
  },
);

export const CoverageSchema = entity(
  'Coverage',
  'A patient’s insurance: the plan that may pay for care. FHIR Coverage, with the subscriber fields of X12 loop 2010BA.',
  {
    status: Optional(
      enumOf(['active', 'cancelled', 'draft', 'entered-in-error'] as const, 'FHIR Coverage.status; `active` when absent.'),
    ),
    payer: payerRef('FHIR Coverage.payor: the insurer.'),
    memberId: text('FHIR Coverage.subscriberId / member id on the card; X12 NM109 (2010BA, NM108 = MI).', {
      maxLength: 80,
      ...PHI,
    }),
    beneficiary: Optional(reference('FHIR Coverage.beneficiary: the Patient this coverage is for.')),
    relationship: Optional(
      enumOf(
        ['self', 'spouse', 'child', 'parent', 'common', 'other', 'injured'] as const,
        'FHIR Coverage.relationship (subscriber-relationship): the beneficiary’s relationship to the subscriber; X12 SBR02/PAT01 (18 = self, 01 = spouse, 19 = child, G8 = other). `self` when absent.',
      ),
    ),
    subscriber: Optional(
      obj(
        {
          name: humanName('Subscriber name; X12 2010BA NM1.', PHI),
          birthDate: Optional(date('Subscriber birth date; X12 2010BA DMG02.', PHI)),
          gender: Optional(gender('Subscriber gender; X12 DMG03.')),
          address: Optional(address('Subscriber address; X12 2010BA N3/N4.', PHI)),
          patient: Optional(reference('The subscriber’s own Patient record, when the subscriber is also a patient.')),
        },
        'FHIR Coverage.subscriber: the policy holder, when not the beneficiary.',
      ),
    ),
    groupNumber: Optional(text('FHIR Coverage.class (group) value; X12 SBR03.', { maxLength: 50 })),
    groupName: Optional(text('FHIR Coverage.class (group) name; X12 SBR04.')),
    planName: Optional(text('FHIR Coverage.class (plan) name, e.g. `Choice Plus PPO`.')),
    insuranceType: Optional(
      formatted(
        'x12-code',
        'Claim filing indicator code, X12 SBR09: e.g. `CI` commercial, `BL` Blue Cross/Blue Shield, `MB` Medicare Part B, `MC` Medicaid, `HM` HMO.',
      ),
    ),
    period: Optional(datePeriod('FHIR Coverage.period: when the coverage is in force.')),
    order: Optional(
      int('FHIR Coverage.order: coordination of benefits rank (1 = primary, 2 = secondary, ...); X12 SBR01 P/S/T.', {
        minimum: 1,
        maximum: 11,
      }),
    ),
  },
);
