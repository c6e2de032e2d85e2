/**
 * The revenue cycle: encounters, claims (X12 837P/837I), their acknowledgments (999, 277CA),
 * status inquiries (276/277), remittances (835) and eligibility checks (270/271). Field
 * descriptions cite the X12 5010 TR3 segment and element each value comes from.
 */
import type { TProperties } from '@sinclair/typebox';
import {
  Optional,
  PHI,
  bool,
  coding,
  date,
  datePeriod,
  dateTime,
  entity,
  formatted,
  gender,
  humanName,
  address,
  instantPeriod,
  int,
  list,
  money,
  num,
  obj,
  enumOf,
  payerRef,
  providerRef,
  reference,
  text,
} from '../common.js';

export const EncounterSchema = entity(
  'Encounter',
  'An interaction between a patient and a practice: an office visit, a telehealth call, an admission. FHIR Encounter (US Core).',
  {
    status: enumOf(
      ['planned', 'arrived', 'triaged', 'in-progress', 'onleave', 'finished', 'cancelled', 'entered-in-error', 'unknown'] as const,
      'FHIR Encounter.status (R4).',
    ),
    class: enumOf(
      ['AMB', 'EMER', 'FLD', 'HH', 'IMP', 'ACUTE', 'NONAC', 'OBSENC', 'PRENC', 'SS', 'VR'] as const,
      'FHIR Encounter.class (HL7 v3 ActCode): `AMB` ambulatory, `EMER` emergency, `IMP` inpatient, `OBSENC` observation, `VR` virtual, `HH` home health, ...',
    ),
    patient: reference('FHIR Encounter.subject: the Patient.'),
    type: Optional(list(coding('One encounter type, e.g. a CPT E/M code or SNOMED CT concept.'), 'FHIR Encounter.type.')),
    period: Optional(instantPeriod('FHIR Encounter.period: when the encounter started and ended.', PHI)),
    participants: Optional(
      list(
        obj(
          {
            practitioner: reference('FHIR Encounter.participant.individual: the Practitioner.'),
            npi: Optional(formatted('npi', 'The practitioner’s NPI, copied here so a claim can be built without a lookup.')),
            role: Optional(
              text('FHIR Encounter.participant.type (v3 ParticipationType), e.g. `ATND` attender, `PPRF` primary performer, `REF` referrer.'),
            ),
          },
          'One participant.',
        ),
        'FHIR Encounter.participant: practitioners involved.',
      ),
    ),
    diagnoses: Optional(
      list(
        obj(
          {
            code: formatted('icd10cm', 'ICD-10-CM diagnosis code; FHIR Condition.code via Encounter.diagnosis.condition.'),
            rank: Optional(int('FHIR Encounter.diagnosis.rank: 1 = primary.', { minimum: 1 })),
            use: Optional(text('FHIR Encounter.diagnosis.use (diagnosis-role), e.g. `billing`, `AD` admission, `DD` discharge.')),
          },
          'One diagnosis.',
        ),
        'FHIR Encounter.diagnosis: diagnoses relevant to this encounter.',
      ),
    ),
    reasonCodes: Optional(list(coding('One reason.'), 'FHIR Encounter.reasonCode: why the encounter took place.')),
    location: Optional(reference('FHIR Encounter.location.location: where it took place.')),
    serviceProvider: Optional(reference('FHIR Encounter.serviceProvider: the practice (Organization) responsible.')),
    appointmentId: Optional(text('FHIR Encounter.appointment: the source system’s appointment id.')),
  },
);

const procedure = (description: string) =>
  obj(
    {
      code: formatted('cpt-hcpcs', 'CPT or HCPCS Level II procedure code; 837P SV101-2, 837I SV202-2, 835 SVC01-2.'),
      modifiers: Optional(
        list(formatted('procedure-modifier', 'One modifier, e.g. `25`, `59`, `LT`.'), 'Procedure modifiers in billing order; 837P SV101-3..6, 835 SVC01-3..6.', {
          maxItems: 4,
        }),
      ),
      description: Optional(text('Procedure description, for unlisted codes; 837P SV101-7.', { maxLength: 80 })),
    },
    description,
  );

const claimPerson = <P extends TProperties>(description: string, extra: P) =>
  obj(
    {
      name: humanName('Name; X12 NM103-NM107.', PHI),
      birthDate: Optional(date('Birth date; X12 DMG02.', PHI)),
      gender: Optional(gender('Gender; X12 DMG03 (F/M/U).')),
      address: Optional(address('Address; X12 N3/N4.', PHI)),
      ...extra,
    },
    description,
  );

