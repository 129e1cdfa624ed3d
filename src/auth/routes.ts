import Router from '@koa/router';
import { z } from 'zod';
import { jsonBody } from '../http/middleware/body.js';
import { authenticate, currentUser, requireRole } from '../http/middleware/auth.js';
import { validateBody } from '../http/validate.js';
import type { AuthService } from './authService.js';

const loginName = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@/-]*$/, { message: 'may hold letters, digits and . _ @ / - only' });

const loginBody = z.strictObject({
  login: z.string().min(1).max(200),
  password: z.string().min(1).max(200),
});

const passwordBody = z.strictObject({
  currentPassword: z.string().min(1).max(200),
  newPassword: z.string().min(10, { message: 'must be at least 10 characters' }).max(200),
});

const accountBody = z.strictObject({
  customerNumber: z.string().min(1).max(64),
  email: z.string().email({ message: 'must be an e-mail address' }).max(254),
});

const staffBody = z.strictObject({
  login: loginName,
  role: z.enum(['admin', 'accounting'], { message: 'must be admin or accounting' }),
});

export function authRoutes(auth: AuthService): Router {
  const router = new Router();

  router.post('/api/auth/login', jsonBody(), async (ctx) => {
    const body = validateBody(ctx, loginBody);
    ctx.body = await auth.login(body.login, body.password);
  });

  router.post('/api/auth/password', authenticate(auth), jsonBody(), async (ctx) => {
    const body = validateBody(ctx, passwordBody);
    ctx.body = await auth.changePassword(currentUser(ctx), body.currentPassword, body.newPassword);
  });

  router.post('/api/admin/accounts', authenticate(auth), requireRole('admin'), jsonBody(), async (ctx) => {
    const body = validateBody(ctx, accountBody);
    ctx.status = 201;
    ctx.body = await auth.createCustomerAccount(body);
  });

  router.post('/api/admin/staff', authenticate(auth), requireRole('admin'), jsonBody(), async (ctx) => {
    const body = validateBody(ctx, staffBody);
    ctx.status = 201;
    ctx.body = await auth.createStaff(body);
  });

  return router;
}
