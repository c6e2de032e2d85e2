import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { matchedRoutes } from 'hono/route';
import type { ConnectorConfig, HubConfig } from '../config/types.js';
import { AuthenticationError, InputError, NotFoundError, TransientError, type ValidationIssue } from '../errors.js';
import { summarizeCoverage } from '../model/field-paths.js';
import { REDACTED, redactor } from '../redaction.js';
import type { RunStatus } from '../store/types.js';
import { claimTimeline } from './claim-timeline.js';
import { bearerAuth, canSeeTenant, requireRole, tenantScope, type AuthEnv, type Principal } from './auth.js';
import { HttpProblem, toErrorAnswer, type ErrorAnswer } from './errors.js';
import { httpMetrics, type WebhookOutcome } from './http-metrics.js';
import { COVERAGE_DEFAULT_RUNS, COVERAGE_MAX_RUNS, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './limits.js';
import { openApiDocument } from './openapi.js';
import type { ReadyCheck, HubServices } from './services.js';
import { decodeUtf8, isJsonContentType, readBodyCapped, tooLarge } from './webhook-body.js';

const RUN_STATUSES: readonly RunStatus[] = ['running', 'succeeded', 'failed'];

/**
 * The hub's HTTP surface: webhook intake, the bearer-token API, health and metrics.
 *
 * Scoping rule: a token sees only its tenants. Lists leave other tenants out (a filter naming
 * another tenant or its connector yields an empty list); a lookup or mutation aimed at another
 * tenant's record, run, connector or dead letter answers 404, exactly as if it did not exist.
 *
 * Audit rule: every read of records (list, get, history, rejects) and every mutation writes an
 * audit entry BEFORE the answer goes out, so no PHI leaves unaudited; a failed audit write fails
 * the request. Entries carry the query and a count, never record content. Admin reads (audit log,
 * config) are audited too. Status reads (connectors, runs, tenants) are not: they carry no PHI and
 * a console polls them.
 *
 * `/healthz`, `/readyz`, `/metrics` and `/api/openapi.json` need no token: probes, scrapers and
 * client generators call them, and none of them carries tenant data.
 */
export function createHttpApp(services: HubServices): Hono {
  const { config, store, logger } = services;
  registerConfigSecrets(config);
  const metrics = httpMetrics(services.metrics);
  const app = new Hono();

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    metrics.requestDuration.observe(
      { method: c.req.method, route: routeLabel(c), status: String(c.res.status) },
      (performance.now() - started) / 1000,
    );
  });

  app.onError((error, c) => sendError(toErrorAnswerWithHono(error, c)));
  app.notFound((c) =>
    sendError(toErrorAnswer(new HttpProblem(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`), logger, c.req)),
  );

  function toErrorAnswerWithHono(error: unknown, c: Context): ErrorAnswer {
    // Hono's own refusals (a malformed request line, say) keep their 4xx status.
    if (error instanceof HTTPException && error.status >= 400 && error.status < 500) {
      const answer = toErrorAnswer(new HttpProblem(400, 'bad_request', error.message || 'bad request'), logger, c.req);
      return { ...answer, status: error.status as ErrorAnswer['status'] };
    }
    return toErrorAnswer(error, logger, { method: c.req.method, path: c.req.path });
  }

  // ---- probes and metrics -------------------------------------------------------------------

  app.get('/healthz', () => json({ status: 'ok' }));

  app.get('/readyz', async () => {
    let checks: ReadyCheck[];
    try {
      checks = await services.ready();
    } catch (error) {
      logger.warn({ err: error }, 'readiness checks failed to run');
      checks = [{ name: 'readiness', ok: false, detail: 'the readiness checks failed to run' }];
    }
    const ready = checks.every((check) => check.ok);
    return json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503);
  });

  app.get('/metrics', async () => {
    const text = await services.metrics.metrics();
    return new Response(text, { status: 200, headers: { 'content-type': services.metrics.contentType } });
  });

  // ---- webhooks ------------------------------------------------------------------------------

  app.post('/webhooks/:connectorId', async (c) => {
    const connectorId = c.req.param('connectorId');
    const connector = findConnector(config, connectorId);
    // Unknown ids share one label, so a caller probing ids cannot grow the metric without bound.
    const label = connector ? connector.id : '_unknown';
    try {
      const maxBytes = connector?.webhook?.maxBytes ?? config.hub.maxWebhookBytes;
      const declared = c.req.header('content-length');
      if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
      const contentType = c.req.header('content-type');
      const rawBody = decodeUtf8(await readBodyCapped(c.req.raw, maxBytes));
      // No body, no media type to check: whether an empty POST is welcome is the plugin's call.
      if (rawBody !== '' && !isJsonContentType(contentType)) {
        throw new HttpProblem(415, 'unsupported_media_type', 'the body must be JSON (application/json or application/*+json)');
      }
      const result = await services.webhooks.receive(connectorId, {
        // Every header, lower-cased: a plugin's verify may need Authorization; the store drops credentials.
        headers: Object.fromEntries(c.req.raw.headers),
        rawBody,
        contentType: contentType ?? '',
      });
      metrics.webhookEvents.inc({ connector: label, outcome: result.duplicate ? 'duplicate' : 'accepted' });
      return json({ eventId: result.eventId, duplicate: result.duplicate }, 202);
    } catch (error) {
      metrics.webhookEvents.inc({ connector: label, outcome: webhookOutcome(error) });
      throw error;
    }
  });

  // ---- API -----------------------------------------------------------------------------------

  // On the outer app, matched ahead of the API's auth middleware: it answers without a token.
  app.get('/api/openapi.json', () => json(openApiDocument));

  const api = new Hono<AuthEnv>();
  api.use('*', bearerAuth(config.tokens));

  const operator = requireRole('operator');
  const admin = requireRole('admin');

  function principalOf(c: Context<AuthEnv>): Principal {
    return c.get('principal');
  }

  /** The connector if this token may see it; 404 otherwise, as if it did not exist. */
  function visibleConnector(principal: Principal, id: string): ConnectorConfig {
    const connector = findConnector(config, id);
    if (!connector || !canSeeTenant(principal, connector.tenant)) throw new NotFoundError(`connector "${id}" not found`);
    return connector;
  }

  function visibleConnectorIds(principal: Principal): string[] {
    return config.connectors.filter((connector) => canSeeTenant(principal, connector.tenant)).map((connector) => connector.id);
  }

  async function audit(
    c: Context<AuthEnv>,
    action: string,
    entry: { tenant?: string; target?: string; detail?: Record<string, unknown> },
  ): Promise<void> {
    await store.audit({ actor: principalOf(c).name, action, ...entry });
  }

  api.get('/connectors', async (c) => {
    const principal = principalOf(c);
    const all = await services.connectors.list();
    return json({ items: all.filter((status) => canSeeTenant(principal, status.tenant)) });
  });

  api.get('/connectors/:id', async (c) => {
    const principal = principalOf(c);
    const id = c.req.param('id');
    visibleConnector(principal, id);
    const status = await services.connectors.get(id);
    if (!canSeeTenant(principal, status.tenant)) throw new NotFoundError(`connector "${id}" not found`);
    return json(status);
  });

  api.post('/connectors/:id/run', operator, async (c) => {
    const principal = principalOf(c);
    const connector = visibleConnector(principal, c.req.param('id'));
    const { full, path } = await runOptions(c.req.raw);
    const { jobId } = await services.connectors.runNow(connector.id, { full, path, requestedBy: principal.name });
    await audit(c, 'connectors.run', { tenant: connector.tenant, target: connector.id, detail: { full: full ?? false, path, jobId } });
    return json({ jobId }, 202);
  });

  api.post('/connectors/:id/pause', operator, async (c) => {
    const connector = visibleConnector(principalOf(c), c.req.param('id'));
    await services.connectors.pause(connector.id);
    await audit(c, 'connectors.pause', { tenant: connector.tenant, target: connector.id });
    return json({ id: connector.id, paused: true });
  });

  api.post('/connectors/:id/resume', operator, async (c) => {
    const connector = visibleConnector(principalOf(c), c.req.param('id'));
    await services.connectors.resume(connector.id);
    await audit(c, 'connectors.resume', { tenant: connector.tenant, target: connector.id });
    return json({ id: connector.id, paused: false });
  });

  // Field paths and counts only, never values; audited all the same, as it describes a tenant's data.
  api.get('/connectors/:id/coverage', async (c) => {
    const principal = principalOf(c);
    const connector = visibleConnector(principal, c.req.param('id'));
    const runs = runsQuery(c);
    const entries = await store.runCoverage({ connectorId: connector.id, tenants: tenantScope(principal), limit: runs });
    await audit(c, 'connectors.coverage', { tenant: connector.tenant, target: connector.id, detail: { runs, count: entries.length } });
    return json({
      connector: connector.id,
      tenant: connector.tenant,
      runs: entries.length,
      from: entries.at(-1)?.finishedAt,
      to: entries[0]?.finishedAt,
      entities: summarizeCoverage(entries.map((entry) => entry.coverage)),
    });
  });

  api.get('/runs', async (c) => {
    const principal = principalOf(c);
    const status = optionalQuery(c, 'status');
    if (status !== undefined && !RUN_STATUSES.includes(status as RunStatus)) {
      throw invalidQuery('status', `must be one of ${RUN_STATUSES.join(', ')}`);
    }
    const page = await store.listRuns({
      tenants: tenantScope(principal),
      connectorId: optionalQuery(c, 'connector'),
      status: status as RunStatus | undefined,
      limit: limitQuery(c),
      after: optionalQuery(c, 'after'),
    });
    return json({ ...page, items: page.items.filter((run) => canSeeTenant(principal, run.tenant)) });
  });

  api.get('/runs/:id', async (c) => {
    const principal = principalOf(c);
    const id = c.req.param('id');
    const run = await store.getRun(id);
    if (!run || !canSeeTenant(principal, run.tenant)) throw new NotFoundError(`run "${id}" not found`);
    return json(run);
  });

  api.get('/dead-letters', async (c) => {
    const principal = principalOf(c);
    const connector = optionalQuery(c, 'connector');
    const visible = visibleConnectorIds(principal);
    const connectorIds = connector === undefined ? visible : visible.filter((id) => id === connector);
    const limit = limitQuery(c);
    // An empty id list is answered here: the runtime might read "no filter" into it.
    if (connectorIds.length === 0) return json({ items: [] });
    const items = await services.deadLetters.list({ connectorIds, limit });
    return json({ items: items.filter((letter) => canSeeTenant(principal, letter.tenant)) });
  });

  api.post('/dead-letters/replay', operator, async (c) => {
    const principal = principalOf(c);
    const connector = optionalQuery(c, 'connector');
    const connectorIds = connector === undefined ? visibleConnectorIds(principal) : [visibleConnector(principal, connector).id];
    const replayed = connectorIds.length === 0 ? 0 : await services.deadLetters.replayAll(connectorIds);
    await audit(c, 'deadLetters.replayAll', {
      tenant: connector === undefined ? undefined : findConnector(config, connector)?.tenant,
      target: connector ?? 'dead-letters',
      detail: { connectorIds, replayed },
    });
    return json({ replayed }, 202);
  });

  api.post('/dead-letters/:jobId/replay', operator, async (c) => {
    const jobId = c.req.param('jobId');
    const connectorIds = visibleConnectorIds(principalOf(c));
    if (connectorIds.length === 0) throw new NotFoundError(`dead letter "${jobId}" not found`);
    await services.deadLetters.replay(jobId, connectorIds);
    await audit(c, 'deadLetters.replay', { target: jobId });
    return json({ replayed: 1 }, 202);
  });

  api.get('/records', async (c) => {
    const principal = principalOf(c);
    const query = {
      type: optionalQuery(c, 'type'),
      tenant: optionalQuery(c, 'tenant'),
      externalSystem: optionalQuery(c, 'externalSystem'),
      externalId: optionalQuery(c, 'externalId'),
      limit: limitQuery(c),
      after: optionalQuery(c, 'after'),
    };
    const page =
      query.tenant !== undefined && !canSeeTenant(principal, query.tenant)
        ? { items: [] }
        : await store.listRecords({ ...query, tenants: tenantScope(principal) });
    const items = page.items.filter((record) => canSeeTenant(principal, record.tenant));
    await audit(c, 'records.list', { tenant: query.tenant, target: 'records', detail: { query: definedOnly(query), count: items.length } });
    return json({ items, next: page.next });
  });

  api.get('/records/:id', async (c) => {
    const id = c.req.param('id');
    const record = await readableRecord(c, 'records.get', id);
    await audit(c, 'records.get', { tenant: record.tenant, target: id, detail: { count: 1 } });
    return json(record);
  });

  api.get('/records/:id/history', async (c) => {
    const id = c.req.param('id');
    const record = await readableRecord(c, 'records.history', id);
    const versions = await store.recordHistory(id);
    await audit(c, 'records.history', { tenant: record.tenant, target: id, detail: { count: versions.length } });
    return json({ items: versions });
  });

  api.get('/claims/:id/timeline', async (c) => {
    const id = c.req.param('id');
    const claim = await readableRecord(c, 'claims.timeline', id);
    if (claim.type !== 'Claim') {
      await audit(c, 'claims.timeline', { tenant: claim.tenant, target: id, detail: { count: 0, outcome: 'not_a_claim' } });
      throw new NotFoundError(`record "${id}" is a ${claim.type}, not a Claim`);
    }
    const timeline = await claimTimeline(store, claim, tenantScope(principalOf(c)));
    await audit(c, 'claims.timeline', { tenant: claim.tenant, target: id, detail: { count: 1 + timeline.lifecycles.length } });
    return json(timeline);
  });

  /**
   * The record if the token may see it. A refused or missing lookup is audited too (count 0,
   * under the record's real tenant when it exists) so probing another tenant's ids leaves a trace
   * that tenant's auditors can see.
   */
  async function readableRecord(c: Context<AuthEnv>, action: string, id: string) {
    const record = await store.getRecord(id);
    if (!record || !canSeeTenant(principalOf(c), record.tenant)) {
      await audit(c, action, { tenant: record?.tenant, target: id, detail: { count: 0, outcome: 'not_found' } });
      throw new NotFoundError(`record "${id}" not found`);
    }
    return record;
  }

  api.get('/rejects', async (c) => {
    const principal = principalOf(c);
    const query = { connector: optionalQuery(c, 'connector'), limit: limitQuery(c), after: optionalQuery(c, 'after') };
    const page = await store.listRejects({
      tenants: tenantScope(principal),
      sourceConnector: query.connector,
      limit: query.limit,
      after: query.after,
    });
    const items = page.items.filter((reject) => canSeeTenant(principal, reject.tenant));
    await audit(c, 'records.rejects', { target: 'rejects', detail: { query: definedOnly(query), count: items.length } });
    return json({ items, next: page.next });
  });

  api.get('/tenants', (c) => {
    const principal = principalOf(c);
    return json({ items: config.tenants.filter((tenant) => canSeeTenant(principal, tenant.id)) });
  });

  api.get('/audit', admin, async (c) => {
    const principal = principalOf(c);
    const query = { actor: optionalQuery(c, 'actor'), limit: limitQuery(c), after: optionalQuery(c, 'after') };
    const page = await store.listAudit({ tenants: tenantScope(principal), ...query });
    const items = page.items.filter((entry) => entry.tenant === undefined || canSeeTenant(principal, entry.tenant));
    await audit(c, 'audit.list', { target: 'audit', detail: { query: definedOnly(query), count: items.length } });
    return json({ items, next: page.next });
  });

  api.get('/config', admin, async (c) => {
    const view = configView(config, principalOf(c));
    await audit(c, 'config.read', { target: 'config' });
    return json(view);
  });

  app.route('/api', api);
  return app;
}

// ---- helpers -------------------------------------------------------------------------------

function json(body: unknown, status = 200): Response {
  // Answers are scrubbed by value: a secret that reached a run error or a record still never leaves.
  return new Response(JSON.stringify(redactor.redact(body)), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

function sendError(answer: ErrorAnswer): Response {
  return new Response(JSON.stringify(answer.body), {
    status: answer.status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...answer.headers },
  });
}

function findConnector(config: HubConfig, id: string): ConnectorConfig | undefined {
  return config.connectors.find((connector) => connector.id === id);
}

/** The handler's own route pattern, or `unmatched`, so unknown paths do not multiply label values. */
function routeLabel(c: Context): string {
  const route = matchedRoutes(c)[c.req.routeIndex];
  return route && route.method !== 'ALL' ? route.path : 'unmatched';
}

function webhookOutcome(error: unknown): WebhookOutcome {
  if (error instanceof AuthenticationError) return 'unauthenticated';
  if (error instanceof InputError) return 'invalid';
  if (error instanceof NotFoundError) return 'not_found';
  if (error instanceof TransientError) return 'unavailable';
  if (error instanceof HttpProblem) {
    if (error.status === 413) return 'too_large';
    if (error.status === 415) return 'unsupported_media_type';
  }
  return 'error';
}

function optionalQuery(c: Context, name: string): string | undefined {
  const value = c.req.query(name);
  return value === undefined || value === '' ? undefined : value;
}

function limitQuery(c: Context): number {
  const raw = optionalQuery(c, 'limit');
  if (raw === undefined) return DEFAULT_PAGE_SIZE;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw invalidQuery('limit', `must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  return Math.min(Number(raw), MAX_PAGE_SIZE);
}

function runsQuery(c: Context): number {
  const raw = optionalQuery(c, 'runs');
  if (raw === undefined) return COVERAGE_DEFAULT_RUNS;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw invalidQuery('runs', `must be a whole number from 1 to ${COVERAGE_MAX_RUNS}`);
  return Math.min(Number(raw), COVERAGE_MAX_RUNS);
}

function invalidQuery(name: string, message: string): InputError {
  const issue: ValidationIssue = { path: `query.${name}`, message };
  return new InputError(`query parameter ${name} ${message}`, [issue]);
}

function definedOnly(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));
}

/** The optional `{ "full": true }` of a run request; an empty body means an ordinary run. */
async function runOptions(request: Request): Promise<{ full?: boolean; path?: string }> {
  const text = decodeUtf8(await readBodyCapped(request, 16 * 1024));
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const reason = (error as Error).message;
    throw new InputError(`body is not valid JSON: ${reason}`, [{ path: '/', message: reason }], { cause: error });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InputError('the body must be a JSON object', [{ path: '/', message: 'must be an object' }]);
  }
  const { full, path, ...rest } = body as Record<string, unknown>;
  const issues: ValidationIssue[] = Object.keys(rest).map((key) => ({ path: `/${key}`, message: `unknown field "${key}"` }));
  if (full !== undefined && typeof full !== 'boolean') issues.push({ path: '/full', message: 'must be a boolean' });
  if (path !== undefined && (typeof path !== 'string' || path === '')) issues.push({ path: '/path', message: 'must be a file path' });
  if (issues.length) throw new InputError('the run request is invalid', issues);
  return { ...(typeof full === 'boolean' ? { full } : {}), ...(typeof path === 'string' ? { path } : {}) };
}

