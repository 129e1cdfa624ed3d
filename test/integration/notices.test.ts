import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { OutboxStore } from '../../src/notices/store.js';
import { smsApiTransport } from '../../src/notices/transports.js';
import { createCustomer, loginAs, uniqueNumber, type TestCustomer } from '../helpers/factories.js';
import { createPayment } from '../helpers/payments.js';
import { BILLING_TOKEN, startTestService, type TestService } from '../helpers/service.js';

/** Warsaw wall time in December (UTC+1) as an instant. */
const warsaw = (day: string, time: string) => new Date(`${day}T${time}:00+01:00`);
const NBSP = /\u00a0/g;

async function putInvoice(svc: TestService, c: TestCustomer, number: string, fields: { amount: string; dueDate: string; issuedBy?: string; kind?: string; issueDate?: string }) {
  const res = await svc.request('PUT', `/api/billing/invoices/${encodeURIComponent(number)}`, {
    token: BILLING_TOKEN,
    body: {
      customerNumber: c.customerNumber,
      propertyId: c.propertyId,
      kind: fields.kind ?? 'invoice',
      issueDate: fields.issueDate ?? '2026-11-25',
      dueDate: fields.dueDate,
      amount: fields.amount,
      currency: 'PLN',
      issuedBy: fields.issuedBy ?? 'office',
    },
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`putInvoice: ${res.status} ${res.text}`);
}

/** Delivers what is due and returns the outbox rows of this recipient. */
async function deliver(svc: TestService) {
  return svc.deps.notices.deliverDue({ budgetMs: 5_000 });
}

function lastCode(text: string): string {
  const m = /(\d{6})/.exec(text);
  if (!m) throw new Error(`no code in: ${text}`);
  return m[1]!;
}

let svc: TestService;
let adminToken: string;
/** A fresh admin token (the clock moves past a token's lifetime in some tests). */
const admin = () => loginAs(svc, 'notices-admin', 'Notices-Admin-Pass-2026!');

async function subscribe(c: TestCustomer, email: string, phone: string, opts = { invoiceIssued: true, reminders: true }) {
  const put = await svc.request('PUT', '/api/notifications/subscription', {
    token: c.token,
    body: { email: { address: email, ...opts }, sms: { phone, ...opts }, acceptTerms: true },
  });
  expect(put.status).toBe(200);
  await deliver(svc);
  const mail = svc.smtp.messages.filter((m) => m.to.includes(email)).at(-1)!;
  const digits = phone.replace(/\D/g, '');
  const sms = svc.sms.messages.filter((m) => m.to === (digits.length === 9 ? `48${digits}` : digits)).at(-1)!;
  for (const [channel, code] of [['email', lastCode(mail.text)], ['sms', lastCode(sms.message)]] as const) {
    const ok = await svc.request('POST', '/api/notifications/subscription/confirm', { token: c.token, body: { channel, code } });
    expect(ok.status).toBe(200);
  }
}

let phoneSeq = 600_100_000 + (process.pid % 1000) * 1000;
const newPhone = () => String(++phoneSeq);

beforeAll(async () => {
  svc = await startTestService({}, { clock: new ManualClock(warsaw('2026-12-01', '10:00')) });
  await svc.deps.auth.ensureStaff('notices-admin', 'Notices-Admin-Pass-2026!', 'admin');
  adminToken = await loginAs(svc, 'notices-admin', 'Notices-Admin-Pass-2026!');
});
afterAll(async () => {
  await svc?.close();
});

describe('subscription and its confirmation code', () => {
  it('sends a code to a new address and number, and nothing else until confirmed', async () => {
    const c = await createCustomer(svc);
    const email = `${c.customerNumber.toLowerCase()}@example.com`;
    const phone = newPhone();
    const put = await svc.request('PUT', '/api/notifications/subscription', {
      token: c.token,
      body: { email: { address: email, invoiceIssued: true, reminders: true }, sms: { phone: `+48 ${phone}`, invoiceIssued: true, reminders: false }, acceptTerms: true },
    });
    expect(put.status).toBe(200);
    expect(put.body.email).toEqual({ address: email, invoiceIssued: true, reminders: true, confirmed: false, confirmationPending: true });
    expect(put.body.sms).toMatchObject({ phone: `+48${phone}`, confirmed: false, confirmationPending: true });

    // An invoice issued before confirmation is not announced there.
    await putInvoice(svc, c, uniqueNumber('FV/'), { amount: '10.00', dueDate: '2026-12-20' });
    await deliver(svc);
    const mails = svc.smtp.messages.filter((m) => m.to.includes(email));
    expect(mails.map((m) => m.subject)).toEqual(['Kod potwierdzający adres e-mail do powiadomień']);
    expect(mails[0]!.text).toMatch(/kod potwierdzający ten adres do powiadomień z IBOK: \d{6}/);
    const texts = svc.sms.messages.filter((m) => m.to === `48${phone}`);
    expect(texts).toHaveLength(1);
    // Transliterated: so it fits one part.
    expect(texts[0]!.message).toMatch(/^PWiK Oswiecim: kod potwierdzajacy numer do powiadomien IBOK: \d{6}\. Wazny 15 minut\.$/);
    expect(texts[0]!.parts).toBe(1);

    // Only a hash of the code is kept, and the delivered message's body is gone.
    const code = lastCode(mails[0]!.text);
    const row = await svc.db.knex('notice_subscriptions').where({ channel: 'email', address: email }).first();
    expect(row.code_hash).not.toContain(code);
    const stored = await svc.db.knex('outbox_messages').where({ recipient: email });
    expect(stored.map((r: { status: string; body: string | null }) => [r.status, r.body])).toEqual([['sent', null]]);

    const ok = await svc.request('POST', '/api/notifications/subscription/confirm', { token: c.token, body: { channel: 'email', code } });
    expect(ok.status).toBe(200);
    expect(ok.body.email.confirmed).toBe(true);
    expect(ok.body.sms.confirmed).toBe(false);
    const again = await svc.request('POST', '/api/notifications/subscription/confirm', { token: c.token, body: { channel: 'email', code } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('nothing_to_confirm');

    const got = await svc.request('GET', '/api/notifications/subscription', { token: c.token });
    expect(got.status).toBe(200);
    expect(got.body.email.confirmed).toBe(true);
  });

  it('allows 5 tries, then the code is void; a code older than 15 minutes is refused', async () => {
    const c = await createCustomer(svc);
    const email = `tries-${c.customerNumber.toLowerCase()}@example.com`;
    await svc.request('PUT', '/api/notifications/subscription', { token: c.token, body: { email: { address: email, invoiceIssued: true, reminders: true }, acceptTerms: true } });
    await deliver(svc);
    const code = lastCode(svc.smtp.messages.filter((m) => m.to.includes(email)).at(-1)!.text);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let left = 4; left >= 1; left--) {
      const res = await svc.request('POST', '/api/notifications/subscription/confirm', { token: c.token, body: { channel: 'email', code: wrong } });
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'confirmation_code_invalid', details: { attemptsLeft: left } });
    }
    const fifth = await svc.request('POST', '/api/notifications/subscription/confirm', { token: c.token, body: { channel: 'email', code: wrong } });
    expect(fifth.status).toBe(410);
    // Even the right code is no good now.
    const right = await svc.request('POST', '/api/notifications/subscription/confirm', { token: c.token, body: { channel: 'email', code } });
    expect(right.status).toBe(410);
    expect(right.body.error.code).toBe('confirmation_code_expired');

    // Saving again sends a new code; after 15 minutes it expires.
    await svc.request('PUT', '/api/notifications/subscription', { token: c.token, body: { email: { address: email, invoiceIssued: true, reminders: true }, acceptTerms: true } });
    await deliver(svc);
    const second = lastCode(svc.smtp.messages.filter((m) => m.to.includes(email)).at(-1)!.text);
    svc.clock.advance(15 * 60_000 + 1000);
    const late = await svc.request('POST', '/api/notifications/subscription/confirm', { token: c.token, body: { channel: 'email', code: second } });
    expect(late.status).toBe(410);
    svc.clock.set(warsaw('2026-12-01', '10:00'));
  });

  it('sends at most 5 codes a channel an hour, however the address changes (no flooding someone else)', async () => {
    const c = await createCustomer(svc);
    const victim = `victim-${c.customerNumber.toLowerCase()}@example.com`;
    const other = `other-${c.customerNumber.toLowerCase()}@example.com`;
    const put = (address: string) =>
      svc.request('PUT', '/api/notifications/subscription', { token: c.token, body: { email: { address, invoiceIssued: true, reminders: true }, acceptTerms: true } });
    // Switching A, B, A, B … makes a new code each time, until the fifth.
    for (let i = 0; i < 5; i++) expect((await put(i % 2 === 0 ? victim : other)).status).toBe(200);
    const sixth = await put(other);
    expect(sixth.status).toBe(429);
    expect(sixth.body.error.code).toBe('too_many_codes');
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
    // Deleting the subscription does not reset the count.
    await svc.request('PUT', '/api/notifications/subscription', { token: c.token, body: { acceptTerms: true } });
    expect((await put(other)).status).toBe(429);
    await deliver(svc);
    expect(svc.smtp.messages.filter((m) => m.to.includes(victim)).length).toBe(3);
    // An hour after the first code, one more may go.
    svc.clock.advance(60 * 60_000 + 1000);
    c.token = await loginAs(svc, c.login, c.password); // the first token has expired meanwhile
    expect((await put(victim)).status).toBe(200);
    svc.clock.set(warsaw('2026-12-01', '10:00'));
  });

  it('refuses bad input with a clear 400', async () => {
    const c = await createCustomer(svc);
    const cases: unknown[] = [
      { email: { address: 'x@example.com', invoiceIssued: true, reminders: true } },
      { email: { address: 'x@example.com', invoiceIssued: true, reminders: true }, acceptTerms: false },
      { email: { address: 'not-an-address', invoiceIssued: true, reminders: true }, acceptTerms: true },
      { sms: { phone: '12', invoiceIssued: true, reminders: true }, acceptTerms: true },
      { sms: { phone: '600100200', invoiceIssued: 'yes', reminders: true }, acceptTerms: true },
      { email: { address: 'x@example.com', invoiceIssued: true, reminders: true, extra: 1 }, acceptTerms: true },
    ];
    for (const body of cases) {
      const res = await svc.request('PUT', '/api/notifications/subscription', { token: c.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    for (const body of [{ channel: 'email', code: '12ab56' }, { channel: 'fax', code: '123456' }, { channel: 'sms' }]) {
      const res = await svc.request('POST', '/api/notifications/subscription/confirm', { token: c.token, body });
      expect(res.status).toBe(400);
    }
    expect((await svc.request('GET', '/api/notifications/subscription')).status).toBe(401);
    expect((await svc.request('GET', '/api/notifications/subscription', { token: adminToken })).status).toBe(403);
  });
});

describe('invoice issued notice', () => {
  it('names the number, the amount, the due date and how to pay, by e-mail and SMS; none for a reader’s invoice', async () => {
    const c = await createCustomer(svc);
    const email = `fv-${c.customerNumber.toLowerCase()}@example.com`;
    const phone = newPhone();
    await subscribe(c, email, phone);
    const number = uniqueNumber('FV/2026/');
    await putInvoice(svc, c, number, { amount: '1234.56', dueDate: '2026-12-15' });
    const readerNumber = uniqueNumber('FO/2026/');
    await putInvoice(svc, c, readerNumber, { amount: '55.00', dueDate: '2026-12-16', issuedBy: 'reader' });
    // One fed after its due date (history, a backfill) is not news: dropped, with the reason.
    const oldNumber = uniqueNumber('FV/2025/');
    await putInvoice(svc, c, oldNumber, { amount: '33.00', issueDate: '2025-10-01', dueDate: '2025-10-15' });
    expect(await svc.db.knex('notice_log').where({ document: oldNumber }).orderBy('channel').select('channel', 'outcome', 'reason')).toEqual([
      { channel: 'email', outcome: 'dropped', reason: 'past_due' },
      { channel: 'sms', outcome: 'dropped', reason: 'past_due' },
    ]);
    // The same invoice fed again is not announced again.
    await putInvoice(svc, c, number, { amount: '1234.56', dueDate: '2026-12-15' });
    await deliver(svc);

    const mails = svc.smtp.messages.filter((m) => m.to.includes(email) && m.subject.startsWith('Nowa faktura'));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe(`Nowa faktura ${number}`);
    const text = mails[0]!.text.replace(NBSP, ' ');
    expect(text).toContain(`wystawiliśmy fakturę nr ${number} na kwotę 1 234,56 zł.`);
    expect(text).toContain('Termin płatności: 15 grudnia 2026.');
    expect(text).toContain(`${svc.url}/rozrachunki`);
    expect(text).toContain('przelewem na rachunek 61 1090 1014 0000 0712 1981 2874');
    expect(text).toContain(`w tytule: ${number}`);
    expect(mails[0]!.from).toContain('ibok@pwik.oswiecim.example');

    const sms = svc.sms.messages.filter((m) => m.to === `48${phone}` && m.message.includes('FV/'));
    expect(sms).toHaveLength(1);
    expect(sms[0]!.message).toContain(number);
    expect(sms[0]!.message).toMatch(/1 234,56 zł/);
    expect(sms[0]!.message).toMatch(/15 grudnia 2026/);
    expect(svc.smtp.messages.some((m) => m.text.includes(readerNumber)) || svc.sms.messages.some((m) => m.message.includes(readerNumber))).toBe(false);
  });

  it('an invoice issued at night: the e-mail goes at once, the SMS waits for 8:00', async () => {
    const c = await createCustomer(svc);
    const email = `noc-${c.customerNumber.toLowerCase()}@example.com`;
    const phone = newPhone();
    await subscribe(c, email, phone);
    const number = uniqueNumber('FV/N/');
    svc.clock.set(warsaw('2026-12-01', '22:30'));
    await putInvoice(svc, c, number, { amount: '19.99', dueDate: '2026-12-20' });
    await deliver(svc);
    expect(svc.smtp.messages.filter((m) => m.to.includes(email) && m.subject === `Nowa faktura ${number}`)).toHaveLength(1);
    const smsFor = () => svc.sms.messages.filter((m) => m.to === `48${phone}` && m.message.includes(number));
    expect(smsFor()).toHaveLength(0);
    svc.clock.set(warsaw('2026-12-02', '07:59'));
    await deliver(svc);
    expect(smsFor()).toHaveLength(0);
    svc.clock.set(warsaw('2026-12-02', '08:00'));
    await deliver(svc);
    expect(smsFor()).toHaveLength(1);
    svc.clock.set(warsaw('2026-12-01', '10:00'));
  });

  it('a correction that lowers the amount says there is nothing to pay', async () => {
    const c = await createCustomer(svc);
    const email = `kor-${c.customerNumber.toLowerCase()}@example.com`;
    await subscribe(c, email, newPhone());
    const number = uniqueNumber('KOR/');
    await putInvoice(svc, c, number, { amount: '-20.50', dueDate: '2026-12-15', kind: 'correction' });
    await deliver(svc);
    const mail = svc.smtp.messages.find((m) => m.to.includes(email) && m.subject === `Faktura korygująca ${number}`)!;
    expect(mail.text).toContain('zmniejsza należność o 20,50 zł');
    expect(mail.text).toContain('nie trzeba nic płacić');
  });
});

describe('payment reminders', () => {
  it('3 days before, on and 5 days after the due date, from 9:00, once each, never at night', async () => {
    const c = await createCustomer(svc);
    const email = `rem-${c.customerNumber.toLowerCase()}@example.com`;
    const phone = newPhone();
    await subscribe(c, email, phone, { invoiceIssued: false, reminders: true });
    const number = uniqueNumber('FV/R/');
    await putInvoice(svc, c, number, { amount: '250.00', dueDate: '2026-12-10' });
    const paidNumber = uniqueNumber('FV/P/');
    await putInvoice(svc, c, paidNumber, { amount: '80.00', dueDate: '2026-12-10' });
    const pendingNumber = uniqueNumber('FV/Q/');
    await putInvoice(svc, c, pendingNumber, { amount: '90.00', dueDate: '2026-12-10' });
    // Pay one at the bank (the ledger credits it) and put another in a pending payment.
    const customer = await svc.db.knex('customers').where({ customer_number: c.customerNumber }).first();
    const paid = await svc.db.knex('invoices').where({ invoice_number: paidNumber }).first();
    await svc.db.knex.transaction((trx) =>
      svc.deps.ledger.recordCredit(
        trx,
        { customerId: String(customer.id), kind: 'payment', source: 'bank', sourceRef: `ref-${paidNumber}`, documentNumber: paidNumber, amount: '80.00', receivedOn: '2026-12-02', hasInvoiceTarget: true },
        [String(paid.id)],
      ),
    );
    const payment = await createPayment(svc, c, [pendingNumber]);
    expect(payment.status).toBe(201);

    const mailsFor = (n: string) => svc.smtp.messages.filter((m) => m.to.includes(email) && m.text.includes(n));
    const smsFor = (n: string) => svc.sms.messages.filter((m) => m.to === `48${phone}` && m.message.includes(n));

    // 7 December, 8:30: not yet (NOTICE_SEND_HOUR is 9).
    svc.clock.set(warsaw('2026-12-07', '08:30'));
    expect(await svc.deps.notices.runReminders()).toMatchObject({ queued: 0, skipped: 'outside the sending hours' });
    svc.clock.set(warsaw('2026-12-07', '09:05'));
    const first = await svc.deps.notices.runReminders();
    expect(first.queued).toBeGreaterThanOrEqual(2);
    expect((await svc.deps.notices.runReminders()).queued).toBe(0);
    await deliver(svc);
    expect(mailsFor(number)).toHaveLength(1);
    expect(mailsFor(number)[0]!.subject).toBe(`Przypomnienie: termin płatności faktury ${number} za 3 dni`);
    expect(mailsFor(number)[0]!.text.replace(NBSP, ' ')).toContain('za 3 dni, 10 grudnia 2026, mija termin płatności');
    expect(mailsFor(number)[0]!.text.replace(NBSP, ' ')).toContain('Do zapłaty: 250,00 zł');
    expect(smsFor(number)).toHaveLength(1);
    expect(smsFor(number)[0]!.message).toMatch(/za 3 dni \(10 grudnia 2026\) mija termin platnosci faktury .* Do zaplaty 250,00 zl/);
    // One part: the Polish letters were transliterated to keep it so.
    expect(smsFor(number)[0]!.parts).toBe(1);
    // Paid, and in a pending payment: no reminder, and the reason is recorded.
    expect(mailsFor(paidNumber)).toHaveLength(0);
    expect(mailsFor(pendingNumber)).toHaveLength(0);
    const dropped = await svc.db.knex('notice_log').whereIn('document', [paidNumber, pendingNumber]).orderBy(['document', 'channel']).select('document', 'channel', 'outcome', 'reason');
    expect(dropped.map((d: { document: string; reason: string }) => [d.document, d.reason]).sort()).toEqual(
      [[paidNumber, 'paid'], [paidNumber, 'paid'], [pendingNumber, 'pending_payment'], [pendingNumber, 'pending_payment']].sort(),
    );

    // The due date, 10 December: at 22:00 nothing, at 10:00 the next day's... no: at 10:00 that day.
    svc.clock.set(warsaw('2026-12-10', '22:00'));
    expect((await svc.deps.notices.runReminders()).queued).toBe(0);
    svc.clock.set(warsaw('2026-12-10', '10:00'));
    await svc.deps.notices.runReminders();
    await deliver(svc);
    expect(mailsFor(number)).toHaveLength(2);
    expect(mailsFor(number)[1]!.subject).toBe(`Przypomnienie: dziś mija termin płatności faktury ${number}`);
    expect(smsFor(number)[1]!.message).toContain('dzis (10 grudnia 2026) mija termin');

    // 5 days after: 15 December.
    svc.clock.set(warsaw('2026-12-15', '09:00'));
    await svc.deps.notices.runReminders();
    await deliver(svc);
    expect(mailsFor(number)).toHaveLength(3);
    expect(mailsFor(number)[2]!.subject).toBe(`Faktura ${number} po terminie płatności`);
    expect(mailsFor(number)[2]!.text).toContain('minął 10 grudnia 2026');
    expect(smsFor(number)).toHaveLength(3);
    expect(smsFor(number)[2]!.message).toContain('jest po terminie (10 grudnia 2026)');
    svc.clock.set(warsaw('2026-12-01', '10:00'));
  });

  it('a reminder missed while the service was down is sent if still true; the superseded one is dropped with the reason', async () => {
    const c = await createCustomer(svc);
    const email = `down-${c.customerNumber.toLowerCase()}@example.com`;
    await subscribe(c, email, newPhone(), { invoiceIssued: false, reminders: true });
    const number = uniqueNumber('FV/D/');
    await putInvoice(svc, c, number, { amount: '42.00', dueDate: '2026-12-20' });
    // Down from the 16th to the 22nd at noon.
    svc.clock.set(warsaw('2026-12-22', '12:00'));
    await svc.deps.notices.runReminders();
    await deliver(svc);
    const mails = svc.smtp.messages.filter((m) => m.to.includes(email) && m.text.includes(number));
    expect(mails.map((m) => m.subject)).toEqual([`Przypomnienie: dziś mija termin płatności faktury ${number}`]);
    const log = await svc.db.knex('notice_log').where({ document: number, channel: 'email' }).orderBy('notice').select('notice', 'outcome', 'reason');
    expect(log).toEqual([
      { notice: 'reminder_before', outcome: 'dropped', reason: 'superseded' },
      { notice: 'reminder_due', outcome: 'queued', reason: null },
    ]);
    svc.clock.set(warsaw('2026-12-01', '10:00'));
  });
});

describe('meter legalisation notice', () => {
  it('30 days before the legalisation ends, once per meter and date', async () => {
    const c = await createCustomer(svc);
    const email = `wod-${c.customerNumber.toLowerCase()}@example.com`;
    await subscribe(c, email, newPhone(), { invoiceIssued: false, reminders: true });
    const serial = uniqueNumber('WM');
    const put = await svc.request('PUT', `/api/billing/meters/${serial}`, {
      token: BILLING_TOKEN,
      body: {
        customerNumber: c.customerNumber,
        propertyId: c.propertyId,
        kind: 'main',
        status: 'active',
        owner: 'utility',
        registeredOn: '2021-01-10',
        installedOn: '2021-01-10',
        legalisedOn: '2021-01-05',
        legalisationValidUntil: '2026-12-31',
        tariff: { code: 'G1', name: 'Gospodarstwa domowe' },
      },
    });
    expect([200, 201]).toContain(put.status);
    const source = (from: string, to: string) => svc.deps.meters.metersWithLegalisationEndingBetween(from, to);
    // 35 days before: not yet.
    svc.clock.set(warsaw('2026-11-26', '10:00'));
    expect(await svc.deps.notices.meterLegalisationNotices(source)).toBe(0);
    svc.clock.set(warsaw('2026-12-01', '10:00'));
    expect(await svc.deps.notices.meterLegalisationNotices(source)).toBe(2);
    expect(await svc.deps.notices.meterLegalisationNotices(source)).toBe(0);
    await deliver(svc);
    const mail = svc.smtp.messages.find((m) => m.to.includes(email) && m.subject.includes(serial))!;
    expect(mail.subject).toBe(`Kończy się legalizacja wodomierza ${serial}`);
    expect(mail.text).toContain('jest ważna do 31 grudnia 2026 (za 30 dni)');
  });
});

describe('the demo inbox (SMTP mock)', () => {
  it('shows what it received as JSON and as a Polish page with the text escaped', async () => {
    const c = await createCustomer(svc);
    const email = `html-${c.customerNumber.toLowerCase()}@example.com`;
    const { enqueueEmail } = await import('../../src/notices/index.js');
    await enqueueEmail(svc.db.knex, { to: email, subject: 'Test <b>pogrubienia</b>', body: 'Treść <script>alert(1)</script> & „cudzysłów”', template: 'test' });
    await deliver(svc);
    const json = (await (await fetch(`${svc.smtp.inboxUrl}/messages?to=${encodeURIComponent(email)}`)).json()) as { messages: Array<{ subject: string; text: string }> };
    expect(json.messages).toHaveLength(1);
    expect(json.messages[0]!.text).toContain('<script>alert(1)</script>');
    const page = await fetch(`${svc.smtp.inboxUrl}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('<html lang="pl">');
    expect(html).toContain('Skrzynka demonstracyjna IBOK');
    expect(html).toContain('Test &lt;b&gt;pogrubienia&lt;/b&gt;');
    expect(html).toContain('Treść &lt;script&gt;alert(1)&lt;/script&gt; &amp; „cudzysłów”');
    expect(html).not.toContain('<script>');
  });
});

describe('delivery', () => {
  it('SMTP down for a while: retried with backoff, delivered once after it recovers', async () => {
    const c = await createCustomer(svc);
    const email = `smtpdown-${c.customerNumber.toLowerCase()}@example.com`;
    svc.smtp.faults.down = true;
    try {
      await svc.request('PUT', '/api/notifications/subscription', { token: c.token, body: { email: { address: email, invoiceIssued: true, reminders: true }, acceptTerms: true } });
      const r1 = await deliver(svc);
      expect(r1.retried).toBeGreaterThanOrEqual(1);
      const row = await svc.db.knex('outbox_messages').where({ recipient: email }).first();
      expect(row.status).toBe('pending');
      expect(row.last_error).toMatch(/421|not available/);
      // Not before its next attempt.
      expect((await deliver(svc)).sent).toBe(0);
      svc.clock.advance(60_000);
      await deliver(svc);
      expect((await svc.db.knex('outbox_messages').where({ recipient: email }).first()).attempts).toBe(2);
    } finally {
      svc.smtp.faults.down = false;
    }
    svc.clock.advance(5 * 60_000);
    await deliver(svc);
    expect(svc.smtp.messages.filter((m) => m.to.includes(email))).toHaveLength(1);
    expect((await svc.db.knex('outbox_messages').where({ recipient: email }).first()).status).toBe('sent');
    svc.clock.set(warsaw('2026-12-01', '10:00'));
  });

  it('after 24 hours of failures a message is failed, listed for the office, and can be retried', async () => {
    const c = await createCustomer(svc);
    const email = `gaveup-${c.customerNumber.toLowerCase()}@example.com`;
    svc.smtp.faults.down = true;
    try {
      await svc.request('PUT', '/api/notifications/subscription', { token: c.token, body: { email: { address: email, invoiceIssued: true, reminders: true }, acceptTerms: true } });
      for (let i = 0; i < 60; i++) {
        await deliver(svc);
        const row = await svc.db.knex('outbox_messages').where({ recipient: email }).first();
        if (row.status === 'failed') break;
        svc.clock.advance(61 * 60_000);
      }
    } finally {
      svc.smtp.faults.down = false;
    }
    const row = await svc.db.knex('outbox_messages').where({ recipient: email }).first();
    expect(row.status).toBe('failed');
    expect(row.last_error).toMatch(/^gave up after 24 hours/);
    const list = await svc.request('GET', '/api/admin/outbox?status=failed', { token: (adminToken = await admin()) });
    expect(list.status).toBe(200);
    const item = list.body.items.find((i: { recipient: string }) => i.recipient === email);
    expect(item).toMatchObject({ channel: 'email', status: 'failed', template: 'subscription_code' });
    expect(item).not.toHaveProperty('body');

    const retry = await svc.request('POST', `/api/admin/outbox/${item.id}/retry`, { token: adminToken });
    expect(retry.status).toBe(200);
    expect(retry.body.status).toBe('pending');
    await deliver(svc);
    expect(svc.smtp.messages.filter((m) => m.to.includes(email))).toHaveLength(1);
    const twice = await svc.request('POST', `/api/admin/outbox/${item.id}/retry`, { token: adminToken });
    expect(twice.status).toBe(409);
    expect((await svc.request('POST', '/api/admin/outbox/999999999/retry', { token: adminToken })).status).toBe(404);
    expect((await svc.request('GET', '/api/admin/outbox?status=lost', { token: adminToken })).status).toBe(400);
    expect((await svc.request('GET', '/api/admin/outbox', { token: await loginAs(svc, c.login, c.password) })).status).toBe(403);
    svc.clock.set(warsaw('2026-12-01', '10:00'));
  });

  it('a number the SMS provider refuses: failed at once and listed', async () => {
    const c = await createCustomer(svc);
    const phone = newPhone();
    svc.sms.faults.refuse.add(`48${phone}`);
    await svc.request('PUT', '/api/notifications/subscription', { token: c.token, body: { sms: { phone, invoiceIssued: true, reminders: true }, acceptTerms: true } });
    const r = await deliver(svc);
    expect(r.failed).toBeGreaterThanOrEqual(1);
    const list = await svc.request('GET', '/api/admin/outbox?status=failed', { token: (adminToken = await admin()) });
    const item = list.body.items.find((i: { recipient: string }) => i.recipient === `48${phone}`);
    expect(item).toMatchObject({ channel: 'sms', status: 'failed', attempts: 1 });
    expect(item.lastError).toContain('error 13');
  });

  it('SMS API answering 503 or not at all: retried, then delivered once', async () => {
    const c = await createCustomer(svc);
    const phone = newPhone();
    svc.sms.faults.failNext = 1;
    await svc.request('PUT', '/api/notifications/subscription', { token: c.token, body: { sms: { phone, invoiceIssued: true, reminders: true }, acceptTerms: true } });
    expect((await deliver(svc)).retried).toBe(1);
    svc.sms.faults.down = true;
    svc.clock.advance(2 * 60_000);
    expect((await deliver(svc)).retried).toBe(1);
    svc.sms.faults.down = false;
    svc.clock.advance(5 * 60_000);
    expect((await deliver(svc)).sent).toBe(1);
    expect(svc.sms.messages.filter((m) => m.to === `48${phone}`)).toHaveLength(1);
    svc.clock.set(warsaw('2026-12-01', '10:00'));
  });

  it('a restart in the middle of delivery: each message delivered once', async () => {
    const c = await createCustomer(svc);
    const email = `restart-${c.customerNumber.toLowerCase()}@example.com`;
    const phone = newPhone();
    await svc.request('PUT', '/api/notifications/subscription', {
      token: c.token,
      body: { email: { address: email, invoiceIssued: true, reminders: true }, sms: { phone, invoiceIssued: true, reminders: true }, acceptTerms: true },
    });
    // Instance A takes both messages, sends the SMS, and dies before recording anything.
    const now = svc.clock.now();
    const claimed = await new OutboxStore(svc.db.knex).claimDue(now, new Date(now.getTime() + 120_000), true, 100);
    const sms = claimed.find((m) => m.recipient === `48${phone}`)!;
    expect(claimed.find((m) => m.recipient === email)).toBeDefined();
    await smsApiTransport({ url: `${svc.smtp.inboxUrl}/sms`, token: 't', from: 'PWiK' }).send({ outboxId: sms.id, to: sms.recipient, text: sms.body! });
    // The restarted instance leaves A's claim alone until it expires, then delivers.
    expect((await deliver(svc)).sent).toBe(0);
    svc.clock.advance(3 * 60_000);
    expect((await deliver(svc)).sent).toBe(2);
    expect(svc.smtp.messages.filter((m) => m.to.includes(email))).toHaveLength(1);
    // The provider refused the second SMS of that outbox row (its idx), so the customer got one.
    expect(svc.sms.messages.filter((m) => m.to === `48${phone}`)).toHaveLength(1);
    const rows = await svc.db.knex('outbox_messages').whereIn('recipient', [email, `48${phone}`]);
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['sent', 'sent']);
    svc.clock.set(warsaw('2026-12-01', '10:00'));
  });

  it('the one-time password e-mail arrives, and is no longer readable in the database after delivery', async () => {
    const c = await createCustomer(svc);
    const email = `otp-${c.customerNumber.toLowerCase()}@example.com`;
    const number = uniqueNumber('N');
    await svc.request('PUT', `/api/billing/customers/${number}`, {
      token: BILLING_TOKEN,
      body: { name: 'Jan Kowalski', address: { street: 'ul. Zamkowa 2', postalCode: '32-600', city: 'Oświęcim' }, properties: [{ id: `P-${number}`, address: { street: 'ul. Zamkowa 2', postalCode: '32-600', city: 'Oświęcim' } }] },
    });
    const created = await svc.request('POST', '/api/admin/accounts', { token: adminToken, body: { customerNumber: number, email } });
    expect(created.status).toBe(201);
    const otp: string = created.body.oneTimePassword;
    await deliver(svc);
    const mail = svc.smtp.messages.find((m) => m.to.includes(email))!;
    expect(mail.text).toContain(otp);
    const readable = await svc.db.knex.raw<{ rows: Array<{ n: string | number }> }>(
      `SELECT count(*) AS n FROM outbox_messages WHERE body LIKE ? OR subject LIKE ?`,
      [`%${otp}%`, `%${otp}%`],
    );
    expect(Number(readable.rows[0]!.n)).toBe(0);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('two instances on PostgreSQL', () => {
  it('ticking the reminder job and the delivery together: one message per invoice and channel', async () => {
    const b = await startTestService({}, { db: svc.db, clock: svc.clock, mail: { smtp: svc.smtp, sms: svc.sms } });
    try {
      const c = await createCustomer(svc);
      const email = `storm-${c.customerNumber.toLowerCase()}@example.com`;
      const phone = newPhone();
      await subscribe(c, email, phone, { invoiceIssued: false, reminders: true });
      const numbers = Array.from({ length: 40 }, () => uniqueNumber('FV/S/'));
      for (const n of numbers) await putInvoice(svc, c, n, { amount: '12.34', dueDate: '2026-12-28' });
      svc.clock.set(warsaw('2026-12-25', '09:00'));
      const ticks = await Promise.all([svc, b, svc, b].map((s) => s.deps.notices.runReminders(7)));
      expect(ticks.reduce((n, t) => n + t.queued, 0)).toBeGreaterThanOrEqual(80);
      const queued = await svc.db.knex('outbox_messages').whereIn('recipient', [email, `48${phone}`]).where({ template: 'reminder_before' }).count({ n: '*' });
      expect(Number(queued[0]!.n)).toBe(80);
      await Promise.all([svc, b, svc, b].map((s) => s.deps.notices.deliverDue({ batchSize: 5, budgetMs: 10_000 })));
      const mails = svc.smtp.messages.filter((m) => m.to.includes(email) && m.subject.startsWith('Przypomnienie'));
      expect(mails).toHaveLength(40);
      expect(new Set(mails.map((m) => m.messageId)).size).toBe(40);
      expect(svc.sms.messages.filter((m) => m.to === `48${phone}` && m.message.includes('FV/S/'))).toHaveLength(40);
    } finally {
      await b.close();
      svc.clock.set(warsaw('2026-12-01', '10:00'));
    }
  });
});
