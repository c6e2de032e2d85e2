import { Counter, Histogram, type Registry } from 'prom-client';

export type WebhookOutcome =
  | 'accepted'
  | 'duplicate'
  | 'unauthenticated'
  | 'invalid'
  | 'too_large'
  | 'unsupported_media_type'
  | 'not_found'
  | 'unavailable'
  | 'error';

export interface HttpMetrics {
  requestDuration: Histogram<'method' | 'route' | 'status'>;
  webhookEvents: Counter<'connector' | 'outcome'>;
}

const REQUEST_DURATION = 'hub_http_request_duration_seconds';
const WEBHOOK_EVENTS = 'hub_webhook_events_total';

const cache = new WeakMap<Registry, HttpMetrics>();

/**
 * The HTTP metrics on `registry`, created once: several apps built on one registry (tests, an
 * `api` role restarted in-process) share the same series instead of failing on re-registration.
 */
export function httpMetrics(registry: Registry): HttpMetrics {
  const cached = cache.get(registry);
  if (cached) return cached;
  const metrics: HttpMetrics = {
    requestDuration: existing(registry, REQUEST_DURATION, Histogram) ??
      new Histogram({
        name: REQUEST_DURATION,
        help: 'HTTP request duration in seconds, by method, route pattern and status',
        labelNames: ['method', 'route', 'status'] as const,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
    webhookEvents: existing(registry, WEBHOOK_EVENTS, Counter) ??
      new Counter({
        name: WEBHOOK_EVENTS,
        help: 'Inbound webhook events, by connector and outcome',
        labelNames: ['connector', 'outcome'] as const,
        registers: [registry],
      }),
  };
  cache.set(registry, metrics);
  return metrics;
}

function existing<T>(registry: Registry, name: string, kind: abstract new (...args: never[]) => T): T | undefined {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  if (!(metric instanceof kind)) throw new TypeError(`metric ${name} is already registered with another type`);
  return metric;
}
