import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, warsawDate } from '../../src/clock.js';
import { createCustomer, loginAs, putCustomer, putInvoice, uniqueNumber } from '../helpers/factories.js';
import { startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
let admin: string;

/** Every test starts an hour later: all requests come from 127.0.0.1, and the limit is per address per hour. */
async function nextHour() {
  svc.clock.advance(61 * 60_000);
  admin = await loginAs(svc, 'apps-admin', 'Apps-Admin-Pass-2026!');
}

/** A customer with an invoice and no login yet. */
async function customerWithInvoice(amount = '123.45') {
  const customerNumber = uniqueNumber('K');
  const propertyId = `P-${customerNumber}`;
  await putCustomer(svc, customerNumber, propertyId);
  const invoiceNumber = uniqueNumber('FV/W/');
  await putInvoice(svc, invoiceNumber, { customerNumber, propertyId, amount });
  return { customerNumber, invoiceNumber, amount };
}

function form(c: { customerNumber: string; invoiceNumber: string; amount: string }, email = `wn-${c.customerNumber}@example.com`.toLowerCase()) {
  return {
    customerNumber: c.customerNumber,
    name: 'Zofia Wójcik',
    email,
    phone: '+48 600 700 800',
    invoiceNumber: c.invoiceNumber,
    invoiceAmount: c.amount,
    acceptTerms: true,
  };
}

const apply = (body: unknown) => svc.request('POST', '/api/account-applications', { body });

async function applicationOf(customerNumber: string, status?: string) {
  const res = await svc.request('GET', `/api/admin/account-applications?limit=500${status ? `&status=${status}` : ''}`, { token: admin });
  expect(res.status).toBe(200);
  return res.body.items.find((a: { customerNumber: string }) => a.customerNumber === customerNumber);
}

async function mailTo(address: string) {
  await svc.deps.notices.deliverDue({ budgetMs: 5_000 });
  return svc.smtp.messages.filter((m) => m.to.some((t) => t.toLowerCase() === address.toLowerCase()));
}

beforeAll(async () => {
  svc = await startTestService();
  await svc.deps.auth.ensureStaff('apps-admin', 'Apps-Admin-Pass-2026!', 'admin');
});
afterAll(async () => {
  await svc?.close();
});

describe('the public application form', () => {
  it('answers a matching and a non-matching application alike; only the matching one waits for the office', async () => {
    await nextHour();
    const c = await customerWithInvoice('98.76');
    const good = await apply(form(c));
    const wrongAmount = await apply({ ...form(c), invoiceAmount: '98.77' });
    const unknownCustomer = await apply({ ...form(c), customerNumber: 'NO-SUCH-CUSTOMER' });
    const othersInvoice = await apply({ ...form(c), invoiceNumber: 'FV/NOT/HERS' });
    for (const res of [good, wrongAmount, unknownCustomer, othersInvoice]) {
      expect(res.status).toBe(202);
      expect(res.text).toBe(good.text);
      expect(res.headers.get('content-length')).toBe(good.headers.get('content-length'));
    }
    expect(good.body.message).toMatch(/within 14 days/);

    const pending = await applicationOf(c.customerNumber, 'pending');
    expect(pending).toMatchObject({
      status: 'pending',
      customerName: `Klient ${c.customerNumber}`,
      name: 'Zofia Wójcik',
      invoiceAmount: '98.76',
      dueBy: addDays(warsawDate(svc.clock.now()), 14),
      overdue: false,
      decidedAt: null,
    });
    const unmatched = await svc.request('GET', '/api/admin/account-applications?status=unmatched&limit=500', { token: admin });
    const mine = unmatched.body.items.filter((a: { invoiceNumber: string; customerNumber: string }) => a.customerNumber === c.customerNumber || a.invoiceNumber === c.invoiceNumber);
    expect(mine.map((a: { invoiceAmount: string }) => a.invoiceAmount).sort()).toEqual(['98.76', '98.76', '98.77']);
    expect(mine.every((a: { status: string }) => a.status === 'unmatched')).toBe(true);
    // Nothing is sent to an applicant before the office decides.
    expect(await mailTo(form(c).email)).toHaveLength(0);
  });

  it('takes at most 5 applications an hour from one address (429 with Retry-After)', async () => {
    await nextHour();
    const c = await customerWithInvoice();
    for (let i = 0; i < 5; i++) {
      const res = await apply({ ...form(c), invoiceAmount: `1.0${i}` });
      expect(res.status).toBe(202);
    }
    const sixth = await apply(form(c));
    expect(sixth.status).toBe(429);
    expect(sixth.body.error.code).toBe('too_many_requests');
    const retryAfter = Number(sixth.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    // The refused one was not recorded as a pending application.
    expect(await applicationOf(c.customerNumber, 'pending')).toBeUndefined();
    svc.clock.advance(retryAfter * 1000);
    const later = await apply(form(c));
    expect(later.status).toBe(202);
    admin = await loginAs(svc, 'apps-admin', 'Apps-Admin-Pass-2026!');
    expect(await applicationOf(c.customerNumber, 'pending')).toBeDefined();
  });

  it('holds the limit when applications arrive at once', async () => {
    await nextHour();
    const c = await customerWithInvoice();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => apply({ ...form(c), invoiceAmount: `2.0${i}` })));
    expect(results.filter((r) => r.status === 202)).toHaveLength(5);
    expect(results.filter((r) => r.status === 429)).toHaveLength(3);
  });

  it('names the field of each bad input', async () => {
    await nextHour();
    const c = await customerWithInvoice();
    const base = form(c);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, acceptTerms: false }, 'acceptTerms'],
      [{ ...base, acceptTerms: undefined }, 'acceptTerms'],
      [{ ...base, email: 'not-an-address' }, 'email'],
      [{ ...base, name: '  ' }, 'name'],
      [{ ...base, customerNumber: '' }, 'customerNumber'],
      [{ ...base, invoiceNumber: 'FV 1 ?' }, 'invoiceNumber'],
      [{ ...base, invoiceAmount: 123.45 }, 'invoiceAmount'],
      [{ ...base, invoiceAmount: '123,45' }, 'invoiceAmount'],
      [{ ...base, phone: 'call me' }, 'phone'],
      [{ ...base, extra: 1 }, '(body)'],
    ];
    for (const [body, field] of cases) {
      const res = await apply(body);
      expect(res.status, field).toBe(400);
      expect(res.body.error.details[0].field, JSON.stringify(body).slice(0, 60)).toBe(field);
    }
    const notJson = await svc.request('POST', '/api/account-applications', { rawBody: 'customerNumber=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(notJson.status).toBe(415);
    // Refused inputs do not count towards the hourly limit.
    for (let i = 0; i < 5; i++) expect((await apply(base)).status).toBe(202);
  });
});

