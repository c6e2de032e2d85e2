import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.js';
import { validateInterchange, validateStream } from './envelope.js';
import { problemsError } from './problems.js';
import { parseSegments, readSegments } from './tokenizer.js';

const profee = async () => (await readFile(new URL('./fixtures/profee.edi', import.meta.url))).toString('latin1');

describe('envelope checks', () => {
  it('finds nothing wrong with a well-formed 835 and describes its envelopes', async () => {
    const report = validateInterchange(parseSegments(await profee()));
    expect(report.problems).toEqual([]);
    expect(report.segmentCount).toBe(69);
    expect(report.interchanges).toMatchObject([
      {
        controlNumber: '006000600',
        senderId: 'EMEDNYBAT',
        receiverId: 'ETIN',
        usage: 'T',
        closed: true,
        groups: [{ functionalId: 'HP', controlNumber: '6000600', version: '005010X221A1', transactionSets: [{ id: '835', controlNumber: '1740', startIndex: 3, endIndex: 67, segmentCount: 65 }] }],
      },
    ]);
  });

  it('names segment, element and byte offset when SE01 miscounts', async () => {
    const text = (await profee()).replace('SE*65*1740~', 'SE*64*1740~');
    const offset = text.indexOf('SE*64');
    const { problems } = validateInterchange(parseSegments(text));
    expect(problems).toEqual([
      {
        segmentIndex: 67,
        segmentId: 'SE',
        elementPosition: 1,
        offset,
        code: 'set-count-mismatch',
        message: `segment 67 (SE) at byte ${offset}: SE01 says 64 segments, the transaction set has 65`,
      },
    ]);
  });

  it('checks every control number and count of the three envelopes', async () => {
    const text = (await profee()).replace('SE*65*1740~', 'SE*65*1741~').replace('GE*1*6000600~', 'GE*2*6000601~').replace('IEA*1*006000600~', 'IEA*3*006000601~');
    const messages = validateInterchange(parseSegments(text)).problems.map((p) => `${p.code} ${p.message.replace(/ at byte \d+/, '')}`);
    expect(messages).toEqual([
      'set-control-mismatch segment 67 (SE): SE02 control number 1741 does not match ST02 1740 (segment 3)',
      'group-count-mismatch segment 68 (GE): GE01 says 2 transaction sets, the group has 1',
      'group-control-mismatch segment 68 (GE): GE02 control number 6000601 does not match GS06 6000600 (segment 2)',
      'interchange-count-mismatch segment 69 (IEA): IEA01 says 3 functional groups, the interchange has 1',
      'interchange-control-mismatch segment 69 (IEA): IEA02 control number 006000601 does not match ISA13 006000600 (segment 1)',
    ]);
  });

  it('reports a truncated file: SE, GE and IEA missing', async () => {
    const text = await profee();
    const cut = text.slice(0, text.indexOf('CLP*PATIENT ACCOUNT NUMBER*2'));
    const segments = parseSegments(cut);
    const last = segments[segments.length - 1]!;
    const { problems } = validateInterchange(segments);
    expect(problems.map((p) => p.code)).toEqual(['set-trailer-missing', 'group-trailer-missing', 'interchange-trailer-missing']);
    expect(problems[0]!.message).toBe(
      `segment ${last.index} (${last.id}) at byte ${last.offset}: file ends inside transaction set 1740 (ST at segment 3): SE missing, truncated file?`,
    );
    // A truncated file is also found when streamed.
    expect((await validateStream(readSegments(Readable.from([Buffer.from(cut, 'latin1')])))).problems).toEqual(problems);
  });

  it('reports a transaction set cut short by the next envelope', async () => {
    const text = (await profee()).replace('SE*65*1740~\n', '');
    const { problems } = validateInterchange(parseSegments(text));
    expect(problems.map((p) => `${p.code}: ${p.message.replace(/ at byte \d+/, '')}`)).toEqual([
      'set-trailer-missing: segment 67 (GE): transaction set 1740 (ST at segment 3) has no SE before this GE',
    ]);
  });

  it('reports segments that stand outside any transaction set', async () => {
    const text = (await profee()).replace('GE*1*6000600~', 'REF*EV*STRAY~\n12345~\nGE*1*6000600~');
    const { problems } = validateInterchange(parseSegments(text));
    expect(problems.map((p) => `${p.code}: ${p.message.replace(/ at byte \d+/, '')}`)).toEqual([
      'unexpected-segment: segment 68 (REF): segment REF outside a transaction set',
      'unknown-segment: segment 69 (12345): not a valid segment id, outside a transaction set',
    ]);
  });

  it('checks each of many interchanges on its own', async () => {
    const one = await profee();
    const second = one.replaceAll('006000600', '006000601');
    const broken = one.replaceAll('006000600', '006000602').replace('SE*65*1740~', 'SE*66*1740~');
    const { problems, interchanges } = validateInterchange(parseSegments(one + second + broken));
    expect(interchanges.map((i) => i.controlNumber)).toEqual(['006000600', '006000601', '006000602']);
    expect(problems.map((p) => [p.segmentIndex, p.code])).toEqual([[69 * 2 + 67, 'set-count-mismatch']]);
  });

  it('turns problems into one InputError for callers that reject the file', async () => {
    const text = (await profee()).replace('SE*65*1740~', 'SE*64*1740~');
    const error = problemsError(validateInterchange(parseSegments(text)).problems, '835 file');
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/^835 file has 1 problem\(s\): segment 67 \(SE\) at byte \d+: SE01 says 64 segments/);
    expect(error.issues).toEqual([{ path: '/segments/67/SE01', message: expect.stringContaining('SE01 says 64') }]);
  });
});
