import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEMO_CUSTOMER, DEMO_STAFF } from '../../src/demo/seedDemo.js';
import { AppError } from '../../src/errors.js';
import type { RouteDefinition } from '../../src/http/defineRoute.js';
import { freePort, spawnService, waitReady, type ServiceProcess } from '../helpers/process.js';
import { startTestService, type TestService } from '../helpers/service.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

/** The addresses a port listens on, from the kernel's own table (IPv4 and IPv6). */
function listeningAddresses(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // 0A: LISTEN
      const [addrHex, portHex] = cols[1]!.split(':') as [string, string];
      if (parseInt(portHex, 16) !== port) continue;
      if (addrHex.length === 8) out.push(Buffer.from(addrHex, 'hex').reverse().join('.'));
      else out.push(addrHex === '0'.repeat(32) ? '::' : addrHex);
    }
  }
  return out;
}

describe('the demo next to a configured admin (npm start as an operator runs it)', () => {
  let proc: ServiceProcess | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    if (proc && proc.child.exitCode === null) {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates no demo staff when ADMIN_LOGIN is set, and listens on loopback only while demo data is on', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibok-exposure-'));
    const port = await freePort();
    proc = spawnService({
      DATA_DIR: dataDir,
      PORT: String(port),
      DEMO_DATA: 'true',
      ADMIN_LOGIN: 'kierownik',
      ADMIN_PASSWORD: 'Kierownik-ma-dlugie-haslo',
      LOG_LEVEL: 'warn',
    });
    await waitReady(proc, 90_000);
    expect(listeningAddresses(port)).toEqual(['127.0.0.1']);
    const login = async (l: string, p: string) =>
      (await fetch(`${proc!.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: l, password: p }) })).status;
    for (const staff of DEMO_STAFF) expect(await login(staff.login, staff.password)).toBe(401);
    expect(await login('kierownik', 'Kierownik-ma-dlugie-haslo')).toBe(200);
    expect(await login(DEMO_CUSTOMER.login, DEMO_CUSTOMER.password)).toBe(200);
  }, 120_000);

  it('HOST decides the address; without it, every interface unless demo data is on', () => {
    const base = { DATA_DIR: '/tmp/x' };
    expect(loadConfig(base).host).toBe('127.0.0.1'); // embedded database: demo data on
    expect(loadConfig({ ...base, DEMO_DATA: 'false' }).host).toBe('0.0.0.0');
    expect(loadConfig({ ...base, DATABASE_URL: 'postgres://u@db.example:5432/ibok' }).host).toBe('0.0.0.0');
    expect(loadConfig({ ...base, DEMO_DATA: 'true', HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadConfig({ ...base, HOST: '::' }).host).toBe('::');
    expect(() => loadConfig({ ...base, HOST: 'bad host/name' })).toThrow(/HOST/);
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
});

describe('/metrics', () => {
  const services: TestService[] = [];
  afterAll(async () => {
    for (const s of services) await s.close();
  });

  function metricsRoute(svc: TestService): RouteDefinition {
    const ops = svc.deps.modules.find((m) => m.name === 'ops')!;
    return ops.routes.find((r) => r.path === '/metrics')!;
  }

  /** The route as a request from another machine would reach it (tests only listen on loopback). */
  async function fromElsewhere(svc: TestService, authorization = ''): Promise<unknown> {
    const ctx = { req: { socket: { remoteAddress: '192.0.2.10' } }, get: (h: string) => (h.toLowerCase() === 'authorization' ? authorization : '') };
    try {
      await metricsRoute(svc).handler(ctx as never, {} as never);
      return 'served';
    } catch (err) {
      return err instanceof AppError ? `${err.status} ${err.code}` : err;
    }
  }

  it('without METRICS_TOKEN answers this machine only', async () => {
    const svc = await startTestService();
    services.push(svc);
    const local = await svc.request('GET', '/metrics');
    expect(local.status).toBe(200);
    expect(local.text).toContain('http_requests_total');
    expect(await fromElsewhere(svc)).toBe('403 forbidden');
  });

  it('with METRICS_TOKEN answers only that bearer token, from anywhere', async () => {
    const svc = await startTestService({ METRICS_TOKEN });
    services.push(svc);
    expect((await svc.request('GET', '/metrics')).status).toBe(401);
    expect((await svc.request('GET', '/metrics', { token: 'metrics-token-0123456789abcdeX' })).status).toBe(401);
    const ok = await svc.request('GET', '/metrics', { token: METRICS_TOKEN });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('http_requests_total');
    expect(await fromElsewhere(svc, `Bearer ${METRICS_TOKEN}`)).toBe('served');
    expect(await fromElsewhere(svc)).toBe('401 unauthorized');
  });
});
