import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createMockGateway } from '../../mocks/paybynet/app.js';
import { ManualClock } from '../../src/clock.js';
import { createDb } from '../../src/db/createDb.js';
import { createScratchSchemaDb } from '../../src/db/scratchSchema.js';
import { startBalancer } from '../helpers/balancer.js';
import { createTestDb } from '../helpers/db.js';
import { createCustomer, putInvoice } from '../helpers/factories.js';
import { createPayment, creditsFor, gatewayPaymentId, waitForOkDeliveries, waitForStatus } from '../helpers/payments.js';
import { freePort, spawnService, waitReady, type ServiceProcess } from '../helpers/process.js';
import { startTestService } from '../helpers/service.js';

const onServer = Boolean(process.env.DATABASE_URL);
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('several instances', () => {
  it.runIf(onServer)('a storm of 30 duplicate notifications split across two instances on one PostgreSQL credits once', async () => {
    const db = await createTestDb();
    cleanups.push(() => db.close());
    const second = await createDb({ databaseUrl: process.env.DATABASE_URL!, schema: db.schema!, poolMax: 20 });
    cleanups.push(() => second.close());
    const clock = new ManualClock(new Date('2026-11-20T10:00:00Z'));
    const gateway = createMockGateway({ clock, retryScale: 0.0005, merchantJwksCooldownMs: 0, logger: pino({ level: 'silent' }) });
    await gateway.listen(0, '127.0.0.1');
    cleanups.push(() => gateway.close());
    const balancer = await startBalancer();
    cleanups.push(() => balancer.close());
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibok-two-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const env = { PUBLIC_URL: balancer.url, JWT_SECRET: 'shared-secret-of-both-instances-0123456789' };
    const a = await startTestService(env, { db, clock, gateway, dataDir });
    cleanups.push(() => a.close());
    const b = await startTestService(env, { db: second, clock, gateway, dataDir });
    cleanups.push(() => b.close());
    balancer.setTargets([a.url, b.url]);

    for (let round = 0; round < 3; round++) {
      const c = await createCustomer(a);
      await putInvoice(a, `FV/TWO/${c.customerNumber}`, { ...c, amount: '77.70' });
      const order = await createPayment(b, c);
      expect(order.status).toBe(201);
      const paymentId = await gatewayPaymentId(a, order.body.id);
      gateway.controls.setFaults({ duplicateNotifications: 30 });
      gateway.controls.complete(paymentId);
      await waitForStatus(a, c, order.body.id, 'completed');
      expect(await waitForOkDeliveries({ gateway }, paymentId, 30)).toBeGreaterThanOrEqual(30);
      expect(await creditsFor(a, order.body.idTrans)).toHaveLength(1);
      const s = await b.request('GET', '/api/settlements', { token: c.token });
      expect(s.body).toMatchObject({ totalOutstanding: '0.00', availableCredit: '0.00' });
    }
  }, 60_000);

  it('the process killed with SIGKILL in the middle of a storm loses nothing and credits once', async () => {
    const gateway = createMockGateway({ retryScale: 0.002, merchantJwksCooldownMs: 0, logger: pino({ level: 'silent' }) });
    await gateway.listen(0, '127.0.0.1');
    cleanups.push(() => gateway.close());
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibok-kill-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const env: Record<string, string> = {
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: dataDir,
      GATEWAY_URL: gateway.url!,
      BILLING_API_TOKEN: 'billing-token-for-kill-test',
      ADMIN_LOGIN: 'killadmin',
      ADMIN_PASSWORD: 'kill-admin-password',
      DEMO_DATA: 'false',
      LOG_LEVEL: 'warn',
    };
    if (onServer) {
      // An empty schema of its own; the process migrates it (search_path through the URL).
      const scratch = await createScratchSchemaDb(process.env.DATABASE_URL!, { prefix: 'kill', poolMax: 1 });
      cleanups.push(() => scratch.close());
      const url = new URL(process.env.DATABASE_URL!);
      url.searchParams.set('options', `-c search_path=${scratch.schema}`);
      env.DATABASE_URL = url.toString();
    }
    const procs: ServiceProcess[] = [];
    cleanups.push(() => procs.forEach((p) => p.child.exitCode === null && p.child.kill('SIGKILL')));
    const start = async () => {
      const p = spawnService(env);
      procs.push(p);
      await waitReady(p);
      return p;
    };
    const call = async (method: string, url: string, body?: unknown, token?: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`http://127.0.0.1:${port}${url}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    };

    let proc = await start();
    const address = { street: 'ul. Krótka 1', postalCode: '32-600', city: 'Oświęcim' };
    const billing = { authorization: 'Bearer billing-token-for-kill-test' };
    await fetch(`http://127.0.0.1:${port}/api/billing/customers/K1`, {
      method: 'PUT', headers: { 'content-type': 'application/json', ...billing },
      body: JSON.stringify({ name: 'Kill Test', address, properties: [{ id: 'PK1', address }] }),
    });
    await fetch(`http://127.0.0.1:${port}/api/billing/invoices/FV%2FKILL%2F1`, {
      method: 'PUT', headers: { 'content-type': 'application/json', ...billing },
      body: JSON.stringify({ customerNumber: 'K1', propertyId: 'PK1', issueDate: '2026-11-01', dueDate: '2026-11-15', amount: '88.80', currency: 'PLN', issuedBy: 'office' }),
    });
    const admin = await call('POST', '/api/auth/login', { login: 'killadmin', password: 'kill-admin-password' });
    const account = await call('POST', '/api/admin/accounts', { customerNumber: 'K1', email: 'k1@example.com' }, admin.body.accessToken);
    const first = await call('POST', '/api/auth/login', { login: 'K1', password: account.body.oneTimePassword });
    const changed = await call('POST', '/api/auth/password', { currentPassword: account.body.oneTimePassword, newPassword: 'kill-customer-pass' }, first.body.accessToken);
    const token = changed.body.accessToken as string;
    const order = await call('POST', '/api/payments', {}, token, { 'idempotency-key': 'kill-1' });
    expect(order.status).toBe(201);
    const paymentId = gateway.controls.transactions().find((t) => t.idTrans === order.body.idTrans)!.paymentId;

    // The storm starts; the process dies in the middle of it.
    gateway.controls.setFaults({ duplicateNotifications: 30 });
    gateway.controls.complete(paymentId);
    await gateway.controls.waitForDelivery((d) => d.paymentId === paymentId && d.outcome !== 'dropped');
    proc.child.kill('SIGKILL');
    await proc.exited;
    gateway.controls.clearFaults();

    proc = await start();
    gateway.controls.retryNow();
    const deadline = Date.now() + 30_000;
    let status = '';
    while (Date.now() < deadline) {
      status = (await call('GET', `/api/payments/${order.body.id}`, undefined, token)).body.status;
      if (status === 'completed') break;
      await new Promise((r) => setTimeout(r, 100));
      gateway.controls.retryNow();
    }
    expect(status).toBe('completed');
    const s = await call('GET', '/api/settlements', undefined, token);
    expect(s.body).toMatchObject({ totalOutstanding: '0.00', availableCredit: '0.00', balance: '0.00' });
    expect(s.body.items.filter((i: { kind: string }) => i.kind === 'payment')).toHaveLength(1);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  }, 120_000);
});
