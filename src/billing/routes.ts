import { createHash, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { AppError, unauthorized } from '../errors.js';
import { jsonBody } from '../http/middleware/body.js';
import { businessNumber, validateBody, validateParam } from '../http/validate.js';
import { presentInvoice } from '../portal/presenters.js';
import type { BillingService } from './billingService.js';
import { customerBody, invoiceBody } from './schemas.js';

/** The billing system authenticates with a static bearer token, compared in constant time. */
function billingToken(expected: string | undefined): Middleware {
  const expectedDigest = expected ? createHash('sha256').update(expected).digest() : undefined;
  return async (ctx, next) => {
    if (!expectedDigest) {
      throw new AppError(403, 'billing_feed_disabled', 'The billing feed is disabled: BILLING_API_TOKEN is not configured.');
    }
    const m = /^Bearer (.+)$/i.exec(ctx.get('authorization'));
    const given = createHash('sha256').update(m?.[1] ?? '').digest();
    if (!m || !timingSafeEqual(given, expectedDigest)) throw unauthorized('A valid billing API token is required.');
    await next();
  };
}

export function billingRoutes(billing: BillingService, token: string | undefined): Router {
  const router = new Router({ prefix: '/api/billing' });
  router.use(billingToken(token));

  router.put('/customers/:customerNumber', jsonBody(), async (ctx) => {
    const customerNumber = validateParam('customerNumber', ctx.params.customerNumber, businessNumber);
    const body = validateBody(ctx, customerBody);
    const { created, customer } = await billing.upsertCustomer(customerNumber, body);
    ctx.status = created ? 201 : 200;
    ctx.body = {
      customerNumber: customer.customerNumber,
      name: customer.name,
      address: customer.address,
      email: customer.email,
      phone: customer.phone,
      properties: customer.properties.map((p) => ({ id: p.propertyNumber, address: p.address })),
    };
  });

  router.put('/invoices/:invoiceNumber', jsonBody(), async (ctx) => {
    const invoiceNumber = validateParam('invoiceNumber', ctx.params.invoiceNumber, businessNumber);
    const body = validateBody(ctx, invoiceBody);
    const { created, invoice } = await billing.issueInvoice(invoiceNumber, body);
    ctx.status = created ? 201 : 200;
    ctx.body = presentInvoice(invoice);
  });

  return router;
}
