/**
 * Canonical records the hub already holds, for a reference whose target is neither contained nor
 * in the bundle. A Claim from an EHR names its Patient and Coverage by id only (`Patient/123`), and
 * R4 Claim has no search parameter to `_include` its Coverage; but the sync stores Patients and
 * Coverages before it reads Claims, so the caller looks them up and hands them to the mapping here,
 * which stays pure. Keyed by the canonical reference (`References.key`), as the store keys records.
 */
import type { EntityData, ExternalRef } from '../../../core/sdk/index.js';
import { isObject } from './element.js';

/** The canonical entities a mapping can read back from the store. */
export type KnownEntity = 'Patient' | 'Coverage';

export class KnownRecords {
  private readonly records = new Map<string, Record<string, unknown>>();

  /** Adds a stored record's canonical data under the reference it was emitted under. */
  add(entity: KnownEntity, ref: ExternalRef, data: Record<string, unknown>): this {
    this.records.set(keyOf(entity, ref), data);
    return this;
  }

  get size(): number {
    return this.records.size;
  }

  patient(ref: ExternalRef | undefined): EntityData<'Patient'> | undefined {
    const data = ref ? this.records.get(keyOf('Patient', ref)) : undefined;
    // Stored records passed the schema when emitted; this guards only what a Claim cannot do without.
    return data && isObject(data.name) && typeof data.name.family === 'string' ? (data as EntityData<'Patient'>) : undefined;
  }

  coverage(ref: ExternalRef | undefined): EntityData<'Coverage'> | undefined {
    const data = ref ? this.records.get(keyOf('Coverage', ref)) : undefined;
    return data && isObject(data.payer) && typeof data.payer.name === 'string' && typeof data.memberId === 'string'
      ? (data as EntityData<'Coverage'>)
      : undefined;
  }
}

function keyOf(entity: KnownEntity, ref: ExternalRef): string {
  return `${entity}|${ref.system}|${ref.id}`;
}
