import type { Knex } from 'knex';
import type { Queryable } from '../db/createDb.js';
import { toInt } from '../db/createDb.js';

export type Channel = 'email' | 'sms';
export type OutboxStatus = 'pending' | 'sent' | 'failed';

export interface OutboxRow {
  id: string;
  channel: Channel;
  recipient: string;
  subject: string | null;
  body: string | null;
  template: string;
  status: OutboxStatus;
  attempts: number;
  firstAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  lastError: string | null;
  providerId: string | null;
  parts: number | null;
  createdAt: Date;
  sentAt: Date | null;
  failedAt: Date | null;
}

interface OutboxDbRow {
  id: string | number;
  channel: Channel;
  recipient: string;
  subject: string | null;
  body: string | null;
  template: string;
  status: OutboxStatus;
  attempts: number;
  first_attempt_at: Date | null;
  next_attempt_at: Date | null;
  last_error: string | null;
  provider_id: string | null;
  parts: number | null;
  created_at: Date;
  sent_at: Date | null;
  failed_at: Date | null;
}

function mapOutbox(r: OutboxDbRow): OutboxRow {
  return {
    id: String(r.id),
    channel: r.channel,
    recipient: r.recipient,
    subject: r.subject,
    body: r.body,
    template: r.template,
    status: r.status,
    attempts: toInt(r.attempts),
    firstAttemptAt: r.first_attempt_at,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    providerId: r.provider_id,
    parts: r.parts === null ? null : toInt(r.parts),
    createdAt: r.created_at,
    sentAt: r.sent_at,
    failedAt: r.failed_at,
  };
}

export interface OutboxEmail {
  to: string;
  subject: string;
  /** Erased from the database once delivered (it may hold a one-time password or a code). */
  body: string;
  template: string;
}

export interface OutboxSms {
  to: string;
  body: string;
  template: string;
  /** Notices wait for the day; a code the customer is waiting for does not. */
  quietAtNight?: boolean;
}

/**
 * Messages are written to the outbox in the same transaction as the change they announce, and the
 * delivery worker sends them later: nothing is sent for a change that rolled back.
 */
export async function enqueueEmail(db: Queryable, email: OutboxEmail): Promise<string> {
  const [row] = await db('outbox_messages')
    .insert({ channel: 'email', recipient: email.to, subject: email.subject, body: email.body, template: email.template })
    .returning<Array<{ id: string | number }>>('id');
  return String(row!.id);
}

export async function enqueueSms(db: Queryable, sms: OutboxSms): Promise<string> {
  const [row] = await db('outbox_messages')
    .insert({ channel: 'sms', recipient: sms.to, body: sms.body, template: sms.template, quiet_at_night: sms.quietAtNight ?? false })
    .returning<Array<{ id: string | number }>>('id');
  return String(row!.id);
}

export class OutboxStore {
  constructor(private readonly db: Knex) {}

