import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { CompactSign } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, warsawDate } from '../../../src/clock.js';
import { GatewayClient } from '../../../src/gateway/client.js';
import { GatewayUnavailableError, InvalidNotificationError } from '../../../src/gateway/errors.js';
import { JwsType, freshClaims, signCompactJws } from '../../../src/gateway/jws.js';
import { GatewayStatus } from '../../../src/gateway/status.js';
import { MERCHANT_ID, eventually, setupGateway, type GatewaySetup } from './helpers.js';

let gw: GatewaySetup;

beforeAll(async () => {
  gw = await setupGateway();
});
afterAll(async () => {
  await gw.close();
});
beforeEach(() => {
  gw.mock.controls.reset();
  gw.merchant.reset();
});

async function payOnBankPage(redirectUrl: string, action: 'pay' | 'reject'): Promise<Response> {
  const page = await fetch(redirectUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('Zapłać');
  expect(html).toContain('Odrzuć');
  return fetch(redirectUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ bank: 'mbank', action }).toString(),
    redirect: 'manual',
  });
}

describe('bank page and notifications (SPEC 3.3)', () => {
  it('paying on the bank page sends the browser to backpage and delivers a verified 2203 notification', async () => {
    const registered = await gw.register({ amount: '310.25' });
    const answer = await payOnBankPage(registered.redirectUrl, 'pay');
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe(`${gw.merchant.url}/payments/${registered.idTrans}/return`);

    const [notification] = await eventually(() => (gw.merchant.accepted().length > 0 ? gw.merchant.accepted() : undefined));
    expect(notification).toMatchObject({
      paymentId: registered.paymentId,
      idTrans: registered.idTrans,
      status: GatewayStatus.COMPLETED,
      amount: '310.25',
      currency: 'PLN',
    });
    expect(notification!.paidAt).toBeInstanceOf(Date);
    expect(notification!.settlementDate).toBe(warsawDate(notification!.paidAt!));
    const delivery = await gw.mock.controls.waitForDelivery((d) => d.paymentId === registered.paymentId);
    expect(delivery).toMatchObject({ eventId: notification!.eventId, attempt: 1, outcome: 'ok', httpStatus: 200 });

    // The page now says it is paid; paying again is refused.
    const page = await (await fetch(registered.redirectUrl)).text();
    expect(page).toContain('została już zrealizowana');
    const again = await fetch(registered.redirectUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'bank=mbank&action=pay',
      redirect: 'manual',
    });
    expect(again.status).toBe(409);
  });

  it('rejecting on the bank page sends the browser to backpagereject and delivers 2202', async () => {
    const registered = await gw.register();
    const answer = await payOnBankPage(registered.redirectUrl, 'reject');
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toContain('rejected=1');
    const delivery = await gw.mock.controls.waitForDelivery((d) => d.paymentId === registered.paymentId && d.outcome === 'ok');
    expect(delivery.newStatus).toBe(GatewayStatus.REJECTED);
    expect(gw.merchant.accepted()[0]).toMatchObject({ status: 2202, paidAt: null, settlementDate: null });
  });

  it('retries with the same event_id and a fresh jti until the merchant answers 200 OK', async () => {
    const registered = await gw.register();
    gw.merchant.failNext(2);
    gw.mock.controls.complete(registered.paymentId);
    await gw.mock.controls.waitForDelivery((d) => d.outcome === 'ok', 5000);
    const deliveries = gw.mock.controls.deliveries();
    expect(deliveries.map((d) => [d.attempt, d.outcome, d.httpStatus])).toEqual([
      [1, 'rejected', 500],
      [2, 'rejected', 500],
      [3, 'ok', 200],
    ]);
    expect(new Set(deliveries.map((d) => d.eventId)).size).toBe(1);
    expect(new Set(deliveries.map((d) => d.jti)).size).toBe(3);
    // Retries come after 1 then 5 minutes (x retryScale 0.001: 60 ms, 300 ms).
    const gap1 = deliveries[1]!.at.getTime() - deliveries[0]!.at.getTime();
    const gap2 = deliveries[2]!.at.getTime() - deliveries[1]!.at.getTime();
    expect(gap1).toBeGreaterThanOrEqual(50);
    expect(gap2).toBeGreaterThanOrEqual(250);
    expect(gw.mock.controls.events()[0]).toMatchObject({ state: 'delivered', attempts: 3 });
  });
});

