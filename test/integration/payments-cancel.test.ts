import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import { createCustomer, putInvoice, type TestCustomer } from '../helpers/factories.js';
import { createPayment, creditsFor, gatewayPaymentId, newKey, waitForOkDeliveries, waitForStatus } from '../helpers/payments.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({}, { gatewayTimeoutMs: 1000 });
});
afterAll(async () => {
  await svc?.close();
});
beforeEach(() => {
  svc.gateway.controls.clearFaults();
});

let seq = 0;
async function customerWithInvoices(amounts: string[]): Promise<{ c: TestCustomer; numbers: string[] }> {
  const c = await createCustomer(svc);
  const numbers: string[] = [];
  for (const [i, amount] of amounts.entries()) {
    const number = `FV/X/${c.customerNumber}/${i + 1}-${++seq}`;
    await putInvoice(svc, number, { ...c, amount, issueDate: `2026-10-0${i + 1}`, dueDate: `2026-11-0${i + 1}` });
    numbers.push(number);
  }
  return { c, numbers };
}

const cancel = (c: TestCustomer, id: string) => svc.request('POST', `/api/payments/${id}/cancel`, { token: c.token });

/** Submits the mock bank page's form for the order. */
async function payAtBank(redirectUrl: string, action: 'pay' | 'reject' = 'pay') {
  return fetch(redirectUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `bank=pko&action=${action}`,
    redirect: 'manual',
  });
}

describe('resuming a pending payment (SPEC 4.4)', () => {
  it('the same invoices again answer 200 with the pending order and its bank page; other invoices keep the 409', async () => {
    const { c, numbers } = await customerWithInvoices(['10.00', '20.00']);
    const first = await createPayment(svc, c, [numbers[0]!]);
    expect(first.status).toBe(201);
    const again = await createPayment(svc, c, [numbers[0]!]);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const more = await createPayment(svc, c, [numbers[0]!, numbers[1]!]);
    expect(more.status).toBe(409);
    expect(more.body.error.code).toBe('payment_pending');
    // The resumed order is the one paid.
    const paid = await payAtBank(again.body.redirectUrl);
    expect(paid.status).toBe(303);
    await waitForStatus(svc, c, first.body.id, 'completed');
    expect(await creditsFor(svc, first.body.idTrans)).toHaveLength(1);
  });

  it('without invoice numbers: the order holding every outstanding invoice is resumed', async () => {
    const { c } = await customerWithInvoices(['11.00', '12.00']);
    const first = await createPayment(svc, c);
    expect(first.status).toBe(201);
    const again = await createPayment(svc, c);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
  });

  it('an order past its validity is not resumed', async () => {
    const { c, numbers } = await customerWithInvoices(['13.00']);
    const order = await createPayment(svc, c, numbers);
    const customerId = (await svc.deps.payments.orderById(order.body.id))!.customerId;
    // Less than a minute left to pay: a customer sent there now would meet an expired page.
    // (Through the service: the customer's access token does not live a day.)
    const late = svc.deps.config.payments.validMinutes * 60_000 - 30_000;
    svc.clock.advance(late);
    try {
      await expect(svc.deps.payments.createOrder(customerId, newKey(), numbers)).rejects.toMatchObject({ status: 409, code: 'payment_pending' });
    } finally {
      svc.clock.advance(-late);
    }
  });
});

