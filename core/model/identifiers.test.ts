import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  gs1CheckDigit,
  isValidCarc,
  isValidCptHcpcs,
  isValidEin,
  isValidGln,
  isValidGtin,
  isValidIcd10cm,
  isValidNpi,
  isValidProcedureModifier,
  isValidRarc,
  isValidSsn,
  isValidTaxonomyCode,
  isValidUnspsc,
  luhnCheckDigit,
  normalizeIcd10cm,
} from './identifiers.js';

describe('NPI', () => {
  it('accepts the example CMS publishes and rejects it with a wrong check digit', () => {
    expect(isValidNpi('1234567893')).toBe(true);
    expect(isValidNpi('1234567890')).toBe(false);
  });

  it('accepts NPIs whose check digit covers the 80840 prefix', () => {
    expect(isValidNpi('1842107330')).toBe(true);
    expect(isValidNpi('1923847564')).toBe(true);
    expect(isValidNpi('1923847565')).toBe(false);
  });

  it('rejects wrong lengths, non-digits and leading digits NPPES never issues', () => {
    expect(isValidNpi('123456789')).toBe(false);
    expect(isValidNpi('12345678931')).toBe(false);
    expect(isValidNpi('12345A7893')).toBe(false);
    expect(isValidNpi(' 1234567893')).toBe(false);
    // A plain Luhn check (without 80840) would accept this one; the CMS rule does not.
    expect(luhnCheckDigit('123456789')).toBe(7);
    expect(isValidNpi('1234567897')).toBe(false);
    // Valid check digit, but NPIs start with 1 or 2.
    expect(isValidNpi(`3${'23456789'}${luhnCheckDigit('80840323456789')}`)).toBe(false);
  });

  it('has exactly one valid check digit for every 9-digit base', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[12][0-9]{8}$/), (base) => {
        const valid = [...'0123456789'].filter((d) => isValidNpi(base + d));
        expect(valid).toHaveLength(1);
      }),
    );
  });
});

describe('GTIN and GLN', () => {
  it('accepts published GS1 examples of each length', () => {
    expect(isValidGtin('96385074')).toBe(true); // GTIN-8 (EAN-8)
    expect(isValidGtin('036000291452')).toBe(true); // GTIN-12 (UPC-A)
    expect(isValidGtin('4006381333931')).toBe(true); // GTIN-13 (EAN-13)
    expect(isValidGtin('00012345600012')).toBe(true); // GTIN-14, GS1 General Specifications example
  });

  it('rejects a wrong check digit', () => {
    expect(isValidGtin('96385075')).toBe(false);
    expect(isValidGtin('036000291453')).toBe(false);
    expect(isValidGtin('4006381333932')).toBe(false);
    expect(isValidGtin('00012345600013')).toBe(false);
  });

  it('rejects lengths GS1 does not define and non-digits', () => {
    expect(isValidGtin('1234567')).toBe(false);
    expect(isValidGtin('12345678901')).toBe(false);
    expect(isValidGtin('400638133393X')).toBe(false);
  });

  it('keeps a GTIN-12 valid when padded to GTIN-14, as GS1 intends', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{11}$/), (payload) => {
        const gtin12 = payload + gs1CheckDigit(payload);
        expect(isValidGtin(gtin12)).toBe(true);
        expect(isValidGtin(`00${gtin12}`)).toBe(true);
      }),
    );
  });

  it('checks GLNs with the same mod-10 rule', () => {
    expect(isValidGln('0614141000012')).toBe(true);
    expect(isValidGln('0614141000013')).toBe(false);
    expect(isValidGln('614141000012')).toBe(false);
  });
});

describe('ICD-10-CM', () => {
  it('accepts codes with and without the dot', () => {
    for (const code of ['E11.9', 'E119', 'I10', 'S72.001A', 'S72001A', 'Z00.00', 'U07.1', 'O09.A0', 'M1A.0110']) {
      expect(isValidIcd10cm(code), code).toBe(true);
    }
  });

  it('rejects malformed codes', () => {
    for (const code of ['e11.9', '11.9', 'EE1.9', 'E11.', 'E11.12345', 'E1', 'E11-9', '']) {
      expect(isValidIcd10cm(code), code).toBe(false);
    }
  });

  it('normalizes to the X12 form', () => {
    expect(normalizeIcd10cm(' e11.9 ')).toBe('E119');
  });
});

describe('CPT and HCPCS', () => {
  it('accepts CPT categories I, II, III, PLA and HCPCS Level II', () => {
    for (const code of ['99213', '83036', '0001F', '0042T', '0001U', 'J1100', 'G0439', 'A4253', 'V2020']) {
      expect(isValidCptHcpcs(code), code).toBe(true);
    }
  });

  it('rejects other shapes', () => {
    for (const code of ['9921', '992134', '0001X', 'W1234', 'j1100', 'J110', '99213-25']) {
      expect(isValidCptHcpcs(code), code).toBe(false);
    }
  });

  it('checks modifiers', () => {
    expect(isValidProcedureModifier('25')).toBe(true);
    expect(isValidProcedureModifier('LT')).toBe(true);
    expect(isValidProcedureModifier('lt')).toBe(false);
    expect(isValidProcedureModifier('255')).toBe(false);
  });
});

describe('UNSPSC', () => {
  it('accepts commodity, class, family and segment codes, with or without business function', () => {
    for (const code of ['42132203', '42132200', '42130000', '42000000', '4213220300', '4213220315']) {
      expect(isValidUnspsc(code), code).toBe(true);
    }
  });

  it('rejects segment 00, holes in the hierarchy and wrong lengths', () => {
    for (const code of ['00132203', '42002203', '42130003', '4213220', '421322031', 'A2132203']) {
      expect(isValidUnspsc(code), code).toBe(false);
    }
  });
});

describe('remittance codes', () => {
  it('accepts CARC shapes', () => {
    for (const code of ['1', '45', '253', 'B7', 'P12', 'W1']) expect(isValidCarc(code), code).toBe(true);
    for (const code of ['1234', 'BB7', 'B', 'co45', '']) expect(isValidCarc(code), code).toBe(false);
  });

  it('accepts RARC shapes', () => {
    for (const code of ['M15', 'MA130', 'MA01', 'N381', 'N4']) expect(isValidRarc(code), code).toBe(true);
    for (const code of ['M0', 'X12', 'N', 'MA1', '381']) expect(isValidRarc(code), code).toBe(false);
  });
});

describe('tax ids and taxonomy', () => {
  it('checks EINs in the X12 form', () => {
    expect(isValidEin('741234567')).toBe(true);
    expect(isValidEin('74-1234567')).toBe(false);
    expect(isValidEin('001234567')).toBe(false);
  });

  it('rejects SSNs in ranges SSA never issues', () => {
    expect(isValidSsn('219099999')).toBe(true);
    for (const ssn of ['000123456', '666123456', '912345678', '123001234', '123450000', '123-45-6789']) {
      expect(isValidSsn(ssn), ssn).toBe(false);
    }
  });

  it('checks NUCC taxonomy codes', () => {
    expect(isValidTaxonomyCode('207Q00000X')).toBe(true);
    expect(isValidTaxonomyCode('261QM1300X')).toBe(true);
    expect(isValidTaxonomyCode('207Q00000')).toBe(false);
    expect(isValidTaxonomyCode('207Q00000Y')).toBe(false);
  });
});
