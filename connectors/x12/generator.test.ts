import { describe, expect, it } from 'vitest';
import { ConfigurationError, InputError } from '../../core/errors.js';
import { validateInterchange } from './envelope.js';
import { buildInterchange, buildInterchangeDetailed, splitBatches, type InterchangeOptions } from './generator.js';
import { options837, professional837Body } from './fixtures/synthetic.js';
import { parseSegments } from './tokenizer.js';

/** A control number sequence the caller would persist; here it just remembers the last one. */
function sequence(start: number) {
  let last = start - 1;
  return { next: () => ++last, get last() { return last; } };
}

const base = (): InterchangeOptions => ({ ...options837(), controlNumbers: sequence(41) });

describe('generator', () => {
  it('writes envelopes that the tokenizer and envelope checks read back without a problem', () => {
    const numbers = sequence(41);
    const built = buildInterchangeDetailed({ ...base(), controlNumbers: numbers }, [professional837Body(3), professional837Body(2, 3)]);
    const segments = parseSegments(built.text);
    const report = validateInterchange(segments);
    expect(report.problems).toEqual([]);
    expect(built).toMatchObject({ interchangeControlNumber: '000000041', groupControlNumber: '41', transactionSetControlNumbers: ['0001', '0002'] });
    expect(numbers.last).toBe(41);
    expect(report.interchanges[0]!.groups[0]!.transactionSets.map((s) => [s.id, s.controlNumber, s.implementationRef, s.segmentCount])).toEqual([
      ['837', '0001', '005010X222A1', 10 + 3 * 17 + 1],
      ['837', '0002', '005010X222A1', 10 + 2 * 17 + 1],
    ]);
  });

  it('writes the ISA at its fixed width of 106 characters and the GS from the options', () => {
    const text = buildInterchange({ ...base(), date: new Date(Date.UTC(2026, 0, 5, 7, 3)), usage: 'P' }, [professional837Body(1)]);
    const isa = text.slice(0, 106);
    expect(isa).toBe('ISA*00*          *00*          *ZZ*SYNTHMSO       *ZZ*SYNTHCH        *260105*0703*^*00501*000000041*0*P*:~');
    expect(text.split('~')[1]).toBe('GS*HC*SYNTHMSO*SYNTHCH*20260105*0703*41*X*005010X222A1');
  });

  it('uses fresh control numbers for each interchange', () => {
    const options = base();
    const first = parseSegments(buildInterchange(options, [professional837Body(1)]));
    const second = parseSegments(buildInterchange(options, [professional837Body(1)]));
    expect([first[0]!.elements[12], second[0]!.elements[12]]).toEqual(['000000041', '000000042']);
  });

  it('writes any delimiter set, composites with their component separator, no trailing empty elements', () => {
    const text = buildInterchange(
      { ...base(), delimiters: { element: '|', component: '>', repetition: '!', segment: '\n' } },
      [[['ST', '837', '', '005010X222A1'], ['SV1', ['HC', '99213', '25', ''], '90', 'UN', '1', '', '', ''], ['REF', 'EA', 'X']]],
    );
    expect(text.split('\n').slice(2, 5)).toEqual(['ST|837|0001|005010X222A1', 'SV1|HC>99213>25|90|UN|1', 'REF|EA|X']);
    expect(validateInterchange(parseSegments(text)).problems).toEqual([]);
  });

  it('writes an ST when a body has none, from the functional group', () => {
    const text = buildInterchange({ ...base(), functionalId: 'HP', version: '005010X221A1' }, [[['BPR', 'H', '0', 'C', 'NON']]]);
    expect(text).toContain('~ST*835*0001*005010X221A1~BPR*H*0*C*NON~SE*3*0001~');
  });

  it('refuses bad options at once, naming each one', () => {
    const bad = { ...base(), sender: { qualifier: 'Z', id: 'A-NAME-LONGER-THAN-15' }, usage: 'X', version: '4010', delimiters: { element: '~' } } as unknown as InterchangeOptions;
    let error: unknown;
    try {
      buildInterchange(bad, []);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    for (const part of ['sender.qualifier', 'sender.id', 'usage', 'version', 'delimiters']) expect(message).toContain(part);
    expect(() => buildInterchange({ ...base(), controlNumbers: { next: () => 1e10 } }, [])).toThrowError(/controlNumbers.next\(\) must return an integer/);
  });

  it('refuses a value that holds a delimiter, naming the element but not the value', () => {
    const body = [['ST', '837'], ['NM1', 'IL', '1', 'O*BRIEN']];
    expect(() => buildInterchange(base(), [body])).toThrowError(InputError);
    expect(() => buildInterchange(base(), [body])).toThrowError('transaction set 1, segment 2 (NM1): element NM103 contains a delimiter');
  });

  it('splits claims into batches of at most 5,000', () => {
    const claims = Array.from({ length: 12_001 }, (_, i) => i);
    const batches = splitBatches(claims);
    expect(batches.map((b) => b.length)).toEqual([5000, 5000, 2001]);
    expect(batches.flat()).toEqual(claims);
    expect(splitBatches([1, 2, 3], 2)).toEqual([[1, 2], [3]]);
    expect(splitBatches([])).toEqual([]);
    expect(() => splitBatches([1], 0)).toThrowError(ConfigurationError);
  });
});
