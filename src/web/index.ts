import fs from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import type Koa from 'koa';
import type { Context, Middleware, Next } from 'koa';
import { koaBody } from 'koa-body';
import type { Logger } from 'pino';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { markRouter } from '../http/routers.js';
import { registerAccountPages } from './pages/account.js';
import { registerAuthPages } from './pages/auth.js';
import { registerContractAndDocumentPages } from './pages/contracts.js';
import { registerMeterPages } from './pages/meters.js';
import { registerNoticePages } from './pages/notices.js';
import { registerPublicPages } from './pages/public.js';
import { registerStaffPages } from './pages/staff.js';
import { registerRequestPages } from './pages/requests.js';
import { registerOfficePages } from './pages/office.js';
import { CONTRAST_COOKIE, render, sourceDir } from './render.js';
import { fallbackHtmlHeaders, pageSecurityHeaders } from './security.js';
import { webServices, type WebServices } from './services.js';
import { csrfMatches, loadSessionKey, sessionMiddleware, webSession } from './session.js';
import { WebError, type WebUser } from './state.js';

export { WebError } from './state.js';

/** Paths a user who still has a one-time password may open. */
function allowedBeforePasswordChange(p: string): boolean {
  return p === '/haslo' || p === '/wyloguj' || p === '/kontrast' || p.startsWith('/static/') || /^\/payments\/[^/]+\/return$/.test(p);
}

/** A local path to go back to after login or a contrast switch; anything else is `/`. */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 500) return '/';
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(value)) return '/';
  return value;
}

export interface PageDeps {
  services: WebServices;
  deps: Deps;
}

export type RouterT = Router;

/** Handlers that need a logged-in customer get the customer's id; a visitor goes to the login form. */
export function customerOnly(ctx: Context): { user: WebUser; customerId: string } | undefined {
  const user = ctx.state.webUser as WebUser | undefined;
  if (!user) {
    ctx.status = 303;
    ctx.redirect(`/?wroc=${encodeURIComponent(ctx.path)}`);
    return undefined;
  }
  if (user.role !== 'customer' || !user.customerId) throw new WebError(403, 'Ta strona jest przeznaczona dla klientów.');
  return { user, customerId: user.customerId };
}

/** Staff pages: a visitor goes to the login form, a customer is refused. */
export function staffOnly(ctx: Context, role: 'admin' | 'accounting'): WebUser | undefined {
  const user = ctx.state.webUser as WebUser | undefined;
  if (!user) {
    ctx.status = 303;
    ctx.redirect(`/?wroc=${encodeURIComponent(ctx.path)}`);
    return undefined;
  }
  if (user.role !== role) throw new WebError(403, 'Ta strona jest przeznaczona dla pracowników biura.');
  return user;
}

/** Multipart forms check the CSRF token themselves once their body is read. */
export function requireCsrf(ctx: Context, token: unknown): void {
  if (!csrfMatches(ctx, token)) {
    throw new WebError(403, 'Formularz wygasł albo nie pochodzi z tej strony. Odśwież stronę i wyślij go ponownie.');
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Nieprawidłowe dane w formularzu.',
  401: 'Zaloguj się, aby zobaczyć tę stronę.',
  403: 'Nie masz dostępu do tej strony.',
  404: 'Nie znaleziono strony.',
  409: 'Tej operacji nie można teraz wykonać.',
  413: 'Przesłane dane są zbyt duże.',
  422: 'Nie można przyjąć tych danych.',
  429: 'Zbyt wiele prób. Spróbuj ponownie za chwilę.',
};

function errorPages(deps: Deps): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      let status = 500;
      let message = 'Wystąpił błąd po naszej stronie. Spróbuj ponownie za chwilę.';
      let headers: Record<string, string> = {};
      if (err instanceof WebError) {
        status = err.status;
        message = err.message;
        headers = err.headers;
      } else if (err instanceof AppError && err.status < 500) {
        status = err.status;
        message = STATUS_TEXT[err.status] ?? message;
        headers = err.headers ?? {};
      } else if (err instanceof AppError && (err.status === 502 || err.status === 504 || err.status === 503)) {
        status = err.status;
        message = 'System płatności nie odpowiada. Spróbuj ponownie za kilka minut.';
      } else if (typeof (err as { status?: unknown }).status === 'number' && (err as { status: number }).status < 500) {
        // koa-body: a form too large or unreadable.
        status = (err as { status: number }).status;
        message = STATUS_TEXT[status] ?? STATUS_TEXT[400]!;
      } else {
        const log = (ctx.state.log as Logger | undefined) ?? deps.logger;
        log.error({ err }, 'page failed');
      }
      for (const [k, v] of Object.entries(headers)) ctx.set(k, v);
      render(ctx, 'error', { title: status === 404 ? 'Nie znaleziono' : 'Błąd', message, status }, status);
    }
  };
}