export const ClaimSchema = entity(
  'Claim',
  'A claim for payment sent to a payer: professional (837P, CMS-1500) or institutional (837I, UB-04). Diagnosis pointers refer to `diagnoses` by position, 1-based, as 837P SV107 does.',
  {
    claimType: enumOf(
      ['professional', 'institutional'] as const,
      '`professional` (X12 837P, 005010X222A1) or `institutional` (X12 837I, 005010X223A2).',
    ),
    patientControlNumber: text(
      'Patient control (account) number the provider assigns; 837 CLM01, echoed in 277CA and 835 CLP01. Up to 38 characters (many payers keep only 20).',
      { maxLength: 38, ...PHI },
    ),
    frequencyCode: Optional(
      formatted(
        'x12-code',
        'Claim frequency type code; 837 CLM05-3: `1` original, `7` replacement, `8` void (institutional also uses others). `1` when absent.',
        { maxLength: 1 },
      ),
    ),
    originalPayerClaimControlNumber: Optional(
      text('Payer claim control number of the claim being replaced or voided; 837 REF*F8 (required when frequency is 7 or 8).', {
        maxLength: 50,
      }),
    ),
    billingProvider: providerRef('Billing provider; 837 loop 2010AA.'),
    renderingProvider: Optional(providerRef('Rendering provider when different from the billing provider; 837P loop 2310B.')),
    referringProvider: Optional(providerRef('Referring provider; 837P loop 2310A / 837I 2310F.')),
    serviceFacility: Optional(
      obj(
        {
          name: text('Facility name; 837 2310C/2310E NM103.'),
          npi: Optional(formatted('npi', 'Facility NPI; NM109.')),
          address: address('Facility address; N3/N4.'),
          location: Optional(reference('The Location record, when known.')),
        },
        'Service facility location when not the billing provider’s address; 837P loop 2310C, 837I 2310E.',
      ),
    ),
    payer: payerRef('The payer billed; 837 loop 2010BB.'),
    subscriber: obj(
      {
        memberId: text('Member id; 837 2010BA NM109.', { maxLength: 80, ...PHI }),
        relationship: enumOf(
          ['self', 'spouse', 'child', 'other'] as const,
          'Patient’s relationship to the subscriber; 837 SBR02 / PAT01 (18 self, 01 spouse, 19 child, G8 other).',
        ),
        name: Optional(humanName('Subscriber name when the patient is not the subscriber; 837 2010BA NM1.', PHI)),
        birthDate: Optional(date('Subscriber birth date; 837 2010BA DMG02.', PHI)),
        groupNumber: Optional(text('Group or policy number; 837 SBR03.', { maxLength: 50 })),
        insuranceType: Optional(formatted('x12-code', 'Claim filing indicator code; 837 SBR09, e.g. `CI`, `MB`, `MC`.')),
        payerResponsibility: Optional(
          enumOf(['primary', 'secondary', 'tertiary'] as const, 'Payer responsibility sequence; 837 SBR01 (P/S/T). `primary` when absent.'),
        ),
        coverage: Optional(reference('The Coverage record, when known.')),
      },
      'Subscriber (policy holder) and the policy billed; 837 loop 2000B/2010BA.',
    ),
    patient: claimPerson('The patient; 837 loop 2010CA when not the subscriber, else the subscriber’s own details.', {
      record: Optional(reference('The Patient record, when known.')),
    }),
    encounter: Optional(reference('The Encounter this claim bills, when known.')),
    placeOfService: Optional(
      formatted('place-of-service', 'CMS place of service for the claim; 837P CLM05-1 (required for professional claims).'),
    ),
    priorAuthorization: Optional(text('Prior authorization number; 837 REF*G1.', { maxLength: 50 })),
    diagnoses: list(
      obj(
        {
          code: formatted('icd10cm', 'ICD-10-CM diagnosis code; 837 HI (ABK principal, ABF other).'),
          presentOnAdmission: Optional(
            enumOf(['Y', 'N', 'U', 'W', '1'] as const, 'Present-on-admission indicator (institutional); 837I HI0x-9.'),
          ),
        },
        'One diagnosis.',
      ),
      'Diagnoses in pointer order: the first is the principal; service lines point at them by position (1-based). 837P allows 12, 837I 25.',
      { minItems: 1, maxItems: 25 },
    ),
    serviceLines: list(
      obj(
        {
          procedure: Optional(procedure('Procedure billed; 837P SV101 (required), 837I SV202 (when the revenue code needs one).')),
          revenueCode: Optional(formatted('revenue-code', 'Revenue code; 837I SV201 (required for institutional lines).')),
          units: num('Units of service; 837P SV104, 837I SV205.', { exclusiveMinimum: 0, maximum: 99999 }),
          unitType: Optional(enumOf(['UN', 'MJ'] as const, 'Unit basis; 837 SV103/SV204: `UN` units, `MJ` minutes (anesthesia). `UN` when absent.')),
          charge: money('Line item charge amount; 837P SV102, 837I SV203.', { minimum: 0 }),
          placeOfService: Optional(
            formatted('place-of-service', 'Place of service when it differs from the claim’s; 837P SV105.'),
          ),
          serviceDate: date('Date of service (first day for a range); 837 DTP*472.', PHI),
          serviceDateEnd: Optional(date('Last day of service for a date range; 837 DTP*472 (RD8).', PHI)),
          diagnosisPointers: Optional(
            list(int('Position of a diagnosis in `diagnoses`, 1-based.', { minimum: 1, maximum: 12 }), 'Diagnosis pointers in order of relevance; 837P SV107 (required for professional lines).', {
              minItems: 1,
              maxItems: 4,
              uniqueItems: true,
            }),
          ),
          ndc: Optional(formatted('ndc', 'National Drug Code for a drug billed on this line; 837 LIN03 (qualifier N4).')),
          lineControlNumber: Optional(
            text('Provider’s line item control number; 837 REF*6R, echoed in 835 REF*6R.', { maxLength: 50 }),
          ),
        },
        'One service line.',
      ),
      'Service lines; 837 loop 2400. 837P allows 50 per claim, 837I 999.',
      { minItems: 1, maxItems: 999 },
    ),
    totalCharge: money('Total claim charge amount: the sum of the line charges; 837 CLM02.', { minimum: 0 }),
    institutional: Optional(
      obj(
        {
          typeOfBill: formatted('type-of-bill', 'Type of bill without the leading zero, e.g. `131`; UB-04 FL 4, 837I CLM05-1 (first two digits) + CLM05-3 (last).'),
          statementPeriod: obj(
            {
              start: date('Statement covers period from; 837I DTP*434.', PHI),
              end: date('Statement covers period through; 837I DTP*434.', PHI),
            },
            'Statement covers period; 837I DTP*434 (required).',
          ),
          admissionDate: Optional(dateTime('Admission date and hour; 837I DTP*435.', PHI)),
          dischargeDate: Optional(dateTime('Discharge date and hour; 837I DTP*096.', PHI)),
          admissionType: Optional(formatted('x12-code', 'Priority (type) of admission; 837I CL101, UB-04 FL 14.', { maxLength: 1 })),
          admissionSource: Optional(formatted('x12-code', 'Point of origin for admission; 837I CL102, UB-04 FL 15.', { maxLength: 1 })),
          patientStatus: Optional(formatted('x12-code', 'Patient discharge status; 837I CL103, UB-04 FL 17 (e.g. `01` home).', { maxLength: 2 })),
          admittingDiagnosis: Optional(formatted('icd10cm', 'Admitting diagnosis; 837I HI*ABJ.')),
          drgCode: Optional(text('Diagnosis related group; 837I HI*DR.', { maxLength: 4 })),
          attendingProvider: Optional(providerRef('Attending provider; 837I loop 2310A.')),
          operatingProvider: Optional(providerRef('Operating physician; 837I loop 2310B.')),
        },
        'Institutional claim details (837I / UB-04); present exactly when `claimType` is `institutional`.',
      ),
    ),
  },
);

