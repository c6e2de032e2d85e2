/**
 * FHIR R4 transport: REST (on fhir-kit-client) and Bulk Data, with SMART Backend Services auth.
 * Knows the protocol only; mapping resources to the canonical model is the EHR plugin's job.
 */
export { createFhirClient } from './client.js';
export { outcomeOf } from './failures.js';
export type { OutcomeIssue } from './outcome.js';
export type {
  BearerAuthOptions,
  BulkExportFile,
  BulkExportJob,
  BulkExportLevel,
  BulkExportManifest,
  BulkExportProgress,
  BulkExportRequest,
  BulkExportWaitOptions,
  ClientSecretAuthOptions,
  Clock,
  FhirAuthOptions,
  FhirCapabilities,
  FhirClient,
  FhirClientOptions,
  FhirNdjsonItem,
  FhirRequestOptions,
  FhirResource,
  FhirSearch,
  FhirSearchPage,
  FhirSearchParams,
  FhirWriteResult,
  NdjsonStreamOptions,
  NoAuthOptions,
  ResourceCapabilities,
  SmartBackendAuthOptions,
} from './types.js';
