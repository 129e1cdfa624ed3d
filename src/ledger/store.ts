import { createHash } from 'node:crypto';
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

/** What has been allocated to invoice `i` so far, and when its last credit came in (as `a`). */
const PAID_OF_INVOICE = `LEFT JOIN LATERAL (
      SELECT sum(la.amount) AS paid, max(c.received_on) AS last_paid_on
        FROM ledger_allocations la JOIN ledger_credits c ON c.id = la.credit_id
       WHERE la.invoice_id = i.id
    ) a ON true`;

const CHARGES_SQL = `
  SELECT i.id, i.invoice_number, i.kind, i.issue_date, i.due_date, i.amount, i.currency,
         coalesce(a.paid, 0) AS paid, a.last_paid_on
    FROM invoices i
    ${PAID_OF_INVOICE}`;

const CREDITS_SQL = `
  SELECT c.id, c.kind, c.source, c.source_ref, c.document_number, c.amount, c.received_on,
         c.has_invoice_target, coalesce(a.used, 0) AS used
    FROM ledger_credits c
    LEFT JOIN LATERAL (SELECT sum(la.amount) AS used FROM ledger_allocations la WHERE la.credit_id = c.id) a ON true`;

/** One line of the account ledger (SPEC 4.3) as the read query answers it; amounts "123.45". */
export interface LedgerItemRow {
  documentNumber: string;
  kind: 'invoice' | 'correction' | 'payment' | 'prepayment' | 'overpayment';
  issueDate: string;
  dueDate: string | null;
  amount: string;
  paid: string;
  outstanding: string;
  paymentDate: string | null;
}

export interface LedgerTotals {
  totalOutstanding: string;
  availableCredit: string;
  balance: string;
}

/** Which ledger lines to read: the filters of SPEC 4.3 and a keyset page. */
export interface LedgerItemQuery {
  kind?: LedgerItemRow['kind'] | undefined;
  status?: 'paid' | 'unpaid' | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** Only the lines after this one in the ledger's order. */
  after?: { issueDate: string; documentNumber: string; kind: string } | undefined;
  /** At most this many lines; all when omitted. */
  limit?: number | undefined;
}

// The read side of the ledger in SQL: the customer's charges with what was allocated to them and
// their credits with what was used, as the lines of SPEC 4.3 (a negative correction; an invoice or
// positive correction with its paid and outstanding; a payment; what is left of a credit as a
// prepayment or overpayment), plus the totals over the whole account. Amounts stay numeric(14,2)
// (round(…, 2) only fixes the printed scale of zeros and sums), so nothing is computed twice in JS.
const LEDGER_CTES = `
  WITH charges AS (
    SELECT i.id, i.invoice_number, i.kind, i.issue_date, i.due_date, i.amount,
           coalesce(a.paid, 0) AS paid, a.last_paid_on
      FROM invoices i
      ${PAID_OF_INVOICE}
     WHERE i.customer_id = :customerId
  ), credits AS (
    SELECT c.id, c.kind, c.document_number, c.amount, c.received_on, c.has_invoice_target,
           coalesce(a.used, 0) AS used
      FROM ledger_credits c
      LEFT JOIN LATERAL (SELECT sum(la.amount) AS used FROM ledger_allocations la WHERE la.credit_id = c.id) a ON true
     WHERE c.customer_id = :customerId
  )`;

// "part" and "id" order lines that share date, number and kind as they were recorded.
const LEDGER_ITEMS = `
  SELECT invoice_number AS document_number,
         CASE WHEN amount < 0 THEN 'correction' ELSE kind END AS kind,
         issue_date, due_date, amount,
         CASE WHEN amount < 0 THEN 0 ELSE paid END AS paid,
         CASE WHEN amount < 0 THEN 0 ELSE amount - paid END AS outstanding,
         CASE WHEN amount >= 0 AND paid > 0 THEN last_paid_on END AS payment_date,
         0 AS part, id
    FROM charges
  UNION ALL
  SELECT document_number, 'payment', received_on, NULL::date, amount, amount, 0, received_on, 1, id
    FROM credits WHERE kind = 'payment'
  UNION ALL
  SELECT document_number, CASE WHEN has_invoice_target THEN 'overpayment' ELSE 'prepayment' END,
         received_on, NULL::date, amount - used, 0, used - amount,
         CASE WHEN kind = 'payment' THEN received_on END, 2, id
    FROM credits WHERE amount > used`;

