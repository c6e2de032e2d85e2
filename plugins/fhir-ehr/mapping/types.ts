/**
 * The contract of the FHIR R4 (US Core) to canonical mapping: what a caller passes in (the
 * connector's settings) and what comes back for each resource.
 */
import type { EntityData, EntityName, ExternalRef } from '../../../core/sdk/index.js';

/** The canonical entities a FHIR resource can become. */
export type MappedEntity = 'Patient' | 'Practitioner' | 'Organization' | 'Location' | 'Coverage' | 'Encounter' | 'Claim';

/**
 * Typed against the model so that a schema version bump fails the type check here, where the
 * mappings must be reviewed, rather than at emit.
 */
export const SCHEMA_VERSION: EntityData<MappedEntity>['schemaVersion'] = '1.0.0';

/** The connector's settings the mapping depends on. */
export interface MappingContext {
  /**
   * Namespace of the EHR's resource ids, e.g. `riverside-epic`. Every record's external id and
   * every reference into this EHR is `{ system: externalSystem, id: '<Type>/<id>' }`.
   */
  externalSystem: string;
  /** `Patient.identifier.system` values that carry this practice's medical record number. */
  mrnSystems: readonly string[];
  /**
   * `Coverage.identifier.system` values that carry the member id on the card. Looked at before an
   * identifier of type `MB` and before `Coverage.subscriberId`.
   */
  memberIdSystems?: readonly string[];
  /**
   * The EHR's FHIR base URL. When set, an absolute reference to another server keeps that server's
   * base as its namespace; when absent, every absolute reference is taken as the EHR's own.
   */
  fhirBaseUrl?: string;
  /**
   * Keep SSNs (`http://hl7.org/fhir/sid/us-ssn`) among the Patient's identifiers, where the model
   * documents them. Off by default: no revenue-cycle step the hub runs needs one, and an SSN the
   * hub never stores is one it can never leak.
   */
  keepSsn?: boolean;
}

/** One canonical record made from a resource. */
export type MappedRecord = {
  [N in MappedEntity]: {
    entity: N;
    record: EntityData<N>;
    /** The key to emit the record under: `{ system: externalSystem, id: '<Type>/<id>' }`. */
    externalId: ExternalRef;
    /**
     * Other keys a reference may use for this record: its identifiers (`{ system, id: value }`),
     * which is what an identifier or conditional reference becomes when the target is not in hand
     * (see references.ts). Patients are aliased by the practice's MRN only; coverages by nothing.
     */
    aliases: ExternalRef[];
  };
}[MappedEntity];

/** Where a result came from, for keying rejections and counting outcomes. */
export interface ResourceOrigin {
  /** Absent only when the input has no usable `resourceType`. */
  resourceType?: string;
  id?: string;
}

export interface Mapped extends ResourceOrigin {
  outcome: 'mapped';
  resourceType: string;
  records: MappedRecord[];
  /**
   * What was left out or could not be read, by FHIR element path, never quoting values (they may
   * be PHI). The records are valid without it.
   */
  problems: string[];
}

/**
 * A resource that becomes no record by design: a type the model has no place for (PractitionerRole,
 * ChargeItem) or one outside the plugin's scope (Observation, ...). Count it; do not review it.
 */
export interface NotMapped extends ResourceOrigin {
  outcome: 'not-mapped';
  resourceType: string;
  reason: string;
}

/** A resource that cannot become a canonical record: keep it with the reasons for a person to review. */
export interface Rejected extends ResourceOrigin {
  outcome: 'rejected';
  /** The entity it would have become, when the resource type says. */
  entity?: MappedEntity;
  /** The key it would have had, so a corrected resend replaces the rejection. */
  externalId?: ExternalRef;
  /** By FHIR element path, never quoting values: why it was rejected, then what else was left out. */
  reasons: string[];
}

export type MappedResource = Mapped | NotMapped | Rejected;

export type { EntityName, ExternalRef };
