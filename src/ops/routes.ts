import type { Knex } from 'knex';
import { z } from 'zod';
import { migrationsApplied } from '../db/migrate.js';
import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import type { HttpMetrics } from './metrics.js';

const status = z.object({ status: z.string() });

/** Liveness, readiness and Prometheus metrics. */
export function opsRoutes(db: Knex, metrics: HttpMetrics): RouteDefinition[] {
  // Migrations never un-apply under a running process: once seen applied, the folder and the
  // migrations table need not be read on every probe again.
  let migrated = false;
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
        try {
          await db.raw('SELECT 1');
          migrated ||= await migrationsApplied(db);
          if (!migrated) {
            ctx.status = 503;
            return { error: { code: 'not_ready', message: 'Database migrations are not applied yet.' } };
          }
          return { status: 'ready' };
        } catch {
          ctx.status = 503;
          return { error: { code: 'not_ready', message: 'The database does not answer.' } };
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      tag: 'operations',
      summary: 'Prometheus metrics',
      access: 'public',
      responses: { 200: { description: 'Prometheus text format.', contentType: 'text/plain' } },
      handler: async (ctx) => {
        ctx.type = metrics.registry.contentType;
        ctx.body = await metrics.registry.metrics();
      },
    }),
  ];
}
