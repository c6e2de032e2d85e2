/**
 * The claim lifecycle ledger: each claim this connector submitted gets a ClaimLifecycle record,
 * found again from whatever an answer carries (TA1: ISA13; 999: GS06 and ST02; 277CA, 277, 835:
 * the patient control number). Lookups live in connector state, committed with the records of the
 * file that changed them; lifecycles touched while reading a file are kept here and emitted with
 * that file's records, so two answers in one file both count.
 */
import { createHash } from 'node:crypto';
import { CLAIM_LIFECYCLE_SYSTEM, refKey, type EntityData, type ExternalRef, type PluginContext, type StoredRecord } from '../../core/sdk/index.js';
import {
  addEvent,
  claimAcknowledged,
  envelopeAcknowledged,
  paymentReceived,
  paymentTotals,
  raiseAlert,
  statusReported,
  submitted,
  type Acknowledgment,
  type Lifecycle,
  type LifecycleEvent,
  type NewEvent,
} from './lifecycle-rules.js';


const OPEN_FILES = 'lifecycle:open-files';
const FINISHED: ReadonlySet<Lifecycle['state']> = new Set(['rejected', 'paid', 'partially-paid', 'denied']);

/** A submitted file still waiting for its 999 or for payer answers to its claims. */
interface OpenFile {
  interchangeControlNumber: string;
  groupControlNumber: string;
  file: string;
  submittedAt: string;
  /** Cleared by a 999 (or a rejecting TA1) for the file. */
  awaiting999: boolean;
  alerted999?: boolean;
}

export interface SubmittedSet {
  transactionSetControlNumber: string;
  claims: StoredRecord[];
}

export interface LifecycleTimers {
  /** A file with no 999 (or TA1 rejection) this long after upload gets a `no-999` alert. */
  acknowledgmentWithinMs: number;
  /** A claim with no payer 277CA, 277 or 835 this long after upload gets a `no-payer-response` alert. */
  payerResponseWithinMs: number;
}

type RecordRef = NonNullable<LifecycleEvent['record']>;
type Touch = () => Promise<void>;
/**
 * A submitted claim as lookups keep it: its hub id, plus its tenant when that is not the
 * connector's own (an MSO-wide clearinghouse sending a practice's claims).
 */
type ClaimPointer = string | { id: string; tenant: string };

export class ClaimLifecycleLedger {
  private readonly lifecycles = new Map<string, Lifecycle | null>();
  /** Whose claim each lifecycle is about; absent: the connector's own tenant. */
  private readonly tenants = new Map<string, string>();
  private readonly changed = new Set<string>();
  /** State read or set during this job: `ctx.state.get` cannot see what is set before the flush. */
  private readonly known = new Map<string, unknown>();

