import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTION_SCRYPT_LOG_N } from '../../src/auth/index.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { createCustomer, putInvoice } from '../helpers/factories.js';
import { createPayment, gatewayPaymentId, waitForStatus } from '../helpers/payments.js';

// Production hashing cost here: the point is what a flood of real scrypt work does to the rest.
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({}, { passwordHashing: { scryptLogN: PRODUCTION_SCRYPT_LOG_N } });
});
afterAll(async () => {
  await svc?.close();
});

describe('a login flood', () => {
  it('does not delay a gateway notification: it is answered before the flood is, without waiting for its hashing', async () => {
    const c = await createCustomer(svc);
    const number = `FV/FLOOD/${c.customerNumber}`;
    await putInvoice(svc, number, { ...c, amount: '42.00' });
    const order = await createPayment(svc, c);
    expect(order.status).toBe(201);
    const paymentId = await gatewayPaymentId(svc, order.body.id);

    // 200 concurrent logins for unknown users: each costs a full password hash (a dummy one).
    const answered: Array<{ status: number; at: number; retryAfter: string | null }> = [];
    let firstAnswer!: () => void;
    const first = new Promise<void>((resolve) => (firstAnswer = resolve));
    const flood = Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const res = await fetch(`${svc.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ login: `flood-${i}-${c.customerNumber}`, password: `guess-${i}-password` }),
        });
        await res.arrayBuffer();
        answered.push({ status: res.status, at: performance.now(), retryAfter: res.headers.get('retry-after') });
        firstAnswer();
      }),
    ).then(() => performance.now());

    // Once the flood is under way (its hashing queued), the gateway reports the payment.
    await first;
    const sentAt = performance.now();
    svc.gateway.controls.complete(paymentId);
    const delivery = await svc.gateway.controls.waitForDelivery((d) => d.paymentId === paymentId && d.outcome === 'ok', 60_000);
    const notifiedAt = performance.now();
    const floodDoneAt = await flood;

    expect(delivery.httpStatus).toBe(200);
    expect(notifiedAt).toBeLessThan(floodDoneAt);
    // Logins whose password was hashed (401) while the notification was on its way: a few of the
    // bounded queue at most, never the flood's backlog (before the fix: 196 of 200, and the first
    // delivery timed out).
    const hashedMeanwhile = answered.filter((a) => a.status === 401 && a.at > sentAt && a.at < notifiedAt).length;
    expect(hashedMeanwhile).toBeLessThan(50);
    // The flood is refused politely: wrong password, throttled or busy, the last two with Retry-After.
    for (const a of answered) {
      expect([401, 429, 503]).toContain(a.status);
      if (a.status !== 401) expect(a.retryAfter).toMatch(/^\d+$/);
    }
    await waitForStatus(svc, c, order.body.id, 'completed');
  }, 120_000);
});
