import { expect } from 'vitest';
import type { TestService } from './service.js';
import type { TestCustomer } from './factories.js';

let keySeq = 0;
export function newKey(): string {
  keySeq += 1;
  return `key-${process.pid}-${Date.now()}-${keySeq}`;
}

export async function createPayment(svc: TestService, customer: TestCustomer, invoiceNumbers?: string[], key = newKey()) {
  return svc.request('POST', '/api/payments', {
    token: customer.token,
    headers: { 'idempotency-key': key },
    body: invoiceNumbers ? { invoiceNumbers } : {},
  });
}

/** Polls the order until it leaves `pending` (notifications arrive asynchronously). */
export async function waitForStatus(svc: TestService, customer: TestCustomer, id: string, status: string, timeoutMs = 10_000) {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < timeoutMs) {
    const res = await svc.request('GET', `/api/payments/${id}`, { token: customer.token });
    last = res.body;
    if (res.body?.status === status) return res.body;
    await new Promise((r) => setTimeout(r, 25));
  }
  expect.fail(`payment ${id} did not become ${status}: ${JSON.stringify(last)}`);
}

export async function creditsFor(svc: TestService, idTrans: string) {
  return svc.db.knex('ledger_credits').where({ source: 'gateway', source_ref: idTrans });
}

export async function gatewayPaymentId(svc: TestService, orderId: string): Promise<string> {
  const row = await svc.db.knex('payment_orders').where({ id: orderId }).first();
  return row.gateway_payment_id as string;
}

/** Waits until the mock has logged at least `count` deliveries of this payment answered OK. */
export async function waitForOkDeliveries(svc: { gateway: TestService['gateway'] }, paymentId: string, count: number, timeoutMs = 15_000) {
  const started = Date.now();
  for (;;) {
    const ok = svc.gateway.controls.deliveries().filter((d) => d.paymentId === paymentId && d.outcome === 'ok').length;
    if (ok >= count) return ok;
    if (Date.now() - started > timeoutMs) expect.fail(`only ${ok} of ${count} deliveries of ${paymentId} answered OK`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
