import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { Decimal } from 'decimal.js';
import { warsawDate, type Clock } from '../clock.js';
import { AppError, commonErrors } from '../errors.js';
import {
  GatewayRejectedError,
  GatewayTimeoutError,
  statusKind,
  type GatewayTransactionStatus,
  type RegisterTransactionInput,
  type RegisteredTransaction,
} from '../gateway/index.js';
import { isUniqueViolation } from '../db/errors.js';
import { MAX_AMOUNT, fitsNumeric14x2, formatMoney, sum } from '../money.js';
import { paymentErrors } from './errors.js';
import { PaymentStore, type HistoryEntry, type PaymentOrder, type PaymentStatus } from './store.js';

/** What payments need of the gateway; GatewayClient provides it. */
export interface GatewayPort {
  registerTransaction(input: RegisterTransactionInput): Promise<RegisteredTransaction>;
  getTransactionStatus(paymentId: string): Promise<GatewayTransactionStatus>;
  cancelTransaction(paymentId: string): Promise<GatewayTransactionStatus>;
}

/** What payments need of the ledger (the ledger module's service provides it). */
export interface LedgerPort {
  outstandingForPayment(customerId: string): Promise<{ invoiceId: string; invoiceNumber: string; dueDate: string; outstanding: string }[]>;
  recordCredit(
    trx: Knex.Transaction,
    credit: {
      customerId: string;
      kind: 'payment';
      source: 'gateway';
      sourceRef: string;
      documentNumber: string;
      amount: string;
      receivedOn: string;
      hasInvoiceTarget: boolean;
    },
    targetInvoiceIds: string[],
  ): Promise<{ created: boolean; allocated: { invoiceNumber: string; amount: string }[] }>;
}

/** What payments need of the billing data (the billing module's service provides it). */
export interface BillingPort {
  invoicesByNumbers(db: Knex, customerId: string, numbers: string[]): Promise<{ invoiceNumber: string }[]>;
  customerById(id: string): Promise<{ email?: string | null } | undefined>;
}

export interface PaymentSettings {
  publicUrl: string;
  merchant: { account: string; name: string; postCode: string; city: string; street: string };
  validMinutes: number;
  sweepGraceMinutes: number;
  /** At most one gateway status query per order this often from the return page (default 5 s). */
  returnPageQueryIntervalMs?: number;
}

export type StatusCause = 'notification' | 'status_query' | 'return_page' | 'sweep' | 'reconciliation' | 'cancel';

/**
 * States decided by the gateway never change. `failed` (our own verdict) and `cancelled` (the
 * customer's) yield to a completion all the same: money that came is credited, never lost.
 */
const GATEWAY_FINAL: ReadonlySet<PaymentStatus> = new Set(['completed', 'rejected', 'expired', 'amount_mismatch']);
const YIELDS_TO_COMPLETION: ReadonlySet<PaymentStatus> = new Set(['failed', 'cancelled']);

/** How many applied notification events an instance remembers (repeats of older ones ask the database). */
const RECENT_EVENTS = 10_000;

/** A pending order is offered again only while the customer still has this long to pay it. */
const RESUME_MARGIN_MS = 60_000;

export interface PaymentView {
  id: string;
  idTrans: string;
  amount: string;
  currency: string;
  status: PaymentStatus;
  redirectUrl: string | null;
  invoiceNumbers: string[];
  createdAt: string;
  dateValid: string;
  paidAt: string | null;
  settlementDate: string | null;
}

/** The answer to POST /api/payments: `created` false when a pending order was resumed (200). */
export interface OrderResult {
  view: PaymentView;
  created: boolean;
}

/** What the return page may show: the status to anyone with the link, details to the payer only. */
export interface ReturnView {
  orderId: string;
  status: PaymentStatus;
  details?: { amount: string; currency: string; invoiceNumbers: string[]; idTrans: string };
}

function requestHash(invoiceNumbers: string[] | undefined): string {
  const normalised = invoiceNumbers ? [...new Set(invoiceNumbers)].sort() : null;
  return createHash('sha256').update(JSON.stringify({ invoiceNumbers: normalised })).digest('hex');
}

