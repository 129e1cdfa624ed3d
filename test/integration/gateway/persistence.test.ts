import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockGateway, type MockGateway } from '../../../mocks/paybynet/app.js';
import { GatewayClient } from '../../../src/gateway/client.js';
import { loadMerchantKeys, type MerchantKeys } from '../../../src/gateway/keys.js';
import { ACCNAME, MERCHANT_ACCOUNT, MERCHANT_ID, startFakeMerchant, type FakeMerchant } from './helpers.js';

let dir: string;
let keys: MerchantKeys;
let merchant: FakeMerchant;
const open: MockGateway[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ibok-mock-state-'));
  keys = await loadMerchantKeys({ dataDir: dir });
  merchant = await startFakeMerchant(keys);
});
afterAll(async () => {
  for (const m of open) await m.close();
  await merchant.close();
  await rm(dir, { recursive: true, force: true });
});

async function startMock(stateFile: string, controlApi = false) {
  const mock = createMockGateway({ stateFile, controlApi, merchantJwksCooldownMs: 0 });
  open.push(mock);
  const { url } = await mock.listen();
  const client = new GatewayClient({ baseUrl: url, merchantId: MERCHANT_ID, merchantKeys: keys, clock: { now: () => new Date() } });
  merchant.setClient(client);
  return { mock, url, client };
}

function registration(idTrans: string) {
  return {
    idTrans,
    amount: '99.01',
    currency: 'PLN' as const,
    dateValid: new Date(Date.now() + 60 * 60_000),
    account: MERCHANT_ACCOUNT,
    accname: ACCNAME,
    title: 'Zapłata za fakturę FV/2026/ŻÓŁW/1',
    backpage: `${merchant.url}/payments/x/return`,
    backpagereject: `${merchant.url}/payments/x/return`,
    notifyUrl: merchant.notifyUrl,
  };
}

describe('the mock gateway survives a restart with a state file', () => {
  it('keeps transactions, keys and statuses; the bank page and status queries work after the restart', async () => {
    const stateFile = path.join(dir, 'mock-paybynet.json');
    const first = await startMock(stateFile);
    const pendingRegistration = registration('4000000001');
    const pending = await first.client.registerTransaction(pendingRegistration);
    const paid = await first.client.registerTransaction(registration('4000000002'));
    first.mock.controls.complete(paid.paymentId, { notify: false });
    const kid = first.mock.controls.signingKid();
    await first.mock.close();
    expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(stateFile, 'utf8')).transactions).toHaveLength(2);

    const second = await startMock(stateFile);
    expect(second.mock.controls.signingKid()).toBe(kid);
    expect((await second.client.getTransactionStatus(paid.paymentId)).status).toBe(2203);
    expect((await second.client.getTransactionStatus(pending.paymentId)).status).toBe(2101);
    // The same registration again is recognised (200), another content under its id_trans is not.
    const again = await second.client.registerTransaction(pendingRegistration);
    expect([again.httpStatus, again.paymentId]).toEqual([200, pending.paymentId]);
    await expect(second.client.registerTransaction({ ...pendingRegistration, amount: '1.00' })).rejects.toMatchObject({ httpStatus: 409 });
    // The bank page of the transaction registered before the restart takes the payment.
    const page = await fetch(`${second.url}/pay/${pending.paymentId}`);
    expect(await page.text()).toContain('Zapłata za fakturę FV/2026/ŻÓŁW/1');
    const pay = await fetch(`${second.url}/pay/${pending.paymentId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'bank=ing&action=pay',
      redirect: 'manual',
    });
    expect(pay.status).toBe(303);
    await second.mock.controls.waitForDelivery((d) => d.paymentId === pending.paymentId && d.outcome === 'ok');
  });

  it('serves the control API only when asked for', async () => {
    const without = await startMock(path.join(dir, 'a.json'));
    expect((await fetch(`${without.url}/__control/transactions`)).status).toBe(404);
    const withControl = await startMock(path.join(dir, 'b.json'), true);
    expect((await fetch(`${withControl.url}/__control/transactions`)).status).toBe(200);
  });
});

describe('cancel (SPEC 3.6)', () => {
  it('cancels an unpaid transaction (2202, final) and answers a paid one with 2203', async () => {
    const { mock, client } = await startMock(path.join(dir, 'c.json'));
    const unpaid = await client.registerTransaction(registration('4000000011'));
    const cancelled = await client.cancelTransaction(unpaid.paymentId);
    expect(cancelled).toMatchObject({ paymentId: unpaid.paymentId, idTrans: '4000000011', status: 2202 });
    expect(() => mock.controls.complete(unpaid.paymentId)).toThrow(/final/);
    const paid = await client.registerTransaction(registration('4000000012'));
    mock.controls.complete(paid.paymentId, { notify: false });
    const answer = await client.cancelTransaction(paid.paymentId);
    expect(answer).toMatchObject({ status: 2203, amount: '99.01' });
    expect(answer.settlementDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // Another merchant's token is refused; an unknown transaction is 404.
    await expect(client.cancelTransaction('PBNNOSUCHTHING')).rejects.toMatchObject({ httpStatus: 404 });
  });
});