const ackError = obj(
  {
    code: text('Error or status code: 999 IK304 / IK403 / IK502 syntax error code, or 277CA STC01-2 claim status code.'),
    description: Optional(text('Readable explanation of the code, from the code list or the sender.')),
    segmentId: Optional(text('Segment in error; 999 IK301 (e.g. `NM1`).', { maxLength: 3 })),
    segmentPosition: Optional(int('Position of the segment in the transaction set; 999 IK302.', { minimum: 1 })),
    loopId: Optional(text('Loop containing the segment; 999 IK303 (e.g. `2010BA`).', { maxLength: 6 })),
    elementPosition: Optional(int('Position of the element in the segment; 999 IK401-1.', { minimum: 1 })),
    badValue: Optional(text('Copy of the bad data element; 999 IK404.', PHI)),
    entity: Optional(formatted('x12-code', 'Entity the status applies to; 277CA STC01-3 (e.g. `85` billing provider, `IL` subscriber).')),
  },
  'One error.',
);

export const ClaimAcknowledgmentSchema = entity(
  'ClaimAcknowledgment',
  'A clearinghouse or payer acknowledgment of submitted claims: a TA1 (the interchange envelope), a 999 (syntax, per transaction set) or a 277CA (business edits, per claim).',
  {
    source: enumOf(
      ['TA1', '999', '277CA'] as const,
      'Which acknowledgment: `TA1` Interchange Acknowledgment (of a whole file, by ISA13), `999` Implementation Acknowledgment (005010X231A1) or `277CA` Claim Acknowledgment (005010X214).',
    ),
    acknowledgedBy: Optional(
      enumOf(
        ['clearinghouse', 'payer'] as const,
        'Who sent it: TA1 and 999 come from the clearinghouse that received the file; a 277CA names its information source in loop 2100A NM101 (`AY` clearinghouse, `PR` payer).',
      ),
    ),
    status: enumOf(
      ['accepted', 'rejected', 'partially-accepted'] as const,
      'Outcome: TA1 TA104 (`A` and `E` accepted, `R` rejected); 999 IK501/AK901 (`A` and `E` accepted, `R` rejected, `P` partially accepted); 277CA STC01-1 category (`A1`/`A2` accepted, `A3`/`A4`/`A6`/`A7`/`A8` rejected).',
    ),
    acknowledgedAt: Optional(dateTime('When the acknowledgment was created; ISA09/ISA10 or 277CA BHT04/BHT05.')),
    interchangeControlNumber: Optional(
      text('Interchange control number of the acknowledged file; TA101 (the original ISA13). A 999 names only the group (AK102), so it is absent there.', {
        maxLength: 9,
      }),
    ),
    groupControlNumber: Optional(text('Functional group control number acknowledged; 999 AK102.', { maxLength: 9 })),
    transactionSetControlNumber: Optional(
      text('Transaction set control number acknowledged; 999 AK202 (the 837 ST02).', { maxLength: 9 }),
    ),
    patientControlNumber: Optional(
      text('For a 277CA: the claim’s patient control number; 277CA 2200D TRN02 (the 837 CLM01).', { maxLength: 38, ...PHI }),
    ),
    payerClaimControlNumber: Optional(text('For a 277CA: the claim id the payer or clearinghouse assigned; 277CA REF*1K.', { maxLength: 50 })),
    clearinghouseTraceNumber: Optional(text('Clearinghouse trace number; 277CA REF*D9.', { maxLength: 50 })),
    totalCharge: Optional(money('For a 277CA: the claim’s total charge as received; 277CA STC04.')),
    statusCodes: Optional(
      list(
        obj(
          {
            category: formatted('x12-code', 'Claim status category code; 277CA STC01-1 (e.g. `A1`, `A3`).'),
            code: text('Claim status code; 277CA STC01-2 (e.g. `20` accepted for processing, `562` entity id missing).', {
              maxLength: 30,
            }),
            entity: Optional(formatted('x12-code', 'Entity identifier code; 277CA STC01-3.')),
            effectiveDate: Optional(date('Status effective date; 277CA STC02.')),
          },
          'One status.',
        ),
        'For a 277CA: the claim status composites; STC01, STC10, STC11.',
      ),
    ),
    errors: Optional(list(ackError, 'Errors reported: 999 IK3/IK4/IK5 details, or 277CA rejection reasons. Empty or absent when clean.')),
    claim: Optional(reference('The Claim this acknowledgment is about (277CA), when matched.')),
  },
);

