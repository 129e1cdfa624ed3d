import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMER } from '../../src/demo/seedDemo.js';
import { freePort, spawnService, waitReady, type ServiceProcess } from '../helpers/process.js';

const running: ServiceProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ibok-proc-'));
  dirs.push(d);
  return d;
}

async function json(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('the service process', () => {
  it('stops with one clear line naming the variable on bad configuration', async () => {
    for (const [env, variable] of [
      [{ PORT: 'abc' }, 'PORT'],
      [{ DATABASE_URL: 'mysql://localhost/db' }, 'DATABASE_URL'],
      [{ MERCHANT_ACCOUNT: '123' }, 'MERCHANT_ACCOUNT'],
    ] as const) {
      const proc = spawnService({ DATA_DIR: tempDir(), ...env });
      running.push(proc);
      expect(await proc.exited).toBe(78);
      const lines = proc.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`configuration error: ${variable} is invalid`));
    }
  });

  it(
    'serves the demo on the embedded database, refuses a second process on its DATA_DIR, keeps data across a restart',
    async () => {
      const dataDir = tempDir();
      const port = String(await freePort());
      const mockPort = String(await freePort());
      const env = { DATA_DIR: dataDir, PORT: port, BILLING_API_TOKEN: 'billing-token-for-process-test', MOCK_GATEWAY_PORT: mockPort };

      const first = spawnService(env);
      running.push(first);
      const firstReadyMs = await waitReady(first);

      const login = await json(`${first.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: DEMO_CUSTOMER.login, password: DEMO_CUSTOMER.password }),
      });
      expect(login.status).toBe(200);
      const token = login.body.accessToken as string;
      const settlements = await json(`${first.url}/api/settlements?kind=invoice`, { headers: { authorization: `Bearer ${token}` } });
      expect(settlements.body.items).toHaveLength(3);
      expect(settlements.body.items.map((i: { outstanding: string }) => i.outstanding)).toContain('0.00');

      // A second process on the same directory is refused, and the first keeps serving.
      const second = spawnService({ ...env, PORT: String(await freePort()) });
      running.push(second);
      expect(await second.exited).toBe(75);
      expect(second.output()).toMatch(/DATA_DIR .* is in use by another IBOK Payments process \(pid \d+\)/);
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);

      // Something written before the restart is there after it.
      const put = await fetch(`${first.url}/api/billing/invoices/FV%2FRESTART%2F1`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: 'Bearer billing-token-for-process-test' },
        body: JSON.stringify({
          customerNumber: DEMO_CUSTOMER.customerNumber,
          propertyId: 'P-0001',
          issueDate: '2026-11-20',
          dueDate: '2026-12-04',
          amount: '12.34',
          currency: 'PLN',
          issuedBy: 'office',
        }),
      });
      expect(put.status).toBe(201);

      // A payment left at the bank page before the restart (the bundled mock gateway on its stable port).
      const payment = await json(`${first.url}/api/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': 'process-restart-1' },
        body: JSON.stringify({}),
      });
      expect(payment.status).toBe(201);
      expect(payment.body.redirectUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${mockPort}/pay/`));
      // The in-process mock serves no control API: nobody on the machine can "pay" through it.
      expect((await fetch(`http://127.0.0.1:${mockPort}/__control/transactions`)).status).toBe(404);

      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(first.output()).toContain('"msg":"stopped"');
      expect(fs.existsSync(path.join(dataDir, 'ibok.lock'))).toBe(false);

      const again = spawnService(env);
      running.push(again);
      const restartReadyMs = await waitReady(again);
      const relogin = await json(`${again.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: DEMO_CUSTOMER.login, password: DEMO_CUSTOMER.password }),
      });
      const invoice = await json(`${again.url}/api/invoices/FV%2FRESTART%2F1`, {
        headers: { authorization: `Bearer ${relogin.body.accessToken}` },
      });
      expect(invoice.status).toBe(200);
      expect(invoice.body.amount).toBe('12.34');
      // The demo is seeded once, not again on the restart.
      const count = await json(`${again.url}/api/invoices`, { headers: { authorization: `Bearer ${relogin.body.accessToken}` } });
      expect(count.body.items).toHaveLength(4);
      // The mock gateway kept its state: the bank page of the order made before the restart works.
      const bankPage = await fetch(payment.body.redirectUrl);
      expect(bankPage.status).toBe(200);
      expect(await bankPage.text()).toContain('Zapłać');
      const paid = await fetch(payment.body.redirectUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'bank=pko&action=pay',
        redirect: 'manual',
      });
      expect(paid.status).toBe(303);
      let status = 'pending';
      for (let i = 0; i < 100 && status === 'pending'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await json(`${again.url}/api/payments/${payment.body.id}`, { headers: { authorization: `Bearer ${relogin.body.accessToken}` } })).body.status;
      }
      expect(status).toBe('completed');
      console.log(`embedded start to ready: first ${firstReadyMs} ms, restart ${restartReadyMs} ms (tsx, test machine)`);

      // A lock left by a killed process does not keep the next start out.
      again.child.kill('SIGKILL');
      await again.exited;
      const afterKill = spawnService(env);
      running.push(afterKill);
      await waitReady(afterKill);
      afterKill.child.kill('SIGTERM');
      expect(await afterKill.exited).toBe(0);
    },
    180_000,
  );
});

describe('shutdown', () => {
  it('on SIGTERM finishes the request in flight, then exits cleanly', async () => {
    const { createMockGateway } = await import('../../mocks/paybynet/app.js');
    const pino = (await import('pino')).default;
    const gateway = createMockGateway({ logger: pino({ level: 'silent' }), merchantJwksCooldownMs: 0 });
    await gateway.listen(0, '127.0.0.1');
    try {
      const port = String(await freePort());
      const proc = spawnService({ DATA_DIR: tempDir(), PORT: port, PUBLIC_URL: `http://127.0.0.1:${port}`, GATEWAY_URL: gateway.url! });
      running.push(proc);
      await waitReady(proc);
      const login = await json(`${proc.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: DEMO_CUSTOMER.login, password: DEMO_CUSTOMER.password }),
      });
      // A first payment lets the gateway fetch (and cache) our keys: once we stop accepting
      // connections it could not.
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${login.body.accessToken}` };
      const invoices = await json(`${proc.url}/api/invoices`, { headers });
      const unpaid = invoices.body.items.find((i: { outstanding: string }) => i.outstanding !== '0.00').number;
      const warmUp = await json(`${proc.url}/api/payments`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': 'shutdown-0' },
        body: JSON.stringify({ invoiceNumbers: [unpaid] }),
      });
      expect(warmUp.status).toBe(201);
      // The gateway takes 1.5 s to answer: the payment request is still running when SIGTERM comes.
      gateway.controls.setFaults({ slowMs: 1500 });
      const inFlight = json(`${proc.url}/api/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${login.body.accessToken}`, 'idempotency-key': 'shutdown-1' },
        body: '{}',
      });
      await new Promise((r) => setTimeout(r, 300));
      proc.child.kill('SIGTERM');
      const answer = await inFlight;
      expect(answer.status).toBe(201);
      expect(answer.body.status).toBe('pending');
      expect(await proc.exited).toBe(0);
      // No new connection is accepted once it has stopped.
      await expect(fetch(`${proc.url}/healthz`)).rejects.toThrow();
    } finally {
      await gateway.close();
    }
  }, 60_000);
});

