/**
 * FHIR Subscription rest-hook notifications posted to `/webhooks/<connector id>`: they make the
 * plugin sync just what changed.
 *
 * - **Authentication.** The EHR sends the headers set in `Subscription.channel.header`; the hub
 *   expects `Authorization: Bearer <the connector's webhook.secret>`, compared in constant time.
 * - **No payload** (an empty body or `{}`, an R4 Subscription without `channel.payload`, or an
 *   R4B/R5 `event-notification` with only its status): the normal incremental sync runs, so the
 *   `_lastUpdated` cursors decide what changed.
 * - **Full resources** (a `history` or `collection` Bundle, or an R4B/R5 `subscription-notification`
 *   whose first entry, the SubscriptionStatus, is skipped): each entry is mapped and landed as the
 *   sync would, without asking the server anything and without moving a cursor.
 * - **Id only** (entries with just `fullUrl` or `request.url`): each resource is read from the
 *   server and landed; one that is gone (404/410) is counted (`notificationTargetGone`).
 * - Anything else fails the job with an InputError (not retried; the raw event stays for review).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FhirClient, FhirResource } from '../../connectors/fhir/index.js';
import { InputError, NotFoundError, type PluginContext, type PluginWebhook, type VerifyResult } from '../../core/sdk/index.js';
import type { FhirEhrConfig } from './config.js';
import { mappingContextOf } from './config.js';
import { land } from './land.js';
import { indexBundle, mapResource, partyLookupsOf } from './mapping/index.js';
import { lookUpParties } from './parties.js';

export interface SubscriptionWebhookDeps {
  /** A FHIR client for this job's connector. */
  clientOf(ctx: PluginContext<FhirEhrConfig>): FhirClient;
  /** The plugin's normal incremental sync. */
  syncChanges(ctx: PluginContext<FhirEhrConfig>, fhir: FhirClient): Promise<void>;
}

