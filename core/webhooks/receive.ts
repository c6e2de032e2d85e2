import { createHash } from 'node:crypto';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { verifyHmacSignature } from '../../connectors/webhook/hmac.js';
import type { ConnectorConfig, HubConfig } from '../config/types.js';
import {
  AuthenticationError,
  ConfigurationError,
  HubError,
  InputError,
  NotFoundError,
  TransientError,
  type ValidationIssue,
} from '../errors.js';
import type { HubServices, ReceivedWebhook } from '../http/services.js';
import type { Logger } from '../logging.js';
import type { JobEnqueuer } from '../queue/types.js';
import type { PluginDefinition, VerifyResult, WebhookRequestView } from '../sdk/types.js';
import type { Store } from '../store/types.js';

export interface WebhookReceiverDeps {
  config: HubConfig;
  store: Store;
  enqueuer: JobEnqueuer;
  /** The loaded plugin of a connector, undefined when the connector is unknown. */
  plugin(connectorId: string): PluginDefinition | undefined;
  logger: Logger;
}

export type WebhookReceiver = HubServices['webhooks'];

/** Longest event id accepted from a sender; ids are keys in the store and the queue. */
export const MAX_EVENT_ID_LENGTH = 256;

const SAFE_JOB_ID_PART = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The queue job id of a webhook event: the same event always maps to the same job, so a repeated
 * delivery is not queued twice while the first job is held. BullMQ refuses custom ids with a
 * colon other than in exactly three parts, so a part that is not plainly safe is replaced by its
 * hash, marked with `~` (outside the safe set) so it cannot meet a literal id.
 */
export function webhookJobId(connectorId: string, eventId: string): string {
  return `webhook:${jobIdPart(connectorId)}:${jobIdPart(eventId)}`;
}

function jobIdPart(value: string): string {
  return SAFE_JOB_ID_PART.test(value) ? value : `~${sha256Hex(value).slice(0, 40)}`;
}

const ajv = new Ajv({ allErrors: true, strict: false });
(addFormats as unknown as (instance: Ajv) => void)(ajv);

/**
 * The intake behind `POST /webhooks/:connectorId`: verify, parse, validate, keep, enqueue.
 *
 * Signature rules, in order:
 * 1. the plugin's own `webhook.verify`, when it has one (it gets the connector's secret, if any);
 * 2. else the generic HMAC check when the connector's YAML has `webhook.signature`, which then
 *    needs `webhook.secret`;
 * 3. else a connector with a `webhook.secret` but no way to check it is a configuration error
 *    (500): accepting unsigned events when the operator meant to sign them would be silent;
 * 4. else the endpoint is unsigned (a warning is logged once per connector).
 *
 * The raw event is durable before the caller hears 202. A repeated event id is acknowledged as a
 * duplicate. Once its job has processed it, nothing more happens; until then it is enqueued again
 * under the same deterministic job id: if the process died between keeping the event and queueing
 * it, the sender's retry still gets it processed, and while the first job is held the queue
 * ignores the second.
 */
