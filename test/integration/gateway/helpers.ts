/**
 * A mock gateway and a tiny fake merchant, both on real 127.0.0.1 ports with real signatures:
 * the merchant serves its JWKS (keys from loadMerchantKeys in a temp dir) and a notify endpoint
 * that verifies with GatewayClient.verifyNotification.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { systemClock, type Clock } from '../../../src/clock.js';
import { GatewayClient } from '../../../src/gateway/client.js';
import { InvalidNotificationError } from '../../../src/gateway/errors.js';
import { loadMerchantKeys, type MerchantKeys } from '../../../src/gateway/keys.js';
import type { GatewayNotification } from '../../../src/gateway/protocol.js';
import { createMockGateway, type MockGateway, type MockGatewayOptions } from '../../../mocks/paybynet/app.js';

export const MERCHANT_ID = '5490007890';
export const MERCHANT_ACCOUNT = '61109010140000071219812874';
export const ACCNAME = 'PWiK Oświęcim^NM^32-600^ZP^Oświęcim^CI^Ul. Ceglana 6^ST^Polska^CT^';

export interface ReceivedNotification {
  body: string;
  notification?: GatewayNotification;
  refusal?: string;
  answeredStatus: number;
}

export interface FakeMerchant {
  url: string;
  notifyUrl: string;
  jwksUrl: string;
  received: ReceivedNotification[];
  accepted(): GatewayNotification[];
  /** The next n verified notifications are answered 500 (not durably committed). */
  failNext(n: number): void;
  setKeys(keys: MerchantKeys): void;
  setClient(client: GatewayClient): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeMerchant(keys: MerchantKeys): Promise<FakeMerchant> {
  let currentKeys = keys;
  let client: GatewayClient | undefined;
  let failures = 0;
  const received: ReceivedNotification[] = [];

  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.method === 'GET' && ctx.path === '/.well-known/jwks.json') {
      ctx.body = currentKeys.publicJwks();
      return;
    }
    if (ctx.method === 'POST' && ctx.path === '/api/gateway/paybynet/notify') {
      const chunks: Buffer[] = [];
      for await (const c of ctx.req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        const notification = await client!.verifyNotification(body);
        if (failures > 0) {
          failures -= 1;
          ctx.status = 500;
          ctx.body = 'not committed';
        } else {
          ctx.status = 200;
          ctx.body = 'OK';
        }
        received.push({ body, notification, answeredStatus: ctx.status });
      } catch (err) {
        if (!(err instanceof InvalidNotificationError)) throw err;
        ctx.status = 401;
        ctx.body = { error: { code: err.reason } };
        received.push({ body, refusal: err.reason, answeredStatus: 401 });
      }
      return;
    }
    if (ctx.method === 'GET' && ctx.path.startsWith('/payments/')) {
      ctx.body = 'back at the merchant';
      return;
    }
    ctx.status = 404;
  });
  const handle = app.callback();
  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    notifyUrl: `${url}/api/gateway/paybynet/notify`,
    jwksUrl: `${url}/.well-known/jwks.json`,
    received,
    accepted: () => received.filter((r) => r.notification && r.answeredStatus === 200).map((r) => r.notification!),
    failNext: (n) => {
      failures = n;
    },
    setKeys: (k) => {
      currentKeys = k;
    },
    setClient: (c) => {
      client = c;
    },
    reset: () => {
      received.length = 0;
      failures = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface GatewaySetup {
  mock: MockGateway;
  gatewayUrl: string;
  merchant: FakeMerchant;
  client: GatewayClient;
  keys: MerchantKeys;
  dataDir: string;
  clock: Clock;
  /** Registers a transaction with sensible defaults. */
  register(overrides?: Partial<Parameters<GatewayClient['registerTransaction']>[0]>): ReturnType<GatewayClient['registerTransaction']>;
  nextIdTrans(): string;
  close(): Promise<void>;
}

let idCounter = 0;
const idBase = Math.floor(Math.random() * 8_000_000_000);

export async function setupGateway(
  options: { mock?: MockGatewayOptions; clock?: Clock; timeoutMs?: number } = {},
): Promise<GatewaySetup> {
  const clock = options.clock ?? systemClock;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ibok-gw-test-'));
  const keys = await loadMerchantKeys({ dataDir });
  const merchant = await startFakeMerchant(keys);
  // No merchantJwksUrl: the mock finds the merchant keys from notify_url's origin, as in the demo.
  const mock = createMockGateway({ retryScale: 0.001, merchantJwksCooldownMs: 0, controlApi: true, clock, ...options.mock });
  const { url: gatewayUrl } = await mock.listen();
  const client = new GatewayClient({
    baseUrl: gatewayUrl,
    merchantId: MERCHANT_ID,
    merchantKeys: keys,
    clock,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  merchant.setClient(client);
  const nextIdTrans = () => String(1_000_000_000 + idBase + ++idCounter);
  return {
    mock,
    gatewayUrl,
    merchant,
    client,
    keys,
    dataDir,
    clock,
    nextIdTrans,
    register: (overrides = {}) => {
      const idTrans = overrides.idTrans ?? nextIdTrans();
      return client.registerTransaction({
        idTrans,
        amount: '123.45',
        currency: 'PLN',
        dateValid: new Date(clock.now().getTime() + 60 * 60_000),
        email: 'jan.kowalski@example.com',
        account: MERCHANT_ACCOUNT,
        accname: ACCNAME,
        title: 'FV/2025/03/000123',
        backpage: `${merchant.url}/payments/${idTrans}/return`,
        backpagereject: `${merchant.url}/payments/${idTrans}/return?rejected=1`,
        notifyUrl: merchant.notifyUrl,
        ...overrides,
      });
    },
    close: async () => {
      await mock.close();
      await merchant.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until check() returns a value (not undefined/false) or the time is up. */
export async function eventually<T>(check: () => T | undefined | false, timeoutMs = 3000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
