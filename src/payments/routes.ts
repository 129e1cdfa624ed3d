import Router from '@koa/router';
import { z } from 'zod';
import type { AuthService } from '../auth/authService.js';
import { GatewayError, InvalidNotificationError, type GatewayNotification } from '../gateway/index.js';
import { AppError } from '../errors.js';
import { authenticate, currentCustomerId, requireRole } from '../http/middleware/auth.js';
import { jsonBody, readRawBody } from '../http/middleware/body.js';
import { businessNumber, validateBody, validateParam, validateQuery } from '../http/validate.js';
import type { PaymentService } from './paymentService.js';
import { renderNotFoundPage, renderReturnPage } from './returnPage.js';

const createBody = z.strictObject({
  invoiceNumbers: z.array(businessNumber).max(100).optional(),
});

const paymentId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, {
  message: 'must be a payment id (UUID)',
});

const flaggedQuery = z.strictObject({
  status: z.enum(['amount_mismatch', 'failed', 'pending'], { message: 'must be amount_mismatch, failed or pending' }).default('amount_mismatch'),
});

/** Verifies a notification body; GatewayClient provides it. */
export interface NotificationVerifier {
  verifyNotification(body: string | Buffer): Promise<GatewayNotification>;
}

const NOTIFICATION_LIMIT = 64 * 1024;

export function paymentRoutes(deps: {
  auth: AuthService;
  payments: PaymentService;
  verifier: NotificationVerifier;
  merchantJwks: () => unknown;
}): Router {
  const router = new Router();
  const { payments } = deps;

  router.post('/api/payments', authenticate(deps.auth), requireRole('customer'), jsonBody(), async (ctx) => {
    const key = ctx.get('idempotency-key');
    if (!key) throw new AppError(400, 'idempotency_key_required', 'Send an Idempotency-Key header (any unique string up to 255 characters).');
    if (key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
      throw new AppError(400, 'validation_failed', 'Idempotency-Key must be 1 to 255 visible ASCII characters.');
    }
    const body = validateBody(ctx, createBody);
    const view = await payments.createOrder(currentCustomerId(ctx), key, body.invoiceNumbers);
    ctx.status = 201;
    ctx.body = view;
  });

  router.get('/api/payments/:id', authenticate(deps.auth), requireRole('customer'), async (ctx) => {
    const id = validateParam('payment id', ctx.params.id, paymentId);
    const order = await payments.orderOf(currentCustomerId(ctx), id);
    ctx.body = { ...(await payments.view(order)), history: (await payments.history(order)).map((h) => ({ ...h, at: h.at.toISOString() })) };
  });

  // The browser comes back here from the gateway. It shows what the service knows and, while the
  // order is pending, asks the gateway; nothing in the request itself is trusted.
  router.get('/payments/:id/return', async (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    const id = paymentId.safeParse(ctx.params.id);
    let order = id.success ? await payments.orderById(id.data) : undefined;
    if (!order) {
      ctx.status = 404;
      ctx.body = renderNotFoundPage();
      return;
    }
    if (order.status === 'pending') {
      try {
        order = await payments.refreshFromGateway(order, 'return_page');
      } catch (err) {
        ctx.state.log?.warn({ orderId: order.id, err: (err as Error).message }, 'return page: gateway status query failed');
      }
    }
    ctx.body = renderReturnPage(await payments.view(order));
  });

  router.post('/api/gateway/paybynet/notify', async (ctx) => {
    if (!ctx.is('application/jose')) {
      throw new AppError(415, 'unsupported_media_type', 'A notification is a JWS sent as application/jose.');
    }
    const raw = await readRawBody(ctx, NOTIFICATION_LIMIT);
    let notification: GatewayNotification;
    try {
      notification = await deps.verifier.verifyNotification(raw);
    } catch (err) {
      if (err instanceof InvalidNotificationError) {
        ctx.state.log?.warn({ reason: err.reason }, 'notification refused');
        throw new AppError(401, 'invalid_notification', `Notification refused: ${err.message}`, { reason: err.reason });
      }
      if (err instanceof GatewayError) {
        // The gateway's keys could not be fetched: let the gateway retry later.
        throw new AppError(503, 'gateway_keys_unavailable', 'Cannot verify the notification right now; retry later.');
      }
      throw err;
    }
    await payments.applyGatewayStatus(notification, 'notification', notification.eventId);
    ctx.type = 'text/plain';
    ctx.body = 'OK';
  });

  router.get('/.well-known/jwks.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = deps.merchantJwks();
  });

  router.get('/api/accounting/payments', authenticate(deps.auth), requireRole('accounting'), async (ctx) => {
    const query = validateQuery(ctx, flaggedQuery);
    const orders = await payments.flagged(query.status);
    ctx.body = {
      items: orders.map((o) => ({
        id: o.id,
        idTrans: o.idTrans,
        status: o.status,
        amount: o.amount,
        notifiedAmount: o.notifiedAmount,
        notifiedCurrency: o.notifiedCurrency,
        paidAt: o.paidAt?.toISOString() ?? null,
        settlementDate: o.settlementDate,
        gatewayPaymentId: o.gatewayPaymentId,
      })),
    };
  });

  return router;
}
