/**
 * `npm run bench:notices`: (1) messages delivered per second through the bundled SMTP and SMS
 * mocks (real servers on loopback), (2) the reminder job's time for 100,000 invoices (BENCH_INVOICES)
 * on PostgreSQL: every customer subscribed by e-mail, every invoice due in 3 days, a tenth paid (dropped,
 * with the reason), and its second run (nothing left to do).
 *
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) gets a throw-away schema.
 */
import pino from 'pino';
import { ManualClock, warsawDate } from '../src/clock.js';
import { createScratchSchemaDb } from '../src/db/scratchSchema.js';
import { migrateLatest } from '../src/db/migrate.js';
import { NoticesService, enqueueEmail, enqueueSms } from '../src/notices/index.js';
import { smsApiTransport, smtpTransport } from '../src/notices/transports.js';
import { createMockSms } from '../mocks/sms/server.js';
import { createMockSmtp } from '../mocks/smtp/server.js';

const INVOICES = Number(process.env.BENCH_INVOICES ?? 100_000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2_000);
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (line: string) => process.stdout.write(`${line}\n`);
const seconds = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;

async function main() {
  const db = await createScratchSchemaDb(url, { prefix: 'bench', poolMax: 10 });
  const sms = createMockSms();
  const smtp = createMockSmtp({ sms });
  const { smtpUrl, inboxUrl } = await smtp.listen();
  try {
    await migrateLatest(db.knex);
    const k = db.knex;
    // 10:00 Warsaw on a December day: inside the sending hours.
    const clock = new ManualClock(new Date('2026-12-07T09:00:00Z'));
    const logger = pino({ level: 'silent' });
    const service = new NoticesService(
      k,
      clock,
      { sendHour: 9, sender: { name: 'PWiK Sp. z o.o. w Oświęcimiu', account: '61109010140000071219812874', publicUrl: 'http://localhost:3000' } },
      {
        email: smtpTransport({ url: smtpUrl, from: 'IBOK <ibok@pwik.oswiecim.example>' }),
        sms: smsApiTransport({ url: `${inboxUrl}/sms`, token: 't', from: 'PWiK' }),
      },
      logger,
    );

    // (1) Delivery through the mocks.
    for (const channel of ['email', 'sms'] as const) {
      await k.transaction(async (trx) => {
        for (let i = 0; i < MESSAGES; i++) {
          if (channel === 'email') await enqueueEmail(trx, { to: `k${i}@example.com`, subject: `Faktura FV/${i}`, body: `Dzień dobry,\n\nfaktura ${i} na 123,45 zł.`, template: 'bench' });
          else await enqueueSms(trx, { to: `48600${String(i).padStart(6, '0')}`, body: `PWiK: faktura FV/${i} na 123,45 zł, termin 10 grudnia 2026.`, template: 'bench' });
        }
      });
      const t = process.hrtime.bigint();
      let sent = 0;
      while (sent < MESSAGES) {
        const r = await service.deliverDue({ batchSize: 100, concurrency: 16, budgetMs: 60_000 });
        sent += r.sent;
        if (r.sent + r.retried + r.failed === 0) break;
      }
      const s = seconds(t);
      const received = channel === 'email' ? smtp.messages.length : sms.messages.length;
      log(`${channel}: ${sent} delivered in ${s.toFixed(2)} s = ${(sent / s).toFixed(0)} messages/s (the mock received ${received})`);
    }

    // (2) The reminder job over INVOICES invoices.
    const customers = Math.ceil(INVOICES / 5);
    const t0 = process.hrtime.bigint();
    await k.raw(`INSERT INTO customers (customer_number, name, street, postal_code, city)
                 SELECT 'B' || g, 'Klient ' || g, 'ul. Zamkowa 1', '32-600', 'Oświęcim' FROM generate_series(1, ?) g`, [customers]);
    await k.raw(`INSERT INTO properties (customer_id, property_number, street, postal_code, city)
                 SELECT id, 'P-' || customer_number, street, postal_code, city FROM customers`);
    await k.raw(`INSERT INTO notice_subscriptions (customer_id, channel, address, invoice_issued, reminders, confirmed_at, terms_accepted_at, updated_at)
                 SELECT id, 'email', 'k' || id || '@example.com', true, true, now(), now(), now() FROM customers`);
    const due = '2026-12-10';
    await k.raw(
      `INSERT INTO invoices (invoice_number, customer_id, property_id, kind, issue_date, due_date, amount, currency, issued_by, lines, content_hash)
       SELECT 'FV/B/' || g, c.id, p.id, 'invoice', CAST(? AS date) - 14, CAST(? AS date), 100.00, 'PLN', 'office', '[]', md5(g::text)
         FROM generate_series(1, ?) g
         JOIN customers c ON c.customer_number = 'B' || (1 + (g - 1) % ?)
         JOIN properties p ON p.customer_id = c.id`,
      [due, due, INVOICES, customers],
    );
    // A tenth paid.
    await k.raw(`INSERT INTO ledger_credits (customer_id, kind, source, source_ref, document_number, amount, received_on)
                 SELECT customer_id, 'payment', 'bench', invoice_number, invoice_number, amount, '2026-12-01' FROM invoices WHERE id % 10 = 0`);
    await k.raw(`INSERT INTO ledger_allocations (credit_id, invoice_id, amount)
                 SELECT c.id, i.id, i.amount FROM ledger_credits c JOIN invoices i ON i.invoice_number = c.source_ref`);
    await k.raw('ANALYZE');
    log(`seeded ${INVOICES} invoices of ${customers} customers in ${seconds(t0).toFixed(1)} s (reminder moment: ${warsawDate(clock.now())})`);

    {
      const { reminderCandidates } = await import('../src/notices/store.js');
      const tq = process.hrtime.bigint();
      const batch = await reminderCandidates(k, warsawDate(clock.now()), 7, 2000);
      log(`one candidate batch (${batch.length}): ${(seconds(tq) * 1000).toFixed(0)} ms`);
    }
    const t1 = process.hrtime.bigint();
    const first = await service.runReminders();
    const s1 = seconds(t1);
    const t2 = process.hrtime.bigint();
    const second = await service.runReminders();
    const s2 = seconds(t2);
    log(`reminder job, ${INVOICES} invoices: ${s1.toFixed(2)} s (queued ${first.queued}, dropped ${first.dropped}); again: ${s2.toFixed(2)} s (queued ${second.queued})`);
  } finally {
    await smtp.close();
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
