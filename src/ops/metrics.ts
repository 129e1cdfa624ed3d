import client from 'prom-client';

type HttpCounter = client.Counter<'method' | 'route' | 'status'>;
type HttpHistogram = client.Histogram<'method' | 'route' | 'status'>;

/** Prometheus metrics of one app instance (its own registry, so tests can run several apps). */
export class HttpMetrics {
  readonly registry = new client.Registry();
  private readonly requests = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    client.collectDefaultMetrics({ register: this.registry });
  }

  /** Per label set, the counter and histogram children (prom-client hashes the labels on every call otherwise). */
  private readonly children = new Map<string, { count: ReturnType<HttpCounter['labels']>; time: ReturnType<HttpHistogram['labels']> }>();

  observe(method: string, route: string, status: number, seconds: number): void {
    // Routes are patterns and methods/statuses few, so the map stays small.
    const key = `${method} ${status} ${route}`;
    let child = this.children.get(key);
    if (!child) {
      const labels = { method, route, status: String(status) };
      child = { count: this.requests.labels(labels), time: this.duration.labels(labels) };
      this.children.set(key, child);
    }
    child.count.inc();
    child.time.observe(seconds);
  }

  /** A counter owned by a module (payments, reconciliation) but exported with the HTTP ones. */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): client.Counter<L> {
    return new client.Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
