import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.js';
import { validateInterchange } from './envelope.js';
import { buildInterchange, type ElementValue, type InterchangeOptions } from './generator.js';
import { options837, professional837Body } from './fixtures/synthetic.js';
import { buildLoops, chooseSpec, transactionSets, walkLoops, type LoopTree } from './loops.js';
import { TRANSACTION_SPECS } from './specs/index.js';
import { parseSegments, type Segment } from './tokenizer.js';

async function trees(segments: Segment[]): Promise<LoopTree[]> {
  const out: LoopTree[] = [];
  for await (const set of transactionSets(segments)) out.push(buildLoops(set.segments, chooseSpec(TRANSACTION_SPECS, set.segments[0]!, set.gs)));
  return out;
}

/** `path:segment ids` for every loop, the way the TR3 draws the structure. */
function outline(tree: LoopTree): string[] {
  return [`${tree.spec.name}:${tree.root.segments.map((s) => s.id).join(',')}`, ...[...walkLoops(tree.root)].map(({ loop, path }) => `${path.join('/')}:${loop.segments.map((s) => s.id).join(',')}`)];
}

function file(options: Partial<InterchangeOptions> & Pick<InterchangeOptions, 'functionalId' | 'version'>, body: ElementValue[][]): Segment[] {
  const segments = parseSegments(buildInterchange({ ...options837(7), ...options }, [body]));
  expect(validateInterchange(segments).problems).toEqual([]);
  return segments;
}

const lines = (text: string): string[][] =>
  text
    .trim()
    .split('\n')
    .map((line) => line.trim().replace(/~$/, '').split('*'));

