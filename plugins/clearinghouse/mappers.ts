/**
 * The clearinghouse mappings by transaction set (ST01), one shape for all: a set's segments and
 * envelope in, canonical records out. Handed to the CLI (`hub x12 parse`) by bin/hub.js, since
 * core never imports plugins.
 */
import type { Segment } from '../../connectors/x12/index.js';
import type { EntityName } from '../../core/sdk/index.js';
import { mapAcknowledgment999, type X12Envelope } from './acknowledgment-999.js';
import { mapClaimStatus277 } from './claim-status-277.js';
import { mapEligibility271 } from './eligibility-271.js';
import { mapRemittance835 } from './remittance-835.js';

export interface X12MappedRecord {
  entity: EntityName;
  record: unknown;
  externalId: string;
}

export interface X12MappingResult {
  /** What the set is, e.g. `835`, `999`, `277CA`. */
  kind: string;
  records: X12MappedRecord[];
  /** By segment number and id, never quoting element values. */
  problems: string[];
}

export type X12Mapper = (segments: readonly Segment[], envelope: X12Envelope) => X12MappingResult;

export const x12Mappers: Readonly<Record<string, X12Mapper>> = {
  '835': (segments) => {
    const { remittance, externalId, problems } = mapRemittance835(segments);
    return { kind: '835', records: remittance && externalId ? [{ entity: 'Remittance', record: remittance, externalId }] : [], problems };
  },
  '999': (segments, envelope) => {
    const { records, problems } = mapAcknowledgment999(segments, envelope);
    return { kind: '999', records: records.map((r) => ({ entity: 'ClaimAcknowledgment', ...r })), problems };
  },
  '277': (segments, envelope) => mapClaimStatus277(segments, envelope),
  '271': (segments, envelope) => mapEligibility271(segments, envelope),
};
