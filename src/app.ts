import Koa from 'koa';
import type { Deps } from './deps.js';
import { apiDocsRouter } from './http/apiDocs.js';
import { mountRoutes } from './http/defineRoute.js';
import { createGuards } from './http/guards.js';
import { errorHandler } from './http/middleware/errorHandler.js';
import { requestContext } from './http/middleware/requestContext.js';
import { webPages } from './web/index.js';

/** The Koa app: middleware in order, then every module's routes. Tests drive app.callback(). */
export function createApp(deps: Deps, options: { checkResponses?: boolean } = {}): Koa {
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

  // The pages for people (src/web): before the API so every HTML answer, /docs too, gets a CSP.
  app.use(webPages(app, deps));

  // Every module's routes, declared with defineRoute: validated, authorised, described in /openapi.json.
  const routes = deps.modules.flatMap((m) => m.routes);
  const guards = createGuards(deps.auth, deps.config.billingApiToken);
  const moduleRouter = mountRoutes(routes, { guards, checkResponses: options.checkResponses ?? false });
  const docs = apiDocsRouter(routes, {
    title: 'IBOK Payments API',
    version: '1',
    description: 'The internet customer office of a water and sewage utility: billing feed, customer portal, payments, accounting.',
  });

  // Routers not yet declared with defineRoute (moving into modules).
  const routers = [
    moduleRouter,
    docs,
  ];
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
