import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GatewayClient } from '../../../src/gateway/client.js';
import { GatewayRejectedError, GatewayTimeoutError, GatewayUnavailableError } from '../../../src/gateway/errors.js';
import { MERCHANT_ID, setupGateway, type GatewaySetup } from './helpers.js';

let gw: GatewaySetup;

beforeAll(async () => {
  gw = await setupGateway({ timeoutMs: 800 });
});
afterAll(async () => {
  await gw.close();
});
beforeEach(() => {
  gw.mock.controls.reset();
});

describe('gateway slow or down', () => {
  it('a gateway slower than the timeout gives GatewayTimeoutError when the timeout is up', async () => {
    gw.mock.controls.setFaults({ slowMs: 6000 });
    const started = Date.now();
    const error = await gw.register().catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(GatewayTimeoutError);
    expect(elapsed).toBeGreaterThanOrEqual(750);
    expect(elapsed).toBeLessThan(2500);
  });

  it('the status query and the report download time out the same way', async () => {
    const registered = await gw.register();
    gw.mock.controls.setFaults({ slowMs: 6000 });
    await expect(gw.client.getTransactionStatus(registered.paymentId)).rejects.toBeInstanceOf(GatewayTimeoutError);
    await expect(gw.client.fetchSettlementReport('2025-03-14', `${gw.dataDir}/r.csv`)).rejects.toBeInstanceOf(GatewayTimeoutError);
  });

  it('a gateway answering 503 gives GatewayUnavailableError with the status', async () => {
    gw.mock.controls.setFaults({ down: 'unavailable' });
    const error = await gw.register().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayUnavailableError);
    expect((error as GatewayUnavailableError).httpStatus).toBe(503);
  });

  it('a gateway closing connections, or not listening at all, gives GatewayUnavailableError', async () => {
    gw.mock.controls.setFaults({ down: 'close' });
    await expect(gw.register()).rejects.toBeInstanceOf(GatewayUnavailableError);

    const nobody = http.createServer();
    await new Promise<void>((resolve) => nobody.listen(0, '127.0.0.1', resolve));
    const port = (nobody.address() as AddressInfo).port;
    await new Promise<void>((resolve) => nobody.close(() => resolve()));
    const client = new GatewayClient({ baseUrl: `http://127.0.0.1:${port}`, merchantId: MERCHANT_ID, merchantKeys: gw.keys, clock: gw.clock });
    const error = await client.getTransactionStatus('PBN1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayUnavailableError);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('an answer that is not what the protocol says gives GatewayUnavailableError, a 4xx GatewayRejectedError', async () => {
    const odd = http.createServer((req, res) => {
      if (req.url?.startsWith('/api/v1/transactions/')) {
        res.writeHead(200, { 'Content-Type': 'application/jose' }).end('this is not a JWS');
      } else if (req.url === '/api/v1/transactions') {
        res.writeHead(201, { 'Content-Type': 'application/json' }).end('{"hello":');
      } else {
        res.writeHead(422, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'nope', message: 'refused here' } }));
      }
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`;
    try {
      const client = new GatewayClient({ baseUrl: base, merchantId: MERCHANT_ID, merchantKeys: gw.keys, clock: gw.clock, jwksUrl: `${gw.gatewayUrl}/.well-known/jwks.json` });
      await expect(client.getTransactionStatus('PBN1')).rejects.toBeInstanceOf(GatewayUnavailableError);
      await expect(
        client.registerTransaction({
          idTrans: '0000000001',
          amount: '1.00',
          currency: 'PLN',
          dateValid: new Date(Date.now() + 3600_000),
          account: '61109010140000071219812874',
          accname: 'x',
          title: 'x',
          backpage: base,
          backpagereject: base,
          notifyUrl: base,
        }),
      ).rejects.toBeInstanceOf(GatewayUnavailableError);
      const rejected = await client.fetchSettlementReport('2025-01-01', `${gw.dataDir}/x.csv`).catch((e: unknown) => e);
      expect(rejected).toBeInstanceOf(GatewayRejectedError);
      expect(rejected).toMatchObject({ httpStatus: 422, code: 'nope', gatewayMessage: 'refused here' });
    } finally {
      odd.closeAllConnections();
      await new Promise<void>((resolve) => odd.close(() => resolve()));
    }
  });
});
