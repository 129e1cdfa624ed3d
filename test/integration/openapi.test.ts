import Router from '@koa/router';
import type Koa from 'koa';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { openApiPath } from '../../src/http/openapi.js';
import { markRouter, mountedRouters, routerKind } from '../../src/http/routers.js';
import { startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

/** Paths that are API (described in /openapi.json); pages for people are not. */
const API_PATH = /^\/(api(\/|$)|\.well-known\/|healthz$|readyz$|metrics$)/;

type OpenApiDoc = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

/** The app's routes by walking its routers' layers, and those under an API path the description lacks. */
function walk(app: Koa, doc: OpenApiDoc) {
  const routers = mountedRouters(app);
  const mounted: string[] = [];
  const everyRoute = new Set<string>();
  for (const router of routers) {
    if (routerKind(router) === 'web') continue; // pages for people, not API
    for (const layer of router.stack) {
      const path = String(layer.path);
      for (const method of layer.methods) {
        if (method === 'HEAD') continue; // koa-router adds HEAD to every GET
        everyRoute.add(`${method} ${openApiPath(path)}`);
        if (API_PATH.test(path)) mounted.push(`${method} ${path}`);
      }
    }
  }
  const undescribed = mounted.filter((m) => {
    const [method, path] = m.split(' ') as [string, string];
    return !doc.paths[openApiPath(path)]?.[method.toLowerCase()];
  });
  return { routers, mounted, everyRoute, undescribed };
}

describe('GET /openapi.json', () => {
  it('describes every route the app mounts under /api, /.well-known, /healthz, /readyz and /metrics', async () => {
    const res = await svc.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body as OpenApiDoc;
    expect(doc.openapi).toBe('3.1.0');

    // The same app the service runs, built from the same deps: walk its routers' layers.
    const app = createApp(svc.deps);
    const { mounted, everyRoute, undescribed } = walk(app, doc);
    expect(undescribed).toEqual([]);
    // The walk really saw the routes (and the description holds no route that is not mounted).
    for (const known of ['PUT /api/billing/invoices/:invoiceNumber', 'GET /api/me', 'GET /api/settlements', 'GET /healthz']) {
      expect(mounted).toContain(known);
    }
    const described = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(described.filter((d) => !everyRoute.has(d))).toEqual([]);
  });

  it('the walk catches a raw router under /api that the description lacks (a web-marked router is exempt)', async () => {
    const doc = (await svc.request('GET', '/openapi.json')).body as OpenApiDoc;
    const app = createApp(svc.deps);
    app.use(new Router().get('/api/raw', (ctx) => (ctx.body = {})).routes());
    app.use(markRouter(new Router().get('/api/strona', (ctx) => (ctx.body = 'x')), 'web').routes());
    expect(walk(app, doc).undescribed).toEqual(['GET /api/raw']);
  });

  it('lists each route\'s error codes with their one status', async () => {
    const doc = (await svc.request('GET', '/openapi.json')).body as OpenApiDoc;
    const feed = doc.paths['/api/billing/invoices/{invoiceNumber}']!.put!;
    expect(Object.keys(feed.responses).sort()).toEqual(['200', '201', '400', '401', '403', '409', '422']);
    expect(JSON.stringify(feed.responses['422'])).toContain('unknown_customer');
    expect(JSON.stringify(feed.responses['409'])).toContain('document_immutable');
  });
});

describe('GET /docs', () => {
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it('renders the description offline in Chromium, one block per operation', async () => {
    const doc = (await svc.request('GET', '/openapi.json')).body as OpenApiDoc;
    const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage();
    // Everything must come from the service itself: any other host is refused and recorded.
    const outside: string[] = [];
    const origin = new URL(svc.url).origin;
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    const res = await page.goto(`${svc.url}/docs`);
    expect(res?.status()).toBe(200);
    await page.waitForSelector('.opblock', { timeout: 20_000 });
    await expect.poll(() => page.locator('.opblock').count(), { timeout: 10_000 }).toBe(operations);
    expect(await page.locator('.information-container .title').textContent()).toContain('IBOK Payments API');
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
  });
});
