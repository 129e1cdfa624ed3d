import helmet from 'koa-helmet';
import type { Middleware } from 'koa';

/**
 * Security headers of every page: a CSP with no inline script or style, no framing. Forms may
 * post only here, and to the gateway's origin (Chromium applies form-action to the redirect
 * that follows the Zapłać form).
 */
export function pageSecurityHeaders(options: { https: boolean; gatewayOrigin?: string | undefined }): Middleware {
  const formAction = ["'self'", ...(options.gatewayOrigin ? [options.gatewayOrigin] : [])];
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction,
        frameAncestors: ["'none'"],
        ...(options.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    frameguard: { action: 'deny' },
    strictTransportSecurity: options.https ? { maxAge: 15552000, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  });
}

/**
 * HTML answers from outside the pages (the API description at /docs and anything else that
 * answers text/html) get a CSP too. Swagger UI needs inline styles and data: images.
 */
export function fallbackHtmlHeaders(): Middleware {
  return async (ctx, next) => {
    await next();
    // The bare media type (koa strips the parameters): cheaper than type-is on every API answer.
    if (ctx.response.type.trim().toLowerCase() !== 'text/html' || ctx.response.get('Content-Security-Policy')) return;
    const docs = ctx.path === '/docs' || ctx.path.startsWith('/docs/');
    const style = docs ? "'self' 'unsafe-inline'" : "'self'";
    ctx.set(
      'Content-Security-Policy',
      `default-src 'self'; script-src 'self'; style-src ${style}; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`,
    );
    ctx.set('X-Frame-Options', 'DENY');
  };
}
