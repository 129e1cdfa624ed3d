import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { warsawDate, type Clock } from '../clock.js';
import { noticeErrors } from './errors.js';
import { prepareSms } from './gsm.js';
import { presentOutbox, presentSubscription } from './presenters.js';
import type { SubscriptionInput, SubscriptionView } from './schema.js';
import {
  OutboxStore,
  SubscriptionStore,
  attachOutbox,
  enqueueEmail,
  enqueueSms,
  logNotice,
  reminderCandidates,
  type Channel,
  type OutboxRow,
  type OutboxStatus,
  type ReminderCandidate,
  type SubscriptionRow,
} from './store.js';
import * as texts from './texts.js';
import { DeliveryError, type EmailTransport, type SmsTransport } from './transports.js';
import { Decimal } from 'decimal.js';

export const CODE_TTL_MS = 15 * 60_000;
export const CODE_MAX_TRIES = 5;
/** Confirmation codes a customer may have sent to one channel within CODE_WINDOW_MS. */
export const CODES_PER_HOUR = 5;
const CODE_WINDOW_MS = 60 * 60_000;
/** How long a message is retried before it is marked failed for the office. */
export const RETRY_WINDOW_MS = 24 * 3600_000;
/** A reminder whose moment passed longer ago than this (the service was down) is no longer looked at. */
export const REMINDER_CATCH_UP_DAYS = 7;
const LEASE_MS = 2 * 60_000;
const NIGHT_FROM = 21;
const DAY_FROM = 8;

export interface NoticesConfig {
  /** Hour (Warsaw) from which the day's reminders go out: 8–20. */
  sendHour: number;
  sender: texts.SenderInfo;
}

/** What the invoices module tells notices when it stores a new invoice or correction. */
export interface IssuedInvoice {
  invoiceNumber: string;
  customerId: string;
  kind: 'invoice' | 'correction';
  amount: string;
  dueDate: string;
  issuedBy: 'office' | 'reader';
}

/** What the meters module tells notices of a meter whose legalisation ends in 30 days. */
export interface ExpiringMeter {
  serialNumber: string;
  customerId: string;
  legalisationValidUntil: string;
}

const warsawHourFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Warsaw', hour: '2-digit', hourCycle: 'h23' });
export function warsawHour(at: Date): number {
  return Number(warsawHourFormat.format(at));
}

function hashCode(code: string, salt = crypto.randomBytes(16).toString('hex')): string {
  return `${salt}$${crypto.createHmac('sha256', salt).update(code).digest('hex')}`;
}

function codeMatches(code: string, stored: string): boolean {
  const [salt] = stored.split('$');
  const expected = Buffer.from(stored);
  const actual = Buffer.from(hashCode(code, salt));
  return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
}

export interface DeliveryResult {
  sent: number;
  retried: number;
  failed: number;
}