describe('the office decides', () => {
  it('approves: the login is created and its one-time password e-mailed; it logs in with it', async () => {
    await nextHour();
    const c = await customerWithInvoice('45.00');
    const email = `Nowy.${c.customerNumber}@example.com`;
    expect((await apply(form(c, email))).status).toBe(202);
    const app = await applicationOf(c.customerNumber, 'pending');
    expect(app.email).toBe(email.toLowerCase());

    const approved = await svc.request('POST', `/api/admin/account-applications/${app.id}/approve`, { token: admin });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: 'apps-admin', login: c.customerNumber });

    const mails = await mailTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Dostęp do Internetowego Biura Obsługi Klienta');
    expect(mails[0]!.text).toContain(`Login: ${c.customerNumber}`);
    const password = /Hasło jednorazowe: (\S+)/.exec(mails[0]!.text)![1]!;
    const login = await svc.request('POST', '/api/auth/login', { body: { login: c.customerNumber, password } });
    expect(login.status).toBe(200);
    expect(login.body.mustChangePassword).toBe(true);

    const again = await svc.request('POST', `/api/admin/account-applications/${app.id}/approve`, { token: admin });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('application_already_decided');
    const reject = await svc.request('POST', `/api/admin/account-applications/${app.id}/reject`, { token: admin, body: { reason: 'Za późno' } });
    expect(reject.status).toBe(409);

    // A second application of the same customer: the customer has a login now.
    expect((await apply(form(c))).status).toBe(202);
    const second = (await svc.request('GET', '/api/admin/account-applications?status=pending&limit=500', { token: admin })).body.items.find(
      (a: { customerNumber: string }) => a.customerNumber === c.customerNumber,
    );
    const exists = await svc.request('POST', `/api/admin/account-applications/${second.id}/approve`, { token: admin });
    expect(exists.status).toBe(409);
    expect(exists.body.error.code).toBe('account_exists');
    const still = await svc.request('GET', `/api/admin/account-applications/${second.id}`, { token: admin });
    expect(still.body.status).toBe('pending');
  });

  it('refuses to approve for a customer who already has a login, and changes nothing', async () => {
    await nextHour();
    const existing = await createCustomer(svc);
    const invoiceNumber = uniqueNumber('FV/L/');
    await putInvoice(svc, invoiceNumber, { customerNumber: existing.customerNumber, propertyId: existing.propertyId, amount: '10.00' });
    expect((await apply(form({ customerNumber: existing.customerNumber, invoiceNumber, amount: '10.00' }))).status).toBe(202);
    const app = await applicationOf(existing.customerNumber, 'pending');
    const res = await svc.request('POST', `/api/admin/account-applications/${app.id}/approve`, { token: admin });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('account_exists');
    expect(await mailTo(app.email)).toHaveLength(0);
  });

  it('rejects with a reason, e-mailed in Polish; an unmatched application cannot be decided', async () => {
    await nextHour();
    const c = await customerWithInvoice('77.10');
    const email = `odrzucony-${c.customerNumber}@example.com`.toLowerCase();
    expect((await apply(form(c, email))).status).toBe(202);
    const app = await applicationOf(c.customerNumber, 'pending');

    const blank = await svc.request('POST', `/api/admin/account-applications/${app.id}/reject`, { token: admin, body: { reason: ' ' } });
    expect(blank.status).toBe(400);
    expect(blank.body.error.details[0].field).toBe('reason');

    const res = await svc.request('POST', `/api/admin/account-applications/${app.id}/reject`, {
      token: admin,
      body: { reason: 'Wniosek musi złożyć właściciel nieruchomości.' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'rejected', rejectReason: 'Wniosek musi złożyć właściciel nieruchomości.', login: null });
    const mails = await mailTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Wniosek o dostęp do Internetowego Biura Obsługi Klienta');
    expect(mails[0]!.text).toContain(`dla klienta nr ${c.customerNumber}`);
    expect(mails[0]!.text).toContain('Powód: Wniosek musi złożyć właściciel nieruchomości.');
    const twice = await svc.request('POST', `/api/admin/account-applications/${app.id}/reject`, { token: admin, body: { reason: 'x' } });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('application_already_decided');

    expect((await apply({ ...form(c), invoiceAmount: '1.00' })).status).toBe(202);
    const unmatched = await applicationOf(c.customerNumber, 'unmatched');
    for (const action of ['approve', 'reject']) {
      const r = await svc.request('POST', `/api/admin/account-applications/${unmatched.id}/${action}`, { token: admin, body: { reason: 'x' } });
      expect(r.status, action).toBe(409);
      expect(r.body.error.code).toBe('application_unmatched');
    }
  });

  it('lists by status and shows an application overdue after 14 days', async () => {
    await nextHour();
    const c = await customerWithInvoice();
    expect((await apply(form(c))).status).toBe(202);
    const bad = await svc.request('GET', '/api/admin/account-applications?status=waiting', { token: admin });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('status');
    const page = await svc.request('GET', '/api/admin/account-applications?limit=1', { token: admin });
    expect(page.body.items).toHaveLength(1);
    expect(page.body.nextCursor).not.toBeNull();
    const next = await svc.request('GET', `/api/admin/account-applications?limit=1&cursor=${page.body.nextCursor}`, { token: admin });
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);

    svc.clock.advance(15 * 86_400_000);
    admin = await loginAs(svc, 'apps-admin', 'Apps-Admin-Pass-2026!');
    const app = await applicationOf(c.customerNumber, 'pending');
    expect(app.overdue).toBe(true);
  });
});

describe('who may call what', () => {
  it('asks for a login (401), the admin role (403), and answers an unknown id with 404', async () => {
    await nextHour();
    const customer = await createCustomer(svc);
    const id = '00000000-0000-4000-8000-000000000000';
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/admin/account-applications'],
      ['GET', `/api/admin/account-applications/${id}`],
      ['POST', `/api/admin/account-applications/${id}/approve`],
      ['POST', `/api/admin/account-applications/${id}/reject`, { reason: 'x' }],
    ];
    for (const [method, path, body] of routes) {
      const anon = await svc.request(method, path, body === undefined ? {} : { body });
      expect(anon.status, `${method} ${path}`).toBe(401);
      const asCustomer = await svc.request(method, path, { token: customer.token, ...(body === undefined ? {} : { body }) });
      expect(asCustomer.status, `${method} ${path}`).toBe(403);
    }
    for (const [method, path, body] of routes.slice(1)) {
      const res = await svc.request(method, path, { token: admin, ...(body === undefined ? {} : { body }) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('application_not_found');
    }
    const notUuid = await svc.request('GET', '/api/admin/account-applications/42', { token: admin });
    expect(notUuid.status).toBe(400);
    expect(notUuid.body.error.details[0].field).toBe('id');
  });
});