  /**
   * Takes up to `limit` messages due now for this worker: `SKIP LOCKED` keeps two instances off
   * one row, and the lease (`locked_until`) lets another instance take it over after a crash.
   */
  async claimDue(now: Date, leaseUntil: Date, daytime: boolean, limit: number): Promise<OutboxRow[]> {
    const result = await this.db.raw<{ rows: OutboxDbRow[] }>(
      `UPDATE outbox_messages SET locked_until = ?, attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?)
        WHERE id IN (
          SELECT id FROM outbox_messages
           WHERE status = 'pending'
             AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
             AND (locked_until IS NULL OR locked_until < ?)
             AND (NOT quiet_at_night OR ?)
           ORDER BY next_attempt_at NULLS FIRST, id
           LIMIT ?
           FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [leaseUntil, now, now, now, daytime, limit],
    );
    return result.rows.map(mapOutbox).sort((a, b) => Number(a.id) - Number(b.id));
  }

  /** Delivered: the body (and any secret in it) is erased in the same statement. */
  async markSent(id: string, at: Date, providerId: string, parts: number | null): Promise<void> {
    await this.db('outbox_messages')
      .where({ id, status: 'pending' })
      .update({ status: 'sent', body: null, sent_at: at, provider_id: providerId, parts, locked_until: null, last_error: null });
  }

  async markRetry(id: string, nextAttemptAt: Date, error: string): Promise<void> {
    await this.db('outbox_messages')
      .where({ id, status: 'pending' })
      .update({ next_attempt_at: nextAttemptAt, locked_until: null, last_error: error });
  }

  async markFailed(id: string, at: Date, error: string): Promise<void> {
    await this.db('outbox_messages')
      .where({ id, status: 'pending' })
      .update({ status: 'failed', failed_at: at, locked_until: null, last_error: error });
  }

  async list(status: OutboxStatus, limit: number, beforeId: string | undefined): Promise<OutboxRow[]> {
    const q = this.db<OutboxDbRow>('outbox_messages').where({ status }).orderBy('id', 'desc').limit(limit);
    if (beforeId) q.andWhere('id', '<', beforeId);
    return (await q).map(mapOutbox);
  }

  async get(id: string): Promise<OutboxRow | undefined> {
    const row = await this.db<OutboxDbRow>('outbox_messages').where({ id }).first();
    return row ? mapOutbox(row) : undefined;
  }

  /** A failed message goes back to the queue with a fresh 24-hour window. */
  async requeue(id: string): Promise<OutboxRow | undefined> {
    const [row] = await this.db('outbox_messages')
      .where({ id, status: 'failed' })
      .update({ status: 'pending', attempts: 0, first_attempt_at: null, next_attempt_at: null, failed_at: null, locked_until: null })
      .returning<OutboxDbRow[]>('*');
    return row ? mapOutbox(row) : undefined;
  }
}

export interface SubscriptionRow {
  customerId: string;
  channel: Channel;
  address: string;
  invoiceIssued: boolean;
  reminders: boolean;
  confirmedAt: Date | null;
  codeHash: string | null;
  codeExpiresAt: Date | null;
  codeAttempts: number;
  termsAcceptedAt: Date;
  updatedAt: Date;
}

interface SubscriptionDbRow {
  customer_id: string | number;
  channel: Channel;
  address: string;
  invoice_issued: boolean;
  reminders: boolean;
  confirmed_at: Date | null;
  code_hash: string | null;
  code_expires_at: Date | null;
  code_attempts: number;
  terms_accepted_at: Date;
  updated_at: Date;
}

function mapSubscription(r: SubscriptionDbRow): SubscriptionRow {
  return {
    customerId: String(r.customer_id),
    channel: r.channel,
    address: r.address,
    invoiceIssued: r.invoice_issued,
    reminders: r.reminders,
    confirmedAt: r.confirmed_at,
    codeHash: r.code_hash,
    codeExpiresAt: r.code_expires_at,
    codeAttempts: toInt(r.code_attempts),
    termsAcceptedAt: r.terms_accepted_at,
    updatedAt: r.updated_at,
  };
}

export class SubscriptionStore {
  constructor(private readonly db: Queryable) {}

  async forCustomer(customerId: string, lock = false): Promise<SubscriptionRow[]> {
    const q = this.db<SubscriptionDbRow>('notice_subscriptions').where({ customer_id: customerId }).orderBy('channel');
    if (lock) q.forUpdate();
    return (await q).map(mapSubscription);
  }

  async upsert(row: Omit<SubscriptionRow, 'codeAttempts'> & { codeAttempts?: number }): Promise<void> {
    const values = {
      customer_id: row.customerId,
      channel: row.channel,
      address: row.address,
      invoice_issued: row.invoiceIssued,
      reminders: row.reminders,
      confirmed_at: row.confirmedAt,
      code_hash: row.codeHash,
      code_expires_at: row.codeExpiresAt,
      code_attempts: row.codeAttempts ?? 0,
      terms_accepted_at: row.termsAcceptedAt,
      updated_at: row.updatedAt,
    };
    await this.db('notice_subscriptions').insert(values).onConflict(['customer_id', 'channel']).merge();
  }

  /** Confirmation codes sent to a channel of the customer since `since`, oldest first. */
  async codeSendsSince(customerId: string, channel: Channel, since: Date): Promise<Date[]> {
    const rows = await this.db<{ customer_id: string; channel: string; sent_at: Date }>('notice_code_sends')
      .where({ customer_id: customerId, channel })
      .where('sent_at', '>', since)
      .orderBy('sent_at')
      .select('sent_at');
    return rows.map((r) => new Date(r.sent_at));
  }

  async recordCodeSend(customerId: string, channel: Channel, at: Date): Promise<void> {
    await this.db('notice_code_sends').insert({ customer_id: customerId, channel, sent_at: at });
  }

  async remove(customerId: string, channel: Channel): Promise<void> {
    await this.db('notice_subscriptions').where({ customer_id: customerId, channel }).delete();
  }

  async recordFailedCode(customerId: string, channel: Channel): Promise<void> {
    await this.db('notice_subscriptions').where({ customer_id: customerId, channel }).increment('code_attempts', 1);
  }

  async confirm(customerId: string, channel: Channel, at: Date): Promise<void> {
    await this.db('notice_subscriptions')
      .where({ customer_id: customerId, channel })
      .update({ confirmed_at: at, code_hash: null, code_expires_at: null, code_attempts: 0, updated_at: at });
  }

  /** Confirmed channels of a customer that want this kind of notice. */
  /** The confirmed recipients of these customers who want the notice, by customer (channels in order). */
  async recipientsOf(customerIds: string[], want: 'invoice_issued' | 'reminders'): Promise<Map<string, Array<{ channel: Channel; address: string }>>> {
    const rows = await this.db<{ customer_id: string | number; channel: Channel; address: string }>('notice_subscriptions')
      .whereRaw('customer_id = ANY(?::bigint[])', [customerIds])
      .where({ [want]: true })
      .whereNotNull('confirmed_at')
      .select('customer_id', 'channel', 'address')
      .orderBy(['customer_id', 'channel']);
    const out = new Map<string, Array<{ channel: Channel; address: string }>>();
    for (const r of rows) {
      const key = String(r.customer_id);
      const list = out.get(key) ?? [];
      list.push({ channel: r.channel, address: r.address });
      out.set(key, list);
    }
    return out;
  }

  async recipients(customerId: string, want: 'invoice_issued' | 'reminders'): Promise<Array<{ channel: Channel; address: string }>> {
    return this.db('notice_subscriptions')
      .where({ customer_id: customerId, [want]: true })
      .whereNotNull('confirmed_at')
      .select('channel', 'address')
      .orderBy('channel');
  }
}

/**
 * The notice log: one row per (document, notice, channel), written before the message is queued.
 * Answers false when the row was already there (another instance, an earlier run).
 */
export async function logNotice(
  db: Queryable,
  entry: { document: string; notice: string; channel: Channel; customerId: string; outcome: 'queued' | 'dropped'; reason?: string | null; at: Date },
): Promise<string | null> {
  const rows = await db('notice_log')
    .insert({
      document: entry.document,
      notice: entry.notice,
      channel: entry.channel,
      customer_id: entry.customerId,
      outcome: entry.outcome,
      reason: entry.reason ?? null,
      created_at: entry.at,
    })
    .onConflict(['document', 'notice', 'channel'])
    .ignore()
    .returning<Array<{ id: string | number }>>('id');
  return rows[0] ? String(rows[0].id) : null;
}

export async function attachOutbox(db: Queryable, logId: string, outboxId: string): Promise<void> {
  await db('notice_log').where({ id: logId }).update({ outbox_id: outboxId });
}

/** A reminder the read model found due: the invoice's state as the ledger and the payments see it. */
export interface ReminderCandidate {
  invoiceNumber: string;
  customerId: string;
  kind: 'invoice' | 'correction';
  amount: string;
  dueDate: string;
  notice: 'reminder_before' | 'reminder_due' | 'reminder_after';
  channel: Channel;
  address: string;
  /** The latest of the invoice's reminder moments that have come (earlier ones are superseded). */
  latest: boolean;
  paid: string;
  pendingPayment: boolean;
  availableCredit: string;
}

/**
 * DECLARED READ MODEL (docs/architecture.md): reminders read `invoices`, `ledger_allocations`,
 * `ledger_credits` and `payment_order_invoices`/`payment_orders` in SQL, since deciding for a
 * hundred thousand invoices at once is a set operation. Candidates are invoices with a reminder
 * moment between `today - catchUpDays` and today, on a confirmed channel that wants reminders,
 * not yet in the notice log.
 */
export async function reminderCandidates(db: Queryable, today: string, catchUpDays: number, limit: number, fromInvoiceId = '0'): Promise<ReminderCandidate[] & { lastInvoiceId?: string }> {
  const result = await db.raw<{ rows: Array<Record<string, unknown>> }>(
    `WITH cand AS (
       SELECT i.id, i.invoice_number, i.customer_id, i.kind, i.amount, i.due_date,
              st.notice, st.at, s.channel, s.address,
              CAST(? AS date) AS today
         FROM invoices i
         JOIN notice_subscriptions s ON s.customer_id = i.customer_id AND s.reminders AND s.confirmed_at IS NOT NULL
         CROSS JOIN LATERAL (VALUES ('reminder_before', i.due_date - 3), ('reminder_due', i.due_date), ('reminder_after', i.due_date + 5)) AS st(notice, at)
        WHERE i.amount > 0 AND i.id >= CAST(? AS bigint)
          AND i.due_date BETWEEN CAST(? AS date) - 5 - CAST(? AS integer) AND CAST(? AS date) + 3
          AND st.at <= CAST(? AS date) AND st.at >= CAST(? AS date) - CAST(? AS integer)
          AND NOT EXISTS (SELECT 1 FROM notice_log l WHERE l.document = i.invoice_number AND l.notice = st.notice AND l.channel = s.channel)
        ORDER BY i.id, st.notice, s.channel
        LIMIT ?)
     SELECT c.id AS invoice_id, c.invoice_number, c.customer_id, c.kind, c.amount, to_char(c.due_date, 'YYYY-MM-DD') AS due_date, c.notice, c.channel, c.address,
            (c.notice = CASE WHEN c.today >= c.due_date + 5 THEN 'reminder_after' WHEN c.today >= c.due_date THEN 'reminder_due' ELSE 'reminder_before' END) AS latest,
            COALESCE((SELECT sum(a.amount) FROM ledger_allocations a WHERE a.invoice_id = c.id), 0) AS paid,
            EXISTS (SELECT 1 FROM payment_order_invoices poi JOIN payment_orders o ON o.id = poi.order_id
                     WHERE poi.invoice_id = c.id AND poi.active AND o.status = 'pending') AS pending_payment,
            COALESCE((SELECT sum(cr.amount) - COALESCE((SELECT sum(a2.amount) FROM ledger_allocations a2 JOIN ledger_credits c2 ON c2.id = a2.credit_id WHERE c2.customer_id = c.customer_id), 0)
                        FROM ledger_credits cr WHERE cr.customer_id = c.customer_id), 0) AS available_credit
       FROM cand c`,
    [today, fromInvoiceId, today, catchUpDays, today, today, today, catchUpDays, limit],
  );
  const last = result.rows.at(-1);
  const out: ReminderCandidate[] & { lastInvoiceId?: string } = result.rows.map((r) => ({
    invoiceNumber: String(r.invoice_number),
    customerId: String(r.customer_id),
    kind: r.kind as 'invoice' | 'correction',
    amount: String(r.amount),
    dueDate: String(r.due_date),
    notice: r.notice as ReminderCandidate['notice'],
    channel: r.channel as Channel,
    address: String(r.address),
    latest: Boolean(r.latest),
    paid: String(r.paid),
    pendingPayment: Boolean(r.pending_payment),
    availableCredit: String(r.available_credit),
  }));
  // Keyset: the next batch starts at the last invoice seen (its remaining rows are not logged yet).
  if (last) out.lastInvoiceId = String(last.invoice_id);
  return out;
}
