import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.js';
import { buildAck999 } from './ack999.js';
import { validateInterchange } from './envelope.js';
import { buildTa1, embedTa1, parseTa1, ta1For, TA1_NOTE_CODES } from './ta1.js';
import { parseSegments, type Segment } from './tokenizer.js';

const profee = async () => (await readFile(new URL('./fixtures/profee.edi', import.meta.url))).toString('latin1');
const controlNumbers = (start = 900) => ({ next: () => start++ });
const DATE = new Date(Date.UTC(2026, 10, 2, 8, 30));
const ids = (segments: Segment[]) => segments.map((s) => [s.id, ...s.elements].join('*'));

/** The TA1 the codec decides for the first interchange of `text`. */
function decide(text: string) {
  const segments = parseSegments(text);
  return ta1For(segments[0]!, validateInterchange(segments), { date: DATE });
}

/** A TA1 as a clearinghouse sends it, alone in its interchange. */
const HEADER = 'ISA*00*          *00*          *ZZ*CLEARPATH      *ZZ*PRAIRIEMSO     *261103*0900*^*00501*000000777*0*P*:~';
const ta1Segment = (raw: string) => parseSegments(`${HEADER}${raw}~IEA*0*000000777~`)[1]!;

describe('TA1 interchange acknowledgment: reading', () => {
  it('reads an accepted and a rejected TA1 with the note described', () => {
    expect(parseTa1(ta1Segment('TA1*000000001*261102*0930*A*000'))).toEqual({
      interchangeControlNumber: '000000001',
      date: '261102',
      time: '0930',
      acknowledgmentCode: 'A',
      noteCode: '000',
      noteDescription: 'No error',
    });
    const rejected = parseTa1(ta1Segment('TA1*000000001*261102*0930*R*001'));
    expect(rejected).toMatchObject({ acknowledgmentCode: 'R', noteCode: '001' });
    expect(rejected.noteDescription).toMatch(/ISA13 and IEA02 differ/);
  });

  it('knows every 5010 interchange note code, 000 to 031', () => {
    expect(Object.keys(TA1_NOTE_CODES)).toEqual(Array.from({ length: 32 }, (_, i) => String(i).padStart(3, '0')));
  });

  it('rejects a TA1 with the wrong number of elements, naming segment, position and byte offset', () => {
    const error = catchError(() => parseTa1(ta1Segment('TA1*000000001*261102*0930*A')));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/^TA1 segment has 1 problem\(s\): segment 2 \(TA1\) at byte 106: TA1 has 4 elements, it needs 5$/);
    expect(error.issues).toEqual([{ path: '/segments/2/TA105', message: expect.any(String) }]);
  });

  it('rejects an unknown TA104 code and a TA101 that is not 9 digits, without quoting them', () => {
    const error = catchError(() => parseTa1(ta1Segment('TA1*12345*261102*0930*Q*000')));
    expect(error.issues.map((i) => i.path)).toEqual(['/segments/2/TA101', '/segments/2/TA104']);
    expect(error.issues[1]!.message).toMatch(/TA104 must be A \(accepted\), E \(accepted with errors\) or R \(rejected\)/);
    expect(error.message + JSON.stringify(error.issues)).not.toMatch(/12345|\*Q\*/);
  });

  it('rejects an unknown note code, a bad date and a bad time, and a segment that is not a TA1', () => {
    const error = catchError(() => parseTa1(ta1Segment('TA1*000000001*261340*2560*A*099')));
    expect(error.issues.map((i) => i.path)).toEqual(['/segments/2/TA102', '/segments/2/TA103', '/segments/2/TA105']);
    const notTa1 = catchError(() => parseTa1(parseSegments(`${HEADER}IEA*0*000000777~`)[1]!));
    expect(notTa1.message).toMatch(/segment 2 \(IEA\) at byte 106: expected a TA1 segment/);
  });
});

