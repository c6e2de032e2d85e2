import { describe, expect, it } from 'vitest';
import { CONTEXT, expectMapped, expectRejected, only } from '../fixtures/expectations.js';
import { copy, fixture, hl7, ndjson } from '../fixtures/load.js';
import { mapBundle, mapResource } from './index.js';

describe('Encounter', () => {
  it('HL7 Encounter-example: status, class and the patient are all the model needs', () => {
    expect(only(mapResource(hl7('Encounter-example'), CONTEXT), 'Encounter').record).toEqual({
      schemaVersion: '1.0.0',
      status: 'in-progress',
      class: 'IMP',
      patient: { system: 'riverside-epic', id: 'Patient/example' },
    });
  });

  it('HL7 Encounter-f001: type, participant, reason and service provider', () => {
    expect(only(mapResource(hl7('Encounter-f001'), CONTEXT), 'Encounter').record).toEqual({
      schemaVersion: '1.0.0',
      status: 'finished',
      class: 'AMB',
      patient: { system: 'riverside-epic', id: 'Patient/f001' },
      type: [{ system: 'http://snomed.info/sct', code: '270427003', display: 'Patient-initiated encounter' }],
      participants: [{ practitioner: { system: 'riverside-epic', id: 'Practitioner/f002' } }],
      reasonCodes: [{ system: 'http://snomed.info/sct', code: '34068001', display: 'Heart valve replacement' }],
      serviceProvider: { system: 'riverside-epic', id: 'Organization/f001' },
    });
  });

  it('Synthea bulk export: conditional references become the identifier keys their targets are aliased under', () => {
    const encounters = ndjson('synthea/Encounter.ndjson');
    const locations = ndjson('synthea/Location.ndjson').map((l) => only(mapResource(l, CONTEXT), 'Location'));
    const practitioners = ndjson('synthea/Practitioner.ndjson').map((p) => only(mapResource(p, CONTEXT), 'Practitioner'));
    for (const resource of encounters) {
      const { record } = only(mapResource(resource, CONTEXT), 'Encounter');
      expect(record.patient).toEqual({ system: 'riverside-epic', id: (resource.subject as { reference: string }).reference });
      expect(record.period?.start).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      // The location and the practitioner arrive in other files; the keys meet through aliases.
      expect(locations.some((l) => l.aliases.some((a) => a.system === record.location!.system && a.id === record.location!.id))).toBe(true);
      const performer = record.participants![0]!;
      expect(performer.role).toBe('PPRF');
      expect(practitioners.some((p) => p.aliases.some((a) => a.system === performer.practitioner.system && a.id === performer.practitioner.id))).toBe(true);
    }
  });

  it('copies a participant’s NPI when the reference carries a valid one', () => {
    const [resource] = ndjson('synthea/Encounter.ndjson');
    const encounter = copy(resource!);
    (encounter.participant as { individual: { reference: string } }[])[0]!.individual.reference = 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1923847564';
    expect(only(mapResource(encounter, CONTEXT), 'Encounter').record.participants).toEqual([
      { practitioner: { system: 'http://hl7.org/fhir/sid/us-npi', id: '1923847564' }, npi: '1923847564', role: 'PPRF' },
    ]);
  });

  it('Synthea transaction bundle: urn:uuid references resolve to the entries’ own keys', () => {
    const { entries } = mapBundle(fixture('synthea/bundle-clemente-kreiger.json'), CONTEXT);
    const encounters = entries.filter((e) => e.result.resourceType === 'Encounter').map((e) => only(e.result, 'Encounter').record);
    expect(encounters).toHaveLength(3);
    for (const encounter of encounters) {
      expect(encounter).toMatchObject({
        patient: { system: 'riverside-epic', id: 'Patient/d78af07c-9cb9-4f31-9b11-c45a28f2eec8' },
        participants: [{ practitioner: { system: 'riverside-epic', id: 'Practitioner/0e99785d-8f2a-45c7-848c-d6b31d1aa50e' } }],
        serviceProvider: { system: 'riverside-epic', id: 'Organization/6f122869-a856-3d65-8db9-099bf4f5bbb8' },
      });
    }
  });

  it('reads diagnoses from Conditions in the bundle, ICD-10-CM only', () => {
    const encounter = {
      resourceType: 'Encounter',
      id: 'e1',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: 'Patient/p1' },
      diagnosis: [
        { condition: { reference: 'Condition/c1' }, rank: 1, use: { coding: [{ code: 'billing' }] } },
        { condition: { reference: 'Condition/c2' }, rank: 2 },
        { condition: { reference: 'Condition/elsewhere' } },
      ],
      appointment: [{ reference: 'Appointment/appt-0930' }],
      location: [{ location: { reference: 'Location/east' } }],
    };
    const bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [
        { resource: encounter },
        { resource: { resourceType: 'Condition', id: 'c1', code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'e11.9' }] } } },
        { resource: { resourceType: 'Condition', id: 'c2', code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] } } },
      ],
    };
    const result = expectMapped(mapBundle(bundle, CONTEXT).entries[0]!.result);
    expect(result.records[0]!.record).toMatchObject({
      diagnoses: [{ code: 'E11.9', rank: 1, use: 'billing' }],
      appointmentId: 'appt-0930',
      location: { system: 'riverside-epic', id: 'Location/east' },
    });
    expect(result.problems).toEqual([
      'Encounter.diagnosis[1].condition: the Condition has no ICD-10-CM code; left out',
      'Encounter.diagnosis[2].condition: the Condition is not in the bundle, so its code is unknown; left out',
    ]);
  });

  it('accepts class sent as a CodeableConcept, as some servers do', () => {
    const encounter = { ...hl7('Encounter-example'), class: { coding: [{ code: 'AMB' }] } };
    expect(only(mapResource(encounter, CONTEXT), 'Encounter').record.class).toBe('AMB');
  });

  it('leaves out a period end that is only a date', () => {
    const encounter = { ...hl7('Encounter-example'), period: { start: '2024-05-06T09:30:00-05:00', end: '2024-05-06' } };
    const result = expectMapped(mapResource(encounter, CONTEXT));
    expect(result.records[0]!.record).toMatchObject({ period: { start: '2024-05-06T09:30:00-05:00' } });
    expect(result.problems).toEqual(['Encounter.period.end: not a timestamp with a time zone; left out']);
  });

  it('rejects an encounter missing what the model requires, naming each element', () => {
    const result = expectRejected(mapResource({ resourceType: 'Encounter', id: 'e2' }, CONTEXT));
    expect(result.reasons).toEqual([
      'Encounter.status: required by the canonical Encounter',
      'Encounter.class: required by the canonical Encounter',
      'Encounter.subject: required by the canonical Encounter (a reference to the Patient)',
    ]);
  });

  it('rejects a subject that is a Group and a class outside the set', () => {
    const encounter = { ...hl7('Encounter-example'), subject: { reference: 'Group/ward-4' }, class: { code: 'XYZ' }, status: 'done' };
    const result = expectRejected(mapResource(encounter, CONTEXT));
    expect(result.reasons).toEqual([
      'Encounter.status: not an R4 encounter status',
      'Encounter.class: not a v3 ActEncounterCode the canonical Encounter takes (AMB, EMER, IMP, VR, ...)',
      'Encounter.subject: required by the canonical Encounter (a reference to the Patient)',
      'Encounter.subject: refers to a Group, where Patient is expected; not linked',
    ]);
  });
});

