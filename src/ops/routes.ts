import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { z } from 'zod';
import { commonErrors } from '../errors.js';
import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import type { HttpMetrics } from './metrics.js';
import type { OpsService } from './service.js';

const status = z.object({ status: z.string() });

/**
 * Who may read /metrics (route counters, login failures): with METRICS_TOKEN set, only a request
 * bearing it (compared in constant time); without it, only requests from this machine.
 */
function metricsGate(metricsToken: string | undefined): (ctx: Context) => void {
  const expected = metricsToken ? createHash('sha256').update(metricsToken).digest() : undefined;
  return (ctx) => {
    if (expected) {
      const m = /^Bearer (.+)$/i.exec(ctx.get('authorization'));
      const given = createHash('sha256').update(m?.[1] ?? '').digest();
      if (!m || !timingSafeEqual(given, expected)) throw commonErrors.create('unauthorized', 'Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.');
      return;
    }
    const address = ctx.req.socket.remoteAddress ?? '';
    const loopback = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.test(address);
    if (!loopback) throw commonErrors.create('forbidden', 'Metrics are served to this machine only unless METRICS_TOKEN is set.');
  };
}

/** Liveness, readiness and Prometheus metrics. */
export function opsRoutes(ops: OpsService, metrics: HttpMetrics, metricsToken?: string): RouteDefinition[] {
  const mayReadMetrics = metricsGate(metricsToken);
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      tag: 'operations',
      summary: 'The process is up',
      access: 'public',
      responses: { 200: { description: 'Up.', schema: status } },
      handler: () => ({ status: 'ok' }),
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      tag: 'operations',
      summary: 'The database answers and its migrations are applied',
      access: 'public',
      responses: {
        200: { description: 'Ready.', schema: status },
        503: { description: 'Not ready: the database does not answer or migrations are missing (code `not_ready`).' },
      },
      handler: async (ctx) => {
        const readiness = await ops.readiness();
        if (readiness.ready) return { status: 'ready' };
        ctx.status = 503;
        return { error: { code: 'not_ready', message: readiness.reason } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      tag: 'operations',
      summary: 'Prometheus metrics (loopback only, or with the METRICS_TOKEN bearer token)',
      access: 'public',
      responses: { 200: { description: 'Prometheus text format.', contentType: 'text/plain' } },
      handler: async (ctx) => {
        mayReadMetrics(ctx);
        ctx.type = metrics.registry.contentType;
        ctx.body = await metrics.registry.metrics();
      },
    }),
  ];
}
