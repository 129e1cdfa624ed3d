import { createHash } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type { Knex } from 'knex';
import type { Queryable } from '../db/createDb.js';
import { isUniqueViolation } from '../db/errors.js';
import { unknownCustomer, unknownProperty, type CustomersService } from '../customers/index.js';
import type { LedgerService } from '../ledger/index.js';
import { formatMoney } from '../money.js';
import { invoiceErrors } from './errors.js';
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

/** Canonical JSON (sorted keys) so the same document hashes the same whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The fields that make a document: the same content again is the same document. */
function content(i: {
  customerNumber: string;
  propertyId: string;
  kind: string;
  issueDate: string;
  dueDate: string;
  amount: string;
  currency: string;
  issuedBy: string;
  lines: unknown;
  ksefNumber?: string | null | undefined;
  correctedInvoiceNumber?: string | null | undefined;
}) {
  return {
    customerNumber: i.customerNumber,
    propertyId: i.propertyId,
    kind: i.kind,
    issueDate: i.issueDate,
    dueDate: i.dueDate,
    amount: i.amount,
    currency: i.currency,
    issuedBy: i.issuedBy,
    lines: i.lines,
    // Absent and null hash alike, so documents stored before these fields keep their hash.
    ksefNumber: i.ksefNumber ?? undefined,
    correctedInvoiceNumber: i.correctedInvoiceNumber ?? undefined,
  };
}

const storedContent = (i: Invoice) => content({ ...i, propertyId: i.propertyNumber });

/** The document's content hash: the same content hashes the same whatever the key order. */
export function hashContent(body: InvoiceBody): string {
  return createHash('sha256').update(canonical(content(body))).digest('hex');
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
  ) {}

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
      const store = new InvoiceStore(trx);
      let found;
      try {
        found = await store.lockAndInsert({
          invoiceNumber,
          customerNumber: body.customerNumber,
          propertyNumber: body.propertyId,
          kind: body.kind,
          issueDate: body.issueDate,
          dueDate: body.dueDate,
          amount: body.amount,
          currency: body.currency,
          issuedBy: body.issuedBy,
          lines: body.lines,
          ksefNumber: body.ksefNumber ?? null,
          correctedInvoiceNumber: body.correctedInvoiceNumber ?? null,
          contentHash,
        });
      } catch (err) {
        if (isUniqueViolation(err, 'invoices_ksef_number_unique')) throw ksefTaken(body.ksefNumber ?? '');
        throw err;
      }
      if (found.customerId === null) throw unknownCustomer(body.customerNumber);
      if (found.existingId !== null) {
        // The same content again: the answer is what was sent (it hashes the same as what is stored).
        if (found.existingHash === contentHash) return {
            created: false,
            invoice: documentOf({ id: found.existingId, customerId: found.customerId, propertyId: found.propertyId ?? '' }, invoiceNumber, body, contentHash),
          };
        throw immutable(await existingInvoice(store, invoiceNumber), body);
      }
      if (found.propertyId === null) throw unknownProperty(body.customerNumber, body.propertyId);
      if (body.correctedInvoiceNumber !== undefined && found.correctedInvoiceId === null) throw unknownCorrected(body.customerNumber, body.correctedInvoiceNumber);
      if (found.id === null) {
        // Inserted meanwhile (by a request that held the lock, or under another customer's lock):
        // compare with what won.
        const winner = await existingInvoice(store, invoiceNumber);
        if (winner.contentHash === contentHash) return { created: false, invoice: winner };
        throw immutable(winner, body);
      }
      const invoice = documentOf({ id: found.id, customerId: found.customerId, propertyId: found.propertyId }, invoiceNumber, body, contentHash);
      await this.ledger.invoiceIssued(trx, { id: invoice.id, customerId: invoice.customerId, invoiceNumber, amount: body.amount, issueDate: body.issueDate });
      for (const listener of this.issuedListeners) await listener(trx, [invoice]);
      return { created: true, invoice };
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
    const [invoice] = await new InvoiceStore(this.db).byNumbers(customerId, [invoiceNumber]);
    if (!invoice) return undefined;
    const [view] = await this.withAccount(customerId, [invoice]);
    return view;
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
    const [paidByNumber, pending] = await Promise.all([
      this.ledger.paidByInvoice(customerId),
      this.pending ? this.pending.pendingByInvoice(customerId) : Promise.resolve(new Map<string, string>()),
    ]);
    const today = this.ledger.today();
    return invoices.map((invoice) => {
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
    });
  }
}

/** The 409 for a number already issued with other content, naming the fields that differ. */
function immutable(existing: Invoice, body: InvoiceBody) {
  const before = storedContent(existing);
  const after = content(body);
  const changed = (Object.keys(after) as (keyof typeof after)[]).filter((k) => canonical(before[k]) !== canonical(after[k]));
  return invoiceErrors.create(
    'document_immutable',
    `Invoice ${existing.invoiceNumber} was already issued with different content (${changed.join(', ') || 'content'}); issue a correction instead.`,
    { changedFields: changed },
  );
}

async function existingInvoice(store: InvoiceStore, invoiceNumber: string): Promise<Invoice> {
  const invoice = await store.byNumber(invoiceNumber);
  if (!invoice) throw new Error(`invoice ${invoiceNumber} vanished`);
  return invoice;
}

/** The document as stored, built from what was written (no read-back). */
function documentOf(ids: { id: string; customerId: string; propertyId: string }, invoiceNumber: string, body: InvoiceBody, contentHash: string): Invoice {
  return {
    ...ids,
    invoiceNumber,
    customerNumber: body.customerNumber,
    propertyNumber: body.propertyId,
    kind: body.kind,
    issueDate: body.issueDate,
    dueDate: body.dueDate,
    amount: body.amount,
    currency: body.currency,
    issuedBy: body.issuedBy,
    lines: body.lines,
    ksefNumber: body.ksefNumber ?? null,
    correctedInvoiceNumber: body.correctedInvoiceNumber ?? null,
    contentHash,
  };
}

// The invoices module's refusals of the feed (single and bulk alike): one wording each.
function unknownCorrected(customerNumber: string, correctedNumber: string) {
  return invoiceErrors.create('unknown_invoice', `Customer ${customerNumber} has no invoice ${correctedNumber} to correct; send it first.`, {
    field: 'correctedInvoiceNumber',
  });
}

function ksefTaken(ksefNumber: string) {
  return invoiceErrors.create('ksef_number_taken', `Another invoice already carries KSeF number ${ksefNumber}.`, { field: 'ksefNumber' });
}