  constructor(
    private readonly ctx: PluginContext<unknown>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Records the claims of one uploaded file (before the upload), each with the set that carries it. */
  async submitted(file: { path: string; interchangeControlNumber: string; groupControlNumber: string; usage: 'T' | 'P' }, sets: SubmittedSet[]): Promise<void> {
    const submittedAt = this.now().toISOString();
    const group = controlKey(file.groupControlNumber);
    const claimIds: ClaimPointer[] = [];
    for (const set of sets) {
      const pointers = set.claims.map((claim) => this.pointTo(claim));
      claimIds.push(...pointers);
      this.setState(`lifecycle:set:${group}:${controlKey(set.transactionSetControlNumber)}`, pointers);
      for (const claim of set.claims) {
        const data = claim.data as EntityData<'Claim'>;
        const previous = await this.lifecycle(claim.id);
        const next = submitted(
          previous,
          {
            claim: { system: claim.externalSystem, id: claim.externalId },
            claimRecordId: claim.id,
            patientControlNumber: data.patientControlNumber,
            claimType: data.claimType,
            totalCharge: data.totalCharge,
            payer: data.payer,
          },
          {
            file: file.path,
            interchangeControlNumber: file.interchangeControlNumber,
            groupControlNumber: file.groupControlNumber,
            transactionSetControlNumber: set.transactionSetControlNumber,
            submittedAt,
            claimVersion: claim.version,
            usage: file.usage,
          },
        );
        this.put(claim.id, next);
        this.setState(pcnKey(data.patientControlNumber), this.pointTo(claim));
      }
    }
    this.setState(`lifecycle:group:${group}`, file.interchangeControlNumber);
    this.setState(`lifecycle:file:${controlKey(file.interchangeControlNumber)}`, claimIds);
    const open = await this.openFiles();
    open.push({ interchangeControlNumber: file.interchangeControlNumber, groupControlNumber: file.groupControlNumber, file: file.path, submittedAt, awaiting999: true });
    this.setState(OPEN_FILES, open);
  }

  /**
   * Finds the claims an inbound record speaks of and links them on the record (its `claim`
   * reference); returns what to apply once the record is stored, or undefined when it names no
   * claim this connector submitted.
   */
  async match(entity: string, record: unknown, ref: ExternalRef, file: string): Promise<Touch | undefined> {
    const recordRef = { type: entity, system: ref.system, id: ref.id } as RecordRef;
    if (entity === 'ClaimAcknowledgment') {
      const ack = record as Acknowledgment;
      if (ack.source === '277CA') return this.matchOne(ack.patientControlNumber, ack, (lc) => claimAcknowledged(lc, ack, file, recordRef));
      return this.matchEnvelope(ack, file, recordRef);
    }
    if (entity === 'ClaimStatus') {
      const status = record as EntityData<'ClaimStatus'>;
      return this.matchOne(status.patientControlNumber, status, (lc) => statusReported(lc, status, file, recordRef));
    }
    if (entity === 'Remittance') return this.matchPayments(record as EntityData<'Remittance'>, file, recordRef);
    return undefined;
  }

  /**
   * Loads, in a few queries, the lookups and lifecycles that `match` will need for a transaction
   * set's records: without it an 835 of thousands of payments (or a 277CA of thousands of claims)
   * costs two database round trips per claim. (A 999 or TA1 names its claims through one lookup
   * per set or file; their lifecycles are loaded the same way when it is matched.)
   */
  async prefetch(records: readonly { entity: string; record: unknown }[]): Promise<void> {
    const keys = new Set<string>();
    const want = (pcn: string | undefined) => {
      if (pcn) keys.add(pcnKey(pcn));
    };
    for (const { entity, record } of records) {
      if (entity === 'ClaimAcknowledgment' && (record as Acknowledgment).source === '277CA') want((record as Acknowledgment).patientControlNumber);
      else if (entity === 'ClaimStatus') want((record as EntityData<'ClaimStatus'>).patientControlNumber);
      else if (entity === 'Remittance') for (const payment of (record as EntityData<'Remittance'>).claimPayments) want(payment.patientControlNumber);
    }
    const unread = [...keys].filter((key) => !this.known.has(key));
    if (unread.length) {
      const found = await this.ctx.state.getMany(unread);
      // Absent ones too: an answer about a claim this connector never sent needs no second look.
      for (const key of unread) this.known.set(key, found.get(key));
    }
    const ids: string[] = [];
    for (const key of keys) {
      const pointer = this.known.get(key) as ClaimPointer | undefined;
      if (pointer !== undefined) ids.push(this.follow(pointer));
    }
    await this.loadLifecycles(ids);
  }

  /** Reads the lifecycles of these claims not read yet: one lookup per tenant (the store asks 1,000 at a time). */
  private async loadLifecycles(ids: readonly string[]): Promise<void> {
    const byTenant = new Map<string, string[]>();
    for (const id of new Set(ids)) {
      if (this.lifecycles.has(id)) continue;
      const tenant = this.tenantOf(id);
      let list = byTenant.get(tenant);
      if (!list) byTenant.set(tenant, (list = []));
      list.push(id);
    }
    for (const [tenant, unread] of byTenant) {
      const found = await this.ctx.forTenant(tenant).findMany('ClaimLifecycle', unread.map((id) => ({ system: CLAIM_LIFECYCLE_SYSTEM, id })));
      for (const id of unread) this.lifecycles.set(id, (found.get(refKey({ system: CLAIM_LIFECYCLE_SYSTEM, id }))?.data as Lifecycle | undefined) ?? null);
    }
  }

  /** Fires the timers: files with no 999, claims with no payer answer. Returns how many alerts were raised. */
  async checkTimers(timers: LifecycleTimers): Promise<{ no999: number; noPayerResponse: number }> {
    const now = this.now();
    const raised = { no999: 0, noPayerResponse: 0 };
    const open = await this.openFiles();
    const still: OpenFile[] = [];
    let changed = false;
    for (const file of open) {
      const age = now.getTime() - Date.parse(file.submittedAt);
      const claims = () => this.currentClaimsOf(file);
      if (file.awaiting999 && !file.alerted999 && age >= timers.acknowledgmentWithinMs) {
        for (const [id, lifecycle] of await claims()) {
          const answered = lifecycle.events.some((e) => (e.kind === '999' || e.kind === 'TA1') && e.at >= file.submittedAt);
          if (answered) continue;
          if (this.alert(id, lifecycle, 'no-999', `no 999 for ${file.file} (ISA13 ${file.interchangeControlNumber}) since ${file.submittedAt}`)) raised.no999++;
        }
        file.alerted999 = true;
        changed = true;
      }
      if (age < timers.payerResponseWithinMs) {
        still.push(file);
        continue;
      }
      for (const [id, lifecycle] of await claims()) {
        if (FINISHED.has(lifecycle.state)) continue;
        if (lifecycle.lastPayerResponseAt && lifecycle.lastPayerResponseAt >= file.submittedAt) continue;
        if (this.alert(id, lifecycle, 'no-payer-response', `no answer from the payer since ${file.submittedAt} (${file.file})`)) raised.noPayerResponse++;
      }
      changed = true;
    }
    if (changed) this.setState(OPEN_FILES, still);
    return raised;
  }

  /** Stages every lifecycle changed since the last save; they commit with the next flush. */
  async save(): Promise<number> {
    let saved = 0;
    for (const id of this.changed) {
      const lifecycle = this.lifecycles.get(id);
      if (!lifecycle) continue;
      const result = await this.ctx.forTenant(this.tenantOf(id)).emit('ClaimLifecycle', lifecycle, { system: CLAIM_LIFECYCLE_SYSTEM, id });
      if (result.accepted) saved++;
    }
    this.changed.clear();
    // Emitted records are in the store after the flush; the cache need not grow with a long file.
    this.lifecycles.clear();
    return saved;
  }

  private async matchOne(
    patientControlNumber: string | undefined,
    record: { claim?: { system: string; id: string } },
    event: (lifecycle: Lifecycle) => NewEvent,
  ): Promise<Touch | undefined> {
    const found = await this.byPatientControlNumber(patientControlNumber);
    if (!found) return undefined;
    const [id, lifecycle] = found;
    record.claim = lifecycle.claim;
    return () => this.apply(id, event);
  }

  private async matchPayments(remittance: EntityData<'Remittance'>, file: string, recordRef: RecordRef): Promise<Touch | undefined> {
    const touches: Touch[] = [];
    for (const payment of remittance.claimPayments) {
      const found = await this.byPatientControlNumber(payment.patientControlNumber);
      if (!found) continue;
      const [id, lifecycle] = found;
      payment.claim = lifecycle.claim;
      touches.push(() =>
        this.apply(
          id,
          () => paymentReceived(payment, remittance.paymentDate, file, recordRef),
          (current) => paymentTotals(current, payment),
        ),
      );
    }
    if (!touches.length) return undefined;
    // In file order: a reversal (CLP02 22) and its correction often follow each other.
    return async () => {
      for (const touch of touches) await touch();
    };
  }

  /** TA1 names the file (ISA13); a 999 names the group (GS06) and usually the set (ST02). */
  private async matchEnvelope(ack: Acknowledgment, file: string, recordRef: RecordRef): Promise<Touch | undefined> {
    let interchange: string | undefined;
    let claimIds: ClaimPointer[] | undefined;
    if (ack.source === 'TA1') {
      interchange = ack.interchangeControlNumber;
      if (interchange) claimIds = await this.getState<ClaimPointer[]>(`lifecycle:file:${controlKey(interchange)}`);
    } else if (ack.groupControlNumber) {
      const group = controlKey(ack.groupControlNumber);
      interchange = await this.getState<string>(`lifecycle:group:${group}`);
      claimIds = ack.transactionSetControlNumber
        ? await this.getState<ClaimPointer[]>(`lifecycle:set:${group}:${controlKey(ack.transactionSetControlNumber)}`)
        : interchange
          ? await this.getState<ClaimPointer[]>(`lifecycle:file:${controlKey(interchange)}`)
          : undefined;
    }
    if (!interchange || !claimIds?.length) return undefined;
    const ids = claimIds.map((pointer) => this.follow(pointer));
    await this.loadLifecycles(ids);
    const answered = interchange;
    return async () => {
      // An accepting TA1 says only that the envelope was readable: the 999 is still to come.
      if (ack.source === '999' || ack.status === 'rejected') await this.markAcknowledged(answered);
      for (const id of ids) {
        await this.apply(id, (lifecycle) => envelopeAcknowledged(lifecycle, ack, file, recordRef), undefined, (lifecycle) =>
          controlKey(lifecycle.submission.interchangeControlNumber) === controlKey(answered),
        );
      }
    };
  }

  /** Applies an event to a claim's lifecycle as it stands now (earlier events of the same file included). */
  private async apply(
    id: string,
    event: (lifecycle: Lifecycle) => NewEvent,
    totals?: (lifecycle: Lifecycle) => Partial<Lifecycle>,
    applies?: (lifecycle: Lifecycle) => boolean,
  ): Promise<void> {
    const lifecycle = await this.lifecycle(id);
    if (!lifecycle || (applies && !applies(lifecycle))) return;
    const happened = event(lifecycle);
    // A file read again (a full resync, a replay) tells the claim nothing new.
    if (lifecycle.events.some((e) => sameEvent(e, happened))) return;
    const next = addEvent(lifecycle, this.now().toISOString(), happened);
    this.put(id, totals ? { ...next, ...totals(lifecycle) } : next);
  }

  private async markAcknowledged(interchangeControlNumber: string): Promise<void> {
    const open = await this.openFiles();
    const file = open.find((f) => controlKey(f.interchangeControlNumber) === controlKey(interchangeControlNumber));
    if (!file || !file.awaiting999) return;
    file.awaiting999 = false;
    this.setState(OPEN_FILES, open);
  }

  private async byPatientControlNumber(patientControlNumber: string | undefined): Promise<[string, Lifecycle] | undefined> {
    if (!patientControlNumber) return undefined;
    const pointer = await this.getState<ClaimPointer>(pcnKey(patientControlNumber));
    if (!pointer) return undefined;
    const id = this.follow(pointer);
    const lifecycle = await this.lifecycle(id);
    return lifecycle ? [id, lifecycle] : undefined;
  }

  /** The file's claims whose latest submission is still this file. */
  private async currentClaimsOf(file: OpenFile): Promise<[string, Lifecycle][]> {
    const pointers = (await this.getState<ClaimPointer[]>(`lifecycle:file:${controlKey(file.interchangeControlNumber)}`)) ?? [];
    const out: [string, Lifecycle][] = [];
    const ids = pointers.map((pointer) => this.follow(pointer));
    await this.loadLifecycles(ids);
    for (const id of ids) {
      const lifecycle = await this.lifecycle(id);
      if (lifecycle && controlKey(lifecycle.submission.interchangeControlNumber) === controlKey(file.interchangeControlNumber)) out.push([id, lifecycle]);
    }
    return out;
  }

  private async lifecycle(id: string): Promise<Lifecycle | undefined> {
    if (this.lifecycles.has(id)) return this.lifecycles.get(id) ?? undefined;
    const stored = await this.ctx.forTenant(this.tenantOf(id)).find('ClaimLifecycle', { system: CLAIM_LIFECYCLE_SYSTEM, id });
    const lifecycle = stored ? (stored.data as Lifecycle) : undefined;
    this.lifecycles.set(id, lifecycle ?? null);
    return lifecycle;
  }

  /** True when the alert is new (a timer that fires again for the same wait changes nothing). */
  private alert(id: string, lifecycle: Lifecycle, kind: 'no-999' | 'no-payer-response', detail: string): boolean {
    const next = raiseAlert(lifecycle, this.now().toISOString(), kind, detail);
    if (next === lifecycle) return false;
    this.put(id, next);
    return true;
  }

  /** A lookup entry for the claim, noting its tenant when that is not the connector's. */
  private pointTo(claim: StoredRecord): ClaimPointer {
    if (claim.tenant === this.ctx.tenant.id) return claim.id;
    this.tenants.set(claim.id, claim.tenant);
    return { id: claim.id, tenant: claim.tenant };
  }

  /** The claim id of a lookup entry, remembering whose claim it is. */
  private follow(pointer: ClaimPointer): string {
    if (typeof pointer === 'string') return pointer;
    this.tenants.set(pointer.id, pointer.tenant);
    return pointer.id;
  }

  private tenantOf(id: string): string {
    return this.tenants.get(id) ?? this.ctx.tenant.id;
  }

  private put(id: string, lifecycle: Lifecycle): void {
    this.lifecycles.set(id, lifecycle);
    this.changed.add(id);
  }

  private async openFiles(): Promise<OpenFile[]> {
    return (await this.getState<OpenFile[]>(OPEN_FILES)) ?? [];
  }

  private async getState<T>(key: string): Promise<T | undefined> {
    if (this.known.has(key)) return this.known.get(key) as T | undefined;
    const value = await this.ctx.state.get<T>(key);
    // Kept, so a list read here and changed in place is the one staged later.
    if (value !== undefined) this.known.set(key, value);
    return value;
  }

  private setState(key: string, value: unknown): void {
    this.known.set(key, value);
    this.ctx.state.set(key, value);
  }
}

function sameEvent(seen: LifecycleEvent, event: NewEvent): boolean {
  return (
    seen.kind === event.kind &&
    seen.file === event.file &&
    seen.summary === event.summary &&
    seen.record?.system === event.record?.system &&
    seen.record?.id === event.record?.id
  );
}

/**
 * Control numbers compare as numbers: a 999 may echo GS06 `1` for `000000001`. Patient control
 * numbers are PHI, so state keys hold a hash of them, never the number.
 */
function controlKey(value: string): string {
  return /^\d+$/.test(value) ? String(Number(value)) : value;
}

function pcnKey(patientControlNumber: string): string {
  return `lifecycle:pcn:${createHash('sha256').update(patientControlNumber).digest('hex').slice(0, 32)}`;
}
