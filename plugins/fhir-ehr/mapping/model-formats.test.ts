import { describe, expect, it } from 'vitest';
import { fitsModel } from './model-formats.js';

// Each check is one canonical field's rule; pointed at the wrong field, it would refuse good values
// and fields would vanish quietly. Good values must pass, bad ones fail.
const cases: Record<keyof typeof fitsModel, [good: string, bad: string]> = {
  npi: ['1234567893', '1234567890'],
  placeOfService: ['11', '111'],
  state: ['TX', 'Texas'],
  country: ['US', 'USA'],
  postalCode: ['78741-3318', '78741-3318-1'],
  ein: ['741234567', '74-1234567'],
  payerId: ['SHP01', 'x'.repeat(81)],
  taxonomy: ['207Q00000X', '207Q00000'],
  language: ['en-US', 'x'.repeat(36)],
  ombRace: ['2106-3', '2135-2'],
  ombEthnicity: ['2135-2', '2106-3'],
  cdcRaceEthnicityCode: ['2036-2', '2036'],
  icd10cm: ['E11.9', 'e11.9'],
  cptHcpcs: ['99214', '9921'],
  modifier: ['25', '255'],
  revenueCode: ['0450', '450'],
  typeOfBill: ['131', '0131'],
  patientStatus: ['01', '001'],
};

describe('fitsModel', () => {
  for (const [name, [good, bad]] of Object.entries(cases) as [keyof typeof fitsModel, [string, string]][]) {
    it(`${name}: accepts ${good}, refuses ${bad.slice(0, 12)}`, () => {
      expect(fitsModel[name](good)).toBe(true);
      expect(fitsModel[name](bad)).toBe(false);
      // A second ask is answered from the cache, the same way.
      expect(fitsModel[name](good)).toBe(true);
    });
  }
});
