import { createHmac, randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type Koa from 'koa';
import type { Context, Middleware } from 'koa';
import createSession from 'koa-session';
import { loadOrCreateSecret } from '../auth/index.js';

/** What a browser session holds: the CSRF secret, and once logged in the access token. */
export interface WebSession {
  csrf?: string;
  /** The logged-in login and its password version: the session ends when the password changes. */
  loginId?: string;
  pwv?: number;
  /** One message shown on the next page (after a redirect). */
  flash?: { kind: 'ok' | 'error'; text: string };
}

export const SESSION_COOKIE = 'ibok_sesja';
/** Two hours, renewed while the customer keeps using the pages (rolling). */
const SESSION_MAX_AGE_MS = 2 * 60 * 60 * 1000;

/**
 * The key that signs session cookies: derived from JWT_SECRET when configured (several instances
 * must share it), otherwise generated once into DATA_DIR/keys/web-session-secret (mode 0600).
 */
export function loadSessionKey(jwtSecret: string | undefined, dataDir: string): Buffer {
  if (jwtSecret) return createHmac('sha256', jwtSecret).update('ibok-web-session-v1').digest();
  const secret = loadOrCreateSecret(dataDir, 'web-session-secret');
  return createHash('sha256').update(secret).digest();
}

/**
 * koa-session with the cookie signed by our own HMAC (encode/decode), so the app needs no
 * app.keys: a cookie whose signature fails is a SyntaxError to koa-session, which then starts a
 * fresh session instead of failing the request.
 */
export function sessionMiddleware(app: Koa, options: { key: Buffer; secure: boolean }): Middleware {
  const sign = (payload: string) => createHmac('sha256', options.key).update(payload).digest();
  const session = createSession(
    {
      key: SESSION_COOKIE,
      maxAge: SESSION_MAX_AGE_MS,
      rolling: true,
      httpOnly: true,
      sameSite: 'lax',
      secure: options.secure,
      signed: false,
      encode: (data: unknown) => {
        const payload = Buffer.from(JSON.stringify(data)).toString('base64url');
        return `${payload}.${sign(payload).toString('base64url')}`;
      },
      decode: (cookie: string) => {
        const [payload, mac, extra] = cookie.split('.');
        if (!payload || !mac || extra !== undefined) throw new SyntaxError('malformed session cookie');
        const given = Buffer.from(mac, 'base64url');
        const expected = sign(payload);
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SyntaxError('bad session signature');
        return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
      },
    },
    app,
  );
  return async (ctx, next) => {
    // Behind a TLS proxy the request itself looks like http; PUBLIC_URL says the browser uses https.
    if (options.secure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
    await session(ctx, next);
  };
}

export function webSession(ctx: Context): WebSession {
  const session: unknown = ctx.session ?? {};
  return session as WebSession;
}

/** A fresh session (new CSRF secret), e.g. on login and password change: no fixation. */
export function regenerateSession(ctx: Context, data: Omit<WebSession, 'csrf'>): void {
  ctx.session = null;
  ctx.session = { ...data, csrf: randomBytes(32).toString('base64url') } as never;
}

export function endSession(ctx: Context): void {
  ctx.session = null;
}

/** The CSRF token for forms: one secret per session (synchroniser token). */
export function csrfToken(ctx: Context): string {
  const s = ctx.session as unknown as WebSession | null;
  if (!s) throw new Error('no session');
  if (!s.csrf) s.csrf = randomBytes(32).toString('base64url');
  return s.csrf;
}

/** Constant-time check of the token a form sent against the session's. */
export function csrfMatches(ctx: Context, given: unknown): boolean {
  const expected = (ctx.session as unknown as WebSession | null)?.csrf;
  if (typeof given !== 'string' || !given || !expected) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function setFlash(ctx: Context, kind: 'ok' | 'error', text: string): void {
  const s = ctx.session as unknown as WebSession | null;
  if (s) s.flash = { kind, text };
}

export function takeFlash(ctx: Context): WebSession['flash'] {
  const s = ctx.session as unknown as WebSession | null;
  const flash = s?.flash;
  if (s && flash) delete s.flash;
  return flash;
}
