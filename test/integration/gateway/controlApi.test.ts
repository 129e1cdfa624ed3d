/** The /__control JSON endpoints, for tests that run the mock gateway in another process. */
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GatewayUnavailableError } from '../../../src/gateway/errors.js';
import { readSettlementReport } from '../../../src/gateway/settlement.js';
import type { DeliveryRecord, MockTransaction } from '../../../mocks/paybynet/app.js';
import { MERCHANT_ID, eventually, setupGateway, type GatewaySetup } from './helpers.js';

let gw: GatewaySetup;

beforeAll(async () => {
  gw = await setupGateway();
});
afterAll(async () => {
  await gw.close();
});
beforeEach(async () => {
  await control('POST', '/__control/reset');
  gw.merchant.reset();
});

async function control<T = unknown>(method: string, pathname: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${gw.gatewayUrl}${pathname}`, {
    method,
    ...(body !== undefined ? { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as T };
}

describe('mock gateway control API', () => {
  it('completes a transaction with a chosen settlement date and lists deliveries', async () => {
    const registered = await gw.register({ amount: '42.00' });
    const done = await control<MockTransaction>('POST', `/__control/transactions/${registered.paymentId}/complete`, {
      paidAt: '2025-03-14T22:30:00Z',
      settlementDate: '2025-03-17',
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 2203, settlementDate: '2025-03-17', paidAt: '2025-03-14T22:30:00.000Z' });

    const [notification] = await eventually(() => (gw.merchant.accepted().length ? gw.merchant.accepted() : undefined));
    expect(notification).toMatchObject({ status: 2203, settlementDate: '2025-03-17' });
    const list = await control<DeliveryRecord[]>('GET', '/__control/deliveries');
    expect(list.body.some((d) => d.paymentId === registered.paymentId && d.outcome === 'ok')).toBe(true);

    const again = await control<{ error: { code: string } }>('POST', `/__control/transactions/${registered.paymentId}/reject`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_final');
  });

  it('sets and clears faults', async () => {
    const set = await control<{ down: string }>('POST', '/__control/faults', { down: 'unavailable' });
    expect(set.body.down).toBe('unavailable');
    await expect(gw.register()).rejects.toBeInstanceOf(GatewayUnavailableError);
    expect((await control('GET', '/__control/transactions')).status).toBe(200); // controls stay up
    await control('DELETE', '/__control/faults');
    expect((await gw.register()).httpStatus).toBe(201);

    const bad = await control<{ error: { code: string } }>('POST', '/__control/faults', { down: 'sideways' });
    expect(bad.status).toBe(400);
    const unknown = await control('POST', '/__control/faults', { explode: true });
    expect(unknown.status).toBe(400);
  });

  it('rotates the key and serves a synthetic report of N rows', async () => {
    const rotated = await control<{ kid: string }>('POST', '/__control/rotate-key');
    const jwks = (await (await fetch(`${gw.gatewayUrl}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(rotated.body.kid);

    await control('PUT', `/__control/merchants/${MERCHANT_ID}`, { jwksUrl: gw.merchant.jwksUrl });
    await control('POST', '/__control/reports/2025-03-14/synthetic', { rows: 1000, amount: '1.50' });
    await control('POST', '/__control/reports/2025-03-14/rows', { rows: [{ paymentId: 'PBNX', id_trans: '0000000777', amount: '7.77' }] });
    const file = path.join(gw.dataDir, 'synthetic.csv');
    const download = await gw.client.fetchSettlementReport('2025-03-14', file);
    expect(download).toMatchObject({ rows: 1001, kid: rotated.body.kid });
    let total = 0;
    for await (const row of readSettlementReport(file)) total += Number(row.amount.replace('.', '')); // grosze, integers
    expect(total).toBe(1000 * 150 + 777);

    await control('POST', '/__control/reports/2025-03-14/tamper');
    await expect(gw.client.fetchSettlementReport('2025-03-14', file)).rejects.toMatchObject({ reason: 'bad_signature' });
  });

  it('answers 404 for an unknown transaction and 400 for a bad date', async () => {
    expect((await control('POST', '/__control/transactions/NOPE/complete', {})).status).toBe(404);
    expect((await control('POST', '/__control/reports/2025-13-01/tamper', {})).status).toBe(400);
  });
});
