import { Decimal } from 'decimal.js';
import type { Knex } from 'knex';
import type { DbKind, Queryable } from '../db/createDb.js';
import type { CustomersService } from '../customers/index.js';
import type { LedgerService } from '../ledger/index.js';
import { formatMoney } from '../money.js';
import { issueBulk, type BulkLine, type BulkResult } from './bulkService.js';
import { hashContent } from './documents.js';
import { issueOne } from './issue.js';
import type { InvoiceBody } from './schema.js';
import { InvoiceStore, type Invoice, type InvoiceCursor } from './store.js';

/** Invoices issued before this day have no PDF (SPEC 4.3: the old system kept none). */
export const PDF_AVAILABLE_FROM = '2014-06-01';

export function isPdfAvailable(invoice: Pick<Invoice, 'issueDate'>): boolean {
  return invoice.issueDate >= PDF_AVAILABLE_FROM;
}

export type InvoiceStatus = 'paid' | 'unpaid' | 'overdue' | 'partially_paid' | 'credit';

/** An invoice as its customer sees it: what is paid, outstanding, and in a pending payment. */
export interface InvoiceView extends Invoice {
  paid: string;
  outstanding: string;
  status: InvoiceStatus;
  paymentDate: string | null;
  pendingPaymentId: string | null;
}

/**
 * Called in the transaction that stores NEW invoices or corrections (never for a repeat of one
 * already stored), after the ledger has taken them: one for a single feed request, a batch in
 * line order for a bulk upload. A listener that throws undoes the whole feed
 * request: it records its own work (e.g. a notice to send) in `trx` and calls nothing outside.
 */
export type InvoiceIssuedListener = (trx: Knex.Transaction, invoices: Invoice[]) => Promise<void>;

/** Which invoices of a customer are in a pending payment order (the payments module answers). */
export interface PendingPaymentsSource {
  pendingByInvoice(customerId: string): Promise<Map<string, string>>;
}

function encodeCursor(c: InvoiceCursor): string {
  return Buffer.from(`${c.issueDate}|${c.id}`).toString('base64url');
}

function decodeCursor(cursor: string): InvoiceCursor | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})\|(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return m ? { issueDate: m[1]!, id: m[2]! } : undefined;
}

/**
 * Invoices and corrections as the billing system issues them (immutable once stored), and the
 * customer's view of them with the ledger's figures.
 */
export class InvoicesService {
  private readonly issuedListeners: InvoiceIssuedListener[] = [];
  private pending: PendingPaymentsSource | undefined;

  constructor(
    private readonly db: Knex,
    private readonly customers: CustomersService,
    private readonly ledger: LedgerService,
    private readonly dbKind: DbKind = 'server',
  ) {}

  /**
   * `POST /api/billing/invoices:bulk`: the lines received whole (spooled to a temporary file), then
   * every line issued with the single feed's rules in one transaction (staged, then merged in SQL);
   * the answers come after the commit, one per line.
   */
  async issueBulk(lines: AsyncIterable<BulkLine>): Promise<BulkResult> {
    return issueBulk({ db: this.db, kind: this.dbKind, ledger: this.ledger, listeners: this.issuedListeners }, lines);
  }

  /** Registers work to do in the same transaction whenever a new invoice or correction is stored. */
  onIssued(listener: InvoiceIssuedListener): void {
    this.issuedListeners.push(listener);
  }

  /** Tells the customer's view which invoices are in a pending payment (wired once at start). */
  usePendingPayments(source: PendingPaymentsSource): void {
    this.pending = source;
  }

  /**
   * Stores an issued invoice or correction. The same content again is a no-op (`created: false`);
   * different content under an existing number is refused: an issued document never changes.
   */
  async issueInvoice(invoiceNumber: string, body: InvoiceBody): Promise<{ created: boolean; invoice: Invoice }> {
    const contentHash = hashContent(body);
    return this.db.transaction(async (trx) => {
      const issued = await issueOne(trx, this.ledger, invoiceNumber, body, contentHash);
      if (issued.created) for (const listener of this.issuedListeners) await listener(trx, [issued.invoice]);
      return issued;
    });
  }

