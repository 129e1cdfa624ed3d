import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import { createCustomer, putInvoice, type TestCustomer } from '../helpers/factories.js';
import { createPayment, creditsFor, gatewayPaymentId, newKey, waitForStatus } from '../helpers/payments.js';

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

async function customerWithInvoices(amounts: string[]): Promise<{ c: TestCustomer; numbers: string[] }> {
  const c = await createCustomer(svc);
  const numbers: string[] = [];
  for (const [i, amount] of amounts.entries()) {
    const number = `FV/2026/${c.customerNumber}/${i + 1}`;
    await putInvoice(svc, number, { ...c, amount, issueDate: `2026-10-0${i + 1}`, dueDate: `2026-11-0${i + 1}` });
    numbers.push(number);
  }
  return { c, numbers };
}

describe('payments: the happy path', () => {
  it('orders the outstanding sum, the customer pays at the bank, the invoices are paid', async () => {
    const { c, numbers } = await customerWithInvoices(['100.10', '23.45']);
    const created = await createPayment(svc, c);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ amount: '123.55', currency: 'PLN', status: 'pending', invoiceNumbers: numbers });
    expect(created.body.idTrans).toMatch(/^\d{10}$/);
    expect(created.body.redirectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    const registered = svc.gateway.controls.transaction(await gatewayPaymentId(svc, created.body.id))!;
    expect(registered.amount).toBe('123.55');
    expect(registered.title).toContain(numbers[0]);
    expect(registered.title).toContain(numbers[1]);
    expect(registered.notifyUrl).toBe(`${svc.url}/api/gateway/paybynet/notify`);

    // The invoices show the pending payment, and a second order for them is refused.
    const inv = await svc.request('GET', `/api/invoices/${encodeURIComponent(numbers[0]!)}`, { token: c.token });
    expect(inv.body.pendingPaymentId).toBe(created.body.id);
    const again = await createPayment(svc, c, [numbers[0]!]);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('payment_pending');

    svc.gateway.controls.complete(registered.paymentId);
    const done = await waitForStatus(svc, c, created.body.id, 'completed');
    expect(done.settlementDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(done.history.map((h: { toStatus: string; cause: string }) => `${h.cause}:${h.toStatus}`)).toEqual([
      'created:pending',
      'registered:pending',
      'notification:completed',
    ]);
    const s = await svc.request('GET', '/api/settlements', { token: c.token });
    expect(s.body).toMatchObject({ totalOutstanding: '0.00', availableCredit: '0.00', balance: '0.00' });
    expect(s.body.items.filter((i: { kind: string }) => i.kind === 'payment')).toEqual([
      expect.objectContaining({ documentNumber: `PBN/${created.body.idTrans}`, amount: '123.55' }),
    ]);
    const page = await svc.request('GET', `/payments/${created.body.id}/return`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('Płatność zakończona');
    // Without the customer's session the page shows the status only.
    expect(page.text).not.toContain('123,55');
    expect(page.text).not.toContain(created.body.idTrans);
    expect(page.text).not.toContain(numbers[0]);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    // The payer's own view (what the web page shows with the session) has the details.
    const owner = (await svc.deps.payments.orderById(created.body.id))!.customerId;
    const own = await svc.deps.payments.returnView(created.body.id, owner);
    expect(own?.details).toEqual({ amount: '123.55', currency: 'PLN', invoiceNumbers: numbers, idTrans: created.body.idTrans });
    const stranger = await svc.deps.payments.returnView(created.body.id, `${owner}0`);
    expect(stranger).toEqual({ orderId: created.body.id, status: 'completed' });
    expect(await creditsFor(svc, created.body.idTrans)).toHaveLength(1);
  });

  it('the browser flow: bank page, Pay, back to the return page that says it is paid', async () => {
    const { c } = await customerWithInvoices(['45.67']);
    const created = await createPayment(svc, c);
    const bankPage = await fetch(created.body.redirectUrl);
    const html = await bankPage.text();
    expect(html).toContain('45,67 zł');
    expect(html).toContain('<html lang="pl">');
    // The title keeps its Polish letters; the validity is Warsaw time, written the Polish way.
    expect(html).toContain('Zapłata za fakturę');
    expect(html).toMatch(/<time datetime="[^"]+">\d{1,2} (stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|listopada|grudnia) \d{4}, \d{2}:\d{2}<\/time>/);
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!;
    const submitted = await fetch(new URL(action, created.body.redirectUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'bank=mbank&action=pay',
      redirect: 'manual',
    });
    expect(submitted.status).toBe(303);
    const location = submitted.headers.get('location')!;
    expect(location).toBe(`${svc.url}/payments/${created.body.id}/return`);
    const page = await fetch(location);
    expect(await page.text()).toContain('Płatność zakończona');
    await waitForStatus(svc, c, created.body.id, 'completed');
    const s = await svc.request('GET', '/api/settlements?status=unpaid', { token: c.token });
    expect(s.body.items).toEqual([]);
  });

  it('the browser flow: Reject leads to a return page that says so, and the invoice can be paid again', async () => {
    const { c } = await customerWithInvoices(['12.34']);
    const created = await createPayment(svc, c);
    const html = await (await fetch(created.body.redirectUrl)).text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!;
    const submitted = await fetch(new URL(action, created.body.redirectUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'bank=pko&action=reject',
      redirect: 'manual',
    });
    const page = await fetch(submitted.headers.get('location')!);
    expect(await page.text()).toContain('Płatność odrzucona');
    expect((await createPayment(svc, c)).status).toBe(201);
  });

  it('pays only the invoices named, oldest due first', async () => {
    const { c, numbers } = await customerWithInvoices(['10.00', '20.00', '30.00']);
    const created = await createPayment(svc, c, [numbers[2]!, numbers[0]!]);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ amount: '40.00', invoiceNumbers: [numbers[0], numbers[2]] });
  });
});

