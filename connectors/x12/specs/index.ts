import type { TransactionSpec } from '../loops.js';
import { eligibilityInquiry270, eligibilityResponse271 } from './270-271.js';
import { claimAcknowledgment277, claimStatus277, claimStatusRequest276 } from './276-277.js';
import { remittance835 } from './835.js';
import { institutional837, professional837 } from './837.js';
import { acknowledgment999 } from './999.js';

export { eligibilityInquiry270, eligibilityResponse271, claimAcknowledgment277, claimStatus277, claimStatusRequest276, remittance835, institutional837, professional837, acknowledgment999 };

/** The transaction sets the codec knows; the first of a kind is the default when ST03/GS08 say nothing. */
export const TRANSACTION_SPECS: readonly TransactionSpec[] = [
  remittance835,
  professional837,
  institutional837,
  acknowledgment999,
  claimAcknowledgment277,
  claimStatus277,
  claimStatusRequest276,
  eligibilityInquiry270,
  eligibilityResponse271,
];