  /** The customer's invoices with their figures, newest first, a page at a time. */
  async listForCustomer(customerId: string, page: { limit?: number | undefined; cursor?: string | undefined } = {}): Promise<{ items: InvoiceView[]; nextCursor: string | null }> {
    const limit = page.limit ?? 100;
    const after = page.cursor !== undefined ? decodeCursor(page.cursor) : undefined;
    if (page.cursor !== undefined && !after) return { items: [], nextCursor: null };
    const rows = await new InvoiceStore(this.db).pageOf(customerId, limit + 1, after);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const nextCursor = rows.length > limit && last ? encodeCursor({ issueDate: last.issueDate, id: last.id }) : null;
    return { items: await this.withAccount(customerId, items), nextCursor };
  }

  /** One invoice of the customer with its figures; undefined when there is none (or it is another's). */
  async forCustomer(customerId: string, invoiceNumber: string): Promise<InvoiceView | undefined> {
    // The invoice and its figures are read side by side (all keyed by number): one round trip.
    const [[invoice], figures] = await Promise.all([
      new InvoiceStore(this.db).byNumbers(customerId, [invoiceNumber]),
      this.accountFigures(customerId, [invoiceNumber]),
    ]);
    if (!invoice) return undefined;
    return this.toView(invoice, figures);
  }

  /** Every invoice of the customer, newest first, without figures. */
  async invoicesOf(customerId: string): Promise<Invoice[]> {
    return new InvoiceStore(this.db).pageOf(customerId, 1_000_000);
  }

  /** The customer's invoices among `numbers` (inside the caller's transaction when given one). */
  async invoicesByNumbers(db: Queryable, customerId: string, numbers: string[]): Promise<Invoice[]> {
    return new InvoiceStore(db).byNumbers(customerId, numbers);
  }

  private async withAccount(customerId: string, invoices: Invoice[]): Promise<InvoiceView[]> {
    if (invoices.length === 0) return [];
    const figures = await this.accountFigures(customerId, invoices.map((i) => i.invoiceNumber));
    return invoices.map((invoice) => this.toView(invoice, figures));
  }

  /** What is paid on these invoices and which are in a pending payment, with today's date. */
  private async accountFigures(customerId: string, invoiceNumbers: string[]): Promise<AccountFigures> {
    const [paid, pending] = await Promise.all([
      this.ledger.paidByInvoice(customerId, invoiceNumbers),
      this.pending ? this.pending.pendingByInvoice(customerId) : Promise.resolve(new Map<string, string>()),
    ]);
    return { paid, pending, today: this.ledger.today() };
  }

  private toView(invoice: Invoice, { paid: paidByNumber, pending, today }: AccountFigures): InvoiceView {
    const amount = new Decimal(invoice.amount);
    const figures = paidByNumber.get(invoice.invoiceNumber);
    // A negative correction is a credit: nothing is paid towards it, nothing outstanding.
    const paid = amount.isNegative() ? new Decimal(0) : new Decimal(figures?.paid ?? '0');
    const outstanding = amount.isNegative() ? new Decimal(0) : amount.minus(paid);
    let status: InvoiceStatus;
    if (amount.isNegative()) status = 'credit';
    else if (outstanding.isZero()) status = 'paid';
    else if (invoice.dueDate < today) status = 'overdue';
    else status = paid.gt(0) ? 'partially_paid' : 'unpaid';
    return {
      ...invoice,
      paid: formatMoney(paid),
      outstanding: formatMoney(outstanding),
      status,
      paymentDate: figures?.paymentDate ?? null,
      pendingPaymentId: pending.get(invoice.invoiceNumber) ?? null,
    };
  }
}

interface AccountFigures {
  paid: Map<string, { paid: string; paymentDate: string | null }>;
  pending: Map<string, string>;
  today: string;
}
