import Router from '@koa/router';
import type { Knex } from 'knex';
import { migrationsApplied } from '../db/migrate.js';
import type { HttpMetrics } from './metrics.js';

/** Liveness, readiness and Prometheus metrics. */
export function opsRoutes(db: Knex, metrics: HttpMetrics): Router {
  const router = new Router();

  // The customer-facing pages live in the IBOK front end; this is where its links back land.
  router.get('/', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = `<!doctype html><html lang="pl"><head><meta charset="utf-8"><title>IBOK – płatności</title></head>
<body><h1>Internetowe Biuro Obsługi Klienta – płatności</h1>
<p>Usługa płatności i rozrachunków IBOK. Zaloguj się w IBOK, aby zobaczyć swoje faktury i rozrachunki.</p></body></html>`;
  });

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  // Migrations never un-apply under a running process: once seen applied, the folder and the
  // migrations table need not be read on every probe again.
  let migrated = false;
  router.get('/readyz', async (ctx) => {
    try {
      await db.raw('SELECT 1');
      migrated ||= await migrationsApplied(db);
      if (!migrated) {
        ctx.status = 503;
        ctx.body = { error: { code: 'not_ready', message: 'Database migrations are not applied yet.' } };
        return;
      }
      ctx.body = { status: 'ready' };
    } catch {
      ctx.status = 503;
      ctx.body = { error: { code: 'not_ready', message: 'The database does not answer.' } };
    }
  });

  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });

  return router;
}
