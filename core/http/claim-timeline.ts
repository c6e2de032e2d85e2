/**
 * A claim's whole story for `GET /api/claims/:id/timeline`: the Claim, where it stands, and every
 * event of its ClaimLifecycle records with the hub ids of the acknowledgments, statuses and
 * remittances behind them, so a person (or the console) can follow each link. Whoever kept the
 * lifecycle (a clearinghouse connector) is not known here: only the canonical model is.
 */
import { CLAIM_LIFECYCLE_SYSTEM, type EntityData } from '../model/index.js';
import type { Store, StoredRecord } from '../store/types.js';

type Lifecycle = EntityData<'ClaimLifecycle'>;
type LifecycleEvent = Lifecycle['events'][number];

export interface ClaimTimeline {
  claim: {
    id: string;
    tenant: string;
    externalSystem: string;
    externalId: string;
    version: number;
    patientControlNumber: string;
    claimType: string;
    totalCharge: number;
  };
  /** The state of the most recently changed lifecycle; `not-submitted` when no connector submitted the claim. */
  state: Lifecycle['state'] | 'not-submitted';
  lifecycles: {
    recordId: string;
    sourceConnector: string;
    state: Lifecycle['state'];
    stateSince: string;
    submission: Lifecycle['submission'];
    payerClaimControlNumber?: string;
    paidAmount?: number;
    patientResponsibility?: number;
    alerts: NonNullable<Lifecycle['alerts']>;
    events: (LifecycleEvent & { recordId?: string })[];
    /** Each stored version of the lifecycle: when the hub recorded which state. */
    stateHistory: { version: number; state: Lifecycle['state']; recordedAt: string }[];
  }[];
}

/**
 * `tenants` is the caller's scope (undefined: all): a lifecycle kept under a tenant the caller may
 * not see stays out, as every other record would.
 */
export async function claimTimeline(store: Store, claim: StoredRecord, tenants: string[] | undefined): Promise<ClaimTimeline> {
  const data = claim.data as EntityData<'Claim'>;
  const found = await store.listRecords({ type: 'ClaimLifecycle', externalSystem: CLAIM_LIFECYCLE_SYSTEM, externalId: claim.id, tenants, limit: 20 });
  const records = found.items.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  const lifecycles = await Promise.all(records.map((record) => lifecycleView(store, record)));
  return {
    claim: {
      id: claim.id,
      tenant: claim.tenant,
      externalSystem: claim.externalSystem,
      externalId: claim.externalId,
      version: claim.version,
      patientControlNumber: data.patientControlNumber,
      claimType: data.claimType,
      totalCharge: data.totalCharge,
    },
    state: lifecycles[0]?.state ?? 'not-submitted',
    lifecycles,
  };
}

async function lifecycleView(store: Store, record: StoredRecord): Promise<ClaimTimeline['lifecycles'][number]> {
  const lifecycle = record.data as Lifecycle;
  const ids = new Map<string, string | undefined>();
  for (const event of lifecycle.events) {
    if (!event.record) continue;
    const key = refKey(event.record);
    if (ids.has(key)) continue;
    const linked = await store.findRecord({ tenant: record.tenant, type: event.record.type, externalSystem: event.record.system, externalId: event.record.id });
    ids.set(key, linked?.id);
  }
  const versions = await store.recordHistory(record.id);
  return {
    recordId: record.id,
    sourceConnector: record.sourceConnector,
    state: lifecycle.state,
    stateSince: lifecycle.stateSince,
    submission: lifecycle.submission,
    ...(lifecycle.payerClaimControlNumber !== undefined ? { payerClaimControlNumber: lifecycle.payerClaimControlNumber } : {}),
    ...(lifecycle.paidAmount !== undefined ? { paidAmount: lifecycle.paidAmount } : {}),
    ...(lifecycle.patientResponsibility !== undefined ? { patientResponsibility: lifecycle.patientResponsibility } : {}),
    alerts: lifecycle.alerts ?? [],
    events: lifecycle.events.map((event) => {
      const recordId = event.record ? ids.get(refKey(event.record)) : undefined;
      return recordId ? { ...event, recordId } : event;
    }),
    stateHistory: versions.map((v) => ({ version: v.version, state: (v.data as Lifecycle).state, recordedAt: v.recordedAt })),
  };
}

function refKey(ref: NonNullable<LifecycleEvent['record']>): string {
  return `${ref.type}\u0000${ref.system}\u0000${ref.id}`;
}
