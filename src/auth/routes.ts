import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import { presentAccessToken, presentCreatedLogin } from './presenters.js';
import { accessTokenAnswer, createdLoginAnswer, customerAccountBody, loginBody, passwordChangeBody, staffBody } from './schema.js';
import type { AuthService } from './service.js';

const CHECK_ERRORS = ['invalid_credentials', 'too_many_attempts', 'login_busy'] as const;

/** Login, password change, and the office's account creation. */
export function authRoutes(auth: AuthService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/auth/login',
      tag: 'auth',
      summary: 'Log in with a login and password',
      description:
        'Failed attempts are throttled per login and client address, per address and overall (429 with Retry-After); ' +
        'an unknown login is answered exactly like a wrong password.',
      access: 'public',
      body: loginBody,
      bodyLimit: 16 * 1024,
      responses: { 200: { description: 'Logged in.', schema: accessTokenAnswer } },
      errors: CHECK_ERRORS,
      handler: async (ctx, { body }) => presentAccessToken(await auth.login(body.login, body.password, ctx.ip)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/auth/password',
      tag: 'auth',
      summary: 'Change the password (also the one-time password)',
      description:
        'The new password must have at least 10 characters and must not be blank, repetitive, common or derived from the login. ' +
        'Tokens issued before the change stop working; the answer carries a new one.',
      access: ['customer', 'admin', 'accounting'],
      allowPendingPasswordChange: true,
      body: passwordChangeBody,
      bodyLimit: 16 * 1024,
      responses: { 200: { description: 'Changed; a new access token.', schema: accessTokenAnswer } },
      errors: [...CHECK_ERRORS, 'password_unchanged', 'weak_password', 'password_changed_concurrently'],
      handler: async (ctx, { body, user }) =>
        presentAccessToken(await auth.changePassword(user, body.currentPassword, body.newPassword, ctx.ip)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/admin/accounts',
      tag: 'auth',
      summary: 'Create a customer login with a one-time password (e-mailed to the customer)',
      access: ['admin'],
      body: customerAccountBody,
      responses: { 201: { description: 'Created; the one-time password is also e-mailed.', schema: createdLoginAnswer } },
      errors: ['customer_not_found', 'account_exists', 'login_taken', 'login_busy'],
      handler: async (_ctx, { body }) => presentCreatedLogin(await auth.createCustomerLogin(undefined, body)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/admin/staff',
      tag: 'auth',
      summary: 'Create an admin or accounting login with a one-time password',
      access: ['admin'],
      body: staffBody,
      responses: { 201: { description: 'Created.', schema: createdLoginAnswer } },
      errors: ['login_taken', 'login_busy'],
      handler: async (_ctx, { body }) => presentCreatedLogin(await auth.createStaff(body)),
    }),
  ];
}
