import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { HubConfig } from '../config/types.js';
import type { DeadLetter } from '../queue/types.js';
import type { Run, Store } from '../store/types.js';

export interface ConnectorStatus {
  id: string;
  tenant: string;
  plugin: string;
  enabled: boolean;
  paused: boolean;
  /** Human form of the schedule (`every 30s`, `cron 0 * * * *`), absent when none. */
  schedule?: string;
  nextRunAt?: string;
  lastRun?: Run;
  jobs: { waiting: number; active: number; delayed: number; failed: number; completed: number };
}

export interface ReceivedWebhook {
  headers: Record<string, string>;
  rawBody: string;
  contentType: string;
}

export interface ReadyCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

/**
 * What the HTTP layer needs from the rest of the hub, injected so the API can be tested on its own
 * and so the `api` role can run without workers.
 */
export interface HubServices {
  config: HubConfig;
  store: Store;
  logger: Logger;
  metrics: Registry;
  connectors: {
    list(): Promise<ConnectorStatus[]>;
    /** Throws NotFoundError. */
    get(id: string): Promise<ConnectorStatus>;
    /** A sync job, or a `file` job when a path is given. */
    runNow(id: string, options: { full?: boolean; path?: string; requestedBy: string }): Promise<{ jobId: string }>;
    pause(id: string): Promise<void>;
    resume(id: string): Promise<void>;
  };
  deadLetters: {
    list(query: { connectorIds: string[]; limit: number }): Promise<DeadLetter[]>;
    /** Throws NotFoundError when the job is not a dead letter of one of these connectors. */
    replay(jobId: string, connectorIds: string[]): Promise<void>;
    replayAll(connectorIds: string[]): Promise<number>;
  };
  webhooks: {
    /**
     * Verifies, validates, persists and enqueues one inbound event. Throws NotFoundError (no such
     * connector or no webhook), AuthenticationError (signature), InputError (body).
     */
    receive(connectorId: string, request: ReceivedWebhook): Promise<{ eventId: string; duplicate: boolean }>;
  };
  ready(): Promise<ReadyCheck[]>;
}