describe('payments: orders refused', () => {
  it('answers malformed ids and invoice numbers with 400, unknown ones with 404', async () => {
    const { c } = await customerWithInvoices(['10.00']);
    const badId = await svc.request('GET', '/api/payments/not-a-uuid', { token: c.token });
    expect(badId.status).toBe(400);
    expect(badId.body.error.message).toContain('payment id');
    const unknown = await svc.request('GET', '/api/payments/00000000-0000-4000-8000-000000000000', { token: c.token });
    expect(unknown.status).toBe(404);
    const badNumber = await createPayment(svc, c, ['FV 1; DROP TABLE']);
    expect(badNumber.status).toBe(400);
    expect(badNumber.body.error.message).toContain('invoiceNumbers.0');
    const notArray = await svc.request('POST', '/api/payments', { token: c.token, headers: { 'idempotency-key': newKey() }, body: { invoiceNumbers: 'FV/1' } });
    expect(notArray.status).toBe(400);
    const page = await svc.request('GET', '/payments/not-a-uuid/return');
    expect(page.status).toBe(404);
    expect(page.text).toContain('Nie znaleziono');
    const noAuth = await svc.request('POST', '/api/payments', { headers: { 'idempotency-key': newKey() }, body: {} });
    expect(noAuth.status).toBe(401);
  });

  it('requires an Idempotency-Key of at most 255 characters', async () => {
    const { c } = await customerWithInvoices(['10.00']);
    const none = await svc.request('POST', '/api/payments', { token: c.token, body: {} });
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe('idempotency_key_required');
    const long = await createPayment(svc, c, undefined, 'k'.repeat(256));
    expect(long.status).toBe(400);
  });

  it('answers the same key and body with the same order, and another body with 422', async () => {
    const { c, numbers } = await customerWithInvoices(['10.00', '20.00']);
    const key = newKey();
    const first = await createPayment(svc, c, [numbers[0]!], key);
    const second = await createPayment(svc, c, [numbers[0]!], key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    const other = await createPayment(svc, c, [numbers[1]!], key);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
  });

  it('makes one order from 10 parallel requests with one key', async () => {
    const { c } = await customerWithInvoices(['10.00']);
    const key = newKey();
    const results = await Promise.all(Array.from({ length: 10 }, () => createPayment(svc, c, undefined, key)));
    expect(results.map((r) => `${r.status} ${r.body?.error?.code ?? ""}`)).toEqual(Array(10).fill("201 "));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
  });

  it('lets only one of 10 parallel orders for the same invoice through', async () => {
    const { c, numbers } = await customerWithInvoices(['10.00']);
    const results = await Promise.all(Array.from({ length: 10 }, () => createPayment(svc, c, [numbers[0]!])));
    const created = results.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    // The others are refused while the one order is being registered, or resume it once it is.
    for (const r of results.filter((x) => x.status !== 201)) {
      if (r.status === 200) expect(r.body.id).toBe(created[0]!.body.id);
      else expect([r.status, r.body.error.code]).toEqual([409, 'payment_pending']);
    }
    expect(await svc.db.knex('payment_orders').where({ status: 'pending' }).whereIn('id', results.map((r) => r.body.id ?? created[0]!.body.id))).toHaveLength(1);
  });

  it("refuses another customer's invoice (404), a paid one (409), unknown fields (400)", async () => {
    const a = await customerWithInvoices(['10.00']);
    const b = await customerWithInvoices(['10.00']);
    const theirs = await createPayment(svc, a.c, [b.numbers[0]!]);
    expect(theirs.status).toBe(404);
    const pay = await createPayment(svc, a.c);
    svc.gateway.controls.complete(await gatewayPaymentId(svc, pay.body.id));
    await waitForStatus(svc, a.c, pay.body.id, 'completed');
    const paid = await createPayment(svc, a.c, [a.numbers[0]!]);
    expect(paid.status).toBe(409);
    expect(paid.body.error.code).toBe('invoice_not_payable');
    const nothing = await createPayment(svc, a.c);
    expect(nothing.status).toBe(409);
    expect(nothing.body.error.code).toBe('nothing_to_pay');
    const extra = await svc.request('POST', '/api/payments', {
      token: a.c.token,
      headers: { 'idempotency-key': newKey() },
      body: { invoiceNumbers: [], amount: '1.00' },
    });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toContain('amount');
    const stranger = await svc.request('GET', `/api/payments/${pay.body.id}`, { token: b.c.token });
    expect(stranger.status).toBe(404);
  });
});
