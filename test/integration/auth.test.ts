import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../src/auth/passwords.js';
import { startTestService, TEST_SCRYPT_LOG_N, type TestService } from '../helpers/service.js';
import { createCustomer, loginAs, putCustomer, uniqueNumber } from '../helpers/factories.js';

let svc: TestService;
let adminToken: string;
beforeAll(async () => {
  svc = await startTestService();
  await svc.deps.auth.ensureStaff('boss', 'boss-password-1', 'admin');
  adminToken = await loginAs(svc, 'boss', 'boss-password-1');
});
afterAll(async () => {
  await svc?.close();
});

describe('login', () => {
  it('gives an access token for the right password and 401 otherwise', async () => {
    const c = await createCustomer(svc);
    const ok = await svc.request('POST', '/api/auth/login', { body: { login: c.login, password: c.password } });
    expect(ok.status).toBe(200);
    expect(ok.body.mustChangePassword).toBe(false);
    expect(ok.body.accessToken.split('.')).toHaveLength(3);
    const bad = await svc.request('POST', '/api/auth/login', { body: { login: c.login, password: 'wrong-password' } });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('invalid_credentials');
    const unknown = await svc.request('POST', '/api/auth/login', { body: { login: 'nobody-here', password: 'x' } });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe(bad.body.error.message);
  });

  it('refuses malformed login requests with 400', async () => {
    const missing = await svc.request('POST', '/api/auth/login', { body: { login: 'a' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('password');
    const extra = await svc.request('POST', '/api/auth/login', { body: { login: 'a', password: 'b', admin: true } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toContain('admin');
  });

  it('locks a login after 5 wrong passwords: 429 even with the right one, until the lock expires', async () => {
    const c = await createCustomer(svc);
    const attempts = await Promise.all(
      Array.from({ length: 8 }, () => svc.request('POST', '/api/auth/login', { body: { login: c.login, password: 'nope-nope' } })),
    );
    expect(attempts.some((a) => a.status === 429)).toBe(true);
    expect(attempts.every((a) => a.status === 401 || a.status === 429)).toBe(true);
    const locked = await svc.request('POST', '/api/auth/login', { body: { login: c.login, password: c.password } });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('too_many_attempts');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    svc.clock.advance(16 * 60_000);
    const after = await svc.request('POST', '/api/auth/login', { body: { login: c.login, password: c.password } });
    expect(after.status).toBe(200);
  });

  it('refuses requests without a valid token with 401', async () => {
    expect((await svc.request('GET', '/api/me')).status).toBe(401);
    expect((await svc.request('GET', '/api/me', { token: 'garbage' })).status).toBe(401);
    const c = await createCustomer(svc);
    const [h, p] = c.token.split('.');
    const forged = await svc.request('GET', '/api/me', { token: `${h}.${p}.AAAA` });
    expect(forged.status).toBe(401);
    svc.clock.advance(2 * 60 * 60_000);
    const expired = await svc.request('GET', '/api/me', { token: c.token });
    expect(expired.status).toBe(401);
    svc.clock.advance(-2 * 60 * 60_000);
  });
});

describe('accounts created by the office', () => {
  it('creates a login with a one-time password, e-mails it, gates every endpoint until it is changed', async () => {
    const number = uniqueNumber('C');
    await putCustomer(svc, number);
    const created = await svc.request('POST', '/api/admin/accounts', {
      token: adminToken,
      body: { customerNumber: number, email: 'new.customer@example.com' },
    });
    expect(created.status).toBe(201);
    expect(created.body.login).toBe(number);
    const otp: string = created.body.oneTimePassword;
    expect(otp.length).toBeGreaterThanOrEqual(12);

    const mail = await svc.db.knex('outbox_messages').where({ channel: 'email', recipient: 'new.customer@example.com' });
    expect(mail).toHaveLength(1);
    expect(mail[0].body).toContain(otp);

    const login = await svc.request('POST', '/api/auth/login', { body: { login: number, password: otp } });
    expect(login.status).toBe(200);
    expect(login.body.mustChangePassword).toBe(true);
    const gated = await svc.request('GET', '/api/settlements', { token: login.body.accessToken });
    expect(gated.status).toBe(403);
    expect(gated.body.error.code).toBe('password_change_required');
    expect((await svc.request('GET', '/api/me', { token: login.body.accessToken })).status).toBe(403);

    const short = await svc.request('POST', '/api/auth/password', {
      token: login.body.accessToken,
      body: { currentPassword: otp, newPassword: 'short' },
    });
    expect(short.status).toBe(400);
    expect(short.body.error.message).toContain('newPassword');
    const wrongCurrent = await svc.request('POST', '/api/auth/password', {
      token: login.body.accessToken,
      body: { currentPassword: 'not-the-otp', newPassword: 'my-new-password-1' },
    });
    expect(wrongCurrent.status).toBe(401);

    const changed = await svc.request('POST', '/api/auth/password', {
      token: login.body.accessToken,
      body: { currentPassword: otp, newPassword: 'my-new-password-1' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.mustChangePassword).toBe(false);
    expect((await svc.request('GET', '/api/me', { token: changed.body.accessToken })).status).toBe(200);
    // The token issued before the change is over, and so is the one-time password.
    expect((await svc.request('GET', '/api/me', { token: login.body.accessToken })).status).toBe(401);
    const oldOtp = await svc.request('POST', '/api/auth/login', { body: { login: number, password: otp } });
    expect(oldOtp.status).toBe(401);
    expect((await svc.request('POST', '/api/auth/login', { body: { login: number, password: 'my-new-password-1' } })).status).toBe(200);
  });

  it('refuses a second account for the same customer (409) and an unknown customer (404)', async () => {
    const number = uniqueNumber('C');
    await putCustomer(svc, number);
    const body = { customerNumber: number, email: 'x@example.com' };
    expect((await svc.request('POST', '/api/admin/accounts', { token: adminToken, body })).status).toBe(201);
    const again = await svc.request('POST', '/api/admin/accounts', { token: adminToken, body });
    expect(again.status).toBe(409);
    const unknown = await svc.request('POST', '/api/admin/accounts', {
      token: adminToken,
      body: { customerNumber: 'NOPE', email: 'x@example.com' },
    });
    expect(unknown.status).toBe(404);
    const badEmail = await svc.request('POST', '/api/admin/accounts', {
      token: adminToken,
      body: { customerNumber: number, email: 'not-an-email' },
    });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.error.message).toContain('email');
  });

  it('creates staff with a one-time password; customers and accounting may not use admin routes', async () => {
    const staff = await svc.request('POST', '/api/admin/staff', {
      token: adminToken,
      body: { login: 'anna.ksiegowa', role: 'accounting' },
    });
    expect(staff.status).toBe(201);
    const first = await svc.request('POST', '/api/auth/login', {
      body: { login: 'anna.ksiegowa', password: staff.body.oneTimePassword },
    });
    expect(first.body.mustChangePassword).toBe(true);
    const changed = await svc.request('POST', '/api/auth/password', {
      token: first.body.accessToken,
      body: { currentPassword: staff.body.oneTimePassword, newPassword: 'ksiegowa-haslo-1' },
    });
    expect(changed.status).toBe(200);
    const asAccounting = await svc.request('POST', '/api/admin/staff', {
      token: changed.body.accessToken,
      body: { login: 'someone', role: 'admin' },
    });
    expect(asAccounting.status).toBe(403);
    const c = await createCustomer(svc);
    const asCustomer = await svc.request('POST', '/api/admin/accounts', {
      token: c.token,
      body: { customerNumber: c.customerNumber, email: 'a@example.com' },
    });
    expect(asCustomer.status).toBe(403);
    const staffOnCustomerRoute = await svc.request('GET', '/api/settlements', { token: adminToken });
    expect(staffOnCustomerRoute.status).toBe(403);
    const dupe = await svc.request('POST', '/api/admin/staff', { token: adminToken, body: { login: 'anna.ksiegowa', role: 'admin' } });
    expect(dupe.status).toBe(409);
    const badRole = await svc.request('POST', '/api/admin/staff', { token: adminToken, body: { login: 'x.y', role: 'customer' } });
    expect(badRole.status).toBe(400);
  });
});

describe('new passwords', () => {
  it('refuses blank, repetitive, common and login-derived passwords with 422, and takes a good one', async () => {
    const number = uniqueNumber('C');
    await putCustomer(svc, number);
    const created = await svc.request('POST', '/api/admin/accounts', {
      token: adminToken,
      body: { customerNumber: number, email: 'weak.passwords@example.com' },
    });
    const otp: string = created.body.oneTimePassword;
    const token = (await svc.request('POST', '/api/auth/login', { body: { login: number, password: otp } })).body.accessToken;
    const weak: Array<[string, string]> = [
      ['          ', 'blank'],
      ['1111111111', 'repetitive'],
      ['abababababab', 'repetitive'],
      ['qwertyuiop', 'common'],
      ['haslo123456', 'common'],
      [`${number}-2026`, 'login_derived'],
      [`${[...number].reverse().join('')}xyz`, 'login_derived'],
    ];
    for (const [newPassword, reason] of weak) {
      const res = await svc.request('POST', '/api/auth/password', { token, body: { currentPassword: otp, newPassword } });
      expect({ newPassword, status: res.status, code: res.body.error?.code, reason: res.body.error?.details?.reason }).toEqual({
        newPassword,
        status: 422,
        code: 'weak_password',
        reason,
      });
    }
    const same = await svc.request('POST', '/api/auth/password', { token, body: { currentPassword: otp, newPassword: otp } });
    expect(same.status).toBe(422);
    expect(same.body.error.code).toBe('password_unchanged');
    const good = await svc.request('POST', '/api/auth/password', {
      token,
      body: { currentPassword: otp, newPassword: 'Rower stoi pod lipą' },
    });
    expect(good.status).toBe(200);
  });
});

describe('sessions and tokens after a password change', () => {
  it('a stored session (login id and password version) ends when the password changes', async () => {
    const c = await createCustomer(svc);
    const first = await svc.deps.auth.login(c.login, c.password, '127.0.0.1');
    expect(first.user).toMatchObject({ login: c.login, role: 'customer', mustChangePassword: false });
    const session = { loginId: first.user.loginId, passwordVersion: first.user.passwordVersion };
    expect(await svc.deps.auth.sessionUser(session.loginId, session.passwordVersion)).toMatchObject({ login: c.login });

    const changed = await svc.deps.auth.changePassword(first.user, c.password, 'Pod mostem płynie Soła', '127.0.0.1');
    expect(changed.user.passwordVersion).toBe(session.passwordVersion + 1);
    expect(await svc.deps.auth.sessionUser(session.loginId, session.passwordVersion)).toBeUndefined();
    expect(await svc.deps.auth.sessionUser(changed.user.loginId, changed.user.passwordVersion)).toMatchObject({ login: c.login });
    expect(await svc.deps.auth.sessionUser('not-an-id', 1)).toBeUndefined();
    // The bearer token of before is over too; the new one works.
    expect((await svc.request('GET', '/api/me', { token: first.accessToken })).status).toBe(401);
    expect((await svc.request('GET', '/api/me', { token: changed.accessToken })).status).toBe(200);
  });
});

describe('createCustomerLogin for other modules (account applications)', () => {
  it("joins the caller's transaction: the login and its e-mail are kept or dropped with it", async () => {
    const number = uniqueNumber('C');
    await putCustomer(svc, number);
    const email = `${number.toLowerCase()}@example.com`;
    await expect(
      svc.db.knex.transaction(async (trx) => {
        const created = await svc.deps.auth.createCustomerLogin(trx, { customerNumber: number, email });
        expect(created.login).toBe(number);
        throw new Error('the application could not be approved after all');
      }),
    ).rejects.toThrow('approved after all');
    expect(await svc.db.knex('logins').where({ login: number })).toHaveLength(0);
    expect(await svc.db.knex('outbox_messages').where({ recipient: email })).toHaveLength(0);

    const created = await svc.db.knex.transaction((trx) => svc.deps.auth.createCustomerLogin(trx, { customerNumber: number, email }));
    const mail = await svc.db.knex('outbox_messages').where({ recipient: email });
    expect(mail).toHaveLength(1);
    expect(mail[0].body).toContain(created.oneTimePassword);
    const login = await svc.request('POST', '/api/auth/login', { body: { login: number, password: created.oneTimePassword } });
    expect(login.body.mustChangePassword).toBe(true);
  });
});

describe('password hash cost', () => {
  it('is cheap in tests and unchanged (scrypt N=2^15) in production', async () => {
    const row = await svc.db.knex('logins').where({ login: 'boss' }).first();
    expect(row.password_hash.split('$').slice(0, 4)).toEqual(['scrypt', String(1 << TEST_SCRYPT_LOG_N), '8', '1']);
    const production = await new PasswordHasher().hash('Pod mostem płynie Soła');
    expect(production.split('$').slice(0, 4)).toEqual(['scrypt', '32768', '8', '1']);
    // A hash of either cost verifies with either hasher: stored hashes carry their parameters.
    expect(await new PasswordHasher({ scryptLogN: 4 }).verify('Pod mostem płynie Soła', production)).toBe(true);
  });
});
