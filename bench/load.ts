/**
 * The load generator of `npm run bench`: a child process (forked by bench/run.ts), so that the
 * clients' work never shares the service's event loop, as a user's load would not.
 *
 * It takes one job over IPC: a base URL, a number of concurrent keep-alive connections, a time
 * bound, and either one request sent again and again or a list of requests each sent once (a
 * notification, an invoice of the feed, a payment with its own idempotency key). It answers the
 * count, the rate, the latency percentiles and the statuses.
 */
import http from 'node:http';

export interface LoadRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadJob {
  url: string;
  connections: number;
  durationMs: number;
  /** Sent in order; with `repeat` the list is cycled until the time is up, else each goes once. */
  requests: LoadRequest[];
  repeat: boolean;
  /** Statuses that count as a success (others are counted as errors, the first one kept). */
  okStatuses: number[];
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rate: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
  firstError?: string;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const base = new URL(job.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections, maxFreeSockets: job.connections });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const deadline = Date.now() + job.durationMs;

  const send = (r: LoadRequest) =>
    new Promise<void>((resolve) => {
      const started = process.hrtime.bigint();
      const headers: Record<string, string | number> = { ...r.headers };
      if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body);
      const req = http.request(
        { host: base.hostname, port: base.port, path: r.path, method: r.method, agent, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => {
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            const status = res.statusCode ?? 0;
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (!job.okStatuses.includes(status)) {
              errors += 1;
              firstError ??= `${r.method} ${r.path} -> ${status} ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`;
            }
            resolve();
          });
        },
      );
      req.on('error', (err) => {
        errors += 1;
        firstError ??= `${r.method} ${r.path} -> ${err.message}`;
        resolve();
      });
      req.end(r.body);
    });

  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: job.connections }, async () => {
      while (Date.now() < deadline) {
        if (!job.repeat && next >= job.requests.length) return;
        const r = job.requests[next++ % job.requests.length]!;
        await send(r);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    errors,
    seconds,
    rate: latencies.length / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    statuses,
    ...(firstError ? { firstError } : {}),
  };
}

// As a child: one job per message, the result sent back; the parent disconnects when done.
if (process.send) {
  process.on('message', (job: LoadJob) => {
    runLoad(job).then(
      (result) => process.send!({ ok: true, result }),
      (err: unknown) => process.send!({ ok: false, error: String((err as Error).stack ?? err) }),
    );
  });
}