/**
 * Secrets are registered with the process-wide redactor by the config loader; registering the
 * ones the HTTP layer handles again covers a config built in code (tests, embedding) as well.
 */
function registerConfigSecrets(config: HubConfig): void {
  for (const token of config.tokens) redactor.add(token.token);
  for (const connector of config.connectors) redactor.add(connector.webhook?.secret);
}

/**
 * What an admin sees of the config: their tenants' part of it, token values left out entirely,
 * known secret fields masked and credentials cut from URLs, then scrubbed by value.
 */
function configView(config: HubConfig, principal: Principal): unknown {
  const visible = (tenant: string) => canSeeTenant(principal, tenant);
  const connectors = config.connectors.filter((connector) => visible(connector.tenant));
  const connectorIds = new Set(connectors.map((connector) => connector.id));
  return {
    sourceFile: config.sourceFile,
    baseDir: config.baseDir,
    hub: {
      ...config.hub,
      redisUrl: maskUrlCredentials(config.hub.redisUrl),
      databaseUrl: maskUrlCredentials(config.hub.databaseUrl),
    },
    tenants: config.tenants.filter((tenant) => visible(tenant.id)),
    tokens: config.tokens
      .filter((token) => principal.tenants === '*' || (!token.tenants.includes('*') && token.tenants.every(visible)))
      .map((token) => ({ name: token.name, role: token.role, tenants: token.tenants })),
    connectors: connectors.map((connector) => ({
      ...connector,
      transport: {
        ...connector.transport,
        files: connector.transport.files && maskFields(connector.transport.files, ['password', 'privateKey']),
        http: connector.transport.http && {
          ...connector.transport.http,
          headers:
            connector.transport.http.headers &&
            Object.fromEntries(Object.keys(connector.transport.http.headers).map((name) => [name, REDACTED])),
        },
      },
      webhook: connector.webhook && maskFields(connector.webhook, ['secret']),
    })),
    routes: config.routes.filter((route) => connectorIds.has(route.to)),
  };
}

function maskFields<T extends object>(value: T, fields: string[]): T {
  const copy = { ...value } as Record<string, unknown>;
  for (const field of fields) if (copy[field] !== undefined) copy[field] = REDACTED;
  return copy as T;
}

function maskUrlCredentials(url: string | undefined): string | undefined {
  return url?.replace(/\/\/([^/@:]*):[^/@]*@/, `//$1:${REDACTED}@`);
}