export const ClaimStatusSchema = entity(
  'ClaimStatus',
  'A claim status answer from a payer (X12 277, 005010X212), usually to a 276 inquiry.',
  {
    patientControlNumber: text('Patient control number of the claim; 277 2200D TRN02 / REF*EJ (the 837 CLM01).', {
      maxLength: 38,
      ...PHI,
    }),
    payerClaimControlNumber: Optional(text('Payer claim control number; 277 REF*1K.', { maxLength: 50 })),
    payer: payerRef('The payer answering; 277 loop 2100A.'),
    provider: Optional(providerRef('The provider the inquiry was for; 277 loop 2100C.')),
    patient: Optional(
      obj(
        {
          name: humanName('Patient (or subscriber) name; 277 2100D NM1.', PHI),
          memberId: Optional(text('Member id; 277 2100D NM109.', { maxLength: 80, ...PHI })),
        },
        'The patient as the payer identified them; 277 loop 2100D.',
      ),
    ),
    statuses: list(
      obj(
        {
          category: formatted('x12-code', 'Claim status category code; 277 STC01-1 (e.g. `F1` finalized/payment, `P1` pending, `A1`).'),
          code: text('Claim status code; 277 STC01-2 (e.g. `65` claim/line has been paid).', { maxLength: 30 }),
          entity: Optional(formatted('x12-code', 'Entity identifier code; 277 STC01-3.')),
          effectiveDate: Optional(date('Status information effective date; 277 STC02.')),
        },
        'One status.',
      ),
      'Status composites in the order sent; 277 STC01, STC10, STC11.',
      { minItems: 1 },
    ),
    totalCharge: Optional(money('Total claim charge; 277 STC04.')),
    paidAmount: Optional(money('Claim payment amount; 277 STC05.')),
    adjudicationDate: Optional(date('Adjudication or payment date; 277 STC06.')),
    checkNumber: Optional(text('Check or EFT trace number; 277 STC09.', { maxLength: 50 })),
    paymentDate: Optional(date('Check issue or EFT effective date; 277 STC08.')),
    servicePeriod: Optional(datePeriod('Claim service dates; 277 DTP*472.', PHI)),
    claim: Optional(reference('The Claim this status is about, when matched.')),
  },
);