function loadUser(services: WebServices): Middleware {
  return async (ctx, next) => {
    const session = webSession(ctx);
    if (session.loginId && typeof session.pwv === 'number') {
      const user = await services.sessionUser(session.loginId, session.pwv);
      if (user) ctx.state.webUser = user;
      else {
        // The login is gone or its password changed elsewhere: this session is over.
        delete session.loginId;
        delete session.pwv;
      }
    }
    if ((ctx.state.webUser as WebUser | undefined)?.mustChangePassword && !allowedBeforePasswordChange(ctx.path)) {
      ctx.status = 303;
      ctx.redirect('/haslo');
      return;
    }
    await next();
  };
}

/** Paths whose forms carry files (multipart/form-data). */
const MULTIPART_FORMS = new Set(['/ksiegowosc/wyciagi', '/zgloszenia/nowe']);

const formParser = koaBody({ urlencoded: true, json: false, text: false, multipart: false, formLimit: '64kb', parsedMethods: ['POST'] as never });

/** Every POST carries the session's CSRF token (`_csrf`); multipart forms check it after parsing. */
function formsWithCsrf(): Middleware {
  return async (ctx, next: Next) => {
    if (ctx.method !== 'POST') {
      await next();
      return;
    }
    if (ctx.is('multipart')) {
      // Only forms with files are multipart; they check the token once their body is read.
      if (!MULTIPART_FORMS.has(ctx.path)) throw new WebError(415, 'Ten formularz nie przyjmuje plików.');
      await next();
      return;
    }
    await formParser(ctx, async () => {});
    const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {};
    requireCsrf(ctx, body._csrf);
    await next();
  };
}

function staticFiles(router: Router): void {
  const dir = sourceDir('static');
  const files: Record<string, { type: string; body: Buffer }> = {};
  for (const name of fs.readdirSync(dir)) {
    const type = name.endsWith('.css') ? 'text/css; charset=utf-8' : name.endsWith('.svg') ? 'image/svg+xml' : undefined;
    if (type) files[name] = { type, body: fs.readFileSync(path.join(dir, name)) };
  }
  router.get('/static/:file', (ctx) => {
    const file = files[ctx.params.file ?? ''];
    if (!file) throw new WebError(404, 'Nie znaleziono pliku.');
    ctx.type = file.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = file.body;
  });
}

/**
 * The customer office in a browser: server-rendered Polish pages over the modules' services.
 * Mounted in app.ts before the API so that every HTML answer (also /docs) gets a CSP; requests
 * that are not pages pass straight through.
 */
export function webPages(app: Koa, deps: Deps): Middleware {
  const services = webServices(deps);
  const https = deps.config.publicUrl.startsWith('https:');
  const gatewayBase = (deps.gateway as { baseUrl?: string }).baseUrl ?? deps.config.gatewayUrl;
  // Marked as pages for people: the API description's test skips it.
  const router = markRouter(new Router(), 'web');
  router.use(pageSecurityHeaders({ https, gatewayOrigin: gatewayBase ? new URL(gatewayBase).origin : undefined }));
  router.use(sessionMiddleware(app, { key: loadSessionKey(deps.config.jwtSecret, deps.config.dataDir), secure: https }));
  router.use(errorPages(deps));
  router.use(loadUser(services));
  router.use(formsWithCsrf());

  staticFiles(router);
  router.get('/kontrast', (ctx) => {
    const high = ctx.query.tryb === 'wysoki';
    ctx.cookies.set(CONTRAST_COOKIE, high ? 'wysoki' : 'standardowy', {
      httpOnly: true,
      sameSite: 'lax',
      secure: https,
      maxAge: 365 * 24 * 60 * 60 * 1000,
      overwrite: true,
    });
    ctx.status = 303;
    ctx.redirect(safeReturnPath(ctx.query.wroc));
  });

  const pageDeps: PageDeps = { services, deps };
  registerAuthPages(router, pageDeps);
  registerAccountPages(router, pageDeps);
  registerPublicPages(router, pageDeps);
  registerMeterPages(router, pageDeps);
  registerContractAndDocumentPages(router, pageDeps);
  registerNoticePages(router, pageDeps);
  registerRequestPages(router, pageDeps);
  registerStaffPages(router, pageDeps);
  registerOfficePages(router, pageDeps);

  const routes = router.routes() as unknown as Middleware;
  const fallback = fallbackHtmlHeaders();
  return async (ctx, next) => {
    await fallback(ctx, async () => {
      await routes(ctx, next);
    });
  };
}
