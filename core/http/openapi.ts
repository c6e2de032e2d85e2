import { RETRY_AFTER_SECONDS } from './errors.js';
import { COVERAGE_DEFAULT_RUNS, COVERAGE_MAX_RUNS, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './limits.js';

/** The parts of OpenAPI 3.1 this document uses; enough for the compiler to catch a misspelt key. */
export type JsonSchema = { $ref: string; description?: string } | JsonSchemaObject;

export interface JsonSchemaObject {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null' | Array<'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null'>;
  description?: string;
  format?: string;
  enum?: readonly (string | number | boolean)[];
  const?: string | number | boolean;
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  examples?: unknown[];
}

export interface Reference {
  $ref: string;
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface MediaTypeObject {
  schema: JsonSchema;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
  content?: Record<string, MediaTypeObject>;
}

export interface OperationObject {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** `[]` for an operation that needs no token. */
  security?: Record<string, string[]>[];
  parameters?: (ParameterObject | Reference)[];
  requestBody?: { required?: boolean; description?: string; content: Record<string, MediaTypeObject> };
  responses: Record<string, ResponseObject | Reference>;
}

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type PathItemObject = Partial<Record<HttpMethod, OperationObject>>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  jsonSchemaDialect?: string;
  tags: { name: string; description: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, PathItemObject>;
  components: {
    securitySchemes: Record<string, { type: 'http'; scheme: 'bearer'; description: string }>;
    schemas: Record<string, JsonSchema>;
    parameters: Record<string, ParameterObject>;
    responses: Record<string, ResponseObject>;
  };
}

const ref = (name: string): Reference => ({ $ref: `#/components/schemas/${name}` });
const response = (name: string): Reference => ({ $ref: `#/components/responses/${name}` });
const parameter = (name: string): Reference => ({ $ref: `#/components/parameters/${name}` });
const jsonContent = (schema: JsonSchema): Record<string, MediaTypeObject> => ({ 'application/json': { schema } });
const ok = (description: string, schema: JsonSchema): ResponseObject => ({ description, content: jsonContent(schema) });
const pathId = (name: string, description: string): ParameterObject => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const query = (name: string, description: string, schema: JsonSchema = { type: 'string' }): ParameterObject => ({ name, in: 'query', description, schema });
const listOf = (item: string, paged: boolean): JsonSchema => ({
  type: 'object',
  required: ['items'],
  properties: {
    items: { type: 'array', items: ref(item) },
    ...(paged ? { next: { type: 'string', description: 'Pass as `after` for the next page; absent on the last page.' } } : {}),
  },
});

/** Answers every authenticated operation may give besides its own. */
const authResponses = { '401': response('Unauthorized'), '500': response('InternalError') };
const scopedLookup = { ...authResponses, '404': response('NotFound') };
const operatorOnly = { '403': response('Forbidden') };

const looseObject: JsonSchema = { type: 'object', additionalProperties: true };
const timestamp: JsonSchema = { type: 'string', format: 'date-time' };

/**
 * The OpenAPI 3.1 description of everything `createHttpApp` serves, written by hand so it reads
 * as documentation; a test checks that it lists every registered route.
 */
export const openApiDocument: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'MSO Integration Hub API',
    version: '1.0.0',
    description:
      'Operate the hub (connectors, runs, dead letters), read canonical records, and send webhooks. ' +
      'Every /api operation except this document needs a bearer token; a token sees only its tenants, and ' +
      "another tenant's record, run, connector or dead letter answers 404. Roles: viewer reads; operator also runs, " +
      'pauses, resumes and replays; admin also reads the audit log and the config. Every read of records is audit-logged ' +
      'with the token name. Errors share one shape: `{ "error": { "code", "message", "issues"? } }`.',
  },
  jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
  tags: [
    { name: 'webhooks', description: 'Inbound events from external systems' },
    { name: 'connectors', description: 'Connector status and control' },
    { name: 'runs', description: 'Job runs' },
    { name: 'dead-letters', description: 'Failed jobs kept for replay' },
    { name: 'records', description: 'Canonical records (PHI: every read is audited)' },
    { name: 'admin', description: 'Tenants, audit log, configuration' },
    { name: 'operations', description: 'Probes, metrics and this document' },
  ],
  security: [{ bearerAuth: [] }],
  paths: {
    '/webhooks/{connectorId}': {
      post: {
        operationId: 'receiveWebhook',
        summary: 'Receive one webhook event',
        description:
          "Checks the size (the connector's webhook.maxBytes, else hub.maxWebhookBytes) and the content type, verifies the " +
          "signature (the plugin's verifier, else HMAC per the connector's webhook.signature, optionally over " +
          '`<timestamp>.<body>` with a tolerance), parses and validates the JSON, keeps the raw event and queues it. ' +
          'A repeated event id is acknowledged with `duplicate: true` and not processed twice.',
        tags: ['webhooks'],
        security: [],
        parameters: [pathId('connectorId', 'The connector the event is for.')],
        requestBody: {
          required: true,
          description: 'The sender\'s JSON event, as signed. `application/*+json` types are accepted too.',
          content: { 'application/json': { schema: looseObject } },
        },
        responses: {
          '202': ok('Kept and queued (or a repeat, acknowledged)', ref('WebhookAccepted')),
          '400': response('BadRequest'),
          '401': ok('The signature or its timestamp was rejected; the message gives the reason', ref('Error')),
          '404': response('NotFound'),
          '413': ok('The body is larger than the limit', ref('Error')),
          '415': ok('The body is not JSON', ref('Error')),
          '500': response('InternalError'),
          '503': response('Unavailable'),
        },
      },
    },
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'Liveness: the process is up',
        tags: ['operations'],
        security: [],
        responses: { '200': ok('Up', { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } }) },
      },
    },
    '/readyz': {
      get: {
        operationId: 'ready',
        summary: 'Readiness: store, queue and other dependencies answer',
        tags: ['operations'],
        security: [],
        responses: {
          '200': ok('Ready', ref('Readiness')),
          '503': ok('At least one check failed', ref('Readiness')),
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (text exposition format)',
        tags: ['operations'],
        security: [],
        responses: { '200': { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    '/api/openapi.json': {
      get: {
        operationId: 'openApiDocument',
        summary: 'This document',
        tags: ['operations'],
        security: [],
        responses: { '200': ok('OpenAPI 3.1 document', looseObject) },
      },
    },
    '/api/connectors': {
      get: {
        operationId: 'listConnectors',
        summary: "The token's connectors with status, last run and next run",
        tags: ['connectors'],
        responses: { '200': ok('Connectors', listOf('ConnectorStatus', false)), ...authResponses },
      },
    },
    '/api/connectors/{id}': {
      get: {
        operationId: 'getConnector',
        summary: 'One connector',
        tags: ['connectors'],
        parameters: [pathId('id', 'Connector id')],
        responses: { '200': ok('Connector', ref('ConnectorStatus')), ...scopedLookup },
      },
    },
    '/api/connectors/{id}/run': {
      post: {
        operationId: 'runConnector',
        summary: 'Queue a sync now (operator)',
        tags: ['connectors'],
        parameters: [pathId('id', 'Connector id')],
        requestBody: {
          required: false,
          content: jsonContent({
            type: 'object',
            additionalProperties: false,
            properties: {
              full: { type: 'boolean', description: 'Ignore cursors and resync everything.', default: false },
              path: { type: 'string', description: 'Process just this inbound file (relative to the connector’s files transport): a `file` job.' },
            },
          }),
        },
        responses: {
          '202': ok('Queued', { type: 'object', required: ['jobId'], properties: { jobId: { type: 'string' } } }),
          '400': response('BadRequest'),
          ...operatorOnly,
          ...scopedLookup,
        },
      },
    },
    '/api/connectors/{id}/pause': {
      post: {
        operationId: 'pauseConnector',
        summary: "Pause a connector's queue (operator)",
        tags: ['connectors'],
        parameters: [pathId('id', 'Connector id')],
        responses: { '200': ok('Paused', ref('PauseState')), ...operatorOnly, ...scopedLookup },
      },
    },
    '/api/connectors/{id}/resume': {
      post: {
        operationId: 'resumeConnector',
        summary: "Resume a connector's queue (operator)",
        tags: ['connectors'],
        parameters: [pathId('id', 'Connector id')],
        responses: { '200': ok('Resumed', ref('PauseState')), ...operatorOnly, ...scopedLookup },
      },
    },
    '/api/connectors/{id}/coverage': {
      get: {
        operationId: 'getConnectorCoverage',
        summary: "Mapping coverage: how often each canonical field was filled in the connector's latest runs",
        description:
          'Per entity the connector emitted: records counted, runs that emitted it, and for every field of the entity ' +
          '(nested fields joined by `.`, arrays as `[]`, a reference as one field) how many records filled it and the rate. ' +
          'Fields never filled are listed at 0, lowest rate first, so a source that never sends a field stands out. ' +
          'Counts valid emitted records of finished runs (succeeded or failed) that emitted any; paths and counts only, never values. Audited.',
        tags: ['connectors'],
        parameters: [
          pathId('id', 'Connector id'),
          query('runs', `How many of the latest runs that emitted records to add up; larger values are clamped to ${COVERAGE_MAX_RUNS}.`, {
            type: 'integer',
            minimum: 1,
            maximum: COVERAGE_MAX_RUNS,
            default: COVERAGE_DEFAULT_RUNS,
          }),
        ],
        responses: { '200': ok('Coverage', ref('Coverage')), '400': response('BadRequest'), ...scopedLookup },
      },
    },
    '/api/runs': {
      get: {
        operationId: 'listRuns',
        summary: 'Runs, newest first',
        tags: ['runs'],
        parameters: [
          query('connector', 'Only this connector'),
          query('status', 'Only runs in this state', { type: 'string', enum: ['running', 'succeeded', 'failed'] }),
          parameter('limit'),
          parameter('after'),
        ],
        responses: { '200': ok('A page of runs', listOf('Run', true)), '400': response('BadRequest'), ...authResponses },
      },
    },
    '/api/runs/{id}': {
      get: {
        operationId: 'getRun',
        summary: 'One run',
        tags: ['runs'],
        parameters: [pathId('id', 'Run id')],
        responses: { '200': ok('Run', ref('Run')), ...scopedLookup },
      },
    },
    '/api/dead-letters': {
      get: {
        operationId: 'listDeadLetters',
        summary: 'Jobs that failed their last attempt',
        tags: ['dead-letters'],
        parameters: [query('connector', 'Only this connector'), parameter('limit')],
        responses: { '200': ok('Dead letters', listOf('DeadLetter', false)), '400': response('BadRequest'), ...authResponses },
      },
    },
    '/api/dead-letters/replay': {
      post: {
        operationId: 'replayAllDeadLetters',
        summary: "Replay every dead letter of the token's connectors, or of one (operator)",
        tags: ['dead-letters'],
        parameters: [query('connector', 'Only this connector')],
        responses: { '202': ok('Replayed', ref('Replayed')), ...operatorOnly, ...scopedLookup },
      },
    },
    '/api/dead-letters/{jobId}/replay': {
      post: {
        operationId: 'replayDeadLetter',
        summary: 'Replay one dead letter (operator)',
        tags: ['dead-letters'],
        parameters: [pathId('jobId', 'Job id of the dead letter')],
        responses: { '202': ok('Replayed', ref('Replayed')), ...operatorOnly, ...scopedLookup },
      },
    },
    '/api/records': {
      get: {
        operationId: 'listRecords',
        summary: 'Canonical records (audited)',
        tags: ['records'],
        parameters: [
          query('type', 'Canonical entity, e.g. Patient'),
          query('tenant', 'Tenant id'),
          query('externalSystem', 'External id system'),
          query('externalId', 'External id (with externalSystem)'),
          parameter('limit'),
          parameter('after'),
        ],
        responses: { '200': ok('A page of records', listOf('StoredRecord', true)), '400': response('BadRequest'), ...authResponses },
      },
    },
    '/api/records/{id}': {
      get: {
        operationId: 'getRecord',
        summary: 'One record (audited)',
        tags: ['records'],
        parameters: [pathId('id', 'Hub record id')],
        responses: { '200': ok('Record', ref('StoredRecord')), ...scopedLookup },
      },
    },
    '/api/records/{id}/history': {
      get: {
        operationId: 'getRecordHistory',
        summary: "A record's versions, oldest first (audited)",
        tags: ['records'],
        parameters: [pathId('id', 'Hub record id')],
        responses: { '200': ok('Versions', listOf('RecordVersion', false)), ...scopedLookup },
      },
    },
    '/api/claims/{id}/timeline': {
      get: {
        operationId: 'getClaimTimeline',
        summary: "A claim's lifecycle: its submission, every TA1, 999, 277CA, 277 and 835 that named it, its state and open alerts (audited)",
        tags: ['records'],
        parameters: [pathId('id', 'Hub id of a Claim record')],
        responses: { '200': ok('The timeline', ref('ClaimTimeline')), ...scopedLookup },
      },
    },
    '/api/rejects': {
      get: {
        operationId: 'listRejects',
        summary: 'Records that failed validation, kept for review (audited)',
        tags: ['records'],
        parameters: [query('connector', 'Only from this connector'), parameter('limit'), parameter('after')],
        responses: { '200': ok('A page of rejects', listOf('RejectedRecord', true)), '400': response('BadRequest'), ...authResponses },
      },
    },
    '/api/tenants': {
      get: {
        operationId: 'listTenants',
        summary: "The token's tenants",
        tags: ['admin'],
        responses: { '200': ok('Tenants', listOf('Tenant', false)), ...authResponses },
      },
    },
    '/api/audit': {
      get: {
        operationId: 'listAudit',
        summary: 'The audit log, newest first (admin)',
        tags: ['admin'],
        parameters: [query('actor', 'Only entries by this token name'), parameter('limit'), parameter('after')],
        responses: {
          '200': ok('A page of audit entries', listOf('AuditEntry', true)),
          '400': response('BadRequest'),
          '403': response('Forbidden'),
          ...authResponses,
        },
      },
    },
    '/api/config': {
      get: {
        operationId: 'getConfig',
        summary: 'The loaded configuration, secrets redacted (admin)',
        tags: ['admin'],
        responses: { '200': ok('Configuration', looseObject), '403': response('Forbidden'), ...authResponses },
      },
    },
  },
  components: {
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        description: 'An API token from the hub config (`tokens:`), with a role and a tenant scope.',
      },
    },
    parameters: {
      limit: {
        name: 'limit',
        in: 'query',
        description: `Page size; larger values are clamped to ${MAX_PAGE_SIZE}.`,
        schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
      },
      after: { name: 'after', in: 'query', description: '`next` of the previous page.', schema: { type: 'string' } },
    },
    responses: {
      BadRequest: ok('The request or body is invalid; `issues` lists each problem by path', ref('Error')),
      Unauthorized: {
        description: 'No token, or an unknown one',
        headers: { 'WWW-Authenticate': { description: 'Always `Bearer realm="hub"`', schema: { type: 'string' } } },
        content: jsonContent(ref('Error')),
      },
      Forbidden: ok("The token's role is too low for this operation", ref('Error')),
      NotFound: ok("No such thing, or it belongs to a tenant outside the token's scope", ref('Error')),
      InternalError: ok('The hub failed (details are in its log, never in the answer)', ref('Error')),
      Unavailable: {
        description: 'A dependency (queue, database) is briefly unavailable; what was accepted is kept. Retry.',
        headers: { 'Retry-After': { description: `Seconds to wait (${RETRY_AFTER_SECONDS})`, schema: { type: 'integer' } } },
        content: jsonContent(ref('Error')),
      },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string', examples: ['input_error', 'unauthenticated', 'forbidden', 'not_found', 'payload_too_large'] },
              message: { type: 'string' },
              issues: { type: 'array', items: ref('ValidationIssue') },
            },
          },
        },
      },
      ValidationIssue: {
        type: 'object',
        required: ['path', 'message'],
        properties: {
          path: { type: 'string' },
          message: { type: 'string' },
          file: { type: 'string' },
          line: { type: 'integer' },
          column: { type: 'integer' },
        },
      },
      WebhookAccepted: {
        type: 'object',
        required: ['eventId', 'duplicate'],
        properties: {
          eventId: { type: 'string', description: "The sender's event id, else a sha256 of the body." },
          duplicate: { type: 'boolean', description: 'True when this event id was already received.' },
        },
      },
      Readiness: {
        type: 'object',
        required: ['status', 'checks'],
        properties: {
          status: { type: 'string', enum: ['ready', 'not_ready'] },
          checks: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'ok'],
              properties: { name: { type: 'string' }, ok: { type: 'boolean' }, detail: { type: 'string' } },
            },
          },
        },
      },
      PauseState: {
        type: 'object',
        required: ['id', 'paused'],
        properties: { id: { type: 'string' }, paused: { type: 'boolean' } },
      },
      Replayed: {
        type: 'object',
        required: ['replayed'],
        properties: { replayed: { type: 'integer', minimum: 0 } },
      },
      ConnectorStatus: {
        type: 'object',
        required: ['id', 'tenant', 'plugin', 'enabled', 'paused', 'jobs'],
        properties: {
          id: { type: 'string' },
          tenant: { type: 'string' },
          plugin: { type: 'string' },
          enabled: { type: 'boolean' },
          paused: { type: 'boolean' },
          schedule: { type: 'string', examples: ['every 30s', 'cron 0 * * * *'] },
          nextRunAt: timestamp,
          lastRun: ref('Run'),
          jobs: {
            type: 'object',
            required: ['waiting', 'active', 'delayed', 'failed', 'completed'],
            properties: {
              waiting: { type: 'integer' },
              active: { type: 'integer' },
              delayed: { type: 'integer' },
              failed: { type: 'integer' },
              completed: { type: 'integer' },
            },
          },
        },
      },
      Run: {
        type: 'object',
        required: ['id', 'connectorId', 'tenant', 'kind', 'trigger', 'status', 'startedAt', 'counts'],
        properties: {
          id: { type: 'string' },
          connectorId: { type: 'string' },
          tenant: { type: 'string' },
          kind: { type: 'string', enum: ['sync', 'deliver', 'webhook', 'file'] },
          jobId: { type: 'string' },
          trigger: { type: 'string' },
          attempt: { type: 'integer' },
          status: { type: 'string', enum: ['running', 'succeeded', 'failed'] },
          startedAt: timestamp,
          finishedAt: timestamp,
          counts: { type: 'object', additionalProperties: { type: 'number' } },
          error: { type: 'string' },
          coverage: {
            type: 'object',
            description:
              'Mapping coverage of the run, on one run only (not in lists), when it emitted records: per entity, records and ' +
              'per field path filled at least once how many records filled it.',
            additionalProperties: {
              type: 'object',
              required: ['records', 'fields'],
              properties: {
                records: { type: 'integer', minimum: 0 },
                fields: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
              },
            },
          },
        },
      },
      Coverage: {
        type: 'object',
        required: ['connector', 'tenant', 'runs', 'entities'],
        properties: {
          connector: { type: 'string' },
          tenant: { type: 'string' },
          runs: { type: 'integer', minimum: 0, description: 'Runs added up (those that emitted records), at most the `runs` asked for.' },
          from: { ...timestamp, description: 'When the oldest of those runs finished; absent when there is none.' },
          to: { ...timestamp, description: 'When the newest of those runs finished.' },
          entities: {
            type: 'array',
            description: 'Entities the runs emitted, by name.',
            items: {
              type: 'object',
              required: ['entity', 'records', 'runs', 'fields'],
              properties: {
                entity: { type: 'string', examples: ['Patient'] },
                records: { type: 'integer', minimum: 0, description: 'Valid records emitted over the runs.' },
                runs: { type: 'integer', minimum: 1, description: 'How many of the runs emitted this entity.' },
                fields: {
                  type: 'array',
                  description: 'Every field of the entity, lowest rate first.',
                  items: {
                    type: 'object',
                    required: ['path', 'filled', 'rate'],
                    properties: {
                      path: { type: 'string', examples: ['ethnicity.ombCategories[]', 'name.family', 'managingOrganization'] },
                      filled: { type: 'integer', minimum: 0, description: 'Records that filled the field.' },
                      rate: { type: 'number', minimum: 0, maximum: 1, description: 'filled / records, to 4 decimals.' },
                    },
                  },
                },
              },
            },
          },
        },
      },
      DeadLetter: {
        type: 'object',
        required: ['jobId', 'connectorId', 'tenant', 'kind', 'trigger', 'failedReason', 'attemptsMade', 'createdAt'],
        properties: {
          jobId: { type: 'string' },
          connectorId: { type: 'string' },
          tenant: { type: 'string' },
          kind: { type: 'string', enum: ['sync', 'deliver', 'webhook', 'file'] },
          trigger: { type: 'string', enum: ['schedule', 'manual', 'webhook', 'route', 'replay', 'file'] },
          failedReason: { type: 'string' },
          attemptsMade: { type: 'integer' },
          failedAt: timestamp,
          createdAt: timestamp,
        },
      },
      StoredRecord: {
        type: 'object',
        required: ['id', 'tenant', 'type', 'externalSystem', 'externalId', 'sourceConnector', 'data', 'hash', 'version', 'firstSeenAt', 'updatedAt'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          tenant: { type: 'string' },
          type: { type: 'string', examples: ['Patient', 'Claim'] },
          externalSystem: { type: 'string' },
          externalId: { type: 'string' },
          sourceConnector: { type: 'string' },
          data: { ...looseObject, description: 'The canonical entity (see the model schemas).' },
          hash: { type: 'string', description: 'sha256 of the canonical JSON of data' },
          version: { type: 'integer', minimum: 1 },
          firstSeenAt: timestamp,
          updatedAt: timestamp,
        },
      },
      RecordVersion: {
        type: 'object',
        required: ['recordId', 'version', 'hash', 'data', 'sourceConnector', 'recordedAt'],
        properties: {
          recordId: { type: 'string' },
          version: { type: 'integer' },
          hash: { type: 'string' },
          data: looseObject,
          sourceConnector: { type: 'string' },
          recordedAt: timestamp,
        },
      },
      ClaimTimeline: {
        type: 'object',
        required: ['claim', 'state', 'lifecycles'],
        properties: {
          claim: {
            type: 'object',
            required: ['id', 'tenant', 'externalSystem', 'externalId', 'version', 'patientControlNumber', 'claimType', 'totalCharge'],
            properties: {
              id: { type: 'string' },
              tenant: { type: 'string' },
              externalSystem: { type: 'string' },
              externalId: { type: 'string' },
              version: { type: 'integer' },
              patientControlNumber: { type: 'string' },
              claimType: { type: 'string', enum: ['professional', 'institutional'] },
              totalCharge: { type: 'number' },
            },
          },
          state: { type: 'string', enum: ['not-submitted', 'submitted', 'accepted', 'rejected', 'paid', 'partially-paid', 'denied'] },
          lifecycles: {
            type: 'array',
            description: 'One per connector that submitted the claim, most recently changed first.',
            items: {
              type: 'object',
              required: ['recordId', 'sourceConnector', 'state', 'stateSince', 'submission', 'alerts', 'events', 'stateHistory'],
              properties: {
                recordId: { type: 'string', description: 'Hub id of the ClaimLifecycle record.' },
                sourceConnector: { type: 'string' },
                state: { type: 'string' },
                stateSince: timestamp,
                submission: { ...looseObject, description: 'File and ISA13/GS06/ST02 of the latest submission (see the ClaimLifecycle schema).' },
                payerClaimControlNumber: { type: 'string' },
                paidAmount: { type: 'number' },
                patientResponsibility: { type: 'number' },
                alerts: { type: 'array', items: looseObject },
                events: {
                  type: 'array',
                  description: 'Oldest first; `recordId` is the hub id of the acknowledgment, status or remittance behind an event.',
                  items: looseObject,
                },
                stateHistory: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['version', 'state', 'recordedAt'],
                    properties: { version: { type: 'integer' }, state: { type: 'string' }, recordedAt: timestamp },
                  },
                },
              },
            },
          },
        },
      },
      RejectedRecord: {
        type: 'object',
        required: ['id', 'tenant', 'type', 'sourceConnector', 'reasons', 'data', 'createdAt'],
        properties: {
          id: { type: 'string' },
          tenant: { type: 'string' },
          type: { type: 'string' },
          sourceConnector: { type: 'string' },
          externalSystem: { type: 'string' },
          externalId: { type: 'string' },
          runId: { type: 'string' },
          reasons: { type: 'array', items: { type: 'string' } },
          data: { description: 'The record as the plugin emitted it.' },
          createdAt: timestamp,
        },
      },
      Tenant: {
        type: 'object',
        required: ['id', 'name'],
        properties: { id: { type: 'string' }, name: { type: 'string' }, npi: { type: 'string' }, taxId: { type: 'string' } },
      },
      AuditEntry: {
        type: 'object',
        required: ['id', 'at', 'actor', 'action'],
        properties: {
          id: { type: 'string' },
          at: timestamp,
          actor: { type: 'string' },
          action: { type: 'string', examples: ['records.list', 'records.get', 'connectors.run'] },
          tenant: { type: 'string' },
          target: { type: 'string' },
          detail: looseObject,
        },
      },
    },
  },
};