// Newest first; one day's lines by document number, then kind (byte order, as the cursor compares).
const LEDGER_ORDER = 'issue_date DESC, document_number COLLATE "C", kind COLLATE "C", part, id';

/**
 * The name of a prepared statement for this text (each connection prepares it once; a name must
 * never stand for two texts, so it carries a hash of the text). The filters make a few dozen texts.
 */
const statementNames = new Map<string, string>();
function statementName(prefix: string, sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `${prefix}_${createHash('sha256').update(sql).digest('hex').slice(0, 16)}`;
    statementNames.set(sql, name);
  }
  return name;
}

interface LedgerItemDbRow {
  total_outstanding: string;
  available_credit: string;
  balance: string;
  document_number: string;
  kind: LedgerItemRow['kind'];
  issue_date: string;
  due_date: string | null;
  amount: string;
  paid: string;
  outstanding: string;
  payment_date: string | null;
}

export class LedgerStore {
  constructor(private readonly db: Queryable) {}

  /**
   * Serialises every change of one customer's ledger: allocation reads balances and then writes,
   * so two of them must never interleave for the same customer.
   */
  async lockCustomer(customerId: string): Promise<void> {
    await this.db.raw('SELECT id FROM customers WHERE id = ? FOR UPDATE', [customerId]);
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

  /** Credits with money not yet allocated, oldest first. */
  async availableCredits(customerId: string): Promise<CreditRow[]> {
    const { rows } = await this.db.raw<{ rows: CreditDbRow[] }>(
      `${CREDITS_SQL} WHERE c.customer_id = ? AND c.amount > coalesce(a.used, 0) ORDER BY c.received_on, c.id`,
      [customerId],
    );
    return rows.map(mapCredit);
  }

  /**
   * Locks the customer's ledger (as lockCustomer) and inserts the credit once per
   * (source, sourceRef), in one statement; answers undefined when the credit already exists.
   * Safe in one statement: the insert reads nothing the lock protects (ON CONFLICT decides
   * against committed rows whatever the snapshot), and every read of balances comes in later
   * statements, after the lock is held. The insert waits for the lock (it counts the locked row).
   */
  async lockAndInsertCredit(credit: NewCredit): Promise<string | undefined> {
    const { rows } = await this.db.raw<{ rows: { id: string | number }[] }>(
      `WITH locked AS (SELECT id FROM customers WHERE id = ? FOR UPDATE)
       INSERT INTO ledger_credits (customer_id, kind, source, source_ref, document_number, amount, received_on, has_invoice_target)
       SELECT ?::bigint, ?::text, ?::text, ?::text, ?::text, ?::numeric, ?::date, ?::boolean FROM (SELECT count(*) AS n FROM locked) AS l WHERE l.n >= 0
       ON CONFLICT (source, source_ref) DO NOTHING
       RETURNING id`,
      [
        credit.customerId,
        credit.customerId,
        credit.kind,
        credit.source,
        credit.sourceRef,
        credit.documentNumber,
        credit.amount,
        credit.receivedOn,
        credit.hasInvoiceTarget,
      ],
    );
    const first = rows[0];
    return first ? String(first.id) : undefined;
  }

  async findCredit(source: string, sourceRef: string): Promise<{ id: string; customerId: string; amount: string } | undefined> {
    const row = await this.db('ledger_credits')
      .where({ source, source_ref: sourceRef })
      .first<{ id: string; customer_id: string; amount: string } | undefined>();
    return row ? { id: String(row.id), customerId: String(row.customer_id), amount: String(row.amount) } : undefined;
  }

  /** Inserts allocations, all in one statement. */
  async insertAllocations(parts: { creditId: string; invoiceId: string; amount: string }[]): Promise<void> {
    if (parts.length === 0) return;
    await this.db.raw(
      `INSERT INTO ledger_allocations (credit_id, invoice_id, amount)
       SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::numeric[])`,
      [parts.map((p) => p.creditId), parts.map((p) => p.invoiceId), parts.map((p) => p.amount)],
    );
  }

  /**
   * The ledger's lines (filtered, newest first, a keyset page) and the totals of the whole account,
   * in one statement (a second one for the totals when the page has no line).
   */
  async ledgerItems(customerId: string, q: LedgerItemQuery): Promise<{ items: LedgerItemRow[] } & LedgerTotals> {
    const where: string[] = [];
    const bindings: Record<string, unknown> = { customerId };
    if (q.kind) {
      where.push('kind = :kind');
      bindings.kind = q.kind;
    }
    if (q.from) {
      where.push('issue_date >= :from::date');
      bindings.from = q.from;
    }
    if (q.to) {
      where.push('issue_date <= :to::date');
      bindings.to = q.to;
    }
    if (q.status) where.push(q.status === 'paid' ? 'outstanding = 0' : 'outstanding <> 0');
    if (q.after) {
      where.push(`(issue_date < :afterDate::date OR (issue_date = :afterDate::date AND (document_number COLLATE "C" > :afterNumber
        OR (document_number = :afterNumber AND kind COLLATE "C" > :afterKind))))`);
      bindings.afterDate = q.after.issueDate;
      bindings.afterNumber = q.after.documentNumber;
      bindings.afterKind = q.after.kind;
    }
    let limit = '';
    if (q.limit !== undefined) {
      limit = ' LIMIT :limit';
      bindings.limit = q.limit;
    }
    // The totals are window sums over every line, taken before the filters and the page: the
    // outstanding of the charges' lines, and what is left of the credits (their remainder lines).
    const sql = `${LEDGER_CTES}
       SELECT round(total_outstanding, 2) AS total_outstanding, round(available_credit, 2) AS available_credit,
              round(total_outstanding - available_credit, 2) AS balance,
              document_number, kind, issue_date, due_date, round(amount, 2) AS amount,
              round(paid, 2) AS paid, round(outstanding, 2) AS outstanding, payment_date
         FROM (SELECT items.*,
                      sum(CASE WHEN part = 0 THEN outstanding ELSE 0 END) OVER () AS total_outstanding,
                      sum(CASE WHEN part = 2 THEN -outstanding ELSE 0 END) OVER () AS available_credit
                 FROM (${LEDGER_ITEMS}) items) lines
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${LEDGER_ORDER}${limit}`;
    // A named (prepared) statement: parsing and planning it cost more than running it.
    const { rows } = await this.db.raw<{ rows: LedgerItemDbRow[] }>(sql, bindings).options({ name: statementName('ledger_items', sql) });
    const first = rows[0];
    // No line on this page: the totals alone (a second, small statement).
    if (!first) return { items: [], ...(await this.totals(customerId)) };
    const items = rows.map(
      (r): LedgerItemRow => ({
        documentNumber: r.document_number,
        kind: r.kind,
        issueDate: r.issue_date,
        dueDate: r.due_date,
        amount: r.amount,
        paid: r.paid,
        outstanding: r.outstanding,
        paymentDate: r.payment_date,
      }),
    );
    return { items, totalOutstanding: first.total_outstanding, availableCredit: first.available_credit, balance: first.balance };
  }

  /** The totals of the whole account. */
  async totals(customerId: string): Promise<LedgerTotals> {
    const { rows } = await this.db.raw<{ rows: LedgerTotals[] }>(
      `${LEDGER_CTES}, totals AS (
         SELECT (SELECT coalesce(sum(amount - paid), 0) FROM charges WHERE amount > 0) AS outstanding,
                (SELECT coalesce(sum(amount - used), 0) FROM credits) AS credit
       )
       SELECT round(outstanding, 2) AS "totalOutstanding", round(credit, 2) AS "availableCredit",
              round(outstanding - credit, 2) AS balance
         FROM totals`,
      { customerId },
    );
    return rows[0]!;
  }

  /** What was paid on the customer's invoices (those among `numbers` when given) and when last. */
  async paidByInvoice(customerId: string, numbers?: readonly string[]): Promise<{ invoiceNumber: string; paid: string; paymentDate: string | null }[]> {
    const bindings: Record<string, unknown> = { customerId };
    let only = '';
    if (numbers) {
      if (numbers.length === 0) return [];
      only = ' AND i.invoice_number = ANY(:numbers::text[])';
      bindings.numbers = numbers;
    }
    const { rows } = await this.db.raw<{ rows: { invoice_number: string; paid: string; payment_date: string | null }[] }>(
      `SELECT i.invoice_number, round(coalesce(a.paid, 0), 2) AS paid, CASE WHEN a.paid > 0 THEN a.last_paid_on END AS payment_date
         FROM invoices i
         ${PAID_OF_INVOICE}
        WHERE i.customer_id = :customerId${only}`,
      bindings,
    );
    return rows.map((r) => ({ invoiceNumber: r.invoice_number, paid: String(r.paid), paymentDate: r.payment_date }));
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
}
