import { describe, expect, it } from 'vitest';
import type { HubConfig, RouteConfig } from '../config/types.js';
import { tenantsRoutedTo } from './hub-runtime.js';

const withRoutes = (routes: RouteConfig[]) => ({ routes }) as unknown as HubConfig;

describe('which tenants a connector keeps records for', () => {
  it('is only its own when no route brings it another tenant’s records', () => {
    expect(tenantsRoutedTo(withRoutes([{ on: ['claim.created'], to: 'mso-clearinghouse' }]), 'mso-clearinghouse')).toEqual([]);
  });

  it('adds the tenants its routes name, and no tenant of a route to another connector', () => {
    const config = withRoutes([
      { on: ['claim.created'], tenants: ['riverside-family'], to: 'mso-clearinghouse' },
      { on: ['claim.updated'], tenants: ['lakeside-pediatrics', 'riverside-family'], to: 'mso-clearinghouse' },
      { on: ['claim.created'], tenants: ['hilltop-ortho'], to: 'other-clearinghouse' },
    ]);
    expect(tenantsRoutedTo(config, 'mso-clearinghouse')).toEqual(['riverside-family', 'lakeside-pediatrics']);
  });

  it('is every tenant when a route to it takes every tenant', () => {
    const config = withRoutes([{ on: ['claim.*'], tenants: ['*'], to: 'mso-clearinghouse' }]);
    expect(tenantsRoutedTo(config, 'mso-clearinghouse')).toBe('*');
  });
});
