import type { Static, TSchema } from '@sinclair/typebox';
import { CoverageSchema, LocationSchema, OrganizationSchema, PatientSchema, PractitionerSchema } from './entities/identity.js';
import {
  ClaimAcknowledgmentSchema,
  ClaimLifecycleSchema,
  ClaimSchema,
  ClaimStatusSchema,
  EligibilityCheckSchema,
  EncounterSchema,
  RemittanceSchema,
} from './entities/revenue-cycle.js';
import { CatalogItemSchema, PriceChangeSchema, PurchaseOrderSchema, SupplierSchema } from './entities/supply.js';
import { EmployeeSchema, PayStatementSchema, PayrollRunSchema } from './entities/workforce.js';

/** One draft 2020-12 JSON Schema per canonical entity, keyed by entity name (= the schema's `$id`). */
export const entitySchemas = {
  Organization: OrganizationSchema,
  Location: LocationSchema,
  Practitioner: PractitionerSchema,
  Patient: PatientSchema,
  Coverage: CoverageSchema,
  Encounter: EncounterSchema,
  Claim: ClaimSchema,
  ClaimAcknowledgment: ClaimAcknowledgmentSchema,
  ClaimStatus: ClaimStatusSchema,
  ClaimLifecycle: ClaimLifecycleSchema,
  Remittance: RemittanceSchema,
  EligibilityCheck: EligibilityCheckSchema,
  Employee: EmployeeSchema,
  PayrollRun: PayrollRunSchema,
  PayStatement: PayStatementSchema,
  Supplier: SupplierSchema,
  CatalogItem: CatalogItemSchema,
  PriceChange: PriceChangeSchema,
  PurchaseOrder: PurchaseOrderSchema,
} as const satisfies Record<string, TSchema>;

export type EntityName = keyof typeof entitySchemas;

/** The TypeScript type of an entity's data, derived from its schema so the two never drift. */
export type EntityData<N extends EntityName> = Static<(typeof entitySchemas)[N]>;

export const entityNames = Object.keys(entitySchemas) as EntityName[];

export function isEntityName(name: string): name is EntityName {
  return Object.hasOwn(entitySchemas, name);
}
