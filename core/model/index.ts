// TEMPORARY STUB — the canonical-model work replaces this file with the real entities.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { ValidationIssue } from '../errors.js';

export const PatientSchema = Type.Object({ schemaVersion: Type.Literal('1.0.0'), name: Type.Object({ family: Type.String() }) }, { $id: 'Patient' });
export const entitySchemas = { Patient: PatientSchema } as const satisfies Record<string, TSchema>;
export type EntityName = keyof typeof entitySchemas;
export type EntityData<N extends EntityName> = Static<(typeof entitySchemas)[N]>;
export const entityNames = Object.keys(entitySchemas) as EntityName[];
export function isEntityName(name: string): name is EntityName {
  return Object.hasOwn(entitySchemas, name);
}
export function validateEntity(_name: EntityName, _data: unknown): ValidationIssue[] {
  return [];
}
