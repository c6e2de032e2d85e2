import type { TransactionSpec } from '../loops.js';
import { loop, on } from './dsl.js';

/** 999 Implementation Acknowledgment, 005010X231A1. */
export const acknowledgment999: TransactionSpec = {
  name: '999',
  transactionSet: '999',
  implementation: '005010X231',
  header: ['ST', 'AK1'],
  trailer: ['AK9', 'SE'],
  loops: [
    loop('2000', 'transaction set response header', on('AK2'), 'IK5', [
      loop('2100', 'error identification', on('IK3'), 'CTX', [loop('2110', 'implementation data element note', on('IK4'), 'CTX')]),
    ]),
  ],
};
