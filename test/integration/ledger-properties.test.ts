import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayTransactionStatus } from '../../src/gateway/index.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { putCustomer, uniqueNumber } from '../helpers/factories.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

type Op =
  | { t: 'invoice'; cents: number }
  | { t: 'order'; pick: number }
  | { t: 'complete'; order: number; mismatch: boolean; copies: number }
  | { t: 'reject'; order: number }
  | { t: 'expire'; order: number }
  | { t: 'bank'; cents: number }
  | { t: 'correction'; cents: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('invoice' as const), cents: fc.integer({ min: 1, max: 50_000 }) }),
  fc.record({ t: fc.constant('order' as const), pick: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ t: fc.constant('complete' as const), order: fc.nat(20), mismatch: fc.boolean(), copies: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ t: fc.constant('reject' as const), order: fc.nat(20) }),
  fc.record({ t: fc.constant('expire' as const), order: fc.nat(20) }),
  fc.record({ t: fc.constant('bank' as const), cents: fc.integer({ min: 1, max: 30_000 }) }),
  fc.record({ t: fc.constant('correction' as const), cents: fc.integer({ min: 1, max: 5_000 }) }),
);

const money = (cents: number) => new Decimal(cents).div(100).toFixed(2);

/** Runs one random history for a fresh customer; steps in one batch run concurrently. */
async function play(batches: Op[][]): Promise<string> {
  const customerNumber = uniqueNumber('PROP');
  await putCustomer(svc, customerNumber);
  const customer = await svc.db.knex('customers').where({ customer_number: customerNumber }).first();
  const customerId = String(customer.id);
  const orders: { id: string; idTrans: string; amount: string; paymentId: string }[] = [];
  let seq = 0;
  let invoiceDay = 1;

  const status = (o: (typeof orders)[number], code: number, amount = o.amount): GatewayTransactionStatus => ({
    paymentId: o.paymentId,
    idTrans: o.idTrans,
    status: code as GatewayTransactionStatus['status'],
    amount,
    currency: 'PLN',
    paidAt: code === 2203 ? svc.clock.now() : null,
    settlementDate: code === 2203 ? '2026-11-20' : null,
    issuedAt: svc.clock.now(),
  });

  const run = async (o: Op): Promise<void> => {
    seq += 1;
    const n = seq;
    switch (o.t) {
      case 'invoice':
      case 'correction': {
        const day = String(Math.min(28, invoiceDay++)).padStart(2, '0');
        await svc.deps.invoices.issueInvoice(`${o.t === 'invoice' ? 'FV' : 'KOR'}/${customerNumber}/${n}`, {
          customerNumber,
          propertyId: `P-${customerNumber}`,
          kind: o.t,
          issueDate: `2026-10-${day}`,
          dueDate: `2026-11-${day}`,
          amount: o.t === 'invoice' ? money(o.cents) : `-${money(o.cents)}`,
          currency: 'PLN',
          issuedBy: 'office',
          lines: [],
        });
        return;
      }
      case 'order': {
        try {
          const { view } = await svc.deps.payments.createOrder(customerId, `prop-${customerNumber}-${n}`, undefined);
          const row = await svc.db.knex('payment_orders').where({ id: view.id }).first();
          orders.push({ id: view.id, idTrans: view.idTrans, amount: view.amount, paymentId: row.gateway_payment_id });
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code !== 'nothing_to_pay' && code !== 'payment_pending') throw err;
        }
        return;
      }
      case 'complete': {
        const order = orders[o.order % Math.max(1, orders.length)];
        if (!order) return;
        const amount = o.mismatch ? new Decimal(order.amount).plus('0.01').toFixed(2) : order.amount;
        const event = `ev-${order.idTrans}-complete`;
        await Promise.all(Array.from({ length: o.copies }, () => svc.deps.payments.applyGatewayStatus(status(order, 2203, amount), 'notification', event)));
        return;
      }
      case 'reject':
      case 'expire': {
        const order = orders[o.order % Math.max(1, orders.length)];
        if (!order) return;
        await svc.deps.payments.applyGatewayStatus(status(order, o.t === 'reject' ? 2202 : 2201), 'notification', `ev-${order.idTrans}-${o.t}`);
        return;
      }
      case 'bank': {
        await svc.db.knex.transaction((trx) =>
          svc.deps.ledger.recordCredit(trx, {
            customerId, kind: 'payment', source: 'bank', sourceRef: `B-${customerNumber}-${n}`,
            documentNumber: `B-${n}`, amount: money(o.cents), receivedOn: '2026-11-19', hasInvoiceTarget: false,
          }),
        );
        return;
      }
    }
  };

  for (const batch of batches) await Promise.all(batch.map(run));
  return customerId;
}

