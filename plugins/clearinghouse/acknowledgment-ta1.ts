/**
 * TA1 Interchange Acknowledgment to a canonical ClaimAcknowledgment: one record for the whole
 * submitted file, named by its ISA13. A TA1 sits outside any transaction set, so it is mapped
 * from its own segment and the interchange it arrived in. Pure.
 */
import { parseTa1, ta1Problems, type Segment } from '../../connectors/x12/index.js';
import type { EntityData } from '../../core/sdk/index.js';
import { interchangeTime, senderOf, type X12Envelope } from './acknowledgment-999.js';

type ClaimAcknowledgment = EntityData<'ClaimAcknowledgment'>;

export interface MappedTa1 {
  kind: 'TA1';
  records: { entity: 'ClaimAcknowledgment'; record: ClaimAcknowledgment; externalId: string }[];
  /** By segment number and id, never quoting element values. */
  problems: string[];
}

/** TA104 (I17): E accepts the interchange with errors noted, which the sender must not resend. */
const STATUS: Record<string, ClaimAcknowledgment['status']> = { A: 'accepted', E: 'accepted', R: 'rejected' };

/** Maps one TA1 segment, with the ISA of the interchange that carried it. */
export function mapTa1(segment: Segment, envelope: X12Envelope = {}): MappedTa1 {
  const problems = ta1Problems(segment).map((p) => p.message);
  if (problems.length > 0) return { kind: 'TA1', records: [], problems };
  const ta1 = parseTa1(segment);
  // The TA1's own ISA09/ISA10 say when it was written; TA102/TA103 echo the date of the file it acknowledges.
  const acknowledgedAt = interchangeTime(envelope.isa);
  const record: ClaimAcknowledgment = {
    schemaVersion: '1.0.0',
    source: 'TA1',
    acknowledgedBy: 'clearinghouse',
    status: STATUS[ta1.acknowledgmentCode]!,
    ...(acknowledgedAt ? { acknowledgedAt } : {}),
    // TA101: ISA13 of the submitted file.
    interchangeControlNumber: ta1.interchangeControlNumber,
    // TA105: 000 says there is nothing to report.
    ...(ta1.noteCode === '000' ? {} : { errors: [{ code: ta1.noteCode, description: ta1.noteDescription }] }),
  };
  // Sender + acknowledged interchange, as the 999 keys sender + acknowledged group: a TA1 re-sent
  // for the same file (in a new interchange of its own) upserts this record.
  return { kind: 'TA1', records: [{ entity: 'ClaimAcknowledgment', record, externalId: `TA1|${senderOf(envelope)}|${ta1.interchangeControlNumber}` }], problems };
}
