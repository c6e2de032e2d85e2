import type { TransactionSpec } from '../loops.js';
import { loop, on } from './dsl.js';

/** 835 Health Care Claim Payment/Advice, 005010X221A1. */
export const remittance835: TransactionSpec = {
  name: '835',
  transactionSet: '835',
  implementation: '005010X221',
  header: ['ST', 'BPR', 'TRN', 'CUR', 'REF', 'DTM'],
  trailer: ['PLB', 'SE'],
  loops: [
    loop('1000A', 'payer identification', on('N1', 'PR'), 'N3 N4 REF PER'),
    loop('1000B', 'payee identification', on('N1', 'PE'), 'N3 N4 REF RDM'),
    loop('2000', 'header number', on('LX'), 'TS3 TS2', [
      loop('2100', 'claim payment information', on('CLP'), 'CAS NM1 MIA MOA REF DTM PER AMT QTY', [
        loop('2110', 'service payment information', on('SVC'), 'DTM CAS REF AMT QTY LQ'),
      ]),
    ]),
  ],
};