describe('cancelling a payment (SPEC 3.6, 4.4)', () => {
  it('asks the gateway, frees the invoices, and the bank page no longer takes the payment', async () => {
    const { c, numbers } = await customerWithInvoices(['14.00']);
    const order = await createPayment(svc, c, numbers);
    const paymentId = await gatewayPaymentId(svc, order.body.id);
    const apiBefore = svc.gateway.controls.stats().apiRequests;
    const cancelled = await cancel(c, order.body.id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: order.body.id, status: 'cancelled' });
    expect(svc.gateway.controls.stats().apiRequests - apiBefore).toBe(1);
    expect(svc.gateway.controls.transaction(paymentId)!.status).toBe(2202);
    // The bank page refuses to take the money now.
    const page = await payAtBank(order.body.redirectUrl);
    expect(page.status).toBe(409);
    expect(await page.text()).toContain('anulowana');
    expect(svc.gateway.controls.transaction(paymentId)!.status).toBe(2202);
    // Cancelling again answers the same; the invoice is free for a new order.
    expect((await cancel(c, order.body.id)).body.status).toBe('cancelled');
    const fresh = await createPayment(svc, c, numbers);
    expect(fresh.status).toBe(201);
    expect(fresh.body.id).not.toBe(order.body.id);
    const details = await svc.request('GET', `/api/payments/${order.body.id}`, { token: c.token });
    expect(details.body.history.at(-1)).toMatchObject({ cause: 'cancel', toStatus: 'cancelled', gatewayStatus: 2202 });
  });

  it('when the money has already come, the cancel answer (2203) is credited as a completion, once', async () => {
    const { c, numbers } = await customerWithInvoices(['15.00']);
    const order = await createPayment(svc, c, numbers);
    svc.gateway.controls.setFaults({ dropNotifications: 100, dropForever: true });
    svc.gateway.controls.complete(await gatewayPaymentId(svc, order.body.id));
    const res = await cancel(c, order.body.id);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('completed');
    expect(await creditsFor(svc, order.body.idTrans)).toHaveLength(1);
    const s = await svc.request('GET', '/api/settlements?status=unpaid', { token: c.token });
    expect(s.body.items).toEqual([]);
    const final = await cancel(c, order.body.id);
    expect(final.status).toBe(409);
    expect(final.body.error.code).toBe('payment_not_cancellable');
  });

  it('cancels racing the completion notification credit the money exactly once', async () => {
    const orders = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const { c, numbers } = await customerWithInvoices([`${20 + i}.00`]);
        const order = await createPayment(svc, c, numbers);
        return { c, order: order.body, paymentId: await gatewayPaymentId(svc, order.body.id) };
      }),
    );
    svc.gateway.controls.setFaults({ duplicateNotifications: 3 });
    const answers = await Promise.all(
      orders.flatMap((o) => {
        svc.gateway.controls.complete(o.paymentId); // the money comes; its notification is on its way
        return Array.from({ length: 3 }, () => cancel(o.c, o.order.id));
      }),
    );
    // Every cancel saw the completion (the gateway is final) or came after it was recorded.
    for (const a of answers) {
      expect([200, 409]).toContain(a.status);
      if (a.status === 200) expect(a.body.status).toBe('completed');
      else expect(a.body.error.code).toBe('payment_not_cancellable');
    }
    for (const o of orders) {
      await waitForOkDeliveries(svc, o.paymentId, 3);
      const done = await waitForStatus(svc, o.c, o.order.id, 'completed');
      expect(done.amount).toBe(o.order.amount);
      expect(await creditsFor(svc, o.order.idTrans)).toHaveLength(1);
    }
  });

  it('a completion reported after a cancellation (a gateway out of step) is still credited, once', async () => {
    const { c, numbers } = await customerWithInvoices(['19.00']);
    const order = await createPayment(svc, c, numbers);
    const paymentId = await gatewayPaymentId(svc, order.body.id);
    expect((await cancel(c, order.body.id)).body.status).toBe('cancelled');
    const paidAt = svc.clock.now();
    const completed = { paymentId, idTrans: order.body.idTrans, status: 2203 as const, amount: '19.00', currency: 'PLN', paidAt, settlementDate: '2026-11-20', issuedAt: paidAt };
    await svc.deps.payments.applyGatewayStatus(completed, 'notification', `late-${paymentId}`);
    await svc.deps.payments.applyGatewayStatus(completed, 'reconciliation');
    expect((await svc.deps.payments.orderById(order.body.id))!.status).toBe('completed');
    expect(await creditsFor(svc, order.body.idTrans)).toHaveLength(1);
  });

  it("refuses another customer's payment (404), a malformed id (400), no login (401), and keeps the order when the gateway is down (502)", async () => {
    const a = await customerWithInvoices(['16.00']);
    const b = await customerWithInvoices(['17.00']);
    const order = await createPayment(svc, a.c, a.numbers);
    expect((await cancel(b.c, order.body.id)).status).toBe(404);
    expect((await svc.request('POST', '/api/payments/nope/cancel', { token: a.c.token })).status).toBe(400);
    expect((await svc.request('POST', `/api/payments/${order.body.id}/cancel`)).status).toBe(401);
    svc.gateway.controls.setFaults({ down: 'unavailable' });
    const down = await cancel(a.c, order.body.id);
    expect(down.status).toBe(502);
    expect(down.body.error.code).toBe('gateway_unavailable');
    svc.gateway.controls.clearFaults();
    expect((await svc.request('GET', `/api/payments/${order.body.id}`, { token: a.c.token })).body.status).toBe('pending');
    expect((await cancel(a.c, order.body.id)).body.status).toBe('cancelled');
  });
});

describe('the return page asks the gateway at most once per order every 5 seconds (issue 12 #11)', () => {
  it('ten views of a pending order make one status query; the next comes only after 5 s', async () => {
    const { c, numbers } = await customerWithInvoices(['18.00']);
    const order = await createPayment(svc, c, numbers);
    svc.clock.advance(10_000); // past any earlier query's window
    const before = svc.gateway.controls.stats().apiRequests;
    for (let i = 0; i < 10; i++) {
      const page = await svc.request('GET', `/payments/${order.body.id}/return`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Płatność w toku');
      expect(page.text).not.toContain(order.body.idTrans);
    }
    expect(svc.gateway.controls.stats().apiRequests - before).toBe(1);
    svc.clock.advance(5_000);
    await svc.request('GET', `/payments/${order.body.id}/return`);
    expect(svc.gateway.controls.stats().apiRequests - before).toBe(2);
    expect((await svc.deps.payments.returnView(order.body.id, undefined))?.details).toBeUndefined();
  });
});

describe('amounts past numeric(14,2) (issue 12 #7)', () => {
  it('a payment whose invoices add up past 999 999 999 999.99 answers 422, not 500', async () => {
    const { c, numbers } = await customerWithInvoices(['999999999999.00', '1.00']);
    const res = await svc.request('POST', '/api/payments', {
      token: c.token,
      headers: { 'idempotency-key': newKey() },
      body: { invoiceNumbers: numbers },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('payment_amount_too_large');
    const one = await createPayment(svc, c, [numbers[1]!]);
    expect(one.status).toBe(201);
  });
});
