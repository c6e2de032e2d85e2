import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ack999Sets, buildAck999 } from './ack999.js';
import { validateInterchange } from './envelope.js';
import { buildLoops, transactionSets } from './loops.js';
import { acknowledgment999 } from './specs/index.js';
import { parseSegments, type Segment } from './tokenizer.js';

const profee = async () => (await readFile(new URL('./fixtures/profee.edi', import.meta.url))).toString('latin1');
const controlNumbers = () => {
  let n = 900;
  return { next: () => ++n };
};
const ids = (segments: string[][]) => segments.map((s) => s.join('*'));

async function structureProblems(segments: Segment[]) {
  const problems = [];
  for await (const set of transactionSets(segments)) problems.push(...buildLoops(set.segments, acknowledgment999).problems);
  return problems;
}

describe('999 acknowledgment', () => {
  it('accepts a clean 835 and answers the sender with a 999 that is itself valid', async () => {
    const received = parseSegments(await profee());
    expect(ids(ack999Sets(received)[0]!)).toEqual(['ST*999**005010X231A1', 'AK1*HP*6000600*005010X221A1', 'AK2*835*1740', 'IK5*A', 'AK9*A*1*1*1']);

    const text = buildAck999(received, { controlNumbers: controlNumbers(), date: new Date(Date.UTC(2026, 10, 2)) });
    const ack = parseSegments(text);
    expect(ack[0]!.elements.slice(4, 8).map((e) => e.trim())).toEqual(['ZZ', 'ETIN', 'ZZ', 'EMEDNYBAT']);
    expect(ack[1]!.elements.slice(0, 3)).toEqual(['FA', 'ETIN', 'EMEDNYBAT']);
    expect(validateInterchange(ack).problems).toEqual([]);
    expect(await structureProblems(ack)).toEqual([]);
  });

  it('rejects a set whose SE miscounts (IK5 code 4) and the group with it', async () => {
    const received = parseSegments((await profee()).replace('SE*65*1740~', 'SE*64*1740~'));
    expect(ids(ack999Sets(received)[0]!).slice(2)).toEqual(['AK2*835*1740', 'IK5*R*4', 'AK9*R*1*1*0']);
  });

  it('points IK3 at an unknown segment by its position in the set and its loop', async () => {
    const text = (await profee()).replace('REF*TJ*000000000~', 'REF*TJ*000000000~\nZZZ*1~').replace('SE*65', 'SE*66');
    const received = parseSegments(text);
    expect(ids(ack999Sets(received)[0]!).slice(2)).toEqual(['AK2*835*1740', 'IK3*ZZZ*12*1000B*6', 'IK5*R*5', 'AK9*R*1*1*0']);
  });

  it('reports bad elements with IK4, a missing GE with AK9, and accepts the good sets of a partly bad group', async () => {
    const good = (await profee()).split('\n');
    const st = good.findIndex((l) => l.startsWith('ST*'));
    const se = good.findIndex((l) => l.startsWith('SE*'));
    const set = good.slice(st, se + 1);
    const secondSet = set.map((l) => l.replace('ST*835*1740', 'ST*835*17').replace('SE*65*1740', 'SE*65*17'));
    const thirdSet = set.map((l) => l.replace('ST*835*1740', 'ST*835*1742').replace('SE*65*1740', 'SE*65*1742'));
    const file = [...good.slice(0, se + 1), ...secondSet, ...thirdSet, 'GE*3*6000600~', good.at(-2)!, ''].join('\n');
    const sets = ack999Sets(parseSegments(file));
    expect(ids(sets[0]!).slice(1)).toEqual([
      'AK1*HP*6000600*005010X221A1',
      'AK2*835*1740',
      'IK5*A',
      'AK2*835*17',
      'IK3*ST*1**8',
      'IK4*2**7',
      'IK5*R*5',
      'AK2*835*1742',
      'IK5*A',
      'AK9*P*3*3*2',
    ]);
    const truncated = parseSegments((await profee()).replace('GE*1*6000600~\n', ''));
    expect(ids(ack999Sets(truncated)[0]!).at(-1)).toBe('AK9*R*1*1*1*3');
  });

  it('does not acknowledge an acknowledgment', async () => {
    const ack = parseSegments(buildAck999(parseSegments(await profee()), { controlNumbers: controlNumbers() }));
    expect(ack999Sets(ack)).toEqual([]);
  });
});