describe('merchant key rotation from the command line', () => {
  it('retires the current key, keeps it published, and the restarted service signs with the new one', async () => {
    const { spawnSync } = await import('node:child_process');
    const { repoRoot } = await import('../helpers/process.js');
    const dataDir = tempDir();
    const port = String(await freePort());
    const env = { DATA_DIR: dataDir, PORT: port, DEMO_DATA: 'false' };
    const first = spawnService(env);
    running.push(first);
    await waitReady(first);
    const before = (await json(`${first.url}/.well-known/jwks.json`)).body.keys.map((k: { kid: string }) => k.kid);
    expect(before).toHaveLength(1);
    first.child.kill('SIGTERM');
    await first.exited;

    const cli = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/rotateMerchantKey.ts')], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    expect(cli.status, cli.stderr).toBe(0);
    const newKid = /new current key: (\S+)/.exec(cli.stdout)![1];

    const second = spawnService(env);
    running.push(second);
    await waitReady(second);
    const after = (await json(`${second.url}/.well-known/jwks.json`)).body.keys.map((k: { kid: string }) => k.kid);
    expect(after).toEqual([newKid, before[0]]);
    second.child.kill('SIGTERM');
    await second.exited;

    const refused = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/rotateMerchantKey.ts')], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, MERCHANT_KEY_FILE: '/nonexistent.pem' },
      encoding: 'utf8',
    });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('MERCHANT_KEY_FILE is set');
  }, 90_000);
});