/** The transfer title: the invoice numbers, within the 140 characters the gateway allows. */
export function transferTitle(invoiceNumbers: string[]): string {
  const head = invoiceNumbers.length === 1 ? 'Zapłata za fakturę ' : 'Zapłata za faktury ';
  let title = head;
  for (const [i, n] of invoiceNumbers.entries()) {
    const rest = invoiceNumbers.length - i - 1;
    const piece = (i === 0 ? '' : ', ') + n;
    const tail = rest > 0 ? ` i ${rest} innych` : '';
    if ((title + piece + tail).length > 140) return `${title} i ${invoiceNumbers.length - i} innych`.slice(0, 140);
    title += piece;
  }
  return title;
}

/**
 * Payment orders and their life: priced from the ledger, registered at the gateway outside any
 * database transaction, settled by signed notifications, status queries, cancellation and the
 * sweep. A completion is credited to the ledger in the same transaction that records it, once.
 */
export class PaymentService {
  /** orderId → when the return page last asked the gateway about it (this instance). */
  private readonly returnQueries = new Map<string, number>();
  /** Notification events this instance is applying now: a concurrent repeat waits for the first. */
  private readonly eventsInFlight = new Map<string, Promise<unknown>>();
  /** Notification events this instance applied (committed) lately, oldest first, at most RECENT_EVENTS. */
  private readonly eventsApplied = new Set<string>();

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly ledger: LedgerPort,
    private readonly billing: BillingPort,
    private readonly gateway: GatewayPort,
    private readonly settings: PaymentSettings,
    private readonly logger: Logger,
  ) {}

  async view(order: PaymentOrder): Promise<PaymentView> {
    const invoices = await new PaymentStore(this.db).invoicesOf(order.id);
    return this.presentOrder(order, invoices.map((i) => i.invoiceNumber));
  }

  private presentOrder(order: PaymentOrder, invoiceNumbers: string[]): PaymentView {
    return {
      id: order.id,
      idTrans: order.idTrans,
      amount: formatMoney(order.amount),
      currency: order.currency,
      status: order.status,
      redirectUrl: order.redirectUrl,
      invoiceNumbers,
      createdAt: order.createdAt.toISOString(),
      dateValid: order.dateValid.toISOString(),
      paidAt: order.paidAt ? order.paidAt.toISOString() : null,
      settlementDate: order.settlementDate,
    };
  }

  async history(order: PaymentOrder): Promise<HistoryEntry[]> {
    return new PaymentStore(this.db).history(order.id);
  }

  /** The customer's order with its history (GET /api/payments/{id}). */
  async details(customerId: string, id: string): Promise<{ view: PaymentView; history: HistoryEntry[] }> {
    const order = await this.orderOf(customerId, id);
    return { view: await this.view(order), history: await this.history(order) };
  }

  /**
   * POST /api/payments. A new order (created), the order this key made before, or, when exactly
   * the invoices of a pending order that is still valid are asked for, that order (resumed).
   */
  async createOrder(customerId: string, idempotencyKey: string, invoiceNumbers: string[] | undefined): Promise<OrderResult> {
    const hash = requestHash(invoiceNumbers);
    const now = this.clock.now();
    const orderId = randomUUID();
    const store = new PaymentStore(this.db);
    // Three statements and no transaction: two reads, then one insert that writes the order, its
    // invoices and its history at once. What the reads decide, the insert's constraints guard: a
    // key taken meanwhile (unique per customer) is answered by replay, an invoice held meanwhile
    // (one pending order per invoice) is a 409. An order priced just before a credit commits is
    // the same as one made just before that credit came: what is paid beyond the outstanding
    // amount stays on the account as an overpayment, never lost.
    const outstanding = await this.ledger.outstandingForPayment(customerId);
    const { keyTaken, held, email } = await store.orderContext(customerId, idempotencyKey, outstanding.map((o) => o.invoiceId));
    if (keyTaken) {
      const again = await this.replay(customerId, idempotencyKey, hash);
      if (again) return { view: again, created: true };
    }
    let chosen = outstanding;
    if (invoiceNumbers && invoiceNumbers.length > 0) {
      const wanted = [...new Set(invoiceNumbers)];
      const owed = new Map(outstanding.map((o) => [o.invoiceNumber, o]));
      // Every outstanding charge is the customer's own: the billing data is asked only about the rest.
      if (wanted.some((n) => !owed.has(n))) {
        const own = await this.billing.invoicesByNumbers(this.db, customerId, wanted);
        const ownNumbers = new Set(own.map((i) => i.invoiceNumber));
        const missing = wanted.find((n) => !ownNumbers.has(n));
        if (missing) throw commonErrors.create('not_found', `No invoice ${missing} on your account.`);
        const settled = wanted.find((n) => !owed.has(n))!;
        throw paymentErrors.create('invoice_not_payable', `Invoice ${settled} has nothing left to pay.`, { invoiceNumber: settled });
      }
      chosen = wanted.map((n) => owed.get(n)!).sort((a, b) => (a.dueDate === b.dueDate ? 0 : a.dueDate < b.dueDate ? -1 : 1));
      const busyOne = chosen.find((c) => held.has(c.invoiceId));
      if (busyOne) {
        const resumed = await this.resume(store, chosen, now);
        if (resumed) return resumed;
        throw pendingConflict(busyOne.invoiceNumber);
      }
    } else {
      const free = chosen.filter((c) => !held.has(c.invoiceId));
      if (free.length === 0) {
        const resumed = chosen.length > 0 ? await this.resume(store, chosen, now) : undefined;
        if (resumed) return resumed;
        throw paymentErrors.create('nothing_to_pay', 'There is no outstanding invoice to pay (or every one is already in a pending payment).');
      }
      chosen = free;
    }
    const total = sum(chosen.map((c) => c.outstanding));
    if (!fitsNumeric14x2(total)) {
      throw paymentErrors.create(
        'payment_amount_too_large',
        `These invoices add up to ${formatMoney(total)} PLN, more than one payment can carry (${formatMoney(MAX_AMOUNT)}); pay them separately.`,
      );
    }
    const amount = formatMoney(total);
    const numbers = chosen.map((c) => c.invoiceNumber);
    const title = transferTitle(numbers);
    const dateValid = new Date(now.getTime() + this.settings.validMinutes * 60_000);
    let idTrans: string;
    try {
      idTrans = await store.insertOrder({
        id: orderId,
        customerId,
        amount,
        title,
        dateValid,
        idempotencyKey,
        requestHash: hash,
        invoices: chosen.map((c) => ({ invoiceId: c.invoiceId, amount: c.outstanding })),
        history: { cause: 'created', details: { amount, invoiceNumbers: numbers } },
        now,
      });
    } catch (err) {
      if (isUniqueViolation(err, 'payment_orders_customer_id_idempotency_key_unique')) {
        const again = await this.replay(customerId, idempotencyKey, hash);
        if (again) return { view: again, created: true };
      }
      if (isUniqueViolation(err, 'payment_order_invoices_one_pending')) throw pendingConflict();
      throw err;
    }
    // The order of invoicesOf (due date, then id): what a later GET shows.
    const shown = [...chosen].sort((a, b) => (a.dueDate !== b.dueDate ? (a.dueDate < b.dueDate ? -1 : 1) : compareIds(a.invoiceId, b.invoiceId))).map((c) => c.invoiceNumber);
    const created = { idTrans, amount, title, dateValid, shown, email };

    // The order is committed; the gateway is called with no transaction open, and its answer is
    // recorded in one statement.
    const base = this.settings.publicUrl;
    const m = this.settings.merchant;
    let registered: RegisteredTransaction;
    try {
      registered = await this.gateway.registerTransaction({
        idTrans: created.idTrans,
        amount: created.amount,
        currency: 'PLN',
        dateValid: created.dateValid,
        ...(created.email ? { email: created.email } : {}),
        account: m.account,
        accname: `${m.name}^NM^${m.postCode}^ZP^${m.city}^CI^${m.street}^ST^Polska^CT^`,
        title: created.title,
        backpage: `${base}/payments/${orderId}/return`,
        backpagereject: `${base}/payments/${orderId}/return`,
        notifyUrl: `${base}/api/gateway/paybynet/notify`,
      });
    } catch (err) {
      const failure = gatewayFailure(err, 'The payment gateway refused the payment order. Nothing was charged; please try again later.');
      this.logger.warn({ orderId, idTrans: created.idTrans, err: (err as Error).message }, 'gateway registration failed');
      await this.markFailed(orderId, failure.code, failure.message);
      throw paymentErrors.create(failure.code, failure.message, { paymentId: orderId });
    }
    // Registered: a notification may already have moved the order on; only the gateway's ids are added.
    const order = await new PaymentStore(this.db).recordRegistration(
      orderId,
      { paymentId: registered.paymentId, redirectUrl: registered.redirectUrl, gatewayStatus: registered.status },
      this.clock.now(),
    );
    if (!order) throw new Error(`order ${orderId} vanished`);
    return { view: this.presentOrder(order, created.shown), created: true };
  }

  /**
   * The pending order holding exactly these invoices, when the customer can still pay it at the
   * bank page for the same amount; undefined otherwise (then the 409 stands).
   */
  private async resume(store: PaymentStore, chosen: { invoiceId: string; outstanding: string }[], now: Date): Promise<OrderResult | undefined> {
    const holders = await store.activeOrdersOf(chosen.map((c) => c.invoiceId));
    if (holders.size !== 1) return undefined;
    const [orderId, held] = [...holders.entries()][0]!;
    const wanted = new Set(chosen.map((c) => c.invoiceId));
    if (held.length !== wanted.size || !held.every((id) => wanted.has(id))) return undefined;
    const order = await store.byId(orderId);
    if (!order || order.status !== 'pending' || !order.redirectUrl) return undefined;
    if (order.dateValid.getTime() - now.getTime() < RESUME_MARGIN_MS) return undefined;
    if (!sum(chosen.map((c) => c.outstanding)).eq(order.amount)) return undefined;
    this.logger.info({ orderId: order.id }, 'pending payment resumed');
    return { view: await this.view(order), created: false };
  }

  /** The answer for a key seen before: the same order, or 422 when the body differs. */
  private async replay(customerId: string, key: string, hash: string): Promise<PaymentView | undefined> {
    const store = new PaymentStore(this.db);
    // Up to ~6 s: the first request may still be waiting for the gateway (5 s timeout).
    for (let i = 0; i < 60; i++) {
      const existing = await store.byIdempotencyKey(customerId, key);
      if (!existing) return undefined;
      if (existing.requestHash !== hash) {
        throw paymentErrors.create('idempotency_key_reused', 'This Idempotency-Key was used with another request body; use a new key for a new payment.');
      }
      if (existing.status === 'failed' && existing.failureCode) {
        const code = existing.failureCode === 'gateway_timeout' ? 'gateway_timeout' : 'gateway_unavailable';
        throw paymentErrors.create(code, existing.failureMessage ?? 'The payment gateway failed.', { paymentId: existing.id });
      }
      if (existing.redirectUrl || existing.status !== 'pending') return this.view(existing);
      await new Promise((r) => setTimeout(r, 100)); // the first request is still talking to the gateway
    }
    throw paymentErrors.create('request_in_progress', 'A request with this Idempotency-Key is still being processed; retry shortly.');
  }

  private async markFailed(orderId: string, code: string, message: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const store = new PaymentStore(trx);
      const order = await store.byId(orderId, true);
      if (!order || order.status !== 'pending') return; // a notification got there first
      const now = this.clock.now();
      await store.update(orderId, { status: 'failed', failure_code: code, failure_message: message }, now);
      await store.releaseInvoices(orderId);
      await store.appendHistory(orderId, { fromStatus: 'pending', toStatus: 'failed', gatewayStatus: null, cause: 'gateway_error', eventId: null, details: { code } }, now);
    });
  }

  /** The customer's order, or 404 (another customer's order is as unknown as a missing one). */
  async orderOf(customerId: string, id: string): Promise<PaymentOrder> {
    const order = await new PaymentStore(this.db).byId(id);
    if (!order || order.customerId !== customerId) throw commonErrors.create('not_found', `No payment ${id} on your account.`);
    return order;
  }

  async orderById(id: string): Promise<PaymentOrder | undefined> {
    return new PaymentStore(this.db).byId(id);
  }

  /**
   * POST /api/payments/{id}/cancel (SPEC 3.6, 4.4): the gateway is asked to cancel; its answer
   * decides. 2202: the order is cancelled and its invoices are free. 2203: the money had come,
   * so it is credited as a completion (once, whichever of this and the notification is first).
   */
  async cancel(customerId: string, id: string): Promise<PaymentView> {
    const order = await this.orderOf(customerId, id);
    if (order.status === 'cancelled') return this.view(order);
    if (order.status !== 'pending') {
      throw paymentErrors.create('payment_not_cancellable', `Payment ${id} is already ${order.status}; it cannot be cancelled.`, { status: order.status });
    }
    if (!order.gatewayPaymentId) {
      throw paymentErrors.create('request_in_progress', 'This payment is still being registered at the gateway; retry shortly.');
    }
    let status: GatewayTransactionStatus;
    try {
      status = await this.gateway.cancelTransaction(order.gatewayPaymentId);
    } catch (err) {
      this.logger.warn({ orderId: order.id, err: (err as Error).message }, 'gateway cancellation failed');
      const failure = gatewayFailure(err, 'The payment gateway refused to cancel the payment. Nothing changed; please try again later.');
      throw paymentErrors.create(failure.code, failure.message, { paymentId: order.id });
    }
    if (status.idTrans !== order.idTrans) {
      this.logger.warn({ orderId: order.id }, 'cancel answer names another id_trans; ignored');
      throw paymentErrors.create('gateway_unavailable', 'The payment gateway answered about another payment. Nothing changed; please try again later.', { paymentId: order.id });
    }
    const after = (await this.applyGatewayStatus(status, 'cancel')) ?? order;
    return this.view(after);
  }

  /**
   * What the page the gateway sends the browser back to shows. Never trusts the request: while
   * the order is pending it asks the gateway, at most once per order per 5 s however often the
   * page is viewed. Amount, invoices and transaction number only for the order's own customer.
   */
  async returnView(orderId: string, customerId: string | undefined): Promise<ReturnView | undefined> {
    let order = await this.orderById(orderId);
    if (!order) return undefined;
    if (order.status === 'pending' && this.mayQueryForReturnPage(order.id)) {
      try {
        order = await this.refreshFromGateway(order, 'return_page');
      } catch (err) {
        this.logger.warn({ orderId: order.id, err: (err as Error).message }, 'return page: gateway status query failed');
      }
    }
    const view: ReturnView = { orderId: order.id, status: order.status };
    if (customerId !== undefined && customerId === order.customerId) {
      const invoices = await new PaymentStore(this.db).invoicesOf(order.id);
      view.details = {
        amount: formatMoney(order.amount),
        currency: order.currency,
        invoiceNumbers: invoices.map((i) => i.invoiceNumber),
        idTrans: order.idTrans,
      };
    }
    return view;
  }

  private mayQueryForReturnPage(orderId: string): boolean {
    const interval = this.settings.returnPageQueryIntervalMs ?? 5000;
    const now = this.clock.now().getTime();
    const last = this.returnQueries.get(orderId);
    if (last !== undefined && now - last < interval && now >= last) return false;
    if (this.returnQueries.size >= 10_000) {
      // Forget entries past their interval so the map cannot grow without bound.
      for (const [id, at] of this.returnQueries) if (now - at >= interval || now < at) this.returnQueries.delete(id);
    }
    this.returnQueries.set(orderId, now);
    return true;
  }

  /**
   * A verified notification (SPEC 3.3): applied once, answered only once its effect is committed.
   * A repeat of an event this instance is applying right now waits for that one instead of taking
   * a database connection only to wait for the order's lock and find the event recorded; a repeat
   * of an event it committed lately is answered at once. Should the first attempt fail, the repeat
   * applies the event itself. Across instances the database decides (applyGatewayStatus).
   */
  async applyNotification(status: GatewayTransactionStatus, eventId: string): Promise<void> {
    if (this.eventsApplied.has(eventId)) return;
    const running = this.eventsInFlight.get(eventId);
    if (running) {
      try {
        await running;
        return;
      } catch {
        // the first delivery failed: this one applies the event on its own
      }
    }
    const run = this.applyGatewayStatus(status, 'notification', eventId);
    this.eventsInFlight.set(eventId, run);
    try {
      await run;
      this.eventsApplied.add(eventId);
      if (this.eventsApplied.size > RECENT_EVENTS) this.eventsApplied.delete(this.eventsApplied.values().next().value!);
    } finally {
      if (this.eventsInFlight.get(eventId) === run) this.eventsInFlight.delete(eventId);
    }
  }

  /**
   * Applies what the gateway says of a transaction. Idempotent: an event id is processed once,
   * gateway-decided final states never change, and the ledger credit is unique per id_trans.
   * Answers the order after the change (undefined for a transaction that is not ours).
   */
  async applyGatewayStatus(status: GatewayTransactionStatus, cause: StatusCause, eventId?: string): Promise<PaymentOrder | undefined> {
    return this.db.transaction(async (trx) => {
      const store = new PaymentStore(trx);
      const now = this.clock.now();
      // The order is locked and the event recorded in one statement.
      const { order, invoiceIds, fresh } = await store.lockByIdTrans(
        status.idTrans,
        eventId ? { eventId, gatewayStatus: status.status, at: now } : undefined,
      );
      if (!fresh) return order; // a retry or a concurrent duplicate of an event already applied
      if (!order) {
        this.logger.warn({ idTrans: status.idTrans, paymentId: status.paymentId }, 'gateway status for an unknown transaction');
        return undefined;
      }
      const entry = (to: PaymentStatus, details: Record<string, unknown> = {}) => ({
        fromStatus: order.status,
        toStatus: to,
        gatewayStatus: status.status,
        cause,
        eventId: eventId ?? null,
        details,
      });
      if (order.gatewayPaymentId && order.gatewayPaymentId !== status.paymentId) {
        this.logger.warn({ orderId: order.id, paymentId: status.paymentId }, 'gateway status names another paymentId; ignored');
        await store.appendHistory(order.id, entry(order.status, { ignored: 'payment_id_mismatch', paymentId: status.paymentId }), now);
        return order;
      }
      const kind = statusKind(status.status);

      if (GATEWAY_FINAL.has(order.status) || (YIELDS_TO_COMPLETION.has(order.status) && kind !== 'completed')) {
        if (!(order.status === 'completed' && kind === 'completed')) {
          await store.appendHistory(order.id, entry(order.status, { ignored: `order already ${order.status}` }), now);
        }
        return order;
      }
      const paymentIdFields = order.gatewayPaymentId ? {} : { gateway_payment_id: status.paymentId };
      if (kind === 'pending') {
        if (order.gatewayStatus === status.status) return order;
        return store.transition(order.id, { fields: { gateway_status: status.status, ...paymentIdFields }, release: false, history: entry(order.status) }, now);
      }
      if (kind === 'rejected' || kind === 'expired') {
        // A rejection in answer to our own cancel request is the customer's cancellation.
        const to: PaymentStatus = kind === 'rejected' && cause === 'cancel' ? 'cancelled' : kind;
        return store.transition(order.id, { fields: { status: to, gateway_status: status.status, ...paymentIdFields }, release: true, history: entry(to) }, now);
      }
      // Completed: credited only when amount and currency are what was registered.
      const matches = status.currency === order.currency && new Decimal(status.amount).eq(order.amount);
      const paidAt = status.paidAt ?? now;
      const settlementDate = status.settlementDate ?? warsawDate(paidAt);
      const fields = {
        gateway_status: status.status,
        notified_amount: status.amount,
        notified_currency: status.currency.slice(0, 3),
        paid_at: paidAt,
        settlement_date: settlementDate,
        ...paymentIdFields,
      };
      if (!matches) {
        this.logger.warn({ orderId: order.id, idTrans: order.idTrans }, 'amount mismatch: payment flagged for accounting, not credited');
        return store.transition(
          order.id,
          {
            fields: { status: 'amount_mismatch', ...fields },
            release: true,
            history: entry('amount_mismatch', { expected: formatMoney(order.amount), notified: status.amount, currency: status.currency }),
          },
          now,
        );
      }
      // The credit first (it needs only the order's invoices), then the order's change in one statement.
      const credit = await this.ledger.recordCredit(
        trx,
        {
          customerId: order.customerId,
          kind: 'payment',
          source: 'gateway',
          sourceRef: order.idTrans,
          documentNumber: `PBN/${order.idTrans}`,
          amount: formatMoney(order.amount),
          receivedOn: warsawDate(paidAt),
          hasInvoiceTarget: true,
        },
        invoiceIds,
      );
      return store.transition(
        order.id,
        { fields: { status: 'completed', ...fields }, release: true, history: entry('completed', { credited: credit.created, allocated: credit.allocated }) },
        now,
      );
    });
  }

  /** Asks the gateway about an order still pending (or failed locally) and applies the answer. */
  async refreshFromGateway(order: PaymentOrder, cause: StatusCause): Promise<PaymentOrder> {
    if (!order.gatewayPaymentId || (order.status !== 'pending' && order.status !== 'failed')) return order;
    const status = await this.gateway.getTransactionStatus(order.gatewayPaymentId);
    if (status.idTrans !== order.idTrans) {
      this.logger.warn({ orderId: order.id }, 'status answer names another id_trans; ignored');
      return order;
    }
    return (await this.applyGatewayStatus(status, cause)) ?? order;
  }

  /**
   * Lost notifications: pending orders past date_valid plus the grace period are asked about.
   * An order never registered at the gateway (no paymentId) is closed as failed: nothing could
   * have been paid for it, and a later completion would still be credited.
   */
  async sweep(limit = 50): Promise<number> {
    const now = this.clock.now();
    const before = new Date(now.getTime() - this.settings.sweepGraceMinutes * 60_000);
    const claimed = await new PaymentStore(this.db).claimOverdue(before, new Date(now.getTime() + 5 * 60_000), now, limit);
    for (const order of claimed) {
      try {
        if (!order.gatewayPaymentId) {
          await this.markFailed(order.id, 'never_registered', 'The order never reached the payment gateway.');
        } else {
          await this.refreshFromGateway(order, 'sweep');
        }
      } catch (err) {
        this.logger.warn({ orderId: order.id, err: (err as Error).message }, 'sweep could not settle an order; will retry');
      }
    }
    return claimed.length;
  }

  async pendingByInvoice(customerId: string): Promise<Map<string, string>> {
    return new PaymentStore(this.db).pendingByInvoice(customerId);
  }

  async flagged(status: PaymentStatus): Promise<PaymentOrder[]> {
    return new PaymentStore(this.db).listByStatus(status);
  }
}

/** Numeric ids as the database orders them (bigint, compared as decimal strings). */
function compareIds(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

function gatewayFailure(err: unknown, refusedMessage: string): { code: 'gateway_timeout' | 'gateway_unavailable'; message: string } {
  if (err instanceof GatewayTimeoutError) {
    return { code: 'gateway_timeout', message: 'The payment gateway did not answer within 5 seconds. Nothing was charged; please try again in a moment.' };
  }
  return {
    code: 'gateway_unavailable',
    message: err instanceof GatewayRejectedError ? refusedMessage : 'The payment gateway is not available right now. Nothing was charged; please try again later.',
  };
}

function pendingConflict(invoiceNumber?: string): AppError {
  return paymentErrors.create(
    'payment_pending',
    invoiceNumber
      ? `Invoice ${invoiceNumber} is already in a pending payment; finish or cancel that one, or order exactly its invoices to continue it.`
      : 'One of these invoices is already in a pending payment.',
    invoiceNumber ? { invoiceNumber } : undefined,
  );
}
