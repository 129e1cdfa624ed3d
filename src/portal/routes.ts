import Router from '@koa/router';
import { z } from 'zod';
import type { AuthService } from '../auth/authService.js';
import type { BillingService } from '../billing/billingService.js';
import { notFound } from '../errors.js';
import { authenticate, currentCustomerId, currentUser, requireRole } from '../http/middleware/auth.js';
import { businessNumber, dateString, validateParam, validateQuery } from '../http/validate.js';
import type { LedgerService } from '../ledger/ledgerService.js';
import type { Knex } from 'knex';
import { presentInvoice, presentProperty } from './presenters.js';

const settlementsQuery = z
  .strictObject({
    status: z.enum(['paid', 'unpaid'], { message: 'must be paid or unpaid' }).optional(),
    kind: z
      .enum(['invoice', 'correction', 'payment', 'prepayment', 'overpayment'], {
        message: 'must be one of invoice, correction, payment, prepayment, overpayment',
      })
      .optional(),
    from: dateString.optional(),
    to: dateString.optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] });

/** Optional per-invoice payment state, answered by the payments module when it is wired. */
export interface PendingPayments {
  pendingByInvoice(customerId: string): Promise<Map<string, string>>;
}

/** The customer's own data. Every query is scoped to the logged-in customer: another's is 404. */
export function portalRoutes(deps: {
  db: Knex;
  auth: AuthService;
  billing: BillingService;
  ledger: LedgerService;
  pendingPayments?: PendingPayments;
}): Router {
  const router = new Router({ prefix: '/api' });
  const customerOnly = [authenticate(deps.auth), requireRole('customer')];

  async function invoiceLedger(customerId: string) {
    const paidByNumber = await deps.ledger.paidByInvoice(customerId);
    const pending = deps.pendingPayments ? await deps.pendingPayments.pendingByInvoice(customerId) : undefined;
    const today = deps.ledger.today();
    return (number: string) => {
      const c = paidByNumber.get(number);
      return {
        paid: c?.paid ?? '0.00',
        paymentDate: c?.paymentDate ?? null,
        today,
        ...(pending ? { pendingPaymentId: pending.get(number) ?? null } : {}),
      };
    };
  }

  router.get('/me', ...customerOnly, async (ctx) => {
    const customer = await deps.billing.customerById(currentCustomerId(ctx));
    if (!customer) throw notFound('Customer not found.');
    ctx.body = {
      login: currentUser(ctx).login,
      customerNumber: customer.customerNumber,
      name: customer.name,
      address: customer.address,
      email: customer.email,
      phone: customer.phone,
      properties: customer.properties.map(presentProperty),
    };
  });

  router.get('/invoices', ...customerOnly, async (ctx) => {
    const customerId = currentCustomerId(ctx);
    const [invoices, ledgerOf] = await Promise.all([deps.billing.invoicesOf(customerId), invoiceLedger(customerId)]);
    ctx.body = { items: invoices.map((i) => presentInvoice(i, ledgerOf(i.invoiceNumber), false)) };
  });

  router.get('/invoices/:number', ...customerOnly, async (ctx) => {
    const number = validateParam('invoice number', ctx.params.number, businessNumber);
    const customerId = currentCustomerId(ctx);
    const [invoice] = await deps.billing.invoicesByNumbers(deps.db, customerId, [number]);
    if (!invoice) throw notFound(`No invoice ${number} on your account.`);
    ctx.body = presentInvoice(invoice, (await invoiceLedger(customerId))(number));
  });

  router.get('/settlements', ...customerOnly, async (ctx) => {
    const query = validateQuery(ctx, settlementsQuery);
    ctx.body = await deps.ledger.settlements(currentCustomerId(ctx), query);
  });

  return router;
}