/**
 * External id namespace of ClaimLifecycle records; the id is the Claim's hub id, so the API finds a
 * claim's lifecycle from the claim alone.
 */
export const CLAIM_LIFECYCLE_SYSTEM = 'claim-lifecycle';

const CLAIM_STATES = ['submitted', 'accepted', 'rejected', 'paid', 'partially-paid', 'denied'] as const;
const claimState = (description: string) => enumOf(CLAIM_STATES, description);

export const ClaimLifecycleSchema = entity(
  'ClaimLifecycle',
  'Where one submitted Claim stands, and how it got there: its submission file (ISA/GS/ST control numbers), then every TA1, 999, 277CA, 277 and 835 that spoke of it, in the order the hub learned of them. Kept by the connector that submitted the claim; its record history holds each earlier state.',
  {
    claim: reference('The Claim, as it was emitted (its external system and id).'),
    claimRecordId: text('Hub id of the Claim record.'),
    patientControlNumber: text('Patient control number; 837 CLM01, the key 277CA TRN02 and 835 CLP01 echo.', { maxLength: 38, ...PHI }),
    claimType: enumOf(['professional', 'institutional'] as const, '`professional` (837P) or `institutional` (837I).'),
    totalCharge: money('Total claim charge as submitted; 837 CLM02.', { minimum: 0 }),
    payer: Optional(payerRef('The payer billed; 837 loop 2010BB.')),
    state: claimState(
      'Current state: `submitted` (837 sent), `accepted` (999 / 277CA accepted, or the payer is processing it), `rejected` (TA1, 999 or 277CA rejected it: fix and resubmit), `paid` (an 835 paid it, possibly with patient responsibility), `partially-paid` (paid, with some service lines denied), `denied` (835 CLP02 = 4, or nothing paid and nothing owed by the patient).',
    ),
    stateSince: dateTime('When the claim entered its current state.'),
    submission: obj(
      {
        file: text('Path of the 837 file in the clearinghouse outbox.'),
        interchangeControlNumber: text('ISA13 of that file (what a TA1 names).', { maxLength: 9 }),
        groupControlNumber: text('GS06 (what 999 AK102 names).', { maxLength: 9 }),
        transactionSetControlNumber: text('ST02 of the transaction set holding the claim (what 999 AK202 names).', { maxLength: 9 }),
        submittedAt: dateTime('When the submission was recorded, just before upload.'),
        claimVersion: int('Version of the Claim record that was submitted.', { minimum: 1 }),
        usage: Optional(enumOf(['T', 'P'] as const, 'ISA15: `T` test or `P` production.')),
      },
      'The latest submission of this claim. A changed Claim is submitted again and replaces it (the events keep the earlier ones).',
    ),
    payerClaimControlNumber: Optional(text('The payer’s claim number, once known; 277CA REF*1K or 835 CLP07.', { maxLength: 50 })),
    paidAmount: Optional(money('Net paid by the payer so far: the sum of 835 CLP04 across payments, reversals included.')),
    patientResponsibility: Optional(money('Patient responsibility from the latest 835 payment; CLP05.')),
    lastPayerResponseAt: Optional(dateTime('When the hub last heard from the payer about this claim (payer 277CA, 277 or 835).')),
    alerts: Optional(
      list(
        obj(
          {
            kind: enumOf(
              ['no-999', 'no-payer-response'] as const,
              '`no-999`: the submission file got no 999 (nor TA1) within the configured time; `no-payer-response`: no payer 277CA, 277 or 835 within the configured number of days.',
            ),
            raisedAt: dateTime('When the timer fired.'),
            detail: text('What was expected and since when.'),
          },
          'One open alert.',
        ),
        'Open alerts raised by the lifecycle timers; cleared when what they wait for arrives or the claim is resubmitted.',
      ),
    ),
    events: list(
      obj(
        {
          at: dateTime('When the hub recorded the event.'),
          kind: enumOf(
            ['submitted', 'TA1', '999', '277CA', '277', '835', 'alert'] as const,
            'What happened: the claim was submitted (again), an acknowledgment, status or payment named it, or a timer fired.',
          ),
          from: enumOf(['hub', 'clearinghouse', 'payer'] as const, 'Who it came from.'),
          state: claimState('The claim’s state after this event.'),
          summary: text('One line a person can read, e.g. `999 rejected the transaction set: IK5 R`, `835 paid 80.00 of 100.00 (CO-45 20.00)`.'),
          documentDate: Optional(dateTime('Date the document itself carries (ISA/BHT date, 835 payment date), when it has one.')),
          file: Optional(text('The file it came in or went out in.')),
          record: Optional(
            obj(
              {
                type: enumOf(['ClaimAcknowledgment', 'ClaimStatus', 'Remittance'] as const, 'Entity of the record.'),
                system: text('External id namespace of the record, as emitted.'),
                id: text('External id of the record within that namespace.'),
              },
              'The acknowledgment, status or remittance record behind this event.',
            ),
          ),
          amount: Optional(money('Amount paid by this event (835 CLP04; negative for a reversal).')),
          codes: Optional(list(text('A code, e.g. `IK5:R`, `A3:21`, `CO-45`, `N381`.', { maxLength: 30 }), 'Codes behind the event, for people who know them.')),
        },
        'One event.',
      ),
      'The claim’s timeline, oldest first (at most the latest 200 events).',
      { minItems: 1, maxItems: 200 },
    ),
  },
);

