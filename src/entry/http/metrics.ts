import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AttemptResult } from '../../outbox/attempt-result';

/**
 * Prometheus metrics (prom-client) on a registry passed in — never the global one, so tests and
 * several app instances do not share counters. The relay records deliveries through the same
 * object. Labels are route templates and fixed vocabularies only: no ids, no PHI.
 */

/** Live values read when `/metrics` is scraped (collect callbacks). */
export interface MetricsSources {
  /** Number of outbox rows per state (DESIGN.md §6 states). */
  outboxCounts(): Promise<Record<string, number>> | Record<string, number>;
  /** Undelivered items with less than 24 h of their integration window left (DESIGN.md §6). */
  atRiskCount(): Promise<number> | number;
}

/**
 * The `outcome` label of `kap_bridge_deliveries_total` for each attempt result. The label values
 * are a contract of `/metrics` (dashboards and alerts select on them): a lost lease counts as a
 * retry, waiting for a consent as `awaiting-consent`.
 */
const OUTCOME_LABEL: Record<AttemptResult, string> = {
  delivered: 'delivered',
  withheld: 'withheld',
  awaiting: 'awaiting-consent',
  retry: 'retry',
  dead: 'dead',
  lost: 'retry',
};

export interface Metrics {
  readonly registry: Registry;
  /** One finished HTTP request, by route template. */
  observeHttp(method: string, route: string, status: number, seconds: number): void;
  /** One delivery attempt and how long it took. */
  observeDelivery(result: AttemptResult, seconds: number): void;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Registers kap-bridge's metrics on `registry`. Call once per registry. */
export function createMetrics(registry: Registry, sources: MetricsSources): Metrics {
  new Gauge({
    name: 'kap_bridge_outbox_items',
    help: 'Outbox items by state.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await sources.outboxCounts();
      this.reset(); // a state that emptied must not keep its last count
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'kap_bridge_outbox_at_risk',
    help: 'Undelivered items with less than 24 h left in their integration window.',
    registers: [registry],
    async collect() {
      this.set(await sources.atRiskCount());
    },
  });
  const deliveries = new Counter({
    name: 'kap_bridge_deliveries_total',
    help: 'Delivery attempts by outcome.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const deliveryDuration = new Histogram({
    name: 'kap_bridge_delivery_duration_seconds',
    help: 'Duration of one delivery attempt (consent re-check, validation, push).',
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: 'kap_bridge_http_requests_total',
    help: 'HTTP requests by method, route template and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'kap_bridge_http_request_duration_seconds',
    help: 'HTTP request duration by method and route template.',
    labelNames: ['method', 'route'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  return {
    registry,
    observeHttp(method, route, status, seconds) {
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe({ method, route }, seconds);
    },
    observeDelivery(result, seconds) {
      deliveries.inc({ outcome: OUTCOME_LABEL[result] });
      deliveryDuration.observe(seconds);
    },
  };
}
