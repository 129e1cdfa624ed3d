import type { Context, Middleware } from 'koa';
import type { AuthService, AuthUser } from '../../auth/authService.js';
import type { Role } from '../../auth/tokens.js';
import { AppError, forbidden, unauthorized } from '../../errors.js';

function bearer(ctx: Context): string | undefined {
  const header = ctx.get('authorization');
  const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header);
  return m?.[1];
}

/** 401 unless a valid access token is sent; puts the user on ctx.state.user. */
export function authenticate(auth: AuthService): Middleware {
  return async (ctx, next) => {
    const token = bearer(ctx);
    if (!token) throw unauthorized('Send an access token: Authorization: Bearer <token> (from POST /api/auth/login).');
    const user = await auth.authenticate(token);
    if (!user) throw unauthorized('The access token is invalid or expired; log in again.');
    ctx.state.user = user;
    await next();
  };
}

/**
 * 403 unless the user has one of the roles, and 403 password_change_required while a one-time
 * password has not been changed (only POST /api/auth/password skips this gate).
 */
export function requireRole(...roles: Role[]): Middleware {
  return async (ctx, next) => {
    const user = ctx.state.user as AuthUser | undefined;
    if (!user) throw unauthorized();
    if (!roles.includes(user.role)) throw forbidden(`This endpoint is for the role ${roles.join(' or ')}.`);
    if (user.mustChangePassword) {
      throw new AppError(
        403,
        'password_change_required',
        'Change the one-time password first: POST /api/auth/password.',
      );
    }
    await next();
  };
}

export function currentUser(ctx: Context): AuthUser {
  const user = ctx.state.user as AuthUser | undefined;
  if (!user) throw unauthorized();
  return user;
}

/** The customer id of a customer user (requireRole('customer') has run). */
export function currentCustomerId(ctx: Context): string {
  const user = currentUser(ctx);
  if (!user.customerId) throw forbidden('This endpoint is for customers.');
  return user.customerId;
}