describe('loop structure', () => {
  it('groups an 835 into 1000A, 1000B, 2000, 2100 and 2110 with PLB at the end', async () => {
    const text = (await readFile(new URL('./fixtures/profee.edi', import.meta.url))).toString('latin1').replace('SE*65', 'PLB*9999999995*20101231*WO:PATIENT ACCOUNT NUMBER*-1.00~\nSE*66');
    const [tree] = await trees(parseSegments(text));
    expect(tree!.problems).toEqual([]);
    const shape = outline(tree!);
    expect(shape.slice(0, 7)).toEqual([
      '835:ST,BPR,TRN,REF,DTM,PLB,SE',
      '1000A:N1,N3,N4,PER',
      '1000B:N1,REF',
      '2000:LX',
      '2000/2100:CLP,NM1,NM1,REF,DTM,DTM,AMT',
      '2000/2100/2110:SVC,DTM,AMT',
      '2000/2100/2110:SVC,DTM,AMT',
    ]);
    expect(shape.filter((line) => line.startsWith('2000/2100:'))).toHaveLength(3);
    expect(shape.filter((line) => line.startsWith('2000/2100/2110:'))).toHaveLength(10);
  });

  it('groups an 837P into the billing provider, subscriber, claim and service line loops', async () => {
    const [tree] = await trees(file({ functionalId: 'HC', version: '005010X222A1' }, professional837Body(2)));
    expect(tree!.spec.name).toBe('837P');
    expect(tree!.problems).toEqual([]);
    expect(outline(tree!)).toEqual([
      '837P:ST,BHT,SE',
      '1000A:NM1,PER',
      '1000B:NM1',
      '2000A:HL',
      '2000A/2010AA:NM1,N3,N4,REF',
      '2000A/2000B:HL,SBR',
      '2000A/2000B/2010BA:NM1,N3,N4,DMG',
      '2000A/2000B/2010BB:NM1',
      '2000A/2000B/2300:CLM,HI',
      '2000A/2000B/2300/2310B:NM1,PRV',
      '2000A/2000B/2300/2400:LX,SV1,DTP',
      '2000A/2000B/2300/2400:LX,SV1,DTP',
      '2000A/2000B:HL,SBR',
      '2000A/2000B/2010BA:NM1,N3,N4,DMG',
      '2000A/2000B/2010BB:NM1',
      '2000A/2000B/2300:CLM,HI',
      '2000A/2000B/2300/2310B:NM1,PRV',
      '2000A/2000B/2300/2400:LX,SV1,DTP',
      '2000A/2000B/2300/2400:LX,SV1,DTP',
    ]);
  });

  it('groups an 837I with a patient level under the subscriber and other-payer loops', async () => {
    const body = lines(`
      ST*837**005010X223A2
      BHT*0019*00*B1*20261102*0930*CH
      NM1*41*2*SYNTHETIC MSO*****46*SYNTHMSO
      PER*IC*BILLING DESK*TE*6125550100
      NM1*40*2*SYNTHETIC CLEARINGHOUSE*****46*SYNTHCH
      HL*1**20*1
      NM1*85*2*RIVERSIDE HOSPITAL*****XX*1234567893
      N3*1 RIVER ROAD
      N4*SAMPLETOWN*MN*55401
      REF*EI*999999999
      HL*2*1*22*1
      SBR*P********CI
      NM1*IL*1*TESTLAST*JORDAN****MI*SYN000000002
      NM1*PR*2*SYNTHETIC HEALTH PLAN*****PI*SYNPLAN01
      HL*3*2*23*0
      PAT*19
      NM1*QC*1*TESTLAST*CASEY
      CLM*PCN77*1500***11:A:1**A*Y*Y
      DTP*434*RD8*20261001-20261003
      CL1*1*7*01
      HI*ABK:J189
      NM1*71*1*DOCTOR*SYNTHIA****XX*1234567893
      SBR*S*01*******CI
      NM1*IL*1*TESTLAST*JORDAN****MI*SYN000000003
      NM1*PR*2*OTHER SYNTHETIC PLAN*****PI*SYNPLAN02
      LX*1
      SV2*0120**1500*UN*3
      DTP*472*D8*20261001
    `);
    const [tree] = await trees(file({ functionalId: 'HC', version: '005010X223A2' }, body));
    expect(tree!.spec.name).toBe('837I');
    expect(tree!.problems).toEqual([]);
    expect(outline(tree!).slice(5)).toEqual([
      '2000A/2000B:HL,SBR',
      '2000A/2000B/2010BA:NM1',
      '2000A/2000B/2010BB:NM1',
      '2000A/2000B/2000C:HL,PAT',
      '2000A/2000B/2000C/2010CA:NM1',
      '2000A/2000B/2000C/2300:CLM,DTP,CL1,HI',
      '2000A/2000B/2000C/2300/2310A:NM1',
      '2000A/2000B/2000C/2300/2320:SBR',
      '2000A/2000B/2000C/2300/2320/2330A:NM1',
      '2000A/2000B/2000C/2300/2320/2330B:NM1',
      '2000A/2000B/2000C/2300/2400:LX,SV2,DTP',
    ]);
  });

  it('groups a 277CA down to the service line under the patient level', async () => {
    const body = lines(`
      ST*277**005010X214
      BHT*0085*08*CA1*20261102*0930*TH
      HL*1**20*1
      NM1*PR*2*SYNTHETIC HEALTH PLAN*****PI*SYNPLAN01
      TRN*1*BATCH1
      DTP*050*D8*20261102
      DTP*009*D8*20261102
      HL*2*1*21*1
      NM1*41*2*SYNTHETIC MSO*****46*SYNTHMSO
      TRN*2*BATCH1
      STC*A1:19:PR*20261102*WQ*120
      QTY*90*1
      AMT*YU*120
      HL*3*2*19*1
      NM1*85*2*RIVERSIDE FAMILY MEDICINE*****XX*1234567893
      TRN*1*0
      REF*TJ*999999999
      QTY*QA*1
      HL*4*3*PT
      NM1*QC*1*TESTLAST*ALEX****MI*SYN000000001
      TRN*2*PCN1
      STC*A2:20:PR*20261102*WQ*120
      REF*1K*PAYERCLAIM1
      DTP*472*RD8*20261015-20261015
      SVC*HC:99213*90
      STC*A2:20
      DTP*472*D8*20261015
    `);
    const [tree] = await trees(file({ functionalId: 'HN', version: '005010X214' }, body));
    expect(tree!.spec.name).toBe('277CA');
    expect(tree!.problems).toEqual([]);
    expect(outline(tree!)).toEqual([
      '277CA:ST,BHT,SE',
      '2000A:HL',
      '2000A/2100A:NM1',
      '2000A/2200A:TRN,DTP,DTP',
      '2000A/2000B:HL',
      '2000A/2000B/2100B:NM1',
      '2000A/2000B/2200B:TRN,STC,QTY,AMT',
      '2000A/2000B/2000C:HL',
      '2000A/2000B/2000C/2100C:NM1',
      '2000A/2000B/2000C/2200C:TRN,REF,QTY',
      '2000A/2000B/2000C/2000D:HL',
      '2000A/2000B/2000C/2000D/2100D:NM1',
      '2000A/2000B/2000C/2000D/2200D:TRN,STC,REF,DTP',
      '2000A/2000B/2000C/2000D/2200D/2220D:SVC,STC,DTP',
    ]);
  });

  it('groups a 276 request and its 277 response by subscriber and dependent', async () => {
    const request = lines(`
      ST*276**005010X212
      BHT*0010*13*REQ1*20261102*0930
      HL*1**20*1
      NM1*PR*2*SYNTHETIC HEALTH PLAN*****PI*SYNPLAN01
      HL*2*1*21*1
      NM1*41*2*SYNTHETIC MSO*****46*SYNTHMSO
      HL*3*2*19*1
      NM1*1P*2*RIVERSIDE FAMILY MEDICINE*****XX*1234567893
      HL*4*3*22*1
      DMG*D8*19800101*F
      NM1*IL*1*TESTLAST*RILEY****MI*SYN000000004
      HL*5*4*23
      DMG*D8*20150101*M
      NM1*QC*1*TESTLAST*MORGAN
      TRN*1*PCN9
      REF*1K*PAYERCLAIM9
      AMT*T3*120
      DTP*472*RD8*20261015-20261015
      SVC*HC:99213*90
      REF*FJ*1
    `);
    const response = lines(`
      ST*277**005010X212
      BHT*0010*08*RESP1*20261103*1000*DG
      HL*1**20*1
      NM1*PR*2*SYNTHETIC HEALTH PLAN*****PI*SYNPLAN01
      HL*2*1*21*1
      NM1*41*2*SYNTHETIC MSO*****46*SYNTHMSO
      HL*3*2*19*1
      NM1*1P*2*RIVERSIDE FAMILY MEDICINE*****XX*1234567893
      HL*4*3*22*0
      NM1*IL*1*TESTLAST*RILEY****MI*SYN000000004
      TRN*2*PCN8
      STC*F1:65*20261103**120*90
      REF*1K*PAYERCLAIM8
      SVC*HC:99213*90*90
      STC*F1:65*20261103
    `);
    const [req] = await trees(file({ functionalId: 'HR', version: '005010X212' }, request));
    const [resp] = await trees(file({ functionalId: 'HN', version: '005010X212' }, response));
    expect(req!.spec.name).toBe('276');
    expect(resp!.spec.name).toBe('277');
    expect(req!.problems).toEqual([]);
    expect(resp!.problems).toEqual([]);
    expect(outline(req!).slice(-4)).toEqual([
      '2000A/2000B/2000C/2000D/2000E:HL,DMG',
      '2000A/2000B/2000C/2000D/2000E/2100E:NM1',
      '2000A/2000B/2000C/2000D/2000E/2200E:TRN,REF,AMT,DTP',
      '2000A/2000B/2000C/2000D/2000E/2200E/2210E:SVC,REF',
    ]);
    expect(outline(resp!).slice(-3)).toEqual([
      '2000A/2000B/2000C/2000D/2100D:NM1',
      '2000A/2000B/2000C/2000D/2200D:TRN,STC,REF',
      '2000A/2000B/2000C/2000D/2200D/2220D:SVC,STC',
    ]);
  });

  it('groups a 270 inquiry and a 271 answer, with the LS/LE benefit entity loop', async () => {
    const inquiry = lines(`
      ST*270**005010X279A1
      BHT*0022*13*INQ1*20261102*0930
      HL*1**20*1
      NM1*PR*2*SYNTHETIC HEALTH PLAN*****PI*SYNPLAN01
      HL*2*1*21*1
      NM1*1P*2*RIVERSIDE FAMILY MEDICINE*****XX*1234567893
      HL*3*2*22*1
      TRN*1*INQ1*9999999999
      NM1*IL*1*TESTLAST*RILEY****MI*SYN000000004
      DMG*D8*19800101
      DTP*291*D8*20261102
      EQ*30
      HL*4*3*23*0
      TRN*1*INQ2*9999999999
      NM1*03*1*TESTLAST*MORGAN
      EQ*30
    `);
    const answer = lines(`
      ST*271**005010X279A1
      BHT*0022*11*INQ1*20261102*0931
      HL*1**20*1
      NM1*PR*2*SYNTHETIC HEALTH PLAN*****PI*SYNPLAN01
      HL*2*1*21*1
      NM1*1P*2*RIVERSIDE FAMILY MEDICINE*****XX*1234567893
      HL*3*2*22*0
      TRN*2*INQ1*9999999999
      NM1*IL*1*TESTLAST*RILEY****MI*SYN000000004
      N3*12 EXAMPLE STREET
      N4*SAMPLETOWN*MN*55401
      DMG*D8*19800101*F
      EB*1**30^1^33*HM
      DTP*291*D8*20260101
      EB*C**30*HM**23*500
      III*ZZ*11
      EB*R**88*OT
      LS*2120
      NM1*PR*2*SYNTHETIC PHARMACY PLAN
      PER*IC**TE*8005550100
      LE*2120
    `);
    const [inq] = await trees(file({ functionalId: 'HS', version: '005010X279A1' }, inquiry));
    const [ans] = await trees(file({ functionalId: 'HB', version: '005010X279A1' }, answer));
    expect(inq!.problems).toEqual([]);
    expect(ans!.problems).toEqual([]);
    expect(outline(inq!).slice(-6)).toEqual([
      '2000A/2000B/2000C:HL,TRN',
      '2000A/2000B/2000C/2100C:NM1,DMG,DTP',
      '2000A/2000B/2000C/2100C/2110C:EQ',
      '2000A/2000B/2000C/2000D:HL,TRN',
      '2000A/2000B/2000C/2000D/2100D:NM1',
      '2000A/2000B/2000C/2000D/2100D/2110D:EQ',
    ]);
    expect(outline(ans!).slice(-6)).toEqual([
      '2000A/2000B/2000C/2100C:NM1,N3,N4,DMG',
      '2000A/2000B/2000C/2100C/2110C:EB,DTP',
      '2000A/2000B/2000C/2100C/2110C:EB',
      '2000A/2000B/2000C/2100C/2110C/2115C:III',
      '2000A/2000B/2000C/2100C/2110C:EB,LS,LE',
      '2000A/2000B/2000C/2100C/2110C/2120C:NM1,PER',
    ]);
  });

  it('reports unknown and misplaced segments with number and offset, and keeps going', async () => {
    const text = (await readFile(new URL('./fixtures/profee.edi', import.meta.url)))
      .toString('latin1')
      .replace('SVC*HC:V2700:RB*2.75*2.75**1~', 'SVC*HC:V2700:RB*2.75*2.75**1~\nZZZ*SECRET~\nBPR*I*1*C~')
      .replace('SE*65', 'SE*67');
    const segments = parseSegments(text);
    expect(validateInterchange(segments).problems).toEqual([]);
    const [tree] = await trees(segments);
    const zzz = segments.find((s) => s.id === 'ZZZ')!;
    expect(tree!.problems).toEqual([
      {
        segmentIndex: zzz.index,
        segmentId: 'ZZZ',
        offset: zzz.offset,
        code: 'unknown-segment',
        loopId: '2110',
        message: `segment ${zzz.index} (ZZZ) at byte ${zzz.offset}: ZZZ is not a segment of the 835 (005010X221)`,
      },
      expect.objectContaining({ segmentIndex: zzz.index + 1, segmentId: 'BPR', code: 'segment-out-of-place', message: expect.stringContaining('BPR is not expected inside loop 2110 of the 835') }),
    ]);
    expect(tree!.problems.map((p) => p.message).join()).not.toContain('SECRET');
    // Nothing is lost: the rest of the set is still grouped.
    expect([...walkLoops(tree!.root)].filter(({ loop }) => loop.id === '2100')).toHaveLength(3);
  });

  it('refuses a transaction set it has no guide for, naming the segment', () => {
    const segments = parseSegments(buildInterchange({ ...options837(1), functionalId: 'PO', version: '005010' }, [[['ST', '850'], ['BEG', '00', 'SA', 'PO1']]]));
    const st = segments.find((s) => s.id === 'ST')!;
    expect(() => chooseSpec(TRANSACTION_SPECS, st)).toThrowError(InputError);
    expect(() => chooseSpec(TRANSACTION_SPECS, st)).toThrowError(`segment 3 (ST) at byte ${st.offset}: transaction set 850 is not supported`);
  });
});
