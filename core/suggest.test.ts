import { describe, expect, it } from 'vitest';
import { didYouMean } from './suggest.js';

describe('didYouMean', () => {
  it('finds the name a typo meant, whatever the case', () => {
    expect(didYouMean('tenat', ['tenants', 'tenant', 'tokens'])).toBe('tenant');
    expect(didYouMean('catalogitem', ['Patient', 'CatalogItem'])).toBe('CatalogItem');
    expect(didYouMean('dat', ['date', 'datetime', 'money'])).toBe('date');
  });

  it('suggests nothing when no candidate is close', () => {
    expect(didYouMean('x', ['tenants', 'tokens'])).toBeUndefined();
    expect(didYouMean('schedule', ['tenant', 'plugin'])).toBeUndefined();
  });
});
