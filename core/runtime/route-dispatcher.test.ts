import { describe, expect, it } from 'vitest';
import { eventName, matchesEvent, routeCarries } from './route-dispatcher.js';

describe('which events a route matches', () => {
  it('names events after the entity, lower-cased', () => {
    expect(eventName({ type: 'CatalogItem', kind: 'updated' })).toBe('catalogitem.updated');
  });

  it.each([
    ['claim.created', 'claim.created', true],
    ['claim.created', 'claim.updated', false],
    ['claim.*', 'claim.updated', true],
    ['*.updated', 'patient.updated', true],
    ['*.updated', 'patient.created', false],
    ['*', 'remittance.created', true],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(matchesEvent(pattern, name)).toBe(expected);
  });
});

describe("whose records a route carries", () => {
  it("keeps a practice's records to its own connectors unless the YAML says otherwise", () => {
    expect(routeCarries({ on: ['*'], to: 'x' }, 'riverside', 'riverside')).toBe(true);
    expect(routeCarries({ on: ['*'], to: 'x' }, 'lakeside', 'riverside')).toBe(false);
    expect(routeCarries({ on: ['*'], to: 'x' }, 'lakeside', 'mso')).toBe(false);
  });

  it('carries the listed tenants, or all of them with *', () => {
    expect(routeCarries({ on: ['*'], to: 'x', tenants: ['lakeside'] }, 'lakeside', 'mso')).toBe(true);
    expect(routeCarries({ on: ['*'], to: 'x', tenants: ['lakeside'] }, 'riverside', 'mso')).toBe(false);
    expect(routeCarries({ on: ['*'], to: 'x', tenants: ['*'] }, 'riverside', 'mso')).toBe(true);
  });

  it('carries nothing to a connector it cannot find', () => {
    expect(routeCarries({ on: ['*'], to: 'gone' }, 'riverside', undefined)).toBe(false);
  });
});
