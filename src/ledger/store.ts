import type { Queryable } from '../db/createDb.js';

/** Rows of the ledger, read with what has been allocated so far. Amounts are decimal strings. */
export interface ChargeRow {
  id: string;
  invoiceNumber: string;
  kind: 'invoice' | 'correction';
  issueDate: string;
  dueDate: string;
  amount: string;
  currency: string;
  paid: string;
  lastPaidOn: string | null;
}

export interface CreditRow {
  id: string;
  kind: 'payment' | 'correction';
  source: string;
  sourceRef: string;
  documentNumber: string;
  amount: string;
  used: string;
  receivedOn: string;
  hasInvoiceTarget: boolean;
}

export interface NewCredit {
  customerId: string;
  kind: 'payment' | 'correction';
  /** What produced the credit: 'gateway', 'bank', 'invoice'. With sourceRef, unique. */
  source: string;
  sourceRef: string;
  documentNumber: string;
  amount: string;
  receivedOn: string;
  hasInvoiceTarget: boolean;
}

interface ChargeDbRow {
  id: string;
  invoice_number: string;
  kind: 'invoice' | 'correction';
  issue_date: string;
  due_date: string;
  amount: string;
  currency: string;
  paid: string;
  last_paid_on: string | null;
}

interface CreditDbRow {
  id: string;
  kind: 'payment' | 'correction';
  source: string;
  source_ref: string;
  document_number: string;
  amount: string;
  used: string;
  received_on: string;
  has_invoice_target: boolean;
}

const mapCharge = (r: ChargeDbRow): ChargeRow => ({
  id: String(r.id),
  invoiceNumber: r.invoice_number,
  kind: r.kind,
  issueDate: r.issue_date,
  dueDate: r.due_date,
  amount: String(r.amount),
  currency: r.currency,
  paid: String(r.paid),
  lastPaidOn: r.last_paid_on,
});

const mapCredit = (r: CreditDbRow): CreditRow => ({
  id: String(r.id),
  kind: r.kind,
  source: r.source,
  sourceRef: r.source_ref,
  documentNumber: r.document_number,
  amount: String(r.amount),
  used: String(r.used),
  receivedOn: r.received_on,
  hasInvoiceTarget: r.has_invoice_target,
});

const CHARGES_SQL = `
  SELECT i.id, i.invoice_number, i.kind, i.issue_date, i.due_date, i.amount, i.currency,
         coalesce(a.paid, 0) AS paid, a.last_paid_on
    FROM invoices i
    LEFT JOIN LATERAL (
      SELECT sum(la.amount) AS paid, max(c.received_on) AS last_paid_on
        FROM ledger_allocations la JOIN ledger_credits c ON c.id = la.credit_id
       WHERE la.invoice_id = i.id
    ) a ON true`;

const CREDITS_SQL = `
  SELECT c.id, c.kind, c.source, c.source_ref, c.document_number, c.amount, c.received_on,
         c.has_invoice_target, coalesce(a.used, 0) AS used
    FROM ledger_credits c
    LEFT JOIN LATERAL (SELECT sum(la.amount) AS used FROM ledger_allocations la WHERE la.credit_id = c.id) a ON true`;

export class LedgerStore {
  constructor(private readonly db: Queryable) {}

  /**
   * Serialises every change of one customer's ledger: allocation reads balances and then writes,
   * so two of them must never interleave for the same customer.
   */
  async lockCustomer(customerId: string): Promise<void> {
    await this.db.raw('SELECT id FROM customers WHERE id = ? FOR UPDATE', [customerId]);
  }

  async charges(customerId: string): Promise<ChargeRow[]> {
    const { rows } = await this.db.raw<{ rows: ChargeDbRow[] }>(
      `${CHARGES_SQL} WHERE i.customer_id = ? ORDER BY i.issue_date, i.id`,
      [customerId],
    );
    return rows.map(mapCharge);
  }

  /** Invoices and positive corrections still owed, oldest due date first. */
  async outstandingCharges(customerId: string, onlyIds?: string[]): Promise<ChargeRow[]> {
    const params: (string | string[])[] = [customerId];
    let filter = '';
    if (onlyIds) {
      if (onlyIds.length === 0) return [];
      filter = ` AND i.id = ANY(?::bigint[])`;
      params.push(onlyIds);
    }
    const { rows } = await this.db.raw<{ rows: ChargeDbRow[] }>(
      `${CHARGES_SQL} WHERE i.customer_id = ? AND i.amount > 0 AND i.amount > coalesce(a.paid, 0)${filter}
        ORDER BY i.due_date, i.issue_date, i.id`,
      params,
    );
    return rows.map(mapCharge);
  }

  async credits(customerId: string): Promise<CreditRow[]> {
    const { rows } = await this.db.raw<{ rows: CreditDbRow[] }>(
      `${CREDITS_SQL} WHERE c.customer_id = ? ORDER BY c.received_on, c.id`,
      [customerId],
    );
    return rows.map(mapCredit);
  }

  /** Credits with money not yet allocated, oldest first. */
  async availableCredits(customerId: string): Promise<CreditRow[]> {
    const { rows } = await this.db.raw<{ rows: CreditDbRow[] }>(
      `${CREDITS_SQL} WHERE c.customer_id = ? AND c.amount > coalesce(a.used, 0) ORDER BY c.received_on, c.id`,
      [customerId],
    );
    return rows.map(mapCredit);
  }

  /** Inserts a credit once per (source, sourceRef); answers undefined when it already exists. */
  async insertCredit(credit: NewCredit): Promise<string | undefined> {
    const rows = await this.db('ledger_credits')
      .insert({
        customer_id: credit.customerId,
        kind: credit.kind,
        source: credit.source,
        source_ref: credit.sourceRef,
        document_number: credit.documentNumber,
        amount: credit.amount,
        received_on: credit.receivedOn,
        has_invoice_target: credit.hasInvoiceTarget,
      })
      .onConflict(['source', 'source_ref'])
      .ignore()
      .returning('id');
    const first = rows[0] as { id: string } | undefined;
    return first ? String(first.id) : undefined;
  }

  async findCredit(source: string, sourceRef: string): Promise<{ id: string; customerId: string; amount: string } | undefined> {
    const row = await this.db('ledger_credits')
      .where({ source, source_ref: sourceRef })
      .first<{ id: string; customer_id: string; amount: string } | undefined>();
    return row ? { id: String(row.id), customerId: String(row.customer_id), amount: String(row.amount) } : undefined;
  }

  /** The customers among `customerIds` with money not yet allocated. */
  async customersWithAvailableCredit(customerIds: string[]): Promise<string[]> {
    const { rows } = await this.db.raw<{ rows: { customer_id: string | number }[] }>(
      `SELECT DISTINCT c.customer_id FROM ledger_credits c
         LEFT JOIN LATERAL (SELECT sum(la.amount) AS used FROM ledger_allocations la WHERE la.credit_id = c.id) a ON true
        WHERE c.customer_id = ANY(?::bigint[]) AND c.amount > coalesce(a.used, 0)`,
      [customerIds],
    );
    return rows.map((r) => String(r.customer_id));
  }

  async insertAllocation(creditId: string, invoiceId: string, amount: string): Promise<void> {
    await this.db('ledger_allocations').insert({ credit_id: creditId, invoice_id: invoiceId, amount });
  }
}
