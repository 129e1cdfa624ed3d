import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { LoginThrottle } from '../../src/auth/throttle.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { createCustomer } from '../helpers/factories.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

interface Answer {
  status: number;
  retryAfter: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/**
 * A login sent from another loopback address (127.0.0.0/8 is all this machine), so one test can
 * play the customer, a stranger and an office behind one address.
 */
function loginFrom(localAddress: string, login: string, password: string): Promise<Answer> {
  const url = new URL('/api/auth/login', svc.url);
  const payload = JSON.stringify({ login, password });
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const retry = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(retry) ? retry[0] : retry, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('failed logins are throttled by login and client address', () => {
  it('a stranger guessing from elsewhere does not lock the customer out', async () => {
    const c = await createCustomer(svc);
    for (let i = 0; i < 5; i++) expect((await loginFrom('127.0.0.21', c.login, `guess-${i}-wrong`)).status).toBe(401);
    const blocked = await loginFrom('127.0.0.21', c.login, c.password);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('too_many_attempts');
    expect(Number(blocked.retryAfter)).toBeGreaterThan(0);
    // The customer, at home, logs in as usual.
    const owner = await loginFrom('127.0.0.22', c.login, c.password);
    expect(owner.status).toBe(200);
  });

  it('an unknown login is answered, counted and locked exactly like a known one', async () => {
    const c = await createCustomer(svc);
    const known: Answer[] = [];
    const unknown: Answer[] = [];
    for (let i = 0; i < 6; i++) {
      known.push(await loginFrom('127.0.0.23', c.login, 'not-the-password'));
      unknown.push(await loginFrom('127.0.0.23', `ghost-${c.login}`, 'not-the-password'));
    }
    const shape = (a: Answer) => ({ status: a.status, code: a.body.error.code, message: a.body.error.message, retry: a.retryAfter !== undefined });
    expect(unknown.map(shape)).toEqual(known.map(shape));
    expect(known.slice(0, 5).every((a) => a.status === 401)).toBe(true);
    expect(known[5]!.status).toBe(429);
  });

  it('a burst of parallel guesses cannot slip past the limit', async () => {
    const c = await createCustomer(svc);
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => loginFrom('127.0.0.24', c.login, `burst-${i}-wrong`)));
    expect(burst.filter((a) => a.status === 401).length).toBeLessThanOrEqual(5);
    expect(burst.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(7);
  });

  it('successful logins are never held back, also many from one address after a few slips', async () => {
    const customers = await Promise.all(Array.from({ length: 8 }, () => createCustomer(svc)));
    for (const c of customers.slice(0, 3)) expect((await loginFrom('127.0.0.25', c.login, 'typo-typo-typo')).status).toBe(401);
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(customers.map((c) => loginFrom('127.0.0.25', c.login, c.password)));
      expect(answers.map((a) => a.status)).toEqual(customers.map(() => 200));
    }
    // The customer's own slip is forgotten once they got in: five fresh tries again.
    for (let i = 0; i < 4; i++) expect((await loginFrom('127.0.0.25', customers[0]!.login, 'typo-again')).status).toBe(401);
    expect((await loginFrom('127.0.0.25', customers[0]!.login, customers[0]!.password)).status).toBe(200);
  });

  it('one address trying many logins is stopped (50 failures), a correct password included; others are not', async () => {
    const c = await createCustomer(svc);
    const answers: Answer[] = [];
    for (let i = 0; i < 50; i++) answers.push(await loginFrom('127.0.0.26', `spray-${i}`, 'Wiosna2026!'));
    expect(answers.every((a) => a.status === 401)).toBe(true);
    const stopped = await loginFrom('127.0.0.26', c.login, c.password);
    expect(stopped.status).toBe(429);
    expect(Number(stopped.retryAfter)).toBeGreaterThan(0);
    expect((await loginFrom('127.0.0.27', c.login, c.password)).status).toBe(200);
    // The window passes: the address may try again.
    svc.clock.advance(16 * 60_000);
    expect((await loginFrom('127.0.0.26', c.login, c.password)).status).toBe(200);
  });

  it('a wrong current password when changing it counts like a failed login', async () => {
    const c = await createCustomer(svc);
    for (let i = 0; i < 5; i++) {
      const wrong = await svc.request('POST', '/api/auth/password', {
        token: c.token,
        body: { currentPassword: `wrong-${i}-password`, newPassword: 'Zielona-Kawa-Na-Balkonie' },
      });
      expect(wrong.status).toBe(401);
    }
    const blocked = await svc.request('POST', '/api/auth/password', {
      token: c.token,
      body: { currentPassword: c.password, newPassword: 'Zielona-Kawa-Na-Balkonie' },
    });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('the throttle itself', () => {
  const limits = {
    perLogin: { failures: 3, windowSeconds: 60 },
    perAddress: { failures: 10, windowSeconds: 60 },
    overall: { failures: 20, windowSeconds: 60 },
    maxEntries: 1000,
  };

  it('stops every address once failures overall pass the limit, until the window ends', () => {
    const clock = new ManualClock(new Date('2026-12-01T10:00:00Z'));
    const throttle = new LoginThrottle(clock, limits);
    for (let i = 0; i < 20; i++) {
      const v = throttle.begin(`user-${i}`, `10.0.0.${i}`);
      expect(v.allowed).toBe(true);
      if (v.allowed) v.release('failure');
    }
    const next = throttle.begin('someone', '10.9.9.9');
    expect(next).toEqual({ allowed: false, retryAfterSeconds: 60 });
    clock.advance(30_000);
    expect(throttle.begin('someone', '10.9.9.9')).toEqual({ allowed: false, retryAfterSeconds: 30 });
    clock.advance(30_000);
    expect(throttle.begin('someone', '10.9.9.9').allowed).toBe(true);
  });

  it('successes and aborted checks add nothing; memory stays bounded', () => {
    const clock = new ManualClock(new Date('2026-12-01T10:00:00Z'));
    const roomy = { failures: 100_000, windowSeconds: 60 };
    const throttle = new LoginThrottle(clock, { perLogin: limits.perLogin, perAddress: roomy, overall: roomy, maxEntries: 50 });
    for (let i = 0; i < 100; i++) {
      const v = throttle.begin('office-user', '10.1.1.1');
      if (v.allowed) v.release(i % 2 ? 'success' : 'aborted');
    }
    expect(throttle.failuresOf('office-user', '10.1.1.1')).toBe(0);
    for (let i = 0; i < 500; i++) {
      const v = throttle.begin(`name-${i}`, `10.2.${i % 250}.${i % 7}`);
      expect(v.allowed).toBe(true);
      if (v.allowed) v.release('failure');
    }
    expect((throttle as unknown as { counters: Map<string, unknown> }).counters.size).toBeLessThanOrEqual(50);
  });
});