async function checkInvariants(customerId: string): Promise<void> {
  const k = svc.db.knex;
  const credits = await k('ledger_credits').where({ customer_id: customerId });
  const allocations = await k('ledger_allocations as a').join('ledger_credits as c', 'c.id', 'a.credit_id').where('c.customer_id', customerId).select('a.*');
  const invoices = await k('invoices').where({ customer_id: customerId });
  const orders = await k('payment_orders').where({ customer_id: customerId });

  const allocatedByCredit = new Map<string, Decimal>();
  const allocatedByInvoice = new Map<string, Decimal>();
  for (const a of allocations) {
    allocatedByCredit.set(String(a.credit_id), (allocatedByCredit.get(String(a.credit_id)) ?? new Decimal(0)).plus(a.amount));
    allocatedByInvoice.set(String(a.invoice_id), (allocatedByInvoice.get(String(a.invoice_id)) ?? new Decimal(0)).plus(a.amount));
  }
  // No credit gives more than it has; no invoice gets more than it asks.
  let unallocated = new Decimal(0);
  for (const c of credits) {
    const used = allocatedByCredit.get(String(c.id)) ?? new Decimal(0);
    expect(used.lte(c.amount), `credit ${c.id} over-allocated`).toBe(true);
    unallocated = unallocated.plus(new Decimal(c.amount).minus(used));
  }
  for (const i of invoices) {
    const paid = allocatedByInvoice.get(String(i.id)) ?? new Decimal(0);
    expect(paid.lte(Decimal.max(0, i.amount)), `invoice ${i.invoice_number} over-allocated`).toBe(true);
  }
  // Money in = allocations + what is left on the account.
  const moneyIn = credits.reduce((s, c) => s.plus(c.amount), new Decimal(0));
  const allocated = allocations.reduce((s, a) => s.plus(a.amount), new Decimal(0));
  expect(moneyIn.toFixed(2)).toBe(allocated.plus(unallocated).toFixed(2));
  // Credit is never left idle while an invoice is still owed.
  const owed = invoices.some((i) => new Decimal(i.amount).gt(allocatedByInvoice.get(String(i.id)) ?? 0));
  if (owed) expect(unallocated.toFixed(2)).toBe('0.00');
  // Each gateway transaction is credited at most once, and exactly when it completed with its amount.
  for (const o of orders) {
    const c = credits.filter((x) => x.source === 'gateway' && x.source_ref === String(o.id_trans).trim());
    expect(c.length, `order ${o.id_trans} (${o.status})`).toBe(o.status === 'completed' ? 1 : 0);
    if (o.status === 'completed') expect(c[0]!.amount).toBe(o.amount);
  }
  // At most one pending order per invoice.
  const active = await k('payment_order_invoices as p').join('invoices as i', 'i.id', 'p.invoice_id').where({ 'i.customer_id': customerId, 'p.active': true }).select('p.invoice_id');
  expect(new Set(active.map((a) => a.invoice_id)).size).toBe(active.length);
  // The API's balance agrees with the tables.
  const balance = await svc.deps.ledger.balance(customerId);
  expect(balance.availableCredit).toBe(unallocated.toFixed(2));
}

describe('ledger invariants under random interleavings', () => {
  it('holds for random orders, notifications, bank credits and invoice issues', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 3, maxLength: 12 }), async (batches) => {
        const customerId = await play(batches);
        await checkInvariants(customerId);
      }),
      { numRuns: 30 },
    );
  }, 180_000);
});