export class NoticesService {
  private readonly outbox: OutboxStore;

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly config: NoticesConfig,
    private readonly transports: { email: EmailTransport; sms: SmsTransport },
    private readonly logger: Logger,
  ) {
    this.outbox = new OutboxStore(db);
  }

  // ---- subscriptions ------------------------------------------------------------------------

  async getSubscription(customerId: string): Promise<SubscriptionView> {
    return presentSubscription(await new SubscriptionStore(this.db).forCustomer(customerId), this.clock.now());
  }

  /**
   * Replaces the customer's notices. A new address or number gets a 6-digit code and nothing
   * else until it is confirmed; an unchanged one keeps its confirmation.
   */
  async putSubscription(customerId: string, input: SubscriptionInput): Promise<SubscriptionView> {
    const now = this.clock.now();
    return this.db.transaction(async (trx) => {
      const store = new SubscriptionStore(trx);
      const existing = await store.forCustomer(customerId, true);
      const wanted: Array<{ channel: Channel; address: string; invoiceIssued: boolean; reminders: boolean } | null> = [
        input.email ? { channel: 'email', address: input.email.address, invoiceIssued: input.email.invoiceIssued, reminders: input.email.reminders } : null,
        input.sms ? { channel: 'sms', address: input.sms.phone, invoiceIssued: input.sms.invoiceIssued, reminders: input.sms.reminders } : null,
      ];
      for (const channel of ['email', 'sms'] as const) {
        const want = wanted.find((w) => w?.channel === channel) ?? null;
        const had = existing.find((e) => e.channel === channel);
        if (!want) {
          if (had) await store.remove(customerId, channel);
          continue;
        }
        const base = { customerId, channel, address: want.address, invoiceIssued: want.invoiceIssued, reminders: want.reminders, termsAcceptedAt: now, updatedAt: now };
        const codeLive = had?.codeHash && (had.codeExpiresAt?.getTime() ?? 0) > now.getTime() && had.codeAttempts < CODE_MAX_TRIES;
        if (had && had.address === want.address && (had.confirmedAt || codeLive)) {
          // Same address: only the choices change (a live code is not sent again: no flooding a number).
          await store.upsert({ ...base, confirmedAt: had.confirmedAt, codeHash: had.codeHash, codeExpiresAt: had.codeExpiresAt, codeAttempts: had.codeAttempts });
          continue;
        }
        // At most CODES_PER_HOUR codes a channel an hour, whatever the addresses: saving A, B, A…
        // must not let one account flood someone else's phone or mailbox.
        const sent = await store.codeSendsSince(customerId, channel, new Date(now.getTime() - CODE_WINDOW_MS));
        if (sent.length >= CODES_PER_HOUR) {
          const retryAfter = Math.max(1, Math.ceil((sent[0]!.getTime() + CODE_WINDOW_MS - now.getTime()) / 1000));
          throw noticeErrors.create(
            'too_many_codes',
            `Five confirmation codes were sent by ${channel === 'email' ? 'e-mail' : 'SMS'} within the hour; try again in ${Math.ceil(retryAfter / 60)} minutes.`,
            { retryAfterSeconds: retryAfter },
            { 'Retry-After': String(retryAfter) },
          );
        }
        await store.recordCodeSend(customerId, channel, now);
        const code = crypto.randomInt(0, 1_000_000).toString().padStart(6, '0');
        await store.upsert({ ...base, confirmedAt: null, codeHash: hashCode(code), codeExpiresAt: new Date(now.getTime() + CODE_TTL_MS), codeAttempts: 0 });
        if (channel === 'email') {
          const t = texts.confirmationCodeEmail(this.config.sender, code);
          await enqueueEmail(trx, { to: want.address, subject: t.subject, body: t.body, template: 'subscription_code' });
        } else {
          await enqueueSms(trx, { to: want.address, body: texts.confirmationCodeSms(this.config.sender, code), template: 'subscription_code' });
        }
      }
      return presentSubscription(await store.forCustomer(customerId), now);
    });
  }

  /** The demo customer's notices, already confirmed (demo data only: real customers confirm a code). */
  async seedConfirmedSubscription(customerId: string, channels: { email?: string; phone?: string }): Promise<void> {
    const now = this.clock.now();
    const store = new SubscriptionStore(this.db);
    const base = { customerId, invoiceIssued: true, reminders: true, confirmedAt: now, codeHash: null, codeExpiresAt: null, termsAcceptedAt: now, updatedAt: now };
    if (channels.email) await store.upsert({ ...base, channel: 'email', address: channels.email });
    if (channels.phone) await store.upsert({ ...base, channel: 'sms', address: channels.phone.replace(/\D/g, '') });
  }

  /** Confirms a channel with its code: 5 tries, 15 minutes, compared in constant time. */
  async confirm(customerId: string, channel: Channel, code: string): Promise<SubscriptionView> {
    const now = this.clock.now();
    const outcome = await this.db.transaction(async (trx) => {
      const store = new SubscriptionStore(trx);
      const row: SubscriptionRow | undefined = (await store.forCustomer(customerId, true)).find((r) => r.channel === channel);
      if (!row || row.confirmedAt || !row.codeHash) return { error: 'nothing' as const };
      if ((row.codeExpiresAt?.getTime() ?? 0) <= now.getTime() || row.codeAttempts >= CODE_MAX_TRIES) return { error: 'expired' as const };
      if (!codeMatches(code, row.codeHash)) {
        await store.recordFailedCode(customerId, channel);
        return { error: 'invalid' as const, left: CODE_MAX_TRIES - row.codeAttempts - 1 };
      }
      await store.confirm(customerId, channel, now);
      return { view: presentSubscription(await store.forCustomer(customerId), now) };
    });
    if ('view' in outcome && outcome.view) return outcome.view;
    if (outcome.error === 'nothing') throw noticeErrors.create('nothing_to_confirm', `No ${channel === 'email' ? 'e-mail address' : 'phone number'} is waiting for confirmation.`);
    if (outcome.error === 'expired') {
      throw noticeErrors.create('confirmation_code_expired', 'The code has expired or was tried too many times; save the subscription again to get a new one.');
    }
    const left = outcome.left ?? 0;
    if (left <= 0) {
      throw noticeErrors.create('confirmation_code_expired', 'The code was tried too many times; save the subscription again to get a new one.');
    }
    throw noticeErrors.create('confirmation_code_invalid', `The code does not match; ${left} ${left === 1 ? 'try' : 'tries'} left.`, { attemptsLeft: left });
  }

  // ---- notices ------------------------------------------------------------------------------

  /**
   * Called by the invoices module in the transaction that stores new invoices or corrections (one,
   * or a bulk upload's batch in line order): the notices are queued with them, or not at all. A
   * reader's invoice, handed over on site, gets none. One query finds the batch's recipients.
   */
  async invoicesIssued(trx: Knex.Transaction, invoices: IssuedInvoice[]): Promise<void> {
    const told = invoices.filter((i) => i.issuedBy !== 'reader');
    if (told.length === 0) return;
    const recipients = await new SubscriptionStore(trx).recipientsOf([...new Set(told.map((i) => i.customerId))], 'invoice_issued');
    if (recipients.size === 0) return;
    const now = this.clock.now();
    // An invoice fed after its due date (a backfill, old history) is not "news": reminders speak for it.
    const today = warsawDate(now);
    for (const invoice of told) {
      const facts: texts.InvoiceFacts = { invoiceNumber: invoice.invoiceNumber, kind: invoice.kind, amount: invoice.amount, dueDate: invoice.dueDate };
      const pastDue = invoice.dueDate < today;
      for (const r of recipients.get(invoice.customerId) ?? []) {
        const logId = await logNotice(trx, {
          document: invoice.invoiceNumber,
          notice: 'invoice_issued',
          channel: r.channel,
          customerId: invoice.customerId,
          outcome: pastDue ? 'dropped' : 'queued',
          reason: pastDue ? 'past_due' : null,
          at: now,
        });
        if (!logId || pastDue) continue;
        const outboxId =
          r.channel === 'email'
            ? await enqueueEmail(trx, { to: r.address, template: 'invoice_issued', ...texts.invoiceIssuedEmail(this.config.sender, facts) })
            : await enqueueSms(trx, { to: r.address, template: 'invoice_issued', body: texts.invoiceIssuedSms(this.config.sender, facts), quietAtNight: true });
        await attachOutbox(trx, logId, outboxId);
      }
    }
  }

  /**
   * 30 days before a meter's legalisation ends (or later, if the service was down then): once per
   * meter and end date, in the sending hours.
   */
  async meterLegalisationNotices(source: (from: string, to: string) => Promise<ExpiringMeter[]>): Promise<number> {
    const now = this.clock.now();
    if (!this.reminderWindowOpen(now)) return 0;
    const today = warsawDate(now);
    const to = new Date(`${today}T12:00:00Z`);
    to.setUTCDate(to.getUTCDate() + 30);
    return this.meterLegalisationExpiring(await source(today, to.toISOString().slice(0, 10)));
  }

  /** Queues the legalisation notice for these meters (each once per meter, end date and channel). */
  async meterLegalisationExpiring(meters: ExpiringMeter[]): Promise<number> {
    let queued = 0;
    const now = this.clock.now();
    for (const m of meters) {
      await this.db.transaction(async (trx) => {
        for (const r of await new SubscriptionStore(trx).recipients(m.customerId, 'reminders')) {
          const logId = await logNotice(trx, {
            document: `meter:${m.serialNumber}:${m.legalisationValidUntil}`,
            notice: 'meter_legalisation',
            channel: r.channel,
            customerId: m.customerId,
            outcome: 'queued',
            at: now,
          });
          if (!logId) continue;
          const facts = { serialNumber: m.serialNumber, validUntil: m.legalisationValidUntil };
          const outboxId =
            r.channel === 'email'
              ? await enqueueEmail(trx, { to: r.address, template: 'meter_legalisation', ...texts.meterLegalisationEmail(this.config.sender, facts) })
              : await enqueueSms(trx, { to: r.address, template: 'meter_legalisation', body: texts.meterLegalisationSms(this.config.sender, facts), quietAtNight: true });
          await attachOutbox(trx, logId, outboxId);
          queued += 1;
        }
      });
    }
    return queued;
  }

  /** Whether reminders may go out now: from NOTICE_SEND_HOUR, never 21:00–8:00 (Warsaw). */
  reminderWindowOpen(at: Date = this.clock.now()): boolean {
    const hour = warsawHour(at);
    return hour >= Math.max(this.config.sendHour, DAY_FROM) && hour < NIGHT_FROM;
  }

  /**
   * Queues the day's reminders (and those missed while the service was down, if still true).
   * Safe on several instances at once: the notice log's unique key lets one of them win each
   * (document, notice, channel); a reminder no longer true is logged as dropped with its reason.
   */
  async runReminders(batchSize = 2000): Promise<{ queued: number; dropped: number; skipped?: string }> {
    const now = this.clock.now();
    if (!this.reminderWindowOpen(now)) return { queued: 0, dropped: 0, skipped: 'outside the sending hours' };
    const today = warsawDate(now);
    let queued = 0;
    let dropped = 0;
    let from = '0';
    for (;;) {
      const batch = await reminderCandidates(this.db, today, REMINDER_CATCH_UP_DAYS, batchSize, from);
      if (batch.length === 0) break;
      from = batch.lastInvoiceId ?? from;
      const result = await this.db.transaction((trx) => this.recordReminders(trx, batch, now));
      queued += result.queued;
      dropped += result.dropped;
    }
    if (queued + dropped > 0) this.logger.info({ queued, dropped, today }, 'payment reminders');
    return { queued, dropped };
  }

  private async recordReminders(trx: Knex.Transaction, batch: ReminderCandidate[], now: Date): Promise<{ queued: number; dropped: number }> {
    const decided = batch.map((c) => {
      const outstanding = new Decimal(c.amount).minus(c.paid);
      let reason: string | null = null;
      if (!c.latest) reason = 'superseded';
      else if (outstanding.lte(0)) reason = 'paid';
      else if (c.pendingPayment) reason = 'pending_payment';
      else if (new Decimal(c.availableCredit).gte(outstanding)) reason = 'covered_by_credit';
      return { c, reason, outstanding: outstanding.toFixed(2) };
    });
    // One statement for the batch; rows another instance logged first do not come back.
    // One statement for the batch (arrays, not thousands of bindings); rows another instance logged first do not come back.
    const inserted = (
      await trx.raw<{ rows: Array<{ id: string | number; document: string; notice: string; channel: string; outcome: string }> }>(
        `INSERT INTO notice_log (document, notice, channel, customer_id, outcome, reason, created_at)
         SELECT u.document, u.notice, u.channel, u.customer_id, u.outcome, u.reason, ?
           FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS text[]))
                AS u(document, notice, channel, customer_id, outcome, reason)
         ON CONFLICT (document, notice, channel) DO NOTHING
         RETURNING id, document, notice, channel, outcome`,
        [
          now,
          decided.map((d) => d.c.invoiceNumber),
          decided.map((d) => d.c.notice),
          decided.map((d) => d.c.channel),
          decided.map((d) => d.c.customerId),
          decided.map((d) => (d.reason ? 'dropped' : 'queued')),
          // nulls inside a text[] are fine for PostgreSQL; knex's binding types do not list them.
          decided.map((d) => d.reason) as string[],
        ],
      )
    ).rows;
    const won = new Map(inserted.map((r) => [`${r.document}\u0000${r.notice}\u0000${r.channel}`, String(r.id)]));
    const toSend = decided
      .filter((d) => !d.reason)
      .map((d) => ({ d, logId: won.get(`${d.c.invoiceNumber}\u0000${d.c.notice}\u0000${d.c.channel}`) }))
      .filter((x): x is { d: (typeof decided)[number]; logId: string } => x.logId !== undefined);
    if (toSend.length > 0) {
      // Ids taken first, so each log row learns its message without relying on RETURNING's order.
      const ids = (
        await trx.raw<{ rows: Array<{ id: string }> }>(`SELECT nextval(pg_get_serial_sequence('outbox_messages', 'id'))::text AS id FROM generate_series(1, ?)`, [toSend.length])
      ).rows.map((r) => r.id);
      const rows = toSend.map(({ d }, i) => {
        const facts = { invoiceNumber: d.c.invoiceNumber, kind: d.c.kind, amount: d.c.amount, dueDate: d.c.dueDate, outstanding: d.outstanding };
        if (d.c.channel === 'email') {
          const t = texts.reminderEmail(this.config.sender, d.c.notice, facts);
          return { id: ids[i], channel: 'email', recipient: d.c.address, subject: t.subject, body: t.body, template: d.c.notice, quiet_at_night: true };
        }
        return { id: ids[i], channel: 'sms', recipient: d.c.address, subject: null, body: texts.reminderSms(this.config.sender, d.c.notice, facts), template: d.c.notice, quiet_at_night: true };
      });
      await trx.raw(
        `INSERT INTO outbox_messages (id, channel, recipient, subject, body, template, quiet_at_night)
         SELECT u.id, u.channel, u.recipient, u.subject, u.body, u.template, true
           FROM unnest(CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]))
                AS u(id, channel, recipient, subject, body, template)`,
        [rows.map((r) => r.id!), rows.map((r) => r.channel), rows.map((r) => r.recipient), rows.map((r) => r.subject) as string[], rows.map((r) => r.body), rows.map((r) => r.template)],
      );
      await trx.raw(
        `UPDATE notice_log l SET outbox_id = u.outbox_id FROM unnest(CAST(? AS bigint[]), CAST(? AS bigint[])) AS u(log_id, outbox_id) WHERE l.id = u.log_id`,
        [toSend.map((x) => x.logId), ids],
      );
    }
    const droppedCount = inserted.filter((r) => r.outcome === 'dropped').length;
    return { queued: toSend.length, dropped: droppedCount };
  }

  // ---- the outbox ---------------------------------------------------------------------------

  /**
   * Delivers what is due, a batch at a time, until the queue is empty or `budgetMs` is spent.
   * No transaction is open while SMTP or the SMS API is called.
   */
  async deliverDue(options: { batchSize?: number; concurrency?: number; budgetMs?: number } = {}): Promise<DeliveryResult> {
    const batchSize = options.batchSize ?? 50;
    const concurrency = options.concurrency ?? 8;
    const until = Date.now() + (options.budgetMs ?? 20_000);
    const result: DeliveryResult = { sent: 0, retried: 0, failed: 0 };
    while (Date.now() < until) {
      const now = this.clock.now();
      const hour = warsawHour(now);
      const claimed = await this.outbox.claimDue(now, new Date(now.getTime() + LEASE_MS), hour >= DAY_FROM && hour < NIGHT_FROM, batchSize);
      if (claimed.length === 0) break;
      let next = 0;
      const worker = async () => {
        while (next < claimed.length) {
          const message = claimed[next++]!;
          result[await this.deliverOne(message)] += 1;
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, claimed.length) }, worker));
    }
    return result;
  }

  private async deliverOne(message: OutboxRow): Promise<keyof DeliveryResult> {
    const log = this.logger.child({ outboxId: message.id, channel: message.channel, template: message.template });
    try {
      if (message.body === null) throw new DeliveryError('the message has no body', true);
      let delivered;
      if (message.channel === 'email') {
        delivered = await this.transports.email.send({ outboxId: message.id, to: message.recipient, subject: message.subject ?? '', text: message.body });
      } else {
        const sms = prepareSms(message.body);
        delivered = await this.transports.sms.send({ outboxId: message.id, to: message.recipient, text: sms.text });
        delivered.parts ??= sms.parts;
      }
      await this.outbox.markSent(message.id, this.clock.now(), delivered.providerId, delivered.parts ?? null);
      log.debug('message delivered');
      return 'sent';
    } catch (err) {
      const now = this.clock.now();
      const permanent = err instanceof DeliveryError && err.permanent;
      const reason = (err as Error).message.slice(0, 500);
      const first = message.firstAttemptAt ?? now;
      // 30 s, 1, 2, 4 … minutes, at most an hour apart, with jitter so instances do not march together.
      const delay = Math.min(30_000 * 2 ** Math.max(0, message.attempts - 1), 3600_000) * (0.8 + Math.random() * 0.4);
      if (permanent || now.getTime() + delay > first.getTime() + RETRY_WINDOW_MS) {
        await this.outbox.markFailed(message.id, now, permanent ? reason : `gave up after 24 hours: ${reason}`);
        log.warn({ attempts: message.attempts, reason }, 'message failed');
        return 'failed';
      }
      await this.outbox.markRetry(message.id, new Date(now.getTime() + delay), reason);
      log.info({ attempts: message.attempts, reason }, 'message delivery will be retried');
      return 'retried';
    }
  }

  async listOutbox(status: OutboxStatus, limit: number, cursor: string | undefined) {
    const rows = await this.outbox.list(status, limit, cursor);
    return { items: rows.map(presentOutbox), nextCursor: rows.length === limit ? rows[rows.length - 1]!.id : null };
  }

  async retry(id: string) {
    const row = await this.outbox.requeue(id);
    if (row) return presentOutbox(row);
    const existing = await this.outbox.get(id);
    if (!existing) throw noticeErrors.create('outbox_message_not_found', `No message ${id} in the outbox.`);
    throw noticeErrors.create('outbox_message_not_failed', `Message ${id} is ${existing.status}; only a failed message can be tried again.`);
  }
}
