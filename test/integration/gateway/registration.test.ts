import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import { GatewayClient } from '../../../src/gateway/client.js';
import { GatewayRejectedError } from '../../../src/gateway/errors.js';
import { JwsType, freshClaims, signCompactJws } from '../../../src/gateway/jws.js';
import { rotateMerchantKey, type MerchantKeys } from '../../../src/gateway/keys.js';
import { GatewayStatus } from '../../../src/gateway/status.js';
import { ACCNAME, MERCHANT_ACCOUNT, MERCHANT_ID, setupGateway, type GatewaySetup } from './helpers.js';

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

/** Posts a registration JWS built by hand, to show what the gateway refuses. */
async function postRegistration(claimsOverrides: Record<string, unknown>, keys: MerchantKeys = gw.keys) {
  const now = new Date();
  const claims = {
    iss: MERCHANT_ID,
    aud: 'paybynet',
    ...freshClaims(now, 300),
    id_trans: gw.nextIdTrans(),
    amount: '50.00',
    currency: 'PLN',
    date_valid: new Date(now.getTime() + 60 * 60_000).toISOString(),
    account: MERCHANT_ACCOUNT,
    accname: ACCNAME,
    title: 'FV/1/2025',
    backpage: `${gw.merchant.url}/payments/1/return`,
    backpagereject: `${gw.merchant.url}/payments/1/return`,
    notify_url: gw.merchant.notifyUrl,
    ...claimsOverrides,
  };
  const jws = await signCompactJws(claims, keys.current.privateKey, { kid: keys.current.kid, typ: JwsType.transaction });
  const response = await fetch(`${gw.gatewayUrl}/api/v1/transactions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/jose' },
    body: jws,
  });
  return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
}

describe('registering a transaction (SPEC 3.1)', () => {
  it('answers 201 with a paymentId and a redirectUrl to the bank page', async () => {
    const registered = await gw.register({ amount: '250.10' });
    expect(registered.httpStatus).toBe(201);
    expect(registered.status).toBe(GatewayStatus.WAITING_FOR_CUSTOMER);
    expect(registered.redirectUrl).toBe(`${gw.gatewayUrl}/pay/${registered.paymentId}`);
    const tx = gw.mock.controls.transaction(registered.paymentId)!;
    expect(tx).toMatchObject({ merchantId: MERCHANT_ID, idTrans: registered.idTrans, amount: '250.10', currency: 'PLN', status: 2101 });
  });

  it('answers 200 with the same paymentId when the same id_trans comes again with identical content', async () => {
    const idTrans = gw.nextIdTrans();
    const dateValid = new Date(Date.now() + 30 * 60_000);
    const first = await gw.register({ idTrans, dateValid });
    const again = await gw.register({ idTrans, dateValid });
    expect(again.httpStatus).toBe(200);
    expect(again.paymentId).toBe(first.paymentId);
    expect(gw.mock.controls.transactions()).toHaveLength(1);
  });

  it('answers 409 when the same id_trans comes again with different content', async () => {
    const idTrans = gw.nextIdTrans();
    const dateValid = new Date(Date.now() + 30 * 60_000);
    await gw.register({ idTrans, dateValid, amount: '10.00' });
    const error = await gw.register({ idTrans, dateValid, amount: '10.01' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayRejectedError);
    expect(error).toMatchObject({ httpStatus: 409, code: 'id_trans_conflict' });
  });

  it('refuses a registration signed by another key under the merchant kid (401 bad_signature)', async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const forged: MerchantKeys = { current: { kid: gw.keys.current.kid, privateKey: stranger }, publicJwks: () => gw.keys.publicJwks() };
    const client = new GatewayClient({ baseUrl: gw.gatewayUrl, merchantId: MERCHANT_ID, merchantKeys: forged, clock: gw.clock });
    const error = await client
      .registerTransaction({
        idTrans: gw.nextIdTrans(),
        amount: '1.00',
        currency: 'PLN',
        dateValid: new Date(Date.now() + 3600_000),
        account: MERCHANT_ACCOUNT,
        accname: ACCNAME,
        title: 'x',
        backpage: gw.merchant.url,
        backpagereject: gw.merchant.url,
        notifyUrl: gw.merchant.notifyUrl,
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ httpStatus: 401, code: 'bad_signature' });
    expect(gw.mock.controls.transactions()).toHaveLength(0);
  });

  it('refuses date_valid less than 15 minutes or more than 7 days ahead', async () => {
    const tooSoon = await gw.register({ dateValid: new Date(Date.now() + 10 * 60_000) }).catch((e: unknown) => e);
    expect(tooSoon).toMatchObject({ httpStatus: 400, code: 'date_valid_out_of_range' });
    const tooLate = await gw.register({ dateValid: new Date(Date.now() + 8 * 24 * 3600_000) }).catch((e: unknown) => e);
    expect(tooLate).toMatchObject({ httpStatus: 400, code: 'date_valid_out_of_range' });
    const ok = await gw.register({ dateValid: new Date(Date.now() + 6 * 24 * 3600_000) });
    expect(ok.httpStatus).toBe(201);
  });

  it('refuses amounts that are not positive "123.45" strings', async () => {
    for (const amount of ['0.00', '-5.00', '12.345', '12', '1e3', 12.5]) {
      const answer = await postRegistration({ amount });
      expect(answer.status, `amount ${String(amount)}`).toBe(400);
      expect(answer.body.error?.code).toBe('invalid_request');
    }
    await expect(gw.register({ amount: '12.3' })).rejects.toThrow(TypeError);
  });

  it('refuses a bad account, currency, id_trans, an over-long title and a missing URL with 400', async () => {
    const cases: Record<string, unknown>[] = [
      { account: '1234' },
      { currency: 'EUR' },
      { id_trans: '12345' },
      { title: 'x'.repeat(141) },
      { notify_url: undefined, backpage: 'not a url' },
    ];
    for (const c of cases) {
      const answer = await postRegistration(c);
      expect(answer.status, JSON.stringify(c)).toBe(400);
    }
  });

  it('refuses a wrong aud, a token valid for more than 300 s, an expired one and another typ with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await postRegistration({ aud: 'someone-else' })).body.error?.code).toBe('wrong_audience');
    expect((await postRegistration({ iat: now, exp: now + 301 })).body.error?.code).toBe('exp_too_far');
    expect((await postRegistration({ iat: now - 400, exp: now - 100 })).body.error?.code).toBe('token_expired');

    const claims = { iss: MERCHANT_ID, aud: 'paybynet', ...freshClaims(new Date(), 60), notify_url: gw.merchant.notifyUrl };
    const jws = await signCompactJws(claims, gw.keys.current.privateKey, {
      kid: gw.keys.current.kid,
      typ: JwsType.auth,
    });
    const response = await fetch(`${gw.gatewayUrl}/api/v1/transactions`, { method: 'POST', headers: { 'Content-Type': 'application/jose' }, body: jws });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('wrong_type');
  });
});

describe('status query (SPEC 3.4)', () => {
  it('returns the signed status of a pending and then a completed transaction', async () => {
    const registered = await gw.register({ amount: '77.70' });
    const pending = await gw.client.getTransactionStatus(registered.paymentId);
    expect(pending).toMatchObject({ paymentId: registered.paymentId, idTrans: registered.idTrans, status: 2101, amount: '77.70', currency: 'PLN', paidAt: null });

    gw.mock.controls.complete(registered.paymentId, { paidAt: new Date('2025-03-14T10:15:00Z'), notify: false });
    const completed = await gw.client.getTransactionStatus(registered.paymentId);
    expect(completed.status).toBe(2203);
    expect(completed.paidAt?.toISOString()).toBe('2025-03-14T10:15:00.000Z');
    expect(completed.settlementDate).toBe('2025-03-14');
  });

  it('answers 404 for an unknown paymentId', async () => {
    await gw.register();
    await expect(gw.client.getTransactionStatus('PBN-NOPE')).rejects.toMatchObject({ httpStatus: 404 });
  });

  it('refuses a Bearer token valid for more than 60 s', async () => {
    const registered = await gw.register();
    const now = new Date();
    const token = await signCompactJws({ iss: MERCHANT_ID, aud: 'paybynet', ...freshClaims(now, 600) }, gw.keys.current.privateKey, {
      kid: gw.keys.current.kid,
      typ: JwsType.auth,
    });
    const response = await fetch(`${gw.gatewayUrl}/api/v1/transactions/${registered.paymentId}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    const noToken = await fetch(`${gw.gatewayUrl}/api/v1/transactions/${registered.paymentId}`);
    expect(noToken.status).toBe(401);
  });

  it('reports a pending transaction past date_valid as expired (2201), and it stays expired', async () => {
    const clock = new ManualClock(new Date());
    const local = await setupGateway({ clock });
    try {
      const registered = await local.register({ dateValid: new Date(clock.now().getTime() + 20 * 60_000) });
      clock.advance(21 * 60_000);
      const status = await local.client.getTransactionStatus(registered.paymentId);
      expect(status.status).toBe(GatewayStatus.EXPIRED);
      expect(() => local.mock.controls.complete(registered.paymentId)).toThrow(/final/);
      // The expiry is notified too.
      const delivery = await local.mock.controls.waitForDelivery((d) => d.paymentId === registered.paymentId && d.outcome === 'ok');
      expect(delivery.newStatus).toBe(2201);
    } finally {
      await local.close();
    }
  });
});

describe('merchant key rotation', () => {
  it('the gateway refetches the merchant JWKS for the new kid, and the retired key still verifies', async () => {
    const before = await gw.register();
    const oldKeys = gw.keys;
    const rotated = await rotateMerchantKey(gw.dataDir);
    expect(rotated.current.kid).not.toBe(oldKeys.current.kid);
    expect(rotated.publicJwks().keys.map((k) => k.kid)).toEqual([rotated.current.kid, oldKeys.current.kid]);

    gw.merchant.setKeys(rotated);
    gw.client.useMerchantKeys(rotated);
    try {
      const after = await gw.register();
      expect(after.httpStatus).toBe(201);
      // A token signed with the retired key (e.g. in flight during the rotation) still verifies.
      const oldClient = new GatewayClient({ baseUrl: gw.gatewayUrl, merchantId: MERCHANT_ID, merchantKeys: oldKeys, clock: gw.clock });
      expect((await oldClient.getTransactionStatus(before.paymentId)).status).toBe(2101);
    } finally {
      gw.merchant.setKeys(oldKeys);
      gw.client.useMerchantKeys(oldKeys);
    }
  });
});