/** Header names arrive lower-cased (Headers API). */
const AUTHORIZATION = 'authorization';
const EVENT_ID_HEADERS = ['x-request-id', 'x-correlation-id'];
const BUNDLE_TYPES = new Set(['history', 'collection', 'subscription-notification']);
/** `Type/id` at the end of a URL, optionally with `/_history/<version>`. */
const REFERENCE = /(?:^|\/)([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
/** A status entry, not a changed resource: R4B/R5 SubscriptionStatus, or the R4 backport's Parameters. */
const STATUS_TYPES = new Set(['SubscriptionStatus', 'Parameters']);

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `Authorization: Bearer <secret>`, compared in constant time; reasons never quote what was sent. */
export function verifySubscriptionRequest(headers: Record<string, string>, secret: string | undefined): VerifyResult {
  if (!secret) {
    return {
      ok: false,
      reason: 'the connector has no webhook.secret: set one and give the Subscription channel.header "Authorization: Bearer <that secret>"',
    };
  }
  const header = headers[AUTHORIZATION];
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing Authorization header (expected a Bearer token)' };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  if (!match) return { ok: false, reason: 'the Authorization header is not a Bearer token' };
  const presented = Buffer.from(match[1]!, 'utf8');
  const expected = Buffer.from(secret, 'utf8');
  // timingSafeEqual needs equal lengths; comparing the expected value with itself keeps the time alike.
  const same = presented.length === expected.length ? timingSafeEqual(presented, expected) : !timingSafeEqual(expected, expected);
  return same ? { ok: true } : { ok: false, reason: 'the Bearer token does not match the connector webhook.secret' };
}

export function createSubscriptionWebhook(deps: SubscriptionWebhookDeps): PluginWebhook<FhirEhrConfig> {
  return {
    verify: (request, { secret }) => verifySubscriptionRequest(request.headers, secret),
    // An R4 rest-hook subscription without a payload posts nothing at all.
    acceptsEmptyBody: true,
    eventId(request) {
      for (const name of EVENT_ID_HEADERS) {
        const value = request.headers[name]?.trim();
        if (value) return value;
      }
      return undefined; // the hub hashes the body
    },
    async handle(ctx, event) {
      const notification = classify(event.body, ctx.config.resources);
      ctx.count('notifications');
      switch (notification.kind) {
        case 'ping':
          ctx.count('notificationsWithoutChanges');
          ctx.log.info({ notification: notification.kind, statusType: notification.statusType }, 'fhir-ehr subscription notification: nothing to sync');
          return;
        case 'empty':
          ctx.log.info({ notification: notification.kind }, 'fhir-ehr subscription notification: incremental sync');
          await deps.syncChanges(ctx, deps.clientOf(ctx));
          return;
        case 'entries':
          await landEntries(ctx, deps, notification);
          return;
      }
    },
  };
}

interface FullEntry {
  index: number;
  fullUrl?: string;
  resource: JsonObject;
}
interface IdOnlyEntry {
  index: number;
  type: string;
  id: string;
}
type Notification =
  | { kind: 'empty' }
  | { kind: 'ping'; statusType: string }
  | { kind: 'entries'; full: FullEntry[]; idOnly: IdOnlyEntry[]; skipped: number; bundleType: string };

function unknownShape(reason: string, path = '/'): InputError {
  return new InputError(`fhir-ehr subscription notification: ${reason}`, [{ path, message: reason }]);
}

/** Reads the whole notification before anything lands, so a malformed one lands nothing. */
function classify(body: unknown, configured: readonly string[]): Notification {
  if (body === undefined || body === null || body === '' || (isObject(body) && Object.keys(body).length === 0)) return { kind: 'empty' };
  if (!isObject(body) || body.resourceType !== 'Bundle') {
    throw unknownShape('expected an empty body, {} or a Bundle', '/resourceType');
  }
  const bundleType = body.type;
  if (typeof bundleType !== 'string' || !BUNDLE_TYPES.has(bundleType)) {
    throw unknownShape(`expected a Bundle of type ${[...BUNDLE_TYPES].join(', ')}`, '/type');
  }
  if (body.entry !== undefined && !Array.isArray(body.entry)) throw unknownShape('Bundle.entry: expected an array', '/entry');
  const entries: unknown[] = (body.entry as unknown[] | undefined) ?? [];

  let first = 0;
  const status = isObject(entries[0]) && isObject(entries[0].resource) ? entries[0].resource : undefined;
  if (status && STATUS_TYPES.has(String(status.resourceType))) {
    first = 1;
    const statusType = statusTypeOf(status);
    if (statusType === 'handshake' || statusType === 'heartbeat' || statusType === 'query-status') return { kind: 'ping', statusType };
  } else if (bundleType === 'subscription-notification') {
    throw unknownShape('a subscription-notification Bundle must start with its SubscriptionStatus', '/entry/0/resource');
  }
  if (entries.length === first) return { kind: 'empty' };

  const full: FullEntry[] = [];
  const idOnly: IdOnlyEntry[] = [];
  let skipped = 0;
  for (let index = first; index < entries.length; index++) {
    const entry = entries[index];
    if (!isObject(entry)) throw unknownShape(`Bundle.entry[${index}]: expected an object`, `/entry/${index}`);
    const fullUrl = typeof entry.fullUrl === 'string' ? entry.fullUrl : undefined;
    if (entry.resource !== undefined && !isObject(entry.resource)) {
      throw unknownShape(`Bundle.entry[${index}].resource: expected a resource`, `/entry/${index}/resource`);
    }
    const resource = entry.resource as JsonObject | undefined;
    const requestUrl = isObject(entry.request) && typeof entry.request.url === 'string' ? entry.request.url : undefined;
    const reference = resource ? undefined : (referenceOf(fullUrl) ?? referenceOf(requestUrl));
    if (!resource && !reference) {
      throw unknownShape(`Bundle.entry[${index}]: no resource and no fullUrl or request.url naming <Type>/<id>`, `/entry/${index}`);
    }
    // The notification lands only what a sync of this connector would: its configured types.
    if (!configured.includes(resource ? String(resource.resourceType) : reference!.type)) skipped++;
    else if (resource) full.push({ index, resource, ...(fullUrl ? { fullUrl } : {}) });
    else idOnly.push({ index, ...reference! });
  }
  return { kind: 'entries', full, idOnly, skipped, bundleType };
}

function statusTypeOf(status: JsonObject): string | undefined {
  if (typeof status.type === 'string') return status.type; // R4B/R5 SubscriptionStatus.type
  // The R4 backport's Parameters: parameter[name=type].valueCode.
  const parameter = Array.isArray(status.parameter) ? status.parameter.find((p) => isObject(p) && p.name === 'type') : undefined;
  return isObject(parameter) && typeof parameter.valueCode === 'string' ? parameter.valueCode : undefined;
}

function referenceOf(url: string | undefined): { type: string; id: string } | undefined {
  if (!url) return undefined;
  const path = url.split(/[?#]/)[0]!;
  const match = REFERENCE.exec(path);
  return match ? { type: match[1]!, id: match[2]! } : undefined;
}

async function landEntries(
  ctx: PluginContext<FhirEhrConfig>,
  deps: SubscriptionWebhookDeps,
  notification: Extract<Notification, { kind: 'entries' }>,
): Promise<void> {
  const mapping = mappingContextOf(ctx.config);
  const { full, idOnly, skipped, bundleType } = notification;
  // Entries of the same notification resolve each other's references (an Encounter's Patient).
  const bundle = indexBundle(full.map(({ fullUrl, resource }) => ({ resource: resource as never, ...(fullUrl ? { fullUrl } : {}) })));
  // A Claim's Patient and Coverage named by id alone come from the records synced before.
  const known = await lookUpParties(ctx, full.flatMap(({ resource }) => partyLookupsOf(resource, mapping, bundle)));
  for (const { index, resource } of full) {
    await land(ctx, resource, mapResource(resource, mapping, bundle, known), { where: `subscription notification entry ${index}` });
  }

  let read = 0;
  let gone = 0;
  if (idOnly.length) {
    const fhir = deps.clientOf(ctx);
    for (const { index, type, id } of idOnly) {
      ctx.signal.throwIfAborted();
      let resource: FhirResource;
      try {
        resource = await fhir.read(type, id, { signal: ctx.signal });
      } catch (error) {
        // Deleted since the notification (or never visible to the hub): nothing to land.
        if (error instanceof NotFoundError) {
          gone++;
          continue;
        }
        throw error;
      }
      read++;
      const parties = await lookUpParties(ctx, partyLookupsOf(resource, mapping));
      await land(ctx, resource, mapResource(resource, mapping, undefined, parties), { where: `subscription notification entry ${index} (read)` });
    }
  }
  await ctx.flush();

  ctx.count('notificationResources', full.length + read);
  if (read) ctx.count('notificationReads', read);
  if (gone) ctx.count('notificationTargetGone', gone);
  if (skipped) ctx.count('notificationTypesNotSynced', skipped);
  ctx.log.info(
    { notification: 'entries', bundleType, withResource: full.length, read, gone, skipped },
    'fhir-ehr subscription notification landed',
  );
}