const adjustment = obj(
  {
    group: enumOf(
      ['CO', 'PR', 'OA', 'PI', 'CR'] as const,
      'Claim adjustment group code; 835 CAS01: `CO` contractual obligation, `PR` patient responsibility, `OA` other, `PI` payer initiated, `CR` correction/reversal.',
    ),
    reasonCode: formatted('carc', 'Claim Adjustment Reason Code (CARC); 835 CAS02/05/08/11/14/17.'),
    amount: money('Adjustment amount (positive reduces payment, negative increases it); 835 CAS03/06/...'),
    quantity: Optional(num('Adjustment quantity (units); 835 CAS04/07/...')),
  },
  'One adjustment.',
);

const adjustments = (description: string) => Optional(list(adjustment, description));
const remarkCodes = (description: string) =>
  Optional(list(formatted('rarc', 'One remark code, e.g. `N381`.'), description, { uniqueItems: true }));

export const RemittanceSchema = entity(
  'Remittance',
  'An electronic remittance advice: one payment (check or EFT) from a payer and how it applies to claims. X12 835 (005010X221A1).',
  {
    payer: payerRef('The paying payer; 835 loop 1000A (N1*PR); payerId from REF*2U or TRN03.'),
    payee: obj(
      {
        name: text('Payee name; 835 N1*PE N102.'),
        npi: Optional(formatted('npi', 'Payee NPI; 835 N1*PE N104 with N103 = XX.')),
        taxId: Optional(formatted('ein', 'Payee tax id; 835 N1*PE N104 with N103 = FI, or REF*TJ.')),
        organization: Optional(reference('The practice Organization, when matched.')),
      },
      'The provider paid; 835 loop 1000B.',
    ),
    paymentMethod: enumOf(
      ['CHK', 'ACH', 'FWT', 'BOP', 'NON'] as const,
      'Payment method; 835 BPR04: `CHK` check, `ACH` automated clearing house, `FWT` wire, `BOP` financial institution option, `NON` no payment.',
    ),
    paymentAmount: money('Total actual provider payment amount; 835 BPR02.', { minimum: 0 }),
    paymentDate: date('Check issue or EFT effective date; 835 BPR16.'),
    traceNumber: text('Check or EFT trace number, the reassociation key; 835 TRN02.', { maxLength: 50 }),
    productionDate: Optional(date('Date the payer produced the remittance; 835 DTM*405.')),
    claimPayments: list(
      obj(
        {
          patientControlNumber: text('Patient control number from the claim; 835 CLP01.', { maxLength: 38, ...PHI }),
          statusCode: enumOf(
            ['1', '2', '3', '4', '19', '20', '21', '22', '23', '25'] as const,
            'Claim status code; 835 CLP02: `1` processed as primary, `2` secondary, `3` tertiary, `4` denied, `19`/`20`/`21` processed as primary/secondary/tertiary and forwarded, `22` reversal of previous payment, `23` not our claim, forwarded, `25` predetermination only.',
          ),
          chargeAmount: money('Total claim charge amount; 835 CLP03 (negative in a reversal).'),
          paidAmount: money('Claim payment amount; 835 CLP04.'),
          patientResponsibility: Optional(money('Patient responsibility amount; 835 CLP05.')),
          claimFilingIndicator: Optional(formatted('x12-code', 'Claim filing indicator code; 835 CLP06 (e.g. `12` PPO, `MB` Medicare Part B).')),
          payerClaimControlNumber: text('Payer claim control number; 835 CLP07.', { maxLength: 50 }),
          facilityTypeCode: Optional(text('Facility type code (place of service or type of bill digits); 835 CLP08.', { maxLength: 2 })),
          frequencyCode: Optional(formatted('x12-code', 'Claim frequency code; 835 CLP09.', { maxLength: 1 })),
          patient: Optional(
            obj(
              {
                name: humanName('Patient name; 835 NM1*QC.', PHI),
                memberId: Optional(text('Member id; 835 NM1*QC NM109.', { maxLength: 80, ...PHI })),
              },
              'The patient as the payer named them; 835 loop 2100 NM1*QC.',
            ),
          ),
          renderingProviderNpi: Optional(formatted('npi', 'Rendering provider NPI; 835 NM1*82 NM109.')),
          servicePeriod: Optional(datePeriod('Claim statement period; 835 DTM*232 (start) and DTM*233 (end).', PHI)),
          adjustments: adjustments('Claim-level adjustments; 835 loop 2100 CAS.'),
          remarkCodes: remarkCodes('Claim-level remark codes; 835 MOA03-07 / MIA.'),
          serviceLinePayments: Optional(
            list(
              obj(
                {
                  procedure: procedure('Procedure adjudicated; 835 SVC01.'),
                  chargeAmount: money('Line item charge amount; 835 SVC02.'),
                  paidAmount: money('Line item provider payment amount; 835 SVC03.'),
                  revenueCode: Optional(formatted('revenue-code', 'NUBC revenue code; 835 SVC04.')),
                  units: Optional(num('Units of service paid; 835 SVC05.')),
                  submittedProcedure: Optional(procedure('Procedure as submitted, when the payer changed it; 835 SVC06.')),
                  serviceDate: Optional(date('Date of service; 835 DTM*472.', PHI)),
                  lineControlNumber: Optional(text('Line item control number from the claim; 835 REF*6R.', { maxLength: 50 })),
                  allowedAmount: Optional(money('Service line allowed amount; 835 AMT*B6.')),
                  adjustments: adjustments('Line-level adjustments; 835 loop 2110 CAS.'),
                  remarkCodes: remarkCodes('Line-level remark codes; 835 LQ*HE.'),
                },
                'One service line payment.',
              ),
              'Service line payments; 835 loop 2110.',
            ),
          ),
          claim: Optional(reference('The Claim this payment applies to, when matched.')),
        },
        'One claim payment.',
      ),
      'Claim payments; 835 loop 2100 (CLP), across all LX header groups.',
    ),
    providerAdjustments: Optional(
      list(
        obj(
          {
            providerId: text('Provider identifier (NPI or tax id); 835 PLB01.', { maxLength: 50 }),
            fiscalPeriodDate: date('Last day of the provider’s fiscal year; 835 PLB02.'),
            reasonCode: formatted('x12-code', 'Adjustment reason code; 835 PLB03-1 (e.g. `WO` overpayment recovery, `L6` interest, `FB` forwarding balance).'),
            referenceId: Optional(text('Reference identification, e.g. the payer claim number recovered; 835 PLB03-2.', { maxLength: 50 })),
            amount: money('Adjustment amount (positive reduces the payment); 835 PLB04.'),
          },
          'One provider-level adjustment.',
        ),
        'Provider-level adjustments not tied to one claim; 835 PLB.',
      ),
    ),
  },
);