describe('TA1 interchange acknowledgment: deciding and writing', () => {
  it('accepts a clean interchange: A, note 000, echoing its ISA13, ISA09 and ISA10', async () => {
    expect(decide(await profee())).toEqual({
      interchangeControlNumber: '006000600',
      date: '100101',
      time: '1000',
      acknowledgmentCode: 'A',
      noteCode: '000',
      noteDescription: 'No error',
    });
  });

  it('rejects an interchange whose IEA02 does not match ISA13 (001) or whose IEA01 miscounts the groups (021)', async () => {
    expect(decide((await profee()).replace('IEA*1*006000600', 'IEA*1*006000601'))).toMatchObject({ acknowledgmentCode: 'R', noteCode: '001' });
    expect(decide((await profee()).replace('IEA*1*006000600', 'IEA*2*006000600'))).toMatchObject({ acknowledgmentCode: 'R', noteCode: '021' });
  });

  it('rejects a truncated interchange (023) and one cut off by the next ISA (022)', async () => {
    const text = await profee();
    expect(decide(text.replace(/IEA\*1\*006000600~\n?/, ''))).toMatchObject({ acknowledgmentCode: 'R', noteCode: '023' });
    const twice = parseSegments(`${text.replace(/IEA\*1\*006000600~\n?/, '')}${text}`);
    const report = validateInterchange(twice);
    const [first, second] = twice.filter((s) => s.id === 'ISA').map((isa) => ta1For(isa, report));
    expect(first).toMatchObject({ acknowledgmentCode: 'R', noteCode: '022' });
    expect(second).toMatchObject({ acknowledgmentCode: 'A', noteCode: '000' });
  });

  it('rejects bad ISA fields with the note of the first one, and zeros for an unreadable ISA13', async () => {
    const text = await profee();
    expect(decide(text.replace('*ZZ*EMEDNYBAT', '*QQ*EMEDNYBAT'))).toMatchObject({ acknowledgmentCode: 'R', noteCode: '005' });
    expect(decide(text.replace('*100101*1000*', '*101301*1000*'))).toMatchObject({ noteCode: '014', date: '261102' });
    expect(decide(text.replace('*00501*', '*00401*'))).toMatchObject({ noteCode: '017' });
    expect(decide(text.replace('*006000600*0*T*', '*0060006AB*0*T*'))).toMatchObject({ noteCode: '018', interchangeControlNumber: '000000000' });
    expect(decide(text.replace('*006000600*0*T*', '*006000600*0*X*'))).toMatchObject({ noteCode: '020' });
  });

  it('leaves group and transaction set problems to the 999', async () => {
    expect(decide((await profee()).replace('SE*65*1740~', 'SE*64*1740~'))).toMatchObject({ acknowledgmentCode: 'A', noteCode: '000' });
  });

  it('writes an interchange holding only the TA1, back to the sender, that is itself a valid interchange', async () => {
    const received = parseSegments((await profee()).replace('IEA*1*006000600', 'IEA*1*006000601'));
    const text = buildTa1(received[0]!, validateInterchange(received), { controlNumbers: controlNumbers(), date: DATE });
    const ack = parseSegments(text);
    expect(ids(ack).slice(1)).toEqual(['TA1*006000600*100101*1000*R*001', 'IEA*0*000000900']);
    expect(ack[0]!.elements.slice(4, 8).map((e) => e.trim())).toEqual(['ZZ', 'ETIN', 'ZZ', 'EMEDNYBAT']);
    expect(ack[0]!.elements[13]).toBe('0');
    expect(ack[0]!.elements[14]).toBe('T');
    expect(validateInterchange(ack).problems).toEqual([]);
    expect(parseTa1(ack[1]!)).toMatchObject({ acknowledgmentCode: 'R', noteCode: '001' });
  });

  it('keeps line breaks when the interchange is written with them', async () => {
    const received = parseSegments(await profee());
    const text = buildTa1(received[0]!, validateInterchange(received), { controlNumbers: controlNumbers(), lineBreaks: true });
    expect(text.split('\n').map((l) => l.slice(0, 4))).toEqual(['ISA*', 'TA1*', 'IEA*', '']);
  });

  it('embeds TA1s between the ISA and the GS of a 999, which stays a valid interchange', async () => {
    const received = parseSegments(await profee());
    const ta1 = ta1For(received[0]!, validateInterchange(received));
    const ack = parseSegments(embedTa1(buildAck999(received, { controlNumbers: controlNumbers(), date: DATE }), [ta1]));
    expect(ack.map((s) => s.id)).toEqual(['ISA', 'TA1', 'GS', 'ST', 'AK1', 'AK2', 'IK5', 'AK9', 'SE', 'GE', 'IEA']);
    expect(ids(ack)[1]).toBe('TA1*006000600*100101*1000*A*000');
    expect(validateInterchange(ack).problems).toEqual([]);
  });
});

function catchError(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}
