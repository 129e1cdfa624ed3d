import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import { customerIdOf } from '../http/guards.js';
import { readRawBody } from '../http/middleware/body.js';
import { commonErrors } from '../errors.js';
import { GatewayError, InvalidNotificationError, type GatewayNotification } from '../gateway/index.js';
import { paymentErrors } from './errors.js';
import { presentFlagged, presentHistory, presentPayment } from './presenters.js';
import {
  createPaymentBody,
  createPaymentHeaders,
  flaggedQuery,
  flaggedSchema,
  jwksSchema,
  paymentIdParams,
  paymentSchema,
  paymentWithHistorySchema,
} from './schema.js';
import type { PaymentService } from './service.js';

/** Verifies a notification body; GatewayClient provides it. */
export interface NotificationVerifier {
  verifyNotification(body: string | Buffer): Promise<GatewayNotification>;
}


const NOTIFICATION_LIMIT = 64 * 1024;

export function paymentRoutes(deps: { payments: PaymentService; verifier: NotificationVerifier; merchantJwks: () => unknown }): RouteDefinition[] {
  const { payments } = deps;
  return [
    defineRoute({
      method: 'post',
      path: '/api/payments',
      tag: 'payments',
      summary: 'Order a payment of outstanding invoices (or resume the pending order of exactly these invoices)',
      access: ['customer'],
      headers: createPaymentHeaders,
      body: createPaymentBody,
      responses: {
        201: { description: 'A new order (or the one this Idempotency-Key made before): send the browser to redirectUrl.', schema: paymentSchema },
        200: { description: 'The pending, still valid order of exactly these invoices: continue at its redirectUrl.', schema: paymentSchema },
      },
      errors: [
        'idempotency_key_required',
        'idempotency_key_reused',
        'payment_amount_too_large',
        'invoice_not_payable',
        'nothing_to_pay',
        'payment_pending',
        'request_in_progress',
        'gateway_unavailable',
        'gateway_timeout',
      ],
      handler: async (ctx, { headers, body, user }) => {
        const key = headers['idempotency-key'];
        if (!key) throw paymentErrors.create('idempotency_key_required', 'Send an Idempotency-Key header (any unique string up to 255 characters).');
        const result = await payments.createOrder(customerIdOf(user), key, body.invoiceNumbers);
        ctx.status = result.created ? 201 : 200;
        return presentPayment(result.view);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/payments/:id',
      tag: 'payments',
      summary: 'A payment order of the customer, with its history',
      access: ['customer'],
      params: paymentIdParams,
      responses: { 200: { description: 'The order and every change of its status.', schema: paymentWithHistorySchema } },
      handler: async (_ctx, { params, user }) => {
        const { view, history } = await payments.details(customerIdOf(user), params.id);
        return { ...presentPayment(view), history: presentHistory(history) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/payments/:id/cancel',
      tag: 'payments',
      summary: 'Cancel a pending payment: the gateway is asked, the invoices are freed',
      description:
        'The gateway answers the final status: cancelled (2202), or completed (2203) when the money had already come, which is then credited as a completion. Cancelling a cancelled order answers it again.',
      access: ['customer'],
      params: paymentIdParams,
      responses: { 200: { description: 'The order after the gateway answered: status cancelled, or completed.', schema: paymentSchema } },
      errors: ['payment_not_cancellable', 'request_in_progress', 'gateway_unavailable', 'gateway_timeout'],
      handler: async (_ctx, { params, user }) => presentPayment(await payments.cancel(customerIdOf(user), params.id)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/gateway/paybynet/notify',
      tag: 'payments',
      summary: "The gateway's signed status notifications (SPEC 3.3)",
      description: 'Answers 200 `OK` only once the effect is committed; a refused notification changes nothing.',
      access: 'public',
      body: { kind: 'raw', contentTypes: ['application/jose'], description: 'A compact JWS by the gateway, typ pbn-notification+jwt.' },
      bodyLimit: NOTIFICATION_LIMIT,
      responses: { 200: { description: 'Applied (or a repeat): the text OK.', contentType: 'text/plain' } },
      errors: ['invalid_notification', 'gateway_keys_unavailable'],
      handler: async (ctx) => {
        if (!ctx.is('application/jose')) {
          throw commonErrors.create('unsupported_media_type', 'A notification is a JWS sent as application/jose.');
        }
        const raw = await readRawBody(ctx, NOTIFICATION_LIMIT);
        let notification: GatewayNotification;
        try {
          notification = await deps.verifier.verifyNotification(raw);
        } catch (err) {
          if (err instanceof InvalidNotificationError) {
            (ctx.state as { log?: { warn(o: object, m: string): void } }).log?.warn({ reason: err.reason }, 'notification refused');
            throw paymentErrors.create('invalid_notification', `Notification refused: ${err.message}`, { reason: err.reason });
          }
          if (err instanceof GatewayError) {
            // The gateway's keys could not be fetched: let the gateway retry later.
            throw paymentErrors.create('gateway_keys_unavailable', 'Cannot verify the notification right now; retry later.');
          }
          throw err;
        }
        await payments.applyNotification(notification, notification.eventId);
        ctx.type = 'text/plain';
        ctx.body = 'OK';
      },
    }),
    defineRoute({
      method: 'get',
      path: '/.well-known/jwks.json',
      tag: 'payments',
      summary: "The merchant's public keys (ES256), current first, then retired ones",
      access: 'public',
      responses: { 200: { description: 'A JWKS.', schema: jwksSchema } },
      handler: (ctx) => {
        ctx.set('Cache-Control', 'public, max-age=300');
        return deps.merchantJwks();
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/accounting/payments',
      tag: 'payments',
      summary: 'Payments for accounting to look at: amount mismatches, failures, pending ones',
      access: ['accounting'],
      query: flaggedQuery,
      responses: { 200: { description: 'Newest change first, at most 500.', schema: flaggedSchema } },
      handler: async (_ctx, { query }) => ({ items: (await payments.flagged(query.status)).map(presentFlagged) }),
    }),
  ];
}