export const EligibilityCheckSchema = entity(
  'EligibilityCheck',
  'An eligibility and benefits inquiry and its answer: X12 270 request (005010X279A1) and 271 response. Fields from the 271 are absent until it arrives.',
  {
    member: obj(
      {
        memberId: text('Member id; 270/271 2100C NM109.', { maxLength: 80, ...PHI }),
        name: Optional(humanName('Member name; 2100C NM1.', PHI)),
        birthDate: Optional(date('Member birth date; 2100C DMG02.', PHI)),
        gender: Optional(gender('Member gender; 2100C DMG03.')),
        patient: Optional(reference('The Patient record, when known.')),
        coverage: Optional(reference('The Coverage record checked, when known.')),
      },
      'The member asked about; 270/271 loop 2100C (or 2100D for a dependent).',
    ),
    payer: payerRef('The information source (payer); 270/271 loop 2100A.'),
    provider: Optional(providerRef('The information receiver (provider); 270/271 loop 2100B.')),
    serviceTypes: list(
      formatted('x12-code', 'One service type code; e.g. `30` health benefit plan coverage, `98` professional (physician) visit - office.'),
      'Service types asked about; 270 EQ01.',
      { minItems: 1, maxItems: 99 },
    ),
    asOfDate: Optional(date('Date the eligibility is asked for; 270 DTP*291. Today when absent.')),
    traceNumber: Optional(text('Trace number tying the 271 to the 270; TRN02.', { maxLength: 50 })),
    requestedAt: Optional(dateTime('When the 270 was sent.')),
    respondedAt: Optional(dateTime('When the 271 was received.')),
    coverageActive: Optional(
      bool('Whether coverage is active for the date asked: 271 EB01 `1` (active) vs `6` (inactive). Absent until the 271 arrives or when it does not say.'),
    ),
    planName: Optional(text('Plan or product name; 271 EB05 / REF*18.')),
    groupNumber: Optional(text('Group number; 271 REF*6P.', { maxLength: 50 })),
    planPeriod: Optional(datePeriod('Plan dates; 271 DTP*346 (begin), DTP*347 (end), or DTP*291.')),
    benefits: Optional(
      list(
        obj(
          {
            type: enumOf(
              [
                'active-coverage',
                'inactive',
                'copay',
                'coinsurance',
                'deductible',
                'out-of-pocket',
                'limitation',
                'non-covered',
                'other',
              ] as const,
              'Benefit kind, from 271 EB01: `1` active-coverage, `6` inactive, `B` copay, `A` coinsurance, `C` deductible, `G` out-of-pocket (stop loss), `F` limitation, `I` non-covered; anything else `other` (keep EB01 in `informationCode`).',
            ),
            informationCode: Optional(formatted('x12-code', 'The raw eligibility or benefit information code; 271 EB01.', { maxLength: 2 })),
            coverageLevel: Optional(
              formatted('x12-code', 'Coverage level; 271 EB02: `IND` individual, `FAM` family, `EMP` employee only, ...'),
            ),
            serviceTypes: Optional(
              list(formatted('x12-code', 'One service type code.'), 'Service types this benefit applies to; 271 EB03 (repeating).'),
            ),
            insuranceType: Optional(formatted('x12-code', 'Insurance type code; 271 EB04 (e.g. `C1` commercial, `MB` Medicare Part B).')),
            timePeriod: Optional(
              formatted('x12-code', 'Time period qualifier; 271 EB06 (e.g. `23` calendar year, `29` remaining, `27` visit).'),
            ),
            amount: Optional(money('Benefit amount (copay, deductible, out-of-pocket); 271 EB07.', { minimum: 0 })),
            percent: Optional(num('Benefit percent as a fraction (0.2 = 20% coinsurance); 271 EB08.', { minimum: 0, maximum: 1 })),
            quantity: Optional(num('Benefit quantity, e.g. number of visits; 271 EB10 (qualifier EB09).')),
            authorizationRequired: Optional(bool('Whether prior authorization or certification is required; 271 EB11 (Y/N).')),
            inNetwork: Optional(bool('Whether the benefit is for in-network (true) or out-of-network (false) care; 271 EB12 (Y/N, W = both: absent).')),
            messages: Optional(list(text('One message.', { maxLength: 264 }), 'Free-form payer messages; 271 MSG01.')),
          },
          'One benefit.',
        ),
        'Eligibility and benefit information; 271 loop 2110C/2110D EB segments.',
      ),
    ),
    rejections: Optional(
      list(
        obj(
          {
            reasonCode: formatted('x12-code', 'Reject reason code; 271 AAA03 (e.g. `72` invalid member id, `75` subscriber not found).'),
            followUp: Optional(formatted('x12-code', 'Follow-up action code; 271 AAA04 (e.g. `C` please correct and resubmit).', { maxLength: 1 })),
          },
          'One rejection.',
        ),
        'Request validation errors the payer returned instead of benefits; 271 AAA.',
      ),
    ),
  },
);
