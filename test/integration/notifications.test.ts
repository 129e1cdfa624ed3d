import { createHmac } from 'node:crypto';
import { CompactSign, exportSPKI, generateKeyPair, importJWK, type JWK } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMockGateway } from '../../mocks/paybynet/app.js';
import { ManualClock } from '../../src/clock.js';
import { rotateMerchantKey } from '../../src/gateway/index.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { createCustomer, putInvoice, type TestCustomer } from '../helpers/factories.js';
import { createPayment, creditsFor, gatewayPaymentId, waitForOkDeliveries, waitForStatus } from '../helpers/payments.js';

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

async function orderFor(amount: string, service = svc): Promise<{ c: TestCustomer; id: string; idTrans: string; paymentId: string; number: string }> {
  const c = await createCustomer(service);
  const number = `FV/N/${c.customerNumber}`;
  await putInvoice(service, number, { ...c, amount });
  const res = await createPayment(service, c);
  expect(res.status).toBe(201);
  return { c, id: res.body.id, idTrans: res.body.idTrans, paymentId: await gatewayPaymentId(service, res.body.id), number };
}

function b64url(s: string | Buffer): string {
  return Buffer.from(s).toString('base64url');
}

async function postNotification(body: string) {
  return svc.request('POST', '/api/gateway/paybynet/notify', { rawBody: body, headers: { 'content-type': 'application/jose' } });
}

function claimsFor(o: { idTrans: string; paymentId: string }, amount: string) {
  const now = Math.floor(svc.clock.now().getTime() / 1000);
  return {
    iss: 'paybynet',
    aud: svc.deps.config.merchant.id,
    iat: now,
    jti: `forged-${Math.random()}`,
    event_id: `forged-${Math.random()}`,
    paymentId: o.paymentId,
    id_trans: o.idTrans,
    newStatus: 2203,
    transAmount: amount,
    currency: 'PLN',
    paid_at: svc.clock.now().toISOString(),
    settlement_date: '2026-11-20',
  };
}

describe('notifications: exactly one credit', () => {
  it('30 concurrent duplicate deliveries credit the payment once', async () => {
    const o = await orderFor('61.50');
    svc.gateway.controls.setFaults({ duplicateNotifications: 30 });
    svc.gateway.controls.complete(o.paymentId);
    await waitForStatus(svc, o.c, o.id, 'completed');
    // Every one of the 30 copies is answered OK, and yet the payment is credited once.
    expect(await waitForOkDeliveries(svc, o.paymentId, 30)).toBeGreaterThanOrEqual(30);
    expect(await creditsFor(svc, o.idTrans)).toHaveLength(1);
    const s = await svc.request('GET', '/api/settlements', { token: o.c.token });
    expect(s.body).toMatchObject({ totalOutstanding: '0.00', availableCredit: '0.00' });
    const events = await svc.db.knex('payment_events').where({ id_trans: o.idTrans });
    expect(events).toHaveLength(1);
  });

  it('a notification answered with an error is retried until it is acknowledged', async () => {
    const o = await orderFor('10.00');
    svc.gateway.controls.setFaults({ dropNotifications: 1 });
    svc.gateway.controls.complete(o.paymentId);
    await waitForStatus(svc, o.c, o.id, 'completed');
    const attempts = svc.gateway.controls.deliveries().filter((d) => d.paymentId === o.paymentId);
    expect(attempts[0]!.outcome).toBe('dropped');
    expect(attempts.some((d) => d.attempt >= 2 && d.outcome === 'ok')).toBe(true);
  });

  it('deliveries out of order: a late "waiting for bank" does not undo a completion', async () => {
    const o = await orderFor('12.00');
    svc.gateway.controls.setFaults({ reorderNotifications: true });
    svc.gateway.controls.waitForBank(o.paymentId);
    svc.gateway.controls.complete(o.paymentId);
    await svc.gateway.controls.releaseHeld(); // newest first: completion, then 2102
    await waitForStatus(svc, o.c, o.id, 'completed');
    await svc.gateway.controls.waitForDelivery((d) => d.paymentId === o.paymentId && d.newStatus === 2102 && d.outcome === 'ok');
    const after = await svc.request('GET', `/api/payments/${o.id}`, { token: o.c.token });
    expect(after.body.status).toBe('completed');
  });

  it('a rejection after completion changes nothing', async () => {
    const o = await orderFor('15.00');
    svc.gateway.controls.complete(o.paymentId);
    await waitForStatus(svc, o.c, o.id, 'completed');
    const eventId = svc.gateway.controls.notify(o.paymentId, { newStatus: 2202 });
    const d = await svc.gateway.controls.waitForDelivery((x) => x.eventId === eventId && x.outcome !== 'dropped');
    expect(d.outcome).toBe('ok');
    const after = await svc.request('GET', `/api/payments/${o.id}`, { token: o.c.token });
    expect(after.body.status).toBe('completed');
    expect(after.body.history.at(-1)).toMatchObject({ toStatus: 'completed', gatewayStatus: 2202, details: { ignored: 'order already completed' } });
    expect(await creditsFor(svc, o.idTrans)).toHaveLength(1);
  });

  it('a different amount is acknowledged, not credited, and shown to accounting', async () => {
    const o = await orderFor('99.99');
    svc.gateway.controls.complete(o.paymentId, { transAmount: '9.99' });
    await waitForStatus(svc, o.c, o.id, 'amount_mismatch');
    expect(await creditsFor(svc, o.idTrans)).toHaveLength(0);
    const inv = await svc.request('GET', `/api/invoices/${encodeURIComponent(o.number)}`, { token: o.c.token });
    expect(inv.body).toMatchObject({ outstanding: '99.99', pendingPaymentId: null });
    await svc.deps.auth.ensureStaff('acc-n', 'accounting-pass-1', 'accounting');
    const login = await svc.request('POST', '/api/auth/login', { body: { login: 'acc-n', password: 'accounting-pass-1' } });
    const flagged = await svc.request('GET', '/api/accounting/payments?status=amount_mismatch', { token: login.body.accessToken });
    expect(flagged.body.items).toContainEqual(expect.objectContaining({ id: o.id, amount: '99.99', notifiedAmount: '9.99' }));
    const asCustomer = await svc.request('GET', '/api/accounting/payments', { token: o.c.token });
    expect(asCustomer.status).toBe(403);
  });
});

