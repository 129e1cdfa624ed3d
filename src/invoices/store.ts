import type { Queryable } from '../db/createDb.js';
import type { InvoiceLine } from './schema.js';

export type InvoiceKind = 'invoice' | 'correction';

/** An issued invoice or correction, with the billing system's numbers of what it refers to. */
export interface Invoice {
  id: string;
  invoiceNumber: string;
  customerId: string;
  customerNumber: string;
  propertyId: string;
  propertyNumber: string;
  kind: InvoiceKind;
  issueDate: string;
  dueDate: string;
  amount: string;
  currency: string;
  issuedBy: 'office' | 'reader';
  lines: InvoiceLine[];
  ksefNumber: string | null;
  correctedInvoiceNumber: string | null;
  contentHash: string;
}

/** A row of `invoices` joined with the numbers of its customer, property and corrected invoice. */
interface InvoiceRow {
  id: string | number;
  invoice_number: string;
  customer_id: string | number;
  customer_number: string;
  property_id: string | number;
  property_number: string;
  kind: InvoiceKind;
  issue_date: string;
  due_date: string;
  amount: string | number;
  currency: string;
  issued_by: 'office' | 'reader';
  lines: InvoiceLine[];
  ksef_number: string | null;
  corrected_invoice_number: string | null;
  content_hash: string;
}

function mapRow(r: InvoiceRow): Invoice {
  return {
    id: String(r.id),
    invoiceNumber: r.invoice_number,
    customerId: String(r.customer_id),
    customerNumber: r.customer_number,
    propertyId: String(r.property_id),
    propertyNumber: r.property_number,
    kind: r.kind,
    issueDate: r.issue_date,
    dueDate: r.due_date,
    amount: String(r.amount),
    // char(3) pads; PLN is three letters but the type is trimmed all the same.
    currency: String(r.currency).trim(),
    issuedBy: r.issued_by,
    lines: r.lines,
    ksefNumber: r.ksef_number,
    correctedInvoiceNumber: r.corrected_invoice_number,
    contentHash: r.content_hash,
  };
}

export interface NewInvoice {
  invoiceNumber: string;
  customerId: string;
  propertyId: string;
  kind: InvoiceKind;
  issueDate: string;
  dueDate: string;
  amount: string;
  currency: string;
  issuedBy: 'office' | 'reader';
  lines: InvoiceLine[];
  ksefNumber: string | null;
  correctedInvoiceId: string | null;
  contentHash: string;
}

/** What the feed's one statement found (ids as strings, null when there is none). */
export interface IssueOutcome {
  customerId: string | null;
  propertyId: string | null;
  existingId: string | null;
  existingHash: string | null;
  correctedInvoiceId: string | null;
  /** The new invoice's id; null when nothing was inserted. */
  id: string | null;
}

interface IssueOutcomeRow {
  customer_id: string | number | null;
  property_id: string | number | null;
  existing_id: string | number | null;
  existing_hash: string | null;
  corrected_id: string | number | null;
  id: string | number | null;
}

// The customer's lock comes first (c): the insert's foreign keys then take no lock that another
// request of the same customer could hold. The statement's snapshot is taken before the lock is
// granted, so a number inserted meanwhile by the lock's holder is not seen by e: the insert then
// meets it in ON CONFLICT and the caller reads the winner.
const ISSUE_SQL = `
  WITH c AS (SELECT id FROM customers WHERE customer_number = ? FOR UPDATE),
  p AS (SELECT p.id FROM properties p JOIN c ON p.customer_id = c.id WHERE p.property_number = ?),
  e AS (SELECT id, content_hash FROM invoices WHERE invoice_number = ?),
  k AS (SELECT ci.id FROM invoices ci JOIN c ON ci.customer_id = c.id WHERE ci.invoice_number = ?::text),
  ins AS (
    INSERT INTO invoices (invoice_number, customer_id, property_id, kind, issue_date, due_date, amount, currency, issued_by,
                          lines, ksef_number, corrected_invoice_id, content_hash)
    SELECT ?, c.id, p.id, ?, ?::date, ?::date, ?::numeric, ?, ?, ?::jsonb, ?, k.id, ?
      FROM c JOIN p ON true LEFT JOIN k ON true
     WHERE NOT EXISTS (SELECT 1 FROM e) AND (?::text IS NULL OR k.id IS NOT NULL)
    ON CONFLICT (invoice_number) DO NOTHING
    RETURNING id)
  SELECT (SELECT id FROM c) AS customer_id, (SELECT id FROM p) AS property_id, (SELECT id FROM e) AS existing_id,
         (SELECT content_hash FROM e) AS existing_hash, (SELECT id FROM k) AS corrected_id, (SELECT id FROM ins) AS id`;

/** Where a page of a customer's invoices continues: after this (issue date, id), newest first. */
export interface InvoiceCursor {
  issueDate: string;
  id: string;
}