describe('verifyNotification refuses (401 reasons)', () => {
  /** A genuine notification body signed by the mock gateway. */
  async function genuineBody(): Promise<string> {
    const registered = await gw.register();
    gw.mock.controls.complete(registered.paymentId);
    const received = await eventually(() => gw.merchant.received.find((r) => r.notification));
    return received.body;
  }

  async function refusal(body: string, client: GatewayClient = gw.client): Promise<string> {
    const error = await client.verifyNotification(body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidNotificationError);
    return (error as InvalidNotificationError).reason;
  }

  function claimsOf(body: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(body.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  }

  it('accepts the genuine notification', async () => {
    const body = await genuineBody();
    await expect(gw.client.verifyNotification(body)).resolves.toMatchObject({ status: 2203 });
  });

  it("a stranger's key under the gateway's kid: bad_signature", async () => {
    const body = await genuineBody();
    const stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const forged = await signCompactJws(claimsOf(body), stranger, { kid: gw.mock.controls.signingKid(), typ: JwsType.notification });
    expect(await refusal(forged)).toBe('bad_signature');
  });

  it('alg none, RS256 and HS256 keyed with the gateway public key: unsupported_alg', async () => {
    const body = await genuineBody();
    const claims = claimsOf(body);
    const kid = gw.mock.controls.signingKid();
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const none = `${b64({ alg: 'none', kid, typ: JwsType.notification })}.${b64(claims)}.`;
    expect(await refusal(none)).toBe('unsupported_alg');

    const jwks = (await (await fetch(`${gw.gatewayUrl}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    const gatewayJwk = jwks.keys.find((k) => k.kid === kid)!;
    const publicPem = createPublicKey({ key: gatewayJwk as never, format: 'jwk' }).export({ format: 'pem', type: 'spki' }) as string;
    for (const secret of [publicPem, JSON.stringify(gatewayJwk)]) {
      const hs256 = await new CompactSign(Buffer.from(JSON.stringify(claims)))
        .setProtectedHeader({ alg: 'HS256', kid, typ: JwsType.notification })
        .sign(Buffer.from(secret));
      expect(await refusal(hs256)).toBe('unsupported_alg');
    }

    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const rs256 = await new CompactSign(Buffer.from(JSON.stringify(claims))).setProtectedHeader({ alg: 'RS256', kid, typ: JwsType.notification }).sign(rsa);
    expect(await refusal(rs256)).toBe('unsupported_alg');
  });

  it('iat more than 300 s from our clock, either way: stale_iat', async () => {
    const body = await genuineBody();
    const ahead = new GatewayClient({ baseUrl: gw.gatewayUrl, merchantId: MERCHANT_ID, merchantKeys: gw.keys, clock: new ManualClock(new Date(Date.now() + 301_000)) });
    const behind = new GatewayClient({ baseUrl: gw.gatewayUrl, merchantId: MERCHANT_ID, merchantKeys: gw.keys, clock: new ManualClock(new Date(Date.now() - 301_000)) });
    expect(await refusal(body, ahead)).toBe('stale_iat');
    expect(await refusal(body, behind)).toBe('stale_iat');
    const withinTolerance = new GatewayClient({ baseUrl: gw.gatewayUrl, merchantId: MERCHANT_ID, merchantKeys: gw.keys, clock: new ManualClock(new Date(Date.now() + 250_000)) });
    await expect(withinTolerance.verifyNotification(body)).resolves.toMatchObject({ status: 2203 });
  });

  it('another merchant (aud): wrong_audience; another issuer: wrong_issuer', async () => {
    const body = await genuineBody();
    const other = new GatewayClient({ baseUrl: gw.gatewayUrl, merchantId: '1111111111', merchantKeys: gw.keys, clock: gw.clock });
    expect(await refusal(body, other)).toBe('wrong_audience');

    const registered = await gw.register();
    gw.mock.controls.notify(registered.paymentId, { iss: 'not-paybynet' });
    const wrongIss = await eventually(() => gw.merchant.received.find((r) => r.refusal));
    expect(wrongIss.refusal).toBe('wrong_issuer');
    expect(wrongIss.answeredStatus).toBe(401);
  });

  it('an unknown kid: one JWKS refetch, then unknown_kid; no kid at all: unknown_kid', async () => {
    const body = await genuineBody();
    const client = new GatewayClient({ baseUrl: gw.gatewayUrl, merchantId: MERCHANT_ID, merchantKeys: gw.keys, clock: gw.clock });
    await client.verifyNotification(body);
    expect(client.gatewayJwks.fetchCount).toBe(1);
    const stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const forged = await signCompactJws(claimsOf(body), stranger, { kid: 'some-unknown-kid', typ: JwsType.notification });
    expect(await refusal(forged, client)).toBe('unknown_kid');
    expect(client.gatewayJwks.fetchCount).toBe(2);
    // The same unknown kid again soon after does not refetch (rate limit).
    expect(await refusal(forged, client)).toBe('unknown_kid');
    expect(client.gatewayJwks.fetchCount).toBe(2);
    // Nor does another unknown kid: one cooldown (a minute) whatever the kid.
    const other = await signCompactJws(claimsOf(body), stranger, { kid: 'another-unknown-kid', typ: JwsType.notification });
    expect(await refusal(other, client)).toBe('unknown_kid');
    expect(client.gatewayJwks.fetchCount).toBe(2);

    const noKid = await new CompactSign(Buffer.from(JSON.stringify(claimsOf(body)))).setProtectedHeader({ alg: 'ES256', typ: JwsType.notification }).sign(stranger);
    expect(await refusal(noKid, client)).toBe('unknown_kid');
  });

  it('when the gateway JWKS cannot be fetched it is not a refusal: GatewayUnavailableError (answer 5xx, the gateway retries)', async () => {
    const body = await genuineBody();
    const blind = new GatewayClient({
      baseUrl: gw.gatewayUrl,
      merchantId: MERCHANT_ID,
      merchantKeys: gw.keys,
      clock: gw.clock,
      jwksUrl: `${gw.gatewayUrl}/no-such-jwks.json`,
    });
    await expect(blind.verifyNotification(body)).rejects.toBeInstanceOf(GatewayUnavailableError);
  });

  it('garbage, a status JWS posted as a notification, and missing claims: malformed / wrong_type', async () => {
    expect(await refusal('hello')).toBe('malformed');
    expect(await refusal('a.b.c')).toBe('malformed');
    expect(await refusal('')).toBe('malformed');

    const registered = await gw.register();
    const statusAnswer = await fetch(`${gw.gatewayUrl}/api/v1/transactions/${registered.paymentId}`, {
      headers: {
        Authorization: `Bearer ${await signCompactJws({ iss: MERCHANT_ID, aud: 'paybynet', ...freshClaims(new Date(), 60) }, gw.keys.current.privateKey, { kid: gw.keys.current.kid, typ: JwsType.auth })}`,
      },
    });
    expect(await refusal(await statusAnswer.text())).toBe('wrong_type');

    gw.merchant.reset();
    gw.mock.controls.notify(registered.paymentId, { id_trans: '12' });
    const bad = await eventually(() => gw.merchant.received.find((r) => r.refusal));
    expect(bad.refusal).toBe('malformed');
  });

  it('a completed status without paid_at/settlement_date is malformed', async () => {
    const registered = await gw.register();
    gw.mock.controls.notify(registered.paymentId, { newStatus: 2203 });
    const bad = await eventually(() => gw.merchant.received.find((r) => r.refusal));
    expect(bad.refusal).toBe('malformed');
  });
});

describe('gateway key rotation', () => {
  it('the client refetches the gateway JWKS once for the new kid, then uses its cache', async () => {
    const client = new GatewayClient({ baseUrl: gw.gatewayUrl, merchantId: MERCHANT_ID, merchantKeys: gw.keys, clock: gw.clock });
    gw.merchant.setClient(client);
    try {
      const first = await gw.register();
      gw.mock.controls.complete(first.paymentId);
      await gw.mock.controls.waitForDelivery((d) => d.paymentId === first.paymentId && d.outcome === 'ok');
      expect(client.gatewayJwks.fetchCount).toBe(1);

      const newKid = gw.mock.controls.rotateKey();
      const second = await gw.register();
      gw.mock.controls.complete(second.paymentId);
      await gw.mock.controls.waitForDelivery((d) => d.paymentId === second.paymentId && d.outcome === 'ok');
      expect(client.gatewayJwks.fetchCount).toBe(2);

      const third = await gw.register();
      gw.mock.controls.reject(third.paymentId);
      await gw.mock.controls.waitForDelivery((d) => d.paymentId === third.paymentId && d.outcome === 'ok');
      expect(client.gatewayJwks.fetchCount).toBe(2);
      const jwks = (await (await fetch(`${gw.gatewayUrl}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys.map((k) => k.kid)).toContain(newKid);
      expect(jwks.keys).toHaveLength(3);
    } finally {
      gw.merchant.setClient(gw.client);
    }
  });
});

describe('notification faults', () => {
  it('duplicate: the same bytes arrive K times concurrently', async () => {
    const registered = await gw.register();
    gw.mock.controls.setFaults({ duplicateNotifications: 3 });
    gw.mock.controls.complete(registered.paymentId);
    // The merchant sees a request before the mock has logged its answer: wait for both.
    await eventually(() => gw.merchant.received.length === 3 && gw.mock.controls.deliveries().length === 3);
    expect(new Set(gw.merchant.received.map((r) => r.body)).size).toBe(1);
    expect(gw.mock.controls.deliveries().map((d) => d.copy).sort()).toEqual([1, 2, 3]);
  });

  it('reorder: held notifications are released newest first', async () => {
    const registered = await gw.register();
    gw.mock.controls.setFaults({ reorderNotifications: true });
    gw.mock.controls.waitForBank(registered.paymentId);
    gw.mock.controls.complete(registered.paymentId);
    await new Promise((r) => setTimeout(r, 50));
    expect(gw.merchant.received).toHaveLength(0);
    expect(gw.mock.controls.events().map((e) => e.state)).toEqual(['held', 'held']);
    await gw.mock.controls.releaseHeld();
    expect(gw.merchant.accepted().map((n) => n.status)).toEqual([2203, 2102]);
  });

  it('drop: the dropped delivery is retried later with the same event_id; dropForever loses it', async () => {
    const registered = await gw.register();
    gw.mock.controls.setFaults({ dropNotifications: 1 });
    gw.mock.controls.complete(registered.paymentId);
    await gw.mock.controls.waitForDelivery((d) => d.outcome === 'ok');
    expect(gw.mock.controls.deliveries().map((d) => [d.attempt, d.outcome])).toEqual([
      [1, 'dropped'],
      [2, 'ok'],
    ]);

    gw.mock.controls.reset();
    gw.merchant.reset();
    const lost = await gw.register();
    gw.mock.controls.setFaults({ dropNotifications: 1, dropForever: true });
    gw.mock.controls.complete(lost.paymentId);
    await new Promise((r) => setTimeout(r, 200));
    expect(gw.merchant.received).toHaveLength(0);
    expect(gw.mock.controls.events()[0]!.state).toBe('lost');
  });

  it('tamper: the merchant refuses the tampered delivery (401) and accepts the retry', async () => {
    for (const tamperMode of ['signature', 'amount'] as const) {
      gw.mock.controls.reset();
      gw.merchant.reset();
      const registered = await gw.register();
      gw.mock.controls.setFaults({ tamperNotifications: 1, tamperMode });
      gw.mock.controls.complete(registered.paymentId);
      await gw.mock.controls.waitForDelivery((d) => d.outcome === 'ok');
      expect(gw.merchant.received.map((r) => r.refusal ?? 'accepted')).toEqual(['bad_signature', 'accepted']);
      expect(gw.mock.controls.deliveries()[0]).toMatchObject({ outcome: 'rejected', httpStatus: 401, tampered: tamperMode });
      expect(gw.merchant.accepted()[0]!.amount).toBe('123.45');
    }
  });

  it('delay: the delivery waits', async () => {
    const registered = await gw.register();
    gw.mock.controls.setFaults({ notificationDelayMs: 200 });
    const started = Date.now();
    gw.mock.controls.complete(registered.paymentId);
    await gw.mock.controls.waitForDelivery((d) => d.outcome === 'ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('a notification with another amount and currency is still a valid notification', async () => {
    const registered = await gw.register({ amount: '100.00' });
    gw.mock.controls.complete(registered.paymentId, { transAmount: '99.99', currency: 'EUR' });
    const [n] = await eventually(() => (gw.merchant.accepted().length ? gw.merchant.accepted() : undefined));
    expect(n).toMatchObject({ amount: '99.99', currency: 'EUR', status: 2203 });
  });
});