describe('notifications: refusals change nothing (401)', () => {
  it.each([
    ['garbage', () => Promise.resolve('not-a-jws')],
    ['alg none', (o: { idTrans: string; paymentId: string }) =>
      Promise.resolve(`${b64url(JSON.stringify({ alg: 'none', typ: 'pbn-notification+jwt', kid: svc.gateway.controls.signingKid() }))}.${b64url(JSON.stringify(claimsFor(o, '20.00')))}.`)],
    ["a stranger's key under the gateway's kid", async (o: { idTrans: string; paymentId: string }) => {
      const { privateKey } = await generateKeyPair('ES256');
      return new CompactSign(new TextEncoder().encode(JSON.stringify(claimsFor(o, '20.00'))))
        .setProtectedHeader({ alg: 'ES256', typ: 'pbn-notification+jwt', kid: svc.gateway.controls.signingKid() })
        .sign(privateKey);
    }],
    ['an unknown kid', async (o: { idTrans: string; paymentId: string }) => {
      const { privateKey } = await generateKeyPair('ES256');
      return new CompactSign(new TextEncoder().encode(JSON.stringify(claimsFor(o, '20.00'))))
        .setProtectedHeader({ alg: 'ES256', typ: 'pbn-notification+jwt', kid: 'no-such-key' })
        .sign(privateKey);
    }],
    ["HS256 keyed with the gateway's public key", async (o: { idTrans: string; paymentId: string }) => {
      const jwks = (await (await fetch(`${svc.gateway.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
      const jwk = jwks.keys.find((k) => k.kid === svc.gateway.controls.signingKid())!;
      const pem = await exportSPKI((await importJWK(jwk, 'ES256', { extractable: true })) as Parameters<typeof exportSPKI>[0]);
      const input = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'pbn-notification+jwt', kid: jwk.kid }))}.${b64url(JSON.stringify(claimsFor(o, '20.00')))}`;
      return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    }],
  ])('refuses %s', async (_name, make) => {
    const o = await orderFor('20.00');
    const res = await postNotification(await make(o));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_notification');
    const after = await svc.request('GET', `/api/payments/${o.id}`, { token: o.c.token });
    expect(after.body.status).toBe('pending');
    expect(await creditsFor(svc, o.idTrans)).toHaveLength(0);
  });

  it('refuses a wrong audience and a tampered signature sent by the gateway', async () => {
    const o = await orderFor('21.00');
    const eventId = svc.gateway.controls.notify(o.paymentId, { newStatus: 2203, aud: '0000000000', paid_at: svc.clock.now().toISOString(), settlement_date: '2026-11-20' });
    const d = await svc.gateway.controls.waitForDelivery((x) => x.eventId === eventId && x.outcome !== 'dropped');
    expect(d.httpStatus).toBe(401);
    svc.gateway.controls.setFaults({ tamperNotifications: 1, tamperMode: 'amount' });
    const e2 = svc.gateway.controls.notify(o.paymentId, { newStatus: 2203, paid_at: svc.clock.now().toISOString(), settlement_date: '2026-11-20' });
    const d2 = await svc.gateway.controls.waitForDelivery((x) => x.eventId === e2 && x.tampered !== null);
    expect(d2.httpStatus).toBe(401);
    const after = await svc.request('GET', `/api/payments/${o.id}`, { token: o.c.token });
    expect(after.body.status).toBe('pending');
  });

  it('refuses a notification signed more than 300 s away from our clock', async () => {
    const gatewayClock = new ManualClock(new Date('2026-11-20T09:50:00Z')); // 10 minutes behind
    const gateway = createMockGateway({ clock: gatewayClock, retryScale: 0.0005, merchantJwksCooldownMs: 0, logger: pino({ level: 'silent' }) });
    await gateway.listen(0, '127.0.0.1');
    const other = await startTestService({}, { gateway, clock: new ManualClock(new Date('2026-11-20T10:00:00Z')) });
    try {
      gatewayClock.set(new Date('2026-11-20T10:00:00Z'));
      const o = await orderFor('22.00', other);
      gatewayClock.set(new Date('2026-11-20T09:50:00Z'));
      gateway.controls.complete(o.paymentId);
      const d = await gateway.controls.waitForDelivery((x) => x.paymentId === o.paymentId && x.outcome !== 'dropped');
      expect(d.httpStatus).toBe(401);
      expect(d.responseBody).toContain('stale_iat');
      const after = await other.request('GET', `/api/payments/${o.id}`, { token: o.c.token });
      expect(after.body.status).toBe('pending');
    } finally {
      await other.close();
      await gateway.close();
    }
  });

  it('refuses a notification that is not application/jose (415) or too large (413)', async () => {
    const wrongType = await svc.request('POST', '/api/gateway/paybynet/notify', { rawBody: 'x', headers: { 'content-type': 'text/plain' } });
    expect(wrongType.status).toBe(415);
    const huge = await postNotification('a'.repeat(70 * 1024));
    expect(huge.status).toBe(413);
  });
});

describe('lost notifications, expiry, gateway failures', () => {
  it('the return page asks the gateway when the notification is lost', async () => {
    const o = await orderFor('30.00');
    svc.gateway.controls.setFaults({ dropNotifications: 100, dropForever: true });
    svc.gateway.controls.complete(o.paymentId);
    const page = await svc.request('GET', `/payments/${o.id}/return`);
    expect(page.text).toContain('Płatność zakończona');
    const after = await svc.request('GET', `/api/payments/${o.id}`, { token: o.c.token });
    expect(after.body.status).toBe('completed');
    expect(after.body.history.at(-1)).toMatchObject({ cause: 'return_page', toStatus: 'completed' });
    expect(await creditsFor(svc, o.idTrans)).toHaveLength(1);
  });

  it('the sweep settles pending orders past date_valid, and nothing before', async () => {
    const o = await orderFor('31.00');
    const rejected = await orderFor('32.00');
    svc.gateway.controls.setFaults({ dropNotifications: 100, dropForever: true });
    svc.gateway.controls.complete(o.paymentId);
    svc.gateway.controls.reject(rejected.paymentId);
    await svc.deps.payments.sweep();
    expect((await svc.request('GET', `/api/payments/${o.id}`, { token: o.c.token })).body.status).toBe('pending');
    svc.clock.advance((24 * 60 + 16) * 60_000);
    try {
      await svc.deps.payments.sweep();
    } finally {
      svc.clock.advance(-(24 * 60 + 16) * 60_000);
    }
    const done = await svc.request('GET', `/api/payments/${o.id}`, { token: o.c.token });
    expect(done.body.status).toBe('completed');
    expect(done.body.history.at(-1).cause).toBe('sweep');
    expect((await svc.request('GET', `/api/payments/${rejected.id}`, { token: rejected.c.token })).body.status).toBe('rejected');
  });

  it('an expired transaction frees its invoices for a new payment', async () => {
    const o = await orderFor('33.00');
    svc.gateway.controls.expire(o.paymentId);
    await waitForStatus(svc, o.c, o.id, 'expired');
    const page = await svc.request('GET', `/payments/${o.id}/return`);
    expect(page.text).toContain('Płatność wygasła');
    const again = await createPayment(svc, o.c);
    expect(again.status).toBe(201);
    expect(again.body.amount).toBe('33.00');
  });

  it('gateway down: 502, the order is kept as failed and the invoice is free again', async () => {
    const c = await createCustomer(svc);
    await putInvoice(svc, `FV/D/${c.customerNumber}`, { ...c, amount: '40.00' });
    svc.gateway.controls.setFaults({ down: 'unavailable' });
    const res = await createPayment(svc, c);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('gateway_unavailable');
    const order = await svc.db.knex('payment_orders').where({ id: res.body.error.details.paymentId }).first();
    expect(order.status).toBe('failed');
    svc.gateway.controls.clearFaults();
    const retry = await createPayment(svc, c);
    expect(retry.status).toBe(201);
  });

  it('gateway slow: 504 after the timeout', async () => {
    const c = await createCustomer(svc);
    await putInvoice(svc, `FV/S/${c.customerNumber}`, { ...c, amount: '41.00' });
    svc.gateway.controls.setFaults({ slowMs: 2500 });
    const started = Date.now();
    const res = await createPayment(svc, c);
    expect(res.status).toBe(504);
    expect(res.body.error.code).toBe('gateway_timeout');
    expect(Date.now() - started).toBeLessThan(2400);
  });
});

describe('key rotation', () => {
  it("accepts notifications signed with the gateway's new key", async () => {
    // Unknown kids refetch the gateway's JWKS at most once a minute, and an earlier test sent one.
    svc.clock.advance(61_000);
    const o = await orderFor('50.00');
    const before = svc.gateway.controls.signingKid();
    const kid = svc.gateway.controls.rotateKey();
    expect(kid).not.toBe(before);
    svc.gateway.controls.complete(o.paymentId);
    await waitForStatus(svc, o.c, o.id, 'completed');
  });

  it('registers with a rotated merchant key and keeps the retired one published', async () => {
    const oldKid = svc.deps.merchantKeys.current.current.kid;
    const rotated = await rotateMerchantKey(svc.deps.config.dataDir);
    svc.deps.merchantKeys.current = rotated;
    svc.deps.gateway.useMerchantKeys(rotated);
    const jwks = await svc.request('GET', '/.well-known/jwks.json');
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toEqual([rotated.current.kid, oldKid]);
    const o = await orderFor('51.00');
    svc.gateway.controls.complete(o.paymentId);
    await waitForStatus(svc, o.c, o.id, 'completed');
  });
});

describe('overpayment', () => {
  it('a payment for an invoice paid meanwhile becomes credit, used by the next invoice', async () => {
    const o = await orderFor('60.00');
    // The invoice is paid another way (a bank transfer) while the order is pending.
    await svc.db.knex.transaction(async (trx) => {
      const customer = await trx('customers').where({ customer_number: o.c.customerNumber }).first();
      await svc.deps.ledger.recordCredit(trx, {
        customerId: String(customer.id), kind: 'payment', source: 'bank', sourceRef: `BANK-${o.idTrans}`,
        documentNumber: `BANK-${o.idTrans}`, amount: '60.00', receivedOn: '2026-11-19', hasInvoiceTarget: true,
      });
    });
    svc.gateway.controls.complete(o.paymentId);
    await waitForStatus(svc, o.c, o.id, 'completed');
    const s = await svc.request('GET', '/api/settlements', { token: o.c.token });
    expect(s.body).toMatchObject({ totalOutstanding: '0.00', availableCredit: '60.00', balance: '-60.00' });
    expect(s.body.items).toContainEqual(expect.objectContaining({ kind: 'overpayment', documentNumber: `PBN/${o.idTrans}`, amount: '60.00' }));
    await putInvoice(svc, `FV/NEXT/${o.c.customerNumber}`, { ...o.c, amount: '45.00', issueDate: '2026-11-20', dueDate: '2026-12-04' });
    const later = await svc.request('GET', '/api/settlements', { token: o.c.token });
    expect(later.body).toMatchObject({ totalOutstanding: '0.00', availableCredit: '15.00', balance: '-15.00' });
  });
});

describe('unknown-kid flood (issue 12 #3)', () => {
  it("200 notifications with random kids cost the gateway at most one JWKS fetch, and change nothing", async () => {
    svc.clock.advance(61_000); // past the cooldown of earlier tests' unknown kids
    const o = await orderFor('70.00');
    const before = svc.gateway.controls.stats().jwksRequests;
    const stranger = await generateKeyPair('ES256');
    const answers = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const jws = await new CompactSign(Buffer.from(JSON.stringify(claimsFor(o, '70.00'))))
          .setProtectedHeader({ alg: 'ES256', kid: `random-${i}-${Math.random().toString(36).slice(2)}`, typ: 'pbn-notification+jwt' })
          .sign(stranger.privateKey);
        return (await postNotification(jws)).status;
      }),
    );
    expect(new Set(answers)).toEqual(new Set([401]));
    expect(svc.gateway.controls.stats().jwksRequests - before).toBeLessThanOrEqual(1);
    expect(await creditsFor(svc, o.idTrans)).toHaveLength(0);
    // The gateway's genuine notification still goes through.
    svc.gateway.controls.complete(o.paymentId);
    await waitForStatus(svc, o.c, o.id, 'completed');
  });
});
