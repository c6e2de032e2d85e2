import type { LoopSpec, TransactionSpec } from '../loops.js';
import { hl, loop, on } from './dsl.js';

const serviceLine = (id: string) => loop(id, 'service line information', on('SVC'), 'STC REF DTP');

/** 277CA Health Care Claim Acknowledgment, 005010X214. */
export const claimAcknowledgment277: TransactionSpec = {
  name: '277CA',
  transactionSet: '277',
  implementation: '005010X214',
  header: ['ST', 'BHT'],
  trailer: ['SE'],
  loops: [
    loop('2000A', 'information source level', hl('20'), '', [
      loop('2100A', 'information source name', on('NM1', 'AY', 'PR'), ''),
      loop('2200A', 'transmission receipt control identifier', on('TRN'), 'DTP'),
      loop('2000B', 'information receiver level', hl('21'), '', [
        loop('2100B', 'information receiver name', on('NM1', '41'), ''),
        loop('2200B', 'information receiver application trace identifier', on('TRN'), 'STC QTY AMT'),
        loop('2000C', 'billing provider of service level', hl('19'), '', [
          loop('2100C', 'billing provider name', on('NM1', '85'), ''),
          loop('2200C', 'provider of service information trace identifier', on('TRN'), 'STC REF QTY AMT'),
          loop('2000D', 'patient level', hl('PT'), '', [
            loop('2100D', 'patient name', on('NM1', 'QC'), ''),
            loop('2200D', 'claim status tracking number', on('TRN'), 'STC REF DTP', [serviceLine('2220D')]),
          ]),
        ]),
      ]),
    ]),
  ],
};

function statusHierarchy(claimSegments: string, serviceLineId: (level: string) => string, subscriberSegments: string): LoopSpec[] {
  const claim = (level: string): LoopSpec =>
    loop(`2200${level}`, 'claim status tracking number', on('TRN'), claimSegments, [
      loop(serviceLineId(level), 'service line information', on('SVC'), claimSegments.includes('STC') ? 'STC REF DTP' : 'REF DTP'),
    ]);
  return [
    loop('2000A', 'information source level', hl('20'), '', [
      loop('2100A', 'payer name', on('NM1', 'PR'), 'PER'),
      loop('2000B', 'information receiver level', hl('21'), '', [
        loop('2100B', 'information receiver name', on('NM1', '41'), ''),
        loop('2000C', 'service provider level', hl('19'), '', [
          loop('2100C', 'provider name', on('NM1', '1P'), ''),
          loop('2000D', 'subscriber level', hl('22'), subscriberSegments, [
            loop('2100D', 'subscriber name', on('NM1', 'IL'), ''),
            claim('D'),
            loop('2000E', 'dependent level', hl('23'), subscriberSegments, [loop('2100E', 'dependent name', on('NM1', 'QC'), ''), claim('E')]),
          ]),
        ]),
      ]),
    ]),
  ];
}

/** 277 Health Care Claim Status Response, 005010X212. */
export const claimStatus277: TransactionSpec = {
  name: '277',
  transactionSet: '277',
  implementation: '005010X212',
  header: ['ST', 'BHT'],
  trailer: ['SE'],
  loops: statusHierarchy('STC REF DTP', (level) => `2220${level}`, ''),
};

/** 276 Health Care Claim Status Request, 005010X212. */
export const claimStatusRequest276: TransactionSpec = {
  name: '276',
  transactionSet: '276',
  implementation: '005010X212',
  header: ['ST', 'BHT'],
  trailer: ['SE'],
  loops: statusHierarchy('REF AMT DTP', (level) => `2210${level}`, 'DMG'),
};