export function createWebhookReceiver(deps: WebhookReceiverDeps): WebhookReceiver {
  const { config, store, enqueuer, logger } = deps;
  const validators = new WeakMap<object, ValidateFunction>();
  const warnedUnsigned = new Set<string>();

  function bodyValidator(schema: object): ValidateFunction {
    let validate = validators.get(schema);
    if (!validate) {
      validate = ajv.compile(schema);
      validators.set(schema, validate);
    }
    return validate;
  }

  function verify(connector: ConnectorConfig, plugin: PluginDefinition, request: WebhookRequestView): void {
    const settings = connector.webhook;
    const secret = settings?.secret;
    let result: VerifyResult;
    if (plugin.webhook?.verify) {
      result = plugin.webhook.verify(request, { secret, config: connector.config });
    } else if (settings?.signature) {
      const signature = settings.signature;
      if (!secret) {
        throw new ConfigurationError(`connector ${connector.id}: webhook.signature is set but webhook.secret is missing`, [
          { path: `/connectors/${connector.id}/webhook/secret`, message: 'required when webhook.signature is set' },
        ]);
      }
      const signatureValue = request.headers[signature.header.toLowerCase()];
      if (!signatureValue) throw new AuthenticationError(`missing signature header ${signature.header.toLowerCase()}`);
      result = verifyHmacSignature({
        secret,
        rawBody: request.rawBody,
        signature: signatureValue,
        algorithm: signature.algorithm,
        encoding: signature.encoding,
        prefix: signature.prefix,
        toleranceSeconds: signature.toleranceSeconds,
        // The key's presence is what makes the verifier require and age-check a timestamp.
        ...(signature.timestampHeader ? { timestamp: request.headers[signature.timestampHeader.toLowerCase()] } : {}),
      });
    } else if (secret) {
      throw new ConfigurationError(
        `connector ${connector.id}: webhook.secret is set but nothing checks it (no webhook.signature and plugin ${plugin.name} has no verify)`,
        [{ path: `/connectors/${connector.id}/webhook/signature`, message: 'required when webhook.secret is set' }],
      );
    } else {
      if (!warnedUnsigned.has(connector.id)) {
        warnedUnsigned.add(connector.id);
        logger.warn({ connector: connector.id }, 'webhook endpoint accepts unsigned events: set webhook.secret and webhook.signature');
      }
      return;
    }
    if (!result.ok) throw new AuthenticationError(`webhook signature rejected: ${result.reason}`);
  }

  function eventIdOf(connector: ConnectorConfig, plugin: PluginDefinition, request: WebhookRequestView, body: unknown): string {
    const header = connector.webhook?.eventIdHeader?.toLowerCase();
    const fromHeader = header ? request.headers[header]?.trim() : undefined;
    const candidate = fromHeader || plugin.webhook?.eventId?.(request, body) || undefined;
    if (candidate === undefined) return sha256Hex(request.rawBody);
    if (candidate.length > MAX_EVENT_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(candidate)) {
      throw new InputError(`the event id must be at most ${MAX_EVENT_ID_LENGTH} printable characters`, [
        { path: header ? `header:${header}` : '/', message: 'invalid event id' },
      ]);
    }
    return candidate;
  }

  return {
    async receive(connectorId: string, request: ReceivedWebhook) {
      const connector = config.connectors.find((c) => c.id === connectorId);
      const plugin = connector?.enabled ? deps.plugin(connectorId) : undefined;
      // One message for every case, so a caller cannot probe which connectors exist.
      if (!connector || !plugin?.webhook) throw new NotFoundError(`no webhook endpoint for connector "${connectorId}"`);

      const view: WebhookRequestView = { headers: request.headers, rawBody: request.rawBody };
      verify(connector, plugin, view);

      const body = parseBody(request.rawBody, plugin.webhook.acceptsEmptyBody === true);

      if (plugin.webhook.bodySchema) {
        const validate = bodyValidator(plugin.webhook.bodySchema);
        if (!validate(body)) {
          const issues = (validate.errors ?? []).map(toIssue);
          throw new InputError(`body does not match the ${plugin.name} webhook schema (${issues.length} problem(s))`, issues);
        }
      }

      const eventId = eventIdOf(connector, plugin, view, body);
      const saved = await store.saveRawEvent({
        connectorId,
        tenant: connector.tenant,
        eventId,
        contentType: request.contentType,
        headers: request.headers,
        body: request.rawBody,
      });

      const jobId = webhookJobId(connectorId, eventId);
      if (saved.duplicate && (await store.getRawEvent(connectorId, eventId))?.processedAt) {
        logger.info({ connector: connectorId, eventId, duplicate: true, queued: false }, 'webhook event already processed');
        return { eventId, duplicate: true };
      }
      try {
        await enqueuer.enqueue({ kind: 'webhook', connectorId, tenant: connector.tenant, trigger: 'webhook', eventId }, { jobId });
      } catch (error) {
        if (error instanceof HubError) throw error;
        logger.error({ err: error, connector: connectorId, eventId, jobId }, 'webhook event kept but not queued');
        throw new TransientError('the event is kept but could not be queued; retry later', { cause: error });
      }
      logger.info({ connector: connectorId, eventId, jobId, duplicate: saved.duplicate }, 'webhook event accepted');
      return { eventId, duplicate: saved.duplicate };
    },
  };
}

/** The parsed JSON body; `null` for an empty one when the plugin accepts it (a FHIR rest-hook without payload). */
function parseBody(rawBody: string, acceptsEmpty: boolean): unknown {
  if (rawBody === '') {
    if (acceptsEmpty) return null;
    throw new InputError('the body is empty: expected JSON', [{ path: '/', message: 'is empty' }]);
  }
  try {
    return JSON.parse(rawBody);
  } catch (error) {
    const reason = (error as Error).message;
    throw new InputError(`body is not valid JSON: ${reason}`, [{ path: '/', message: reason }], { cause: error });
  }
}

/** Ajv's messages name the rule, never the offending value, so they are safe to return (no PHI echo). */
function toIssue(error: ErrorObject): ValidationIssue {
  const path = error.instancePath || '/';
  if (error.keyword === 'additionalProperties') {
    return { path, message: `unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"` };
  }
  return { path, message: error.message ?? 'is invalid' };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
