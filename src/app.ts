import Koa from 'koa';
import { authRoutes } from './auth/routes.js';
import { billingRoutes } from './billing/routes.js';
import type { Deps } from './deps.js';
import { errorHandler } from './http/middleware/errorHandler.js';
import { requestContext } from './http/middleware/requestContext.js';
import { opsRoutes } from './ops/routes.js';
import { paymentRoutes } from './payments/routes.js';
import { portalRoutes } from './portal/routes.js';
import { reconciliationRoutes } from './reconciliation/routes.js';

/** The Koa app: middleware in order, then every module's routes. Tests drive app.callback(). */
export function createApp(deps: Deps): Koa {
  const app = new Koa({ proxy: false });
  app.silent = true; // errors are logged by requestContext/errorHandler with the request id

  app.use(requestContext(deps.logger, deps.metrics));
  app.use(errorHandler());
  app.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  const routers = [
    opsRoutes(deps.db.knex, deps.metrics),
    authRoutes(deps.auth),
    billingRoutes(deps.billing, deps.config.billingApiToken),
    portalRoutes({ db: deps.db.knex, auth: deps.auth, billing: deps.billing, ledger: deps.ledger, pendingPayments: deps.payments }),
    paymentRoutes({
      auth: deps.auth,
      payments: deps.payments,
      verifier: deps.gateway,
      merchantJwks: () => deps.merchantKeys.current.publicJwks(),
    }),
    reconciliationRoutes({ auth: deps.auth, reconciliation: deps.reconciliation, bankStatements: deps.bankStatements }),
  ];
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