describe('Encounter participants through roles', () => {
  const encounter = (individual: Record<string, unknown>) => ({ ...hl7('Encounter-example'), participant: [{ individual }] });

  it('a PractitionerRole in the bundle stands for its practitioner', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [
        { resource: encounter({ reference: 'PractitionerRole/r1' }) },
        { resource: { resourceType: 'PractitionerRole', id: 'r1', practitioner: { reference: 'Practitioner/p1', identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1923847564' } } } },
      ],
    };
    expect(only(mapBundle(bundle, CONTEXT).entries[0]!.result, 'Encounter').record.participants).toEqual([
      { practitioner: { system: 'riverside-epic', id: 'Practitioner/p1' }, npi: '1923847564' },
    ]);
  });

  it('a PractitionerRole out of reach is left out and reported; a RelatedPerson quietly', () => {
    const result = expectMapped(mapResource(encounter({ reference: 'PractitionerRole/r9' }), CONTEXT));
    expect(result.records[0]!.record).not.toHaveProperty('participants');
    expect(result.problems).toEqual(['Encounter.participant[0].individual: a PractitionerRole not in the bundle; its practitioner is unknown, left out']);
    expect(expectMapped(mapResource(encounter({ reference: 'RelatedPerson/mom' }), CONTEXT)).problems).toEqual([]);
  });
});
