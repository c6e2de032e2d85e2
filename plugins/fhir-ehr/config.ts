/**
 * The `fhir-ehr` connector's `config:` block: its schema, the cross-field rules the schema cannot
 * say, and what the transport and the mapping take from it.
 */
import type { FhirAuthOptions, FhirClientOptions } from '../../connectors/fhir/index.js';
import { ConfigurationError, didYouMean, Duration, parseDuration, Type, type Static, type ValidationIssue } from '../../core/sdk/index.js';
import { mappedResourceTypes, type MappingContext } from './mapping/index.js';

const strict = { additionalProperties: false } as const;
const secret = (description: string) => Type.String({ minLength: 1, 'x-secret': true, description });
const text = (description: string) => Type.String({ minLength: 1, description });

const authSchema = Type.Union(
  [
    Type.Object(
      {
        kind: Type.Literal('smart-backend'),
        clientId: text('Client id registered with the EHR.'),
        privateKey: secret('PEM private key (RSA for RS384, P-384 EC for ES384); use ${file:…}.'),
        keyId: text('The `kid` of the public key in the JWKS registered with the EHR.'),
        algorithm: Type.Optional(Type.Union([Type.Literal('RS384'), Type.Literal('ES384')], { description: 'Default: inferred from the key.' })),
        scope: text('e.g. `system/Patient.rs system/Encounter.rs`.'),
        tokenUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'Default: discovered from .well-known/smart-configuration.' })),
      },
      { ...strict, description: 'SMART Backend Services: client credentials with a signed JWT assertion.' },
    ),
    Type.Object(
      {
        kind: Type.Literal('client-secret'),
        clientId: text('OAuth client id.'),
        clientSecret: secret('OAuth client secret; use ${env:…} or ${file:…}.'),
        scope: Type.Optional(Type.String()),
        tokenUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'Default: discovered from .well-known/smart-configuration.' })),
      },
      { ...strict, description: 'OAuth client credentials with a shared secret.' },
    ),
    Type.Object(
      {
        kind: Type.Literal('bearer'),
        token: secret('A long-lived access token issued out of band; use ${env:…}.'),
      },
      { ...strict, description: 'A fixed bearer token (cannot be refreshed).' },
    ),
  ],
  { description: 'How the hub authenticates to the EHR. Absent: an open server (a local HAPI, a test server).' },
);

/** The resource types synced when the config names none. */
export const DEFAULT_RESOURCES = ['Patient', 'Practitioner', 'Organization', 'Location', 'Coverage', 'Encounter', 'Claim'];

export const configSchema = Type.Object(
  {
    baseUrl: Type.String({ pattern: '^https?://', description: 'The EHR’s FHIR R4 base URL, e.g. `https://fhir.riverside.example/R4`.' }),
    auth: Type.Optional(authSchema),
    externalSystem: Type.String({
      pattern: '^\\S+$',
      description: 'Namespace of this EHR’s resource ids in the hub, e.g. `riverside-epic`; records are keyed `{ externalSystem, <Type>/<id> }`.',
    }),
    mrnSystems: Type.Array(text('An identifier system URI.'), {
      minItems: 1,
      description: '`Patient.identifier.system` values that carry this practice’s medical record number.',
    }),
    memberIdSystems: Type.Optional(
      Type.Array(text('An identifier system URI.'), { description: '`Coverage.identifier.system` values that carry the member id on the card.' }),
    ),
    keepSsn: Type.Boolean({ default: false, description: 'Keep SSNs among Patient identifiers (off: the hub never stores them).' }),
    resources: Type.Array(Type.String(), {
      minItems: 1,
      uniqueItems: true,
      default: DEFAULT_RESOURCES,
      description: 'Resource types to sync, in this order (targets before what points at them).',
    }),
    mode: Type.Union([Type.Literal('auto'), Type.Literal('search'), Type.Literal('bulk')], {
      default: 'auto',
      description: '`auto`: Bulk Data `$export` when the CapabilityStatement advertises it, else search; `search` or `bulk` to force one.',
    }),
    overlap: Duration({
      default: '5m',
      description: 'Each incremental read starts this long before the cursor, for changes the server committed late; repeats are harmless.',
    }),
    pageSize: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Search `_count`; the server may cap it.' }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, description: 'Per request (NDJSON files: between chunks); default 30000.' })),
    rateLimit: Type.Optional(
      Type.Object(
        {
          maxRequests: Type.Integer({ minimum: 1, description: 'Burst size, and requests per `perSeconds` on average.' }),
          perSeconds: Type.Number({ exclusiveMinimum: 0 }),
        },
        { ...strict, description: 'Keeps the hub from hammering the EHR: every request of the connector shares it.' },
      ),
    ),
    group: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9\\-.]{1,64}$', description: 'Group id for a group-level `$export` (the practice’s patients); default system level.' }),
    ),
  },
  { ...strict, description: 'An EHR reached over FHIR R4 (search and Bulk Data).' },
);

export type FhirEhrConfig = Static<typeof configSchema>;

/** Resource types a sync can do something with: the ones the mapping turns into records. */
const SYNCABLE = new Set(mappedResourceTypes);

/** Cross-field rules; every problem listed at once, each naming its field. */
export function checkConfig(config: FhirEhrConfig): void {
  const issues: ValidationIssue[] = [];
  config.resources.forEach((type, index) => {
    if (SYNCABLE.has(type)) return;
    const hint = didYouMean(type, [...SYNCABLE]);
    issues.push({
      path: `/config/resources/${index}`,
      message: `"${type}" is not a resource type this plugin maps${hint ? ` (did you mean "${hint}"?)` : ''}; it maps ${[...SYNCABLE].join(', ')}`,
    });
  });
  if (config.group !== undefined && config.mode === 'search') {
    issues.push({ path: '/config/group', message: 'is for bulk export; it has no effect with mode: search (use mode auto or bulk, or remove it)' });
  }
  if (parseDuration(config.overlap) > 24 * 3_600_000) {
    issues.push({ path: '/config/overlap', message: 'is longer than a day: every incremental sync would re-read a day or more of changes' });
  }
  if (config.auth?.kind === 'smart-backend' && !/(^|\s)system\//.test(config.auth.scope)) {
    issues.push({ path: '/config/auth/scope', message: 'SMART Backend Services needs system-level scopes, e.g. `system/*.rs`' });
  }
  if (issues.length) {
    throw new ConfigurationError(`fhir-ehr config: ${issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')}`, issues);
  }
}

export function mappingContextOf(config: FhirEhrConfig): MappingContext {
  return {
    externalSystem: config.externalSystem,
    mrnSystems: config.mrnSystems,
    memberIdSystems: config.memberIdSystems,
    fhirBaseUrl: config.baseUrl,
    keepSsn: config.keepSsn,
  };
}

export function clientOptionsOf(config: FhirEhrConfig, connectorId: string): FhirClientOptions {
  return {
    baseUrl: config.baseUrl,
    auth: (config.auth ?? { kind: 'none' }) as FhirAuthOptions,
    description: `connector ${connectorId} (fhir)`,
    timeoutMs: config.timeoutMs,
    rateLimit: config.rateLimit,
  };
}
