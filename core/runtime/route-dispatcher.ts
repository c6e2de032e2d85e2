import type { Logger } from 'pino';
import type { RouteConfig } from '../config/types.js';
import type { JobEnqueuer } from '../queue/types.js';
import type { PendingEvent, Store } from '../store/types.js';

/** `patient.created` from a change; entity names are lower-cased as in YAML. */
export function eventName(change: { type: string; kind: string }): string {
  return `${change.type.toLowerCase()}.${change.kind}`;
}

/** Matches `patient.created`, `patient.*`, `*.updated` and `*`. */
export function matchesEvent(pattern: string, name: string): boolean {
  if (pattern === '*' || pattern === name) return true;
  const [pEntity, pKind] = pattern.split('.');
  const [entity, kind] = name.split('.');
  return (pEntity === '*' || pEntity === entity) && (pKind === '*' || pKind === kind);
}

/**
 * Whose records a route carries. Without `tenants`, only the target connector's own tenant: a
 * practice's PHI reaches another practice's (or the MSO's) connector only when the YAML says so.
 */
export function routeCarries(route: RouteConfig, eventTenant: string, targetTenant: string | undefined): boolean {
  const allowed = route.tenants ?? (targetTenant ? [targetTenant] : []);
  return allowed.includes('*') || allowed.includes(eventTenant);
}

const BATCH = 500;

/**
 * Fans canonical events out to `deliver` jobs. Events come from the store's outbox, written in the
 * same transaction as the records, so a crash between commit and enqueue only delays delivery:
 * routing is at-least-once, and delivering plugins are idempotent.
 */
export class RouteDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly routes: RouteConfig[],
    private readonly enqueuer: JobEnqueuer,
    private readonly tenantOf: (connectorId: string) => string | undefined,
    private readonly log: Logger,
  ) {}

  /** Asks for a dispatch soon; calls while one runs coalesce into one more pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .then(() => undefined)
      .catch((error) => this.log.warn({ err: error }, 'route dispatch failed; will retry on the next sweep'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Sweeps the outbox periodically, for events whose process died before dispatching them. */
  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // A pass that ends with a kick pending starts another; wait for that one too, so nothing
    // touches the store after the runtime said it had stopped.
    while (this.running) await this.running;
  }

  /** Dispatches everything pending; returns how many deliver jobs were enqueued. */
  async drain(): Promise<number> {
    let jobs = 0;
    for (;;) {
      const events = await this.store.pendingEvents(BATCH);
      if (!events.length) return jobs;
      jobs += await this.dispatch(events);
      await this.store.markEventsDispatched(events.map((e) => e.seq));
      if (events.length < BATCH) return jobs;
    }
  }

  private async dispatch(events: PendingEvent[]): Promise<number> {
    const byTarget = new Map<string, { recordIds: Set<string>; names: Set<string>; seqs: string[] }>();
    for (const event of events) {
      const name = eventName(event);
      for (const route of this.routes) {
        if (!routeCarries(route, event.tenant, this.tenantOf(route.to))) continue;
        if (!route.on.some((pattern) => matchesEvent(pattern, name))) continue;
        let target = byTarget.get(route.to);
        if (!target) byTarget.set(route.to, (target = { recordIds: new Set(), names: new Set(), seqs: [] }));
        target.recordIds.add(event.recordId);
        target.names.add(name);
        target.seqs.push(event.seq);
      }
    }
    let jobs = 0;
    for (const [connectorId, target] of byTarget) {
      const tenant = this.tenantOf(connectorId);
      if (!tenant) {
        this.log.warn({ connector: connectorId }, 'route targets an unknown connector; events skipped');
        continue;
      }
      // The job id derives from the events, so re-dispatching the same batch after a crash adds
      // nothing; it names the target too, as one batch may go to several connectors.
      const jobId = `deliver-${connectorId}-${target.seqs[0]}-${target.seqs[target.seqs.length - 1]}-${target.seqs.length}`;
      await this.enqueuer.enqueue(
        {
          kind: 'deliver',
          connectorId,
          tenant,
          trigger: 'route',
          recordIds: [...target.recordIds],
          events: [...target.names],
        },
        { jobId },
      );
      jobs++;
    }
    if (jobs) this.log.info({ events: events.length, jobs }, 'routed canonical events to deliver jobs');
    return jobs;
  }
}
