import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
} from 'prom-client';

/** Latency buckets (seconds) from a guarded request (~0.1 ms) to a queued sign-in (seconds). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * This app's Prometheus registry (prom-client), one per app instance rather than prom-client's
 * global one, so that two apps in one process (the tests) do not collide. Holds the process
 * metrics and the HTTP ones; the libs add theirs (AuthMetrics) through `counter`/`gauge`.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly rateLimited: Counter<'route'>;
  /** One histogram child per method, route and status: found by a string key instead of prom-client's label hashing. */
  private readonly durationByKey = new Map<string, Histogram.Internal<'method' | 'route' | 'status_code'>>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request to response, by method, route template and status.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.rateLimited = this.counter({
      name: 'http_rate_limited_total',
      help: 'Requests answered 429 Too Many Requests, by route template.',
      labelNames: ['route'],
    });
  }

  counter<T extends string>(configuration: Omit<CounterConfiguration<T>, 'registers'>): Counter<T> {
    return new Counter({ ...configuration, registers: [this.registry] });
  }

  gauge<T extends string>(configuration: Omit<GaugeConfiguration<T>, 'registers'>): Gauge<T> {
    return new Gauge({ ...configuration, registers: [this.registry] });
  }

  /** One finished request. `route` is the route template (never the raw URL: unbounded cardinality). */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let child = this.durationByKey.get(key);
    if (child === undefined) {
      child = this.requestDuration.labels({ method, route, status_code: String(status) });
      this.durationByKey.set(key, child);
    }
    child.observe(seconds);
    if (status === 429) this.rateLimited.inc({ route });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