/**
 * SQL of `invoices`. Reads join `customers` and `properties` for the billing system's numbers
 * (a declared read model of the customers module's tables, docs/architecture.md).
 */
export class InvoiceStore {
  constructor(private readonly db: Queryable) {}

  private select() {
    return this.db('invoices as i')
      .join('customers as c', 'c.id', 'i.customer_id')
      .join('properties as p', 'p.id', 'i.property_id')
      .leftJoin('invoices as ci', 'ci.id', 'i.corrected_invoice_id')
      .select('i.*', 'c.customer_number', 'p.property_number', 'ci.invoice_number as corrected_invoice_number');
  }

  async byNumber(invoiceNumber: string): Promise<Invoice | undefined> {
    const row = (await this.select().where('i.invoice_number', invoiceNumber).first()) as InvoiceRow | undefined;
    return row ? mapRow(row) : undefined;
  }

  /**
   * The feed's one statement for a new document: locks the customer's row (which orders every
   * change of the customer's account, ledger included), looks up the number, the customer's
   * property and the corrected invoice, and inserts when all is in order and the number is free.
   * Answers what it found: the caller tells the refusals apart (customer, existing number,
   * property, corrected invoice, in that order). `id` is null when nothing was inserted.
   * A KSeF number taken by another invoice raises the unique violation of
   * `invoices_ksef_number_unique`.
   */
  async lockAndInsert(invoice: Omit<NewInvoice, 'customerId' | 'propertyId' | 'correctedInvoiceId'> & {
    customerNumber: string;
    propertyNumber: string;
    correctedInvoiceNumber: string | null;
  }): Promise<IssueOutcome> {
    const { rows } = await this.db.raw<{ rows: IssueOutcomeRow[] }>(ISSUE_SQL, [
      invoice.customerNumber,
      invoice.propertyNumber,
      invoice.invoiceNumber,
      invoice.correctedInvoiceNumber,
      invoice.invoiceNumber,
      invoice.kind,
      invoice.issueDate,
      invoice.dueDate,
      invoice.amount,
      invoice.currency,
      invoice.issuedBy,
      JSON.stringify(invoice.lines),
      invoice.ksefNumber,
      invoice.contentHash,
      invoice.correctedInvoiceNumber,
    ]);
    const r = rows[0]!;
    const str = (v: string | number | null) => (v === null ? null : String(v));
    return {
      customerId: str(r.customer_id),
      propertyId: str(r.property_id),
      existingId: str(r.existing_id),
      existingHash: r.existing_hash,
      correctedInvoiceId: str(r.corrected_id),
      id: str(r.id),
    };
  }

  /** Inserts unless the number exists; answers the new id, or undefined when it did. */
  async insert(invoice: NewInvoice): Promise<string | undefined> {
    const rows: { id: string | number }[] = await this.db('invoices')
      .insert({
        invoice_number: invoice.invoiceNumber,
        customer_id: invoice.customerId,
        property_id: invoice.propertyId,
        kind: invoice.kind,
        issue_date: invoice.issueDate,
        due_date: invoice.dueDate,
        amount: invoice.amount,
        currency: invoice.currency,
        issued_by: invoice.issuedBy,
        lines: JSON.stringify(invoice.lines),
        ksef_number: invoice.ksefNumber,
        corrected_invoice_id: invoice.correctedInvoiceId,
        content_hash: invoice.contentHash,
      })
      .onConflict('invoice_number')
      .ignore()
      .returning('id');
    return rows[0] ? String(rows[0].id) : undefined;
  }

  /** The customer's invoices, newest first; `limit` rows after `after`. */
  async pageOf(customerId: string, limit: number, after?: InvoiceCursor): Promise<Invoice[]> {
    const q = this.select()
      .where('i.customer_id', customerId)
      .orderBy([
        { column: 'i.issue_date', order: 'desc' },
        { column: 'i.id', order: 'desc' },
      ])
      .limit(limit);
    if (after) q.andWhereRaw('(i.issue_date, i.id) < (?::date, ?::bigint)', [after.issueDate, after.id]);
    return ((await q) as InvoiceRow[]).map(mapRow);
  }

  /** The invoices among `numbers`, whoever's they are (a bulk upload words its refusals from them). */
  async byNumbersOfAnyCustomer(numbers: string[]): Promise<Invoice[]> {
    if (numbers.length === 0) return [];
    const rows = (await this.select().whereIn('i.invoice_number', numbers)) as InvoiceRow[];
    return rows.map(mapRow);
  }

  async byNumbers(customerId: string, numbers: string[]): Promise<Invoice[]> {
    if (numbers.length === 0) return [];
    const rows = (await this.select().where('i.customer_id', customerId).whereIn('i.invoice_number', numbers)) as InvoiceRow[];
    return rows.map(mapRow);
  }
}
