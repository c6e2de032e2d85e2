import type { LoopSpec, TransactionSpec } from '../loops.js';
import { hl, loop, on } from './dsl.js';

function hierarchy(benefit: (level: 'C' | 'D') => LoopSpec): LoopSpec[] {
  const dependent = loop('2000D', 'dependent level', hl('23'), 'TRN', [
    loop('2100D', 'dependent name', on('NM1'), 'REF N3 N4 AAA PRV DMG INS HI DTP MPI', [benefit('D')]),
  ]);
  const subscriber = loop('2000C', 'subscriber level', hl('22'), 'TRN', [
    loop('2100C', 'subscriber name', on('NM1'), 'REF N3 N4 AAA PRV DMG INS HI DTP MPI', [benefit('C')]),
    dependent,
  ]);
  return [
    loop('2000A', 'information source level', hl('20'), 'AAA', [
      loop('2100A', 'information source name', on('NM1'), 'PER AAA'),
      loop('2000B', 'information receiver level', hl('21'), '', [
        loop('2100B', 'information receiver name', on('NM1'), 'REF N3 N4 AAA PRV'),
        subscriber,
      ]),
    ]),
  ];
}

/** 270 Eligibility, Coverage or Benefit Inquiry, 005010X279A1. */
export const eligibilityInquiry270: TransactionSpec = {
  name: '270',
  transactionSet: '270',
  implementation: '005010X279',
  header: ['ST', 'BHT'],
  trailer: ['SE'],
  loops: hierarchy((level) => loop(`2110${level}`, 'eligibility or benefit inquiry', on('EQ'), 'AMT III REF DTP')),
};

/** 271 Eligibility, Coverage or Benefit Information, 005010X279A1. */
export const eligibilityResponse271: TransactionSpec = {
  name: '271',
  transactionSet: '271',
  implementation: '005010X279',
  header: ['ST', 'BHT'],
  trailer: ['SE'],
  loops: hierarchy((level) =>
    loop(`2110${level}`, 'eligibility or benefit information', on('EB'), 'HSD REF DTP AAA MSG LS LE', [
      loop(`2115${level}`, 'eligibility or benefit additional information', on('III'), ''),
      loop(`2120${level}`, 'benefit related entity name', on('NM1'), 'N3 N4 PER PRV'),
    ]),
  ),
};
