import type { LoopSpec, TransactionSpec } from '../loops.js';
import { hl, loop, on } from './dsl.js';

const submitter = [
  loop('1000A', 'submitter name', on('NM1', '41'), 'PER'),
  loop('1000B', 'receiver name', on('NM1', '40'), ''),
];

const billingProvider = [
  loop('2010AA', 'billing provider name', on('NM1', '85'), 'N3 N4 REF PER'),
  loop('2010AB', 'pay-to address name', on('NM1', '87'), 'N3 N4'),
  loop('2010AC', 'pay-to plan name', on('NM1', 'PE'), 'N3 N4 REF'),
];

function hierarchy(claim: LoopSpec, subscriberSegments: string): LoopSpec[] {
  return [
    loop('2000A', 'billing provider hierarchical level', hl('20'), 'PRV CUR', [
      ...billingProvider,
      loop('2000B', 'subscriber hierarchical level', hl('22'), subscriberSegments, [
        loop('2010BA', 'subscriber name', on('NM1', 'IL'), 'N3 N4 DMG REF PER'),
        loop('2010BB', 'payer name', on('NM1', 'PR'), 'N3 N4 REF'),
        claim,
        loop('2000C', 'patient hierarchical level', hl('23'), 'PAT', [
          loop('2010CA', 'patient name', on('NM1', 'QC'), 'N3 N4 DMG REF PER'),
          claim,
        ]),
      ]),
    ]),
  ];
}

/** 837 Health Care Claim: Professional, 005010X222A1. */
export const professional837: TransactionSpec = {
  name: '837P',
  transactionSet: '837',
  implementation: '005010X222',
  header: ['ST', 'BHT'],
  trailer: ['SE'],
  loops: [
    ...submitter,
    ...hierarchy(
      loop('2300', 'claim information', on('CLM'), 'DTP PWK CN1 AMT REF K3 NTE CR1 CR2 CRC HI HCP', [
        loop('2310A', 'referring provider name', on('NM1', 'DN', 'P3'), 'REF'),
        loop('2310B', 'rendering provider name', on('NM1', '82'), 'PRV REF'),
        loop('2310C', 'service facility location name', on('NM1', '77'), 'N3 N4 REF PER'),
        loop('2310D', 'supervising provider name', on('NM1', 'DQ'), 'REF'),
        loop('2310E', 'ambulance pick-up location', on('NM1', 'PW'), 'N3 N4'),
        loop('2310F', 'ambulance drop-off location', on('NM1', '45'), 'N3 N4'),
        loop('2320', 'other subscriber information', on('SBR'), 'CAS AMT OI MOA', [
          loop('2330A', 'other subscriber name', on('NM1', 'IL'), 'N3 N4 REF'),
          loop('2330B', 'other payer name', on('NM1', 'PR'), 'N3 N4 DTP REF'),
          loop('2330C', 'other payer referring provider', on('NM1', 'DN', 'P3'), 'REF'),
          loop('2330D', 'other payer rendering provider', on('NM1', '82'), 'REF'),
          loop('2330E', 'other payer service facility location', on('NM1', '77'), 'REF'),
          loop('2330F', 'other payer supervising provider', on('NM1', 'DQ'), 'REF'),
          loop('2330G', 'other payer billing provider', on('NM1', '85'), 'REF'),
        ]),
        loop('2400', 'service line number', on('LX'), 'SV1 SV5 PWK CR1 CR3 CRC DTP QTY MEA CN1 REF AMT K3 NTE PS1 HCP', [
          loop('2410', 'drug identification', on('LIN'), 'CTP REF'),
          loop('2420A', 'rendering provider name', on('NM1', '82'), 'PRV REF'),
          loop('2420B', 'purchased service provider name', on('NM1', 'QB'), 'REF'),
          loop('2420C', 'service facility location name', on('NM1', '77'), 'N3 N4 REF'),
          loop('2420D', 'supervising provider name', on('NM1', 'DQ'), 'REF'),
          loop('2420E', 'ordering provider name', on('NM1', 'DK'), 'N3 N4 REF PER'),
          loop('2420F', 'referring provider name', on('NM1', 'DN', 'P3'), 'REF'),
          loop('2420G', 'ambulance pick-up location', on('NM1', 'PW'), 'N3 N4'),
          loop('2420H', 'ambulance drop-off location', on('NM1', '45'), 'N3 N4'),
          loop('2430', 'line adjudication information', on('SVD'), 'CAS DTP AMT'),
          loop('2440', 'form identification code', on('LQ'), 'FRM'),
        ]),
      ]),
      'SBR PAT',
    ),
  ],
};

/** 837 Health Care Claim: Institutional, 005010X223A2. */
export const institutional837: TransactionSpec = {
  name: '837I',
  transactionSet: '837',
  implementation: '005010X223',
  header: ['ST', 'BHT'],
  trailer: ['SE'],
  loops: [
    ...submitter,
    ...hierarchy(
      loop('2300', 'claim information', on('CLM'), 'DTP CL1 PWK CN1 AMT REF K3 NTE CRC HI HCP', [
        loop('2310A', 'attending provider name', on('NM1', '71'), 'PRV REF'),
        loop('2310B', 'operating physician name', on('NM1', '72'), 'REF'),
        loop('2310C', 'other operating physician name', on('NM1', 'ZZ'), 'REF'),
        loop('2310D', 'rendering provider name', on('NM1', '82'), 'REF'),
        loop('2310E', 'service facility location name', on('NM1', '77'), 'N3 N4 REF'),
        loop('2310F', 'referring provider name', on('NM1', 'DN'), 'REF'),
        loop('2320', 'other subscriber information', on('SBR'), 'CAS AMT OI MIA MOA', [
          loop('2330A', 'other subscriber name', on('NM1', 'IL'), 'N3 N4 REF'),
          loop('2330B', 'other payer name', on('NM1', 'PR'), 'N3 N4 DTP REF'),
          loop('2330C', 'other payer attending provider', on('NM1', '71'), 'REF'),
          loop('2330D', 'other payer operating physician', on('NM1', '72'), 'REF'),
          loop('2330E', 'other payer other operating physician', on('NM1', 'ZZ'), 'REF'),
          loop('2330F', 'other payer service facility location', on('NM1', '77'), 'REF'),
          loop('2330G', 'other payer rendering provider', on('NM1', '82'), 'REF'),
          loop('2330H', 'other payer referring provider', on('NM1', 'DN'), 'REF'),
          loop('2330I', 'other payer billing provider', on('NM1', '85'), 'REF'),
        ]),
        loop('2400', 'service line number', on('LX'), 'SV2 PWK DTP REF AMT NTE HCP', [
          loop('2410', 'drug identification', on('LIN'), 'CTP REF'),
          loop('2420A', 'operating physician name', on('NM1', '72'), 'REF'),
          loop('2420B', 'other operating physician name', on('NM1', 'ZZ'), 'REF'),
          loop('2420C', 'rendering provider name', on('NM1', '82'), 'REF'),
          loop('2420D', 'referring provider name', on('NM1', 'DN'), 'REF'),
          loop('2430', 'line adjudication information', on('SVD'), 'CAS DTP AMT'),
        ]),
      ]),
      'SBR',
    ),
  ],
};
