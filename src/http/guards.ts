import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { AuthService, AuthUser } from '../auth/index.js';
import { commonErrors } from '../errors.js';
import type { Guards } from './defineRoute.js';

function bearer(ctx: Context): string | undefined {
  const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(ctx.get('authorization'));
  return m?.[1];
}

/** Access tokens (customers, staff) and the billing system's static token, compared in constant time. */
export function createGuards(auth: AuthService, billingApiToken: string | undefined): Guards {
  const expectedDigest = billingApiToken ? createHash('sha256').update(billingApiToken).digest() : undefined;
  return {
    async user(ctx) {
      const token = bearer(ctx);
      if (!token) throw commonErrors.create('unauthorized', 'Send an access token: Authorization: Bearer <token> (from POST /api/auth/login).');
      const user = await auth.authenticate(token);
      if (!user) throw commonErrors.create('unauthorized', 'The access token is invalid or expired; log in again.');
      return user;
    },
    billing(ctx) {
      if (!expectedDigest) {
        throw commonErrors.create('billing_feed_disabled', 'The billing feed is disabled: BILLING_API_TOKEN is not configured.');
      }
      const m = /^Bearer (.+)$/i.exec(ctx.get('authorization'));
      const given = createHash('sha256').update(m?.[1] ?? '').digest();
      if (!m || !timingSafeEqual(given, expectedDigest)) throw commonErrors.create('unauthorized', 'A valid billing API token is required.');
    },
  };
}

/** The customer id of a logged-in customer (routes with `access: ['customer']`); staff have none. */
export function customerIdOf(user: AuthUser): string {
  if (!user.customerId) throw commonErrors.create('forbidden', 'This endpoint is for customers.');
  return user.customerId;
}
