import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { FileTransport } from '../../connectors/files/types.js';
import type { HttpClient } from '../../connectors/http/types.js';
import type { ConnectorConfig } from '../config/types.js';
import { describeError, InputError, NotFoundError, PermanentError, TransientError } from '../errors.js';
import type { HubJobData } from '../queue/types.js';
import { redactor } from '../redaction.js';
import type { PluginDefinition, TenantInfo } from '../sdk/types.js';
import type { CommitResult, Run, RunCounts, Store } from '../store/types.js';
import { createPluginContext } from './plugin-context.js';

/** A configured connector, ready to run jobs. */
export interface ConnectorRuntime {
  config: ConnectorConfig;
  plugin: PluginDefinition;
  tenant: TenantInfo;
  /** Other tenants routes bring records from (`'*'`: all); the plugin may keep records under them. */
  servesTenants?: readonly string[] | '*';
  files?: FileTransport;
  http: HttpClient;
}

export interface ExecuteDeps {
  store: Store;
  logger: Logger;
  /** Receives each commit that changed records (route fan-out). */
  onCommit?: (result: CommitResult) => Promise<void> | void;
}

export interface JobAttempt {
  jobId?: string;
  attempt: number;
  /** Aborted on shutdown; the job's own timeout is added here. */
  signal?: AbortSignal;
}

export interface JobOutcome {
  run: Run;
  error?: unknown;
}

/**
 * Runs one job of any kind against its plugin and records it as a run. Never throws for a plugin
 * failure: the outcome carries the error so the caller (a BullMQ worker, the CLI, the test kit)
 * decides about retries. Records committed before a failure stay committed (with their cursor).
 */
export async function executeJob(
  deps: ExecuteDeps,
  connector: ConnectorRuntime,
  data: HubJobData,
  attempt: JobAttempt,
): Promise<JobOutcome> {
  const { store } = deps;
  const runId = randomUUID();
  const log = deps.logger.child({
    connector: connector.config.id,
    plugin: connector.plugin.name,
    kind: data.kind,
    job: attempt.jobId,
    run: runId,
  });
  const timeout = AbortSignal.timeout(connector.config.timeoutSeconds * 1000);
  const signal = attempt.signal ? AbortSignal.any([attempt.signal, timeout]) : timeout;

  await store.startRun({
    id: runId,
    connectorId: connector.config.id,
    tenant: connector.tenant.id,
    kind: data.kind,
    jobId: attempt.jobId,
    trigger: data.trigger,
    attempt: attempt.attempt,
  });
  const handle = createPluginContext({
    connectorId: connector.config.id,
    tenant: connector.tenant,
    config: connector.config.config,
    store,
    log,
    signal,
    http: connector.http,
    files: connector.files,
    onCommit: deps.onCommit,
    servesTenants: connector.servesTenants,
  });
  log.info({ trigger: data.trigger, attempt: attempt.attempt }, 'job started');
  const started = performance.now();
  let error: unknown;
  try {
    await runHook(connector, data, handle.context, store);
    await handle.flush();
  } catch (caught) {
    error = signal.aborted && !(caught instanceof PermanentError) ? abortError(signal, connector, caught) : caught;
    // What the plugin staged before failing is still good data: keep it, as a cursor or ledger
    // entry only ever covers records emitted before it.
    try {
      await handle.flush();
    } catch (flushError) {
      log.warn({ err: flushError }, 'could not commit records staged before the failure');
    }
  }
  const counts: RunCounts = handle.counts;
  const durationMs = Math.round(performance.now() - started);
  const message = error === undefined ? undefined : redactor.redactString(describeError(error));
  const run = await store.finishRun(runId, {
    status: error === undefined ? 'succeeded' : 'failed',
    counts,
    error: message,
    coverage: handle.coverage.empty ? undefined : handle.coverage.toJSON(),
  });
  if (error === undefined) log.info({ counts, durationMs }, 'job succeeded');
  else log.warn({ counts, durationMs, err: error }, 'job failed');
  return { run, error };
}

async function runHook(
  connector: ConnectorRuntime,
  data: HubJobData,
  ctx: ReturnType<typeof createPluginContext>['context'],
  store: Store,
): Promise<void> {
  const { plugin } = connector;
  switch (data.kind) {
    case 'sync': {
      if (!plugin.sync) throw new PermanentError(`plugin ${plugin.name} has no sync`);
      await plugin.sync(ctx, { full: data.full ?? false });
      return;
    }
    case 'webhook': {
      if (!plugin.webhook) throw new PermanentError(`plugin ${plugin.name} takes no webhooks`);
      if (!data.eventId) throw new PermanentError('webhook job without an event id');
      const raw = await store.getRawEvent(connector.config.id, data.eventId);
      if (!raw) throw new NotFoundError(`raw event ${data.eventId} of connector ${connector.config.id} is gone (past retention?)`);
      let body: unknown = null;
      try {
        // An empty body was let in only for a plugin that accepts one (acceptsEmptyBody).
        if (raw.body !== '') body = JSON.parse(raw.body);
      } catch (cause) {
        throw new InputError(`raw event ${data.eventId} is not JSON`, [], { cause });
      }
      await plugin.webhook.handle(ctx, {
        eventId: raw.eventId,
        receivedAt: raw.receivedAt,
        contentType: raw.contentType,
        headers: raw.headers,
        body,
      });
      // Marked after the records commit: a crash in between repeats the event, never loses it.
      await ctx.flush();
      await store.markRawEventProcessed(connector.config.id, raw.eventId);
      return;
    }
    case 'deliver': {
      if (!plugin.deliver) throw new PermanentError(`plugin ${plugin.name} delivers nothing`);
      const records = await store.getRecords(data.recordIds ?? []);
      if (records.length) await plugin.deliver(ctx, records);
      ctx.count('delivered', records.length);
      return;
    }
    case 'file': {
      // One inbound file, through the plugin's sync narrowed to that path.
      if (!plugin.sync) throw new PermanentError(`plugin ${plugin.name} has no sync to process files with`);
      if (!data.path) throw new PermanentError('file job without a path');
      await plugin.sync(ctx, { full: data.full ?? false, path: data.path });
      return;
    }
  }
}

function abortError(signal: AbortSignal, connector: ConnectorRuntime, cause: unknown): Error {
  const reason = signal.reason as { name?: string } | undefined;
  if (reason?.name === 'TimeoutError') {
    // Work done before the timeout is committed with its cursor, so a retry continues from there.
    return new TransientError(`job exceeded its timeout of ${connector.config.timeoutSeconds}s`, { cause });
  }
  return new TransientError('job was interrupted by a shutdown', { cause });
}
