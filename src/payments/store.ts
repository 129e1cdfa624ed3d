import type { Queryable } from '../db/createDb.js';

export type PaymentStatus = 'pending' | 'completed' | 'rejected' | 'expired' | 'failed' | 'amount_mismatch' | 'cancelled';

export const PAYMENT_STATUSES: readonly PaymentStatus[] = ['pending', 'completed', 'rejected', 'expired', 'failed', 'amount_mismatch', 'cancelled'];

export interface PaymentOrder {
  id: string;
  customerId: string;
  idTrans: string;
  amount: string;
  currency: string;
  status: PaymentStatus;
  gatewayStatus: number | null;
  gatewayPaymentId: string | null;
  redirectUrl: string | null;
  title: string;
  dateValid: Date;
  idempotencyKey: string;
  requestHash: string;
  failureCode: string | null;
  failureMessage: string | null;
  notifiedAmount: string | null;
  notifiedCurrency: string | null;
  paidAt: Date | null;
  settlementDate: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface OrderInvoice {
  invoiceId: string;
  invoiceNumber: string;
  amount: string;
  dueDate: string;
}

export interface HistoryEntry {
  fromStatus: PaymentStatus | null;
  toStatus: PaymentStatus;
  gatewayStatus: number | null;
  cause: string;
  eventId: string | null;
  details: Record<string, unknown>;
  at: Date;
}

/** A payment_orders row as the driver returns it. */
interface PaymentOrderRow {
  id: string;
  customer_id: string | number;
  id_trans: string;
  amount: string | number;
  currency: string;
  status: PaymentStatus;
  gateway_status: number | null;
  gateway_payment_id: string | null;
  redirect_url: string | null;
  title: string;
  date_valid: Date;
  idempotency_key: string;
  request_hash: string;
  failure_code: string | null;
  failure_message: string | null;
  notified_amount: string | number | null;
  notified_currency: string | null;
  paid_at: Date | null;
  settlement_date: string | null;
  created_at: Date;
  updated_at: Date;
}

function mapOrder(r: PaymentOrderRow): PaymentOrder {
  return {
    id: r.id,
    customerId: String(r.customer_id),
    idTrans: String(r.id_trans).trim(),
    amount: String(r.amount),
    currency: String(r.currency).trim(),
    status: r.status,
    gatewayStatus: r.gateway_status,
    gatewayPaymentId: r.gateway_payment_id,
    redirectUrl: r.redirect_url,
    title: r.title,
    dateValid: r.date_valid,
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    failureCode: r.failure_code,
    failureMessage: r.failure_message,
    notifiedAmount: r.notified_amount === null ? null : String(r.notified_amount),
    notifiedCurrency: r.notified_currency === null ? null : String(r.notified_currency).trim(),
    paidAt: r.paid_at,
    settlementDate: r.settlement_date,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The columns `transition` may set (field names come from code, never from a request). */
const ORDER_COLUMNS: ReadonlySet<string> = new Set([
  'status',
  'gateway_status',
  'gateway_payment_id',
  'redirect_url',
  'failure_code',
  'failure_message',
  'notified_amount',
  'notified_currency',
  'paid_at',
  'settlement_date',
  'updated_at',
]);

export class PaymentStore {
  constructor(private readonly db: Queryable) {}

  /**
   * A new pending order with its invoices and its first history entry, in one statement; the
   * id_trans comes from the sequence (10 digits, zero-padded). Answers the id_trans.
   */
  async insertOrder(order: {
    id: string;
    customerId: string;
    amount: string;
    title: string;
    dateValid: Date;
    idempotencyKey: string;
    requestHash: string;
    invoices: { invoiceId: string; amount: string }[];
    history: { cause: string; details: Record<string, unknown> };
    now: Date;
  }): Promise<string> {
    const { rows } = await this.db.raw<{ rows: { id_trans: string }[] }>(
      `WITH o AS (
         INSERT INTO payment_orders (id, customer_id, id_trans, amount, currency, status, title, date_valid, idempotency_key, request_hash, created_at, updated_at)
         VALUES (?, ?, lpad(nextval('payment_id_trans_seq')::text, 10, '0'), ?, 'PLN', 'pending', ?, ?, ?, ?, ?, ?)
         RETURNING id, id_trans),
       i AS (INSERT INTO payment_order_invoices (order_id, invoice_id, amount, active)
             SELECT o.id, x.invoice_id, x.amount, true FROM o, unnest(?::bigint[], ?::numeric[]) AS x(invoice_id, amount)),
       h AS (INSERT INTO payment_history (order_id, from_status, to_status, gateway_status, cause, event_id, details, created_at)
             SELECT o.id, NULL, 'pending', NULL, ?::text, NULL, ?::jsonb, ?::timestamptz FROM o)
       SELECT id_trans FROM o`,
      [
        order.id,
        order.customerId,
        order.amount,
        order.title,
        order.dateValid,
        order.idempotencyKey,
        order.requestHash,
        order.now,
        order.now,
        order.invoices.map((i) => i.invoiceId),
        order.invoices.map((i) => i.amount),
        order.history.cause,
        JSON.stringify(order.history.details),
        order.now,
      ],
    );
    return String(rows[0]!.id_trans).trim();
  }

  /**
   * What an order being made must know besides the ledger, in one statement: whether the customer
   * has an order with this Idempotency-Key, which of these invoices are in a pending order right
   * now, and the customer's e-mail (sent to the gateway).
   */
  async orderContext(customerId: string, key: string, invoiceIds: string[]): Promise<{ keyTaken: boolean; held: Set<string>; email: string | null }> {
    const { rows } = await this.db.raw<{ rows: { kind: string; ref: string | null }[] }>(
      `SELECT 'key' AS kind, id::text AS ref FROM payment_orders WHERE customer_id = ? AND idempotency_key = ?
       UNION ALL
       SELECT 'held', invoice_id::text FROM payment_order_invoices WHERE invoice_id = ANY(?::bigint[]) AND active
       UNION ALL
       SELECT 'email', email FROM customers WHERE id = ?`,
      [customerId, key, invoiceIds, customerId],
    );
    return {
      keyTaken: rows.some((r) => r.kind === 'key'),
      held: new Set(rows.filter((r) => r.kind === 'held').map((r) => r.ref!)),
      email: rows.find((r) => r.kind === 'email')?.ref ?? null,
    };
  }

  /**
   * The gateway's ids of a registered order and the history entry, in one statement (the order's
   * row is locked by the update); the status stays whatever it is now. Answers the order after.
   */
  async recordRegistration(id: string, registered: { paymentId: string; redirectUrl: string; gatewayStatus: number }, now: Date): Promise<PaymentOrder | undefined> {
    const { rows } = await this.db.raw<{ rows: PaymentOrderRow[] }>(
      `WITH u AS (UPDATE payment_orders SET gateway_payment_id = ?, redirect_url = ?, updated_at = ? WHERE id = ? RETURNING *),
       h AS (INSERT INTO payment_history (order_id, from_status, to_status, gateway_status, cause, event_id, details, created_at)
             SELECT u.id, u.status, u.status, ?::integer, 'registered', NULL, ?::jsonb, ?::timestamptz FROM u)
       SELECT * FROM u`,
      [registered.paymentId, registered.redirectUrl, now, id, registered.gatewayStatus, JSON.stringify({ paymentId: registered.paymentId }), now],
    );
    return rows[0] ? mapOrder(rows[0]) : undefined;
  }

  /** Ends the order's hold on its invoices; answers the ids of all of its invoices. */
  async releaseInvoices(orderId: string): Promise<string[]> {
    const rows = await this.db('payment_order_invoices').where({ order_id: orderId }).update({ active: false }, ['invoice_id']);
    return (rows as { invoice_id: string }[]).map((r) => String(r.invoice_id));
  }

  async byId(id: string, forUpdate = false): Promise<PaymentOrder | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const q = this.db('payment_orders').where({ id }).first();
    const row = (await (forUpdate ? q.forUpdate() : q)) as PaymentOrderRow | undefined;
    return row ? mapOrder(row) : undefined;
  }

  async byIdempotencyKey(customerId: string, key: string): Promise<PaymentOrder | undefined> {
    const row = (await this.db('payment_orders').where({ customer_id: customerId, idempotency_key: key }).first()) as PaymentOrderRow | undefined;
    return row ? mapOrder(row) : undefined;
  }

  async invoicesOf(orderId: string): Promise<OrderInvoice[]> {
    const rows = await this.db('payment_order_invoices as poi')
      .join('invoices as i', 'i.id', 'poi.invoice_id')
      .where('poi.order_id', orderId)
      .orderBy([{ column: 'i.due_date' }, { column: 'i.id' }])
      .select<{ invoice_id: string | number; invoice_number: string; amount: string | number; due_date: string }[]>('poi.invoice_id', 'i.invoice_number', 'poi.amount', 'i.due_date');
    return rows.map((r) => ({
      invoiceId: String(r.invoice_id),
      invoiceNumber: r.invoice_number,
      amount: String(r.amount),
      dueDate: r.due_date,
    }));
  }

  /** The orders holding any of these invoices right now, with every invoice each one holds. */
  async activeOrdersOf(invoiceIds: string[]): Promise<Map<string, string[]>> {
    if (invoiceIds.length === 0) return new Map();
    const rows = await this.db('payment_order_invoices')
      .whereIn('order_id', this.db('payment_order_invoices').whereIn('invoice_id', invoiceIds).where({ active: true }).select('order_id'))
      .where({ active: true })
      .select<{ order_id: string; invoice_id: string | number }[]>('order_id', 'invoice_id');
    const out = new Map<string, string[]>();
    for (const r of rows) {
      const list = out.get(String(r.order_id)) ?? [];
      list.push(String(r.invoice_id));
      out.set(String(r.order_id), list);
    }
    return out;
  }

  async pendingByInvoice(customerId: string): Promise<Map<string, string>> {
    const rows = await this.db('payment_order_invoices as poi')
      .join('payment_orders as o', 'o.id', 'poi.order_id')
      .join('invoices as i', 'i.id', 'poi.invoice_id')
      .where({ 'o.customer_id': customerId, 'poi.active': true })
      .select<{ invoice_number: string; id: string }[]>('i.invoice_number', 'o.id');
    return new Map(rows.map((r) => [r.invoice_number, r.id]));
  }

  /**
   * Locks the order of `idTrans` (FOR UPDATE) and, with `event`, records the event id, in one
   * statement. `fresh` is false when the event was processed before (a retry or a concurrent
   * duplicate: ON CONFLICT decides against committed rows, after waiting for an inserting
   * transaction). Also answers the ids of every invoice of the order (fixed at its creation).
   */
  async lockByIdTrans(
    idTrans: string,
    event?: { eventId: string; gatewayStatus: number; at: Date },
  ): Promise<{ order: PaymentOrder | undefined; invoiceIds: string[]; fresh: boolean }> {
    const recordEvent = event
      ? `, e AS (INSERT INTO payment_events (event_id, order_id, id_trans, gateway_status, received_at)
           SELECT ?::text, (SELECT id FROM o), ?::text, ?::integer, ?::timestamptz
           ON CONFLICT (event_id) DO NOTHING RETURNING event_id)`
      : '';
    const fresh = event ? '(SELECT count(*) FROM e)' : '1';
    const { rows } = await this.db.raw<{ rows: (PaymentOrderRow & { invoice_ids: (string | number)[] | null; fresh: string | number })[] }>(
      `WITH o AS (SELECT * FROM payment_orders WHERE id_trans = ? FOR UPDATE)${recordEvent}
       SELECT o.*, ARRAY(SELECT invoice_id FROM payment_order_invoices WHERE order_id = o.id ORDER BY invoice_id) AS invoice_ids,
              ${fresh} AS fresh
         FROM (SELECT 1) AS one LEFT JOIN o ON true`,
      event ? [idTrans, event.eventId, idTrans, event.gatewayStatus, event.at] : [idTrans],
    );
    const row = rows[0]!;
    return {
      order: row.id ? mapOrder(row) : undefined,
      invoiceIds: (row.invoice_ids ?? []).map(String),
      fresh: Number(row.fresh) > 0,
    };
  }

  /**
   * One change of a locked order in one statement: its fields (columns of payment_orders), with
   * `release` the end of its hold on its invoices, and its history entry. Answers the order after.
   */
  async transition(
    id: string,
    change: { fields: Record<string, unknown>; release: boolean; history: Omit<HistoryEntry, 'at'> },
    now: Date,
  ): Promise<PaymentOrder> {
    const fields = { ...change.fields, updated_at: now };
    const columns = Object.keys(fields);
    for (const c of columns) if (!ORDER_COLUMNS.has(c)) throw new Error(`payment_orders has no column ${c}`);
    const h = change.history;
    const release = change.release ? ', r AS (UPDATE payment_order_invoices SET active = false WHERE order_id = ? AND active)' : '';
    const { rows } = await this.db.raw<{ rows: PaymentOrderRow[] }>(
      `WITH u AS (UPDATE payment_orders SET ${columns.map((c) => `"${c}" = ?`).join(', ')} WHERE id = ? RETURNING *)${release},
       h AS (INSERT INTO payment_history (order_id, from_status, to_status, gateway_status, cause, event_id, details, created_at)
             SELECT u.id, ?::text, ?::text, ?::integer, ?::text, ?::text, ?::jsonb, ?::timestamptz FROM u)
       SELECT * FROM u`,
      [
        ...columns.map((c) => fields[c as keyof typeof fields]),
        id,
        ...(change.release ? [id] : []),
        h.fromStatus,
        h.toStatus,
        h.gatewayStatus,
        h.cause,
        h.eventId,
        JSON.stringify(h.details),
        now,
      ],
    );
    if (!rows[0]) throw new Error(`order ${id} vanished`);
    return mapOrder(rows[0]);
  }

  async update(id: string, fields: Record<string, unknown>, now: Date): Promise<void> {
    await this.db('payment_orders').where({ id }).update({ ...fields, updated_at: now });
  }

  async appendHistory(orderId: string, entry: Omit<HistoryEntry, 'at'>, at: Date): Promise<void> {
    await this.db('payment_history').insert({
      order_id: orderId,
      from_status: entry.fromStatus,
      to_status: entry.toStatus,
      gateway_status: entry.gatewayStatus,
      cause: entry.cause,
      event_id: entry.eventId,
      details: JSON.stringify(entry.details),
      created_at: at,
    });
  }

  async history(orderId: string): Promise<HistoryEntry[]> {
    const rows = (await this.db('payment_history').where({ order_id: orderId }).orderBy('id')) as {
      from_status: PaymentStatus | null;
      to_status: PaymentStatus;
      gateway_status: number | null;
      cause: string;
      event_id: string | null;
      details: Record<string, unknown>;
      created_at: Date;
    }[];
    return rows.map((r) => ({
      fromStatus: r.from_status,
      toStatus: r.to_status,
      gatewayStatus: r.gateway_status,
      cause: r.cause,
      eventId: r.event_id,
      details: r.details,
      at: r.created_at,
    }));
  }

  /**
   * Claims up to `limit` pending orders past their validity for one sweep run: a lease that other
   * instances skip (SKIP LOCKED while claiming, then the lease time), so no order is asked twice.
   */
  async claimOverdue(before: Date, leaseUntil: Date, now: Date, limit: number): Promise<PaymentOrder[]> {
    const { rows } = await this.db.raw<{ rows: PaymentOrderRow[] }>(
      `UPDATE payment_orders SET sweep_claimed_until = ?
        WHERE id IN (
          SELECT id FROM payment_orders
           WHERE status = 'pending' AND date_valid < ?
             AND (sweep_claimed_until IS NULL OR sweep_claimed_until < ?)
           ORDER BY date_valid
           LIMIT ?
           FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [leaseUntil, before, now, limit],
    );
    return rows.map(mapOrder);
  }

  async listByStatus(status: PaymentStatus, limit = 500): Promise<PaymentOrder[]> {
    const rows = await this.db('payment_orders').where({ status }).orderBy('updated_at', 'desc').limit(limit);
    return rows.map(mapOrder);
  }
}
