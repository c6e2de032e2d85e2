import type { FhirClient, FhirWriteResult } from '../../connectors/fhir/index.js';
import type { EntityData, PluginContext, StoredRecord } from '../../core/sdk/index.js';
import type { WriteBackContext, WriteBackPlan } from './writeback/common.js';
import { eligibilityToFhir } from './writeback/eligibility.js';
import { claimKey, remittanceToFhir } from './writeback/remittance.js';

/** The canonical entities the EHR hears about. */
export const WRITE_BACK_TYPES = ['EligibilityCheck', 'Remittance'] as const;

const COUNT: Record<FhirWriteResult['outcome'], string> = {
  created: 'writtenCreated',
  updated: 'writtenUpdated',
  unchanged: 'writtenUnchanged',
};

export function writtenKey(recordId: string): string {
  return `written:${recordId}`;
}

/**
 * Writes canonical records back to the EHR: an EligibilityCheck as a CoverageEligibilityResponse,
 * a Remittance as one ExplanationOfBenefit per claim payment. Delivery is at least once, so each
 * resource carries a hub-owned business identifier: a first version is written with a conditional
 * create on it (a repeat finds the first and creates nothing), a later version with a conditional
 * update (it lands on the same resource). The version written is remembered per record, so a
 * redelivery of it sends nothing. Transport errors propagate; retryable ones retry the job.
 */
export async function deliverToEhr(
  ctx: PluginContext<unknown>,
  fhir: FhirClient,
  records: StoredRecord[],
  context: WriteBackContext,
): Promise<void> {
  for (const record of records) {
    ctx.signal.throwIfAborted();
    if (!(WRITE_BACK_TYPES as readonly string[]).includes(record.type)) {
      ctx.count('notWrittenBack');
      ctx.log.warn({ recordId: record.id, type: record.type }, 'fhir-ehr: this record type is not written back; skipped');
      continue;
    }
    const written = await ctx.state.get<number>(writtenKey(record.id));
    if (written !== undefined && written >= record.version) {
      ctx.count('alreadyWritten');
      continue;
    }
    const plan = await planFor(ctx, record, context);
    const ref = { system: record.externalSystem, id: record.externalId };
    if (plan.problems.length) await ctx.reject(record.type, record.data, plan.problems, ref);
    for (const { resource, identifier } of plan.writes) {
      const criteria = { identifier: `${identifier.system}|${identifier.value}` };
      // Version 1 has never been written with other content: create it unless a repeat finds it.
      const result =
        record.version === 1
          ? await fhir.conditionalCreate(resource, criteria, { signal: ctx.signal })
          : await fhir.conditionalUpdate(resource, criteria, { signal: ctx.signal });
      ctx.count(COUNT[result.outcome]);
      // Flushed after each write, so what the job did so far is committed (rejects included).
      await ctx.flush();
    }
    // Also after a partial reject: the same version would fail the same way again.
    ctx.state.set(writtenKey(record.id), record.version);
    await ctx.flush();
    ctx.log.debug({ recordId: record.id, version: record.version, resources: plan.writes.length, problems: plan.problems.length }, 'fhir-ehr record written back');
  }
}

/** The record's resources and problems; `record.type` is one of WRITE_BACK_TYPES. */
async function planFor(ctx: PluginContext<unknown>, record: StoredRecord, context: WriteBackContext): Promise<WriteBackPlan> {
  switch (record.type) {
    case 'EligibilityCheck':
      return eligibilityToFhir(record.data as EntityData<'EligibilityCheck'>, record.id, context);
    default: {
      const remittance = record.data as EntityData<'Remittance'>;
      // The Claims the payments name, for their patient, coverage and claim type.
      const claims = new Map<string, EntityData<'Claim'>>();
      for (const payment of remittance.claimPayments) {
        if (!payment.claim || claims.has(claimKey(payment.claim))) continue;
        const claim = await ctx.records.find('Claim', payment.claim);
        if (claim) claims.set(claimKey(payment.claim), claim.data as EntityData<'Claim'>);
      }
      return remittanceToFhir(remittance, context, claims);
    }
  }
}
