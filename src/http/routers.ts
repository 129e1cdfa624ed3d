import type Router from '@koa/router';
import type Koa from 'koa';

/**
 * What a mounted koa router serves: `api` (routes from defineRoute, described in /openapi.json),
 * `docs` (the description itself and its viewer), `web` (pages for people, not API). The test of
 * the API description walks the app's routers and uses the mark to tell them apart; an unmarked
 * router is treated as API, so a raw router slipping in under /api is caught.
 */
export type RouterKind = 'api' | 'docs' | 'web';

const KIND = Symbol('ibok.routerKind');

export function markRouter<R extends Router>(router: R, kind: RouterKind): R {
  (router as unknown as Record<symbol, RouterKind>)[KIND] = kind;
  return router;
}

export function routerKind(router: Router): RouterKind | undefined {
  return (router as unknown as Record<symbol, RouterKind | undefined>)[KIND];
}

/** Every koa router mounted on the app with `app.use(router.routes())` (koa-router tags the middleware). */
export function mountedRouters(app: Koa): Router[] {
  const out: Router[] = [];
  for (const mw of app.middleware) {
    const router = (mw as { router?: Router }).router;
    if (router) out.push(router);
  }
  return out;
}
