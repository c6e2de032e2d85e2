import { describe, expect, it } from 'vitest';
import { CONTEXT } from '../fixtures/expectations.js';
import { Element } from './element.js';
import { References, indexBundle } from './references.js';
import type { MappingContext } from './types.js';

const PATIENT = { resourceType: 'Patient', id: '123', identifier: [{ system: 'urn:mrn', value: 'M-1' }], name: [{ family: 'Doe' }] };
const bundle = indexBundle([
  { fullUrl: 'urn:uuid:aaaa-1111', resource: PATIENT },
  { fullUrl: 'https://ehr.example/fhir/Practitioner/p7', resource: { resourceType: 'Practitioner', id: 'p7', identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1923847564' }] } },
]);

function follow(reference: unknown, targets: string[], options: { context?: MappingContext; inBundle?: boolean; contained?: unknown[] } = {}) {
  const problems: string[] = [];
  const resource = new Element({ resourceType: 'Encounter', contained: options.contained ?? [] }, 'Encounter', problems);
  const refs = new References(options.context ?? CONTEXT, resource, options.inBundle ? bundle : undefined);
  const el = new Element(reference as Record<string, unknown>, 'Encounter.subject', problems);
  const followed = refs.follow(el, targets);
  return { ...followed, resource: followed.resource?.data, problems };
}

const KEY = { system: 'riverside-epic', id: 'Patient/123' };

describe('references: one key per target, whatever form the reference takes', () => {
  it.each([
    ['relative', 'Patient/123'],
    ['versioned', 'Patient/123/_history/4'],
    ['absolute', 'https://ehr.example/fhir/Patient/123'],
    ['absolute and versioned', 'https://ehr.example/fhir/Patient/123/_history/4'],
  ])('%s: %s', (_, reference) => {
    expect(follow({ reference }, ['Patient'])).toMatchObject({ type: 'Patient', ref: KEY, problems: [] });
  });

  it('a urn:uuid in its bundle becomes the target’s own key, and the target is in hand', () => {
    expect(follow({ reference: 'urn:uuid:aaaa-1111' }, ['Patient'], { inBundle: true })).toMatchObject({ ref: KEY, resource: PATIENT, problems: [] });
  });

  it('a urn:uuid outside its bundle takes the uuid as the id of the one type the element allows', () => {
    expect(follow({ reference: 'urn:uuid:aaaa-1111' }, ['Patient'])).toMatchObject({ ref: { system: 'riverside-epic', id: 'Patient/aaaa-1111' }, problems: [] });
  });

  it('a urn:uuid outside its bundle, where several types are allowed, links nothing and says so', () => {
    const followed = follow({ reference: 'urn:uuid:aaaa-1111' }, ['Practitioner', 'Organization']);
    expect(followed.ref).toBeUndefined();
    expect(followed.problems).toEqual(['Encounter.subject: a urn reference outside its bundle, to no single resource type; not linked']);
  });

  it('reference.type settles a urn’s type', () => {
    expect(follow({ reference: 'urn:uuid:bbbb', type: 'Organization' }, ['Practitioner', 'Organization']).ref).toEqual({ system: 'riverside-epic', id: 'Organization/bbbb' });
  });

  it('a conditional reference keys by the identifier, the key the target is aliased under', () => {
    expect(follow({ reference: 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1999974490' }, ['Practitioner'])).toMatchObject({
      type: 'Practitioner',
      ref: { system: 'http://hl7.org/fhir/sid/us-npi', id: '1999974490' },
      identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1999974490' },
    });
  });

  it('a URL-encoded conditional reference reads the same', () => {
    expect(follow({ reference: 'Practitioner?identifier=http%3A%2F%2Fhl7.org%2Ffhir%2Fsid%2Fus-npi%7C1999974490' }, ['Practitioner']).ref).toEqual({
      system: 'http://hl7.org/fhir/sid/us-npi',
      id: '1999974490',
    });
  });

  it('a logical reference keys by its identifier', () => {
    expect(follow({ identifier: { system: 'urn:mrn', value: 'M-9' } }, ['Patient']).ref).toEqual({ system: 'urn:mrn', id: 'M-9' });
  });

  it('an identifier reference to a resource in the bundle becomes that resource’s own key', () => {
    expect(follow({ identifier: { system: 'urn:mrn', value: 'M-1' } }, ['Patient'], { inBundle: true })).toMatchObject({ ref: KEY, resource: PATIENT });
    expect(follow({ reference: 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1923847564' }, ['Practitioner'], { inBundle: true }).ref).toEqual({
      system: 'riverside-epic',
      id: 'Practitioner/p7',
    });
  });

  it('with fhirBaseUrl set, an absolute reference to another server keeps that server as its namespace', () => {
    const context = { ...CONTEXT, fhirBaseUrl: 'https://ehr.example/fhir/' };
    expect(follow({ reference: 'https://ehr.example/fhir/Patient/123' }, ['Patient'], { context }).ref).toEqual(KEY);
    expect(follow({ reference: 'http://benefitsinc.com/FHIR/Organization/CBI35' }, ['Organization'], { context }).ref).toEqual({
      system: 'http://benefitsinc.com/FHIR',
      id: 'Organization/CBI35',
    });
  });

  it('a contained resource is read but not linked: it has no identity of its own', () => {
    const contained = { resourceType: 'Patient', id: 'pat', name: [{ family: 'Doe' }] };
    const followed = follow({ reference: '#pat' }, ['Patient'], { contained: [contained] });
    expect(followed).toMatchObject({ type: 'Patient', resource: contained, problems: [] });
    expect(followed.ref).toBeUndefined();
  });

  it('a missing contained target is reported', () => {
    expect(follow({ reference: '#nope' }, ['Patient']).problems).toEqual(['Encounter.subject: points at a contained resource that is not there; not linked']);
  });

  it('a display-only reference links nothing, quietly', () => {
    const followed = follow({ display: 'Dr Adam Careful' }, ['Practitioner']);
    expect(followed).toMatchObject({ display: 'Dr Adam Careful', problems: [] });
    expect(followed.ref).toBeUndefined();
  });

  it('a reference to a type the element does not take is reported and not linked', () => {
    const followed = follow({ reference: 'Group/g1' }, ['Patient']);
    expect(followed.ref).toBeUndefined();
    expect(followed.problems).toEqual(['Encounter.subject: refers to a Group, where Patient is expected; not linked']);
  });

  it('an unreadable reference is reported without quoting it', () => {
    const followed = follow({ reference: 'not a reference at all' }, ['Patient']);
    expect(followed.ref).toBeUndefined();
    expect(followed.problems).toEqual(['Encounter.subject.reference: not a reference form this mapping reads; not linked']);
  });

  it('a reference.type that is not a type name is not quoted', () => {
    expect(follow({ reference: 'urn:uuid:x', type: 'Jane Doe' }, ['Patient']).problems).toEqual([
      'Encounter.subject: refers to another resource type, where Patient is expected; not linked',
    ]);
  });
});
