import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import { customerIdOf } from '../http/guards.js';
import { confirmInput, outboxIdParams, outboxItem, outboxPage, outboxQuery, subscriptionInput, subscriptionView } from './schema.js';
import type { NoticesService } from './service.js';

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });

export function noticesRoutes(service: NoticesService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/notifications/subscription',
      tag: 'notices',
      summary: 'The customer’s e-mail and SMS notices',
      access: ['customer'],
      responses: { 200: { description: 'The notices and whether each address is confirmed.', schema: subscriptionView } },
            handler: (_ctx, { user }) => service.getSubscription(customerIdOf(user)),
    }),
    defineRoute({
      method: 'put',
      path: '/api/notifications/subscription',
      tag: 'notices',
      summary: 'Choose e-mail and SMS notices',
      description:
        'Replaces the notices: a channel left out is switched off. A new e-mail address or phone number gets a 6-digit code and nothing else until it is confirmed (POST /api/notifications/subscription/confirm).',
      access: ['customer'],
      body: subscriptionInput,
      bodyLimit: 16 * 1024,
      responses: { 200: { description: 'The notices as saved.', schema: subscriptionView } },
      errors: ['too_many_codes'],
      handler: (_ctx, { user, body }) => service.putSubscription(customerIdOf(user), body),
    }),
    defineRoute({
      method: 'post',
      path: '/api/notifications/subscription/confirm',
      tag: 'notices',
      summary: 'Confirm a new e-mail address or phone number with its code',
      description: 'The code is valid 15 minutes and for 5 tries.',
      access: ['customer'],
      body: confirmInput,
      bodyLimit: 4 * 1024,
      responses: { 200: { description: 'Confirmed; the notices as they are now.', schema: subscriptionView } },
      errors: ['nothing_to_confirm', 'confirmation_code_invalid', 'confirmation_code_expired'],
      handler: (_ctx, { user, body }) => service.confirm(customerIdOf(user), body.channel, body.code),
    }),
    defineRoute({
      method: 'get',
      path: '/api/admin/outbox',
      tag: 'notices',
      summary: 'E-mails and SMS by delivery status (failed ones by default)',
      access: ['admin'],
      query: outboxQuery,
      responses: { 200: { description: 'Newest first, paged with `cursor`.', schema: outboxPage } },
      handler: (_ctx, { query }) => service.listOutbox(query.status, query.limit, query.cursor),
    }),
    defineRoute({
      method: 'post',
      path: '/api/admin/outbox/:id/retry',
      tag: 'notices',
      summary: 'Try a failed message again (a new 24-hour window)',
      access: ['admin'],
      params: outboxIdParams,
      responses: { 200: { description: 'Back in the queue.', schema: outboxItem }, 404: { description: 'No such message.', schema: errorBody } },
      errors: ['outbox_message_not_found', 'outbox_message_not_failed'],
      handler: (_ctx, { params }) => service.retry(params.id),
    }),
  ];
}
