import type { Queryable } from '../db/createDb.js';

export type LineClassification = 'gateway_payout' | 'invoice_payment' | 'unmatched' | 'duplicate' | 'conflict';
export type ImportStatus = 'importing' | 'complete' | 'failed';

export interface StatementSummary {
  reference: string;
  account: string;
  number: string;
  currency: string;
  openingBalance: { date: string; amount: string };
  closingBalance: { date: string; amount: string } | null;
  creditLines: number;
  debitLines: number;
}

export interface ImportRow {
  id: string;
  importedAt: Date;
  importedBy: string;
  byteSize: number;
  charset: string;
  statements: StatementSummary[];
  status: ImportStatus;
  /** Credit lines of the file (null for imports made before it was recorded). */
  lineCount: number | null;
  error: string | null;
}

export interface NewLine {
  importId: string;
  position: number;
  account: string;
  lineKey: string;
  reference: string;
  valueDate: string;
  entryDate: string | null;
  amount: string;
  currency: string;
  title: string;
  counterpartyName: string | null;
  counterpartyAccount: string | null;
  classification: LineClassification;
  settlementDate: string | null;
  invoiceNumbers: string[] | null;
  customerId: string | null;
  creditId: string | null;
  duplicateOf: string | null;
  note: string | null;
}

export interface LineRow extends NewLine {
  id: string;
  customerNumber: string | null;
  duplicateOfImportId: string | null;
  assignedBy: string | null;
  assignedAt: Date | null;
  assignedCustomerNumber: string | null;
  assignedInvoiceNumbers: string[] | null;
  assignedCreditId: string | null;
}

/** The line a bank reference was first imported as (what a later sighting is compared with). */
export interface FirstLine {
  id: string;
  importId: string;
  amount: string;
  currency: string;
  title: string;
  counterpartyAccount: string | null;
}

/** A bank_statement_imports row as the driver returns it. */
interface ImportDbRow {
  id: string;
  imported_at: Date;
  imported_by: string;
  byte_size: string | number;
  charset: string;
  statements: StatementSummary[];
  status: ImportStatus;
  line_count: string | number | null;
  error: string | null;
}

/** A bank_statement_lines row (with the joined customer numbers) as the driver returns it. */
interface LineDbRow {
  id: string | number;
  import_id: string;
  position: string | number;
  account: string;
  line_key: string;
  reference: string;
  value_date: string;
  entry_date: string | null;
  amount: string | number;
  currency: string;
  title: string;
  counterparty_name: string | null;
  counterparty_account: string | null;
  classification: LineClassification;
  settlement_date: string | null;
  invoice_numbers: string[] | null;
  customer_id: string | number | null;
  credit_id: string | number | null;
  duplicate_of: string | number | null;
  note: string | null;
  customer_number?: string | null;
  duplicate_of_import_id?: string | null;
  assigned_by?: string | null;
  assigned_at?: Date | null;
  assigned_customer_number?: string | null;
  assigned_invoice_numbers?: string[] | null;
  assigned_credit_id?: string | number | null;
}

function mapImport(r: ImportDbRow): ImportRow {
  return {
    id: r.id,
    importedAt: r.imported_at,
    importedBy: r.imported_by,
    byteSize: Number(r.byte_size),
    charset: r.charset,
    statements: r.statements,
    status: r.status,
    lineCount: r.line_count === null || r.line_count === undefined ? null : Number(r.line_count),
    error: r.error ?? null,
  };
}

function mapLine(r: LineDbRow): LineRow {
  return {
    id: String(r.id),
    importId: r.import_id,
    position: Number(r.position),
    account: r.account,
    lineKey: r.line_key,
    reference: r.reference,
    valueDate: r.value_date,
    entryDate: r.entry_date,
    amount: String(r.amount),
    currency: r.currency,
    title: r.title,
    counterpartyName: r.counterparty_name,
    counterpartyAccount: r.counterparty_account,
    classification: r.classification,
    settlementDate: r.settlement_date,
    invoiceNumbers: r.invoice_numbers,
    customerId: r.customer_id === null ? null : String(r.customer_id),
    creditId: r.credit_id === null ? null : String(r.credit_id),
    duplicateOf: r.duplicate_of === null ? null : String(r.duplicate_of),
    note: r.note,
    customerNumber: r.customer_number ?? null,
    duplicateOfImportId: r.duplicate_of_import_id ?? null,
    assignedBy: r.assigned_by ?? null,
    assignedAt: r.assigned_at ?? null,
    assignedCustomerNumber: r.assigned_customer_number ?? null,
    assignedInvoiceNumbers: r.assigned_invoice_numbers ?? null,
    assignedCreditId: r.assigned_credit_id === null || r.assigned_credit_id === undefined ? null : String(r.assigned_credit_id),
  };
}

// customers: the declared read model of the customer number (docs/architecture.md).
const LINE_SELECT = `SELECT l.*, c.customer_number, a.customer_number AS assigned_customer_number, d.import_id AS duplicate_of_import_id
    FROM bank_statement_lines l
    LEFT JOIN customers c ON c.id = l.customer_id
    LEFT JOIN customers a ON a.id = l.assigned_customer_id
    LEFT JOIN bank_statement_lines d ON d.id = l.duplicate_of`;

function lineValues(line: NewLine) {
  return {
    import_id: line.importId,
    position: line.position,
    account: line.account,
    line_key: line.lineKey,
    reference: line.reference,
    value_date: line.valueDate,
    entry_date: line.entryDate,
    amount: line.amount,
    currency: line.currency,
    title: line.title,
    counterparty_name: line.counterpartyName,
    counterparty_account: line.counterpartyAccount,
    classification: line.classification,
    settlement_date: line.settlementDate,
    invoice_numbers: line.invoiceNumbers === null ? null : JSON.stringify(line.invoiceNumbers),
    customer_id: line.customerId,
    credit_id: line.creditId,
    duplicate_of: line.duplicateOf,
    note: line.note,
  };
}

export class BankStatementStore {
  constructor(private readonly db: Queryable) {}

  async importById(id: string): Promise<ImportRow | undefined> {
    const row = await this.db<ImportDbRow>('bank_statement_imports').where({ id }).first();
    return row ? mapImport(row) : undefined;
  }

  async imports(limit: number): Promise<(ImportRow & { lines: number })[]> {
    const rows = (await this.db('bank_statement_imports as i')
      .select('i.*', this.db.raw('(SELECT count(*) FROM bank_statement_lines l WHERE l.import_id = i.id) AS lines'))
      .orderBy('i.imported_at', 'desc')
      .limit(limit)) as (ImportDbRow & { lines: string | number })[];
    return rows.map((r) => ({ ...mapImport(r), lines: Number(r.lines) }));
  }

  async insertImport(row: Omit<ImportRow, 'error'>): Promise<void> {
    await this.db('bank_statement_imports').insert({
      id: row.id,
      imported_at: row.importedAt,
      imported_by: row.importedBy,
      byte_size: row.byteSize,
      charset: row.charset,
      statements: JSON.stringify(row.statements),
      status: row.status,
      line_count: row.lineCount,
    });
  }

  async finishImport(id: string, status: ImportStatus, error: string | null): Promise<void> {
    await this.db('bank_statement_imports').where({ id }).update({ status, error });
  }

  /** The highest position written of an import (0 when none): a resumed import goes on from there. */
  async writtenPositions(importId: string): Promise<number> {
    const row = await this.db('bank_statement_lines').where({ import_id: importId }).max<{ max: unknown }>('position as max').first();
    return row?.max === null || row?.max === undefined ? 0 : Number(row.max);
  }

  /** The first line of each key (never a duplicate or a conflict), by key. */
  async firstLinesByKeys(keys: string[]): Promise<Map<string, FirstLine>> {
    if (keys.length === 0) return new Map();
    const { rows } = await this.db.raw<{ rows: { id: string; import_id: string; line_key: string; amount: string; currency: string; title: string; counterparty_account: string | null }[] }>(
      `SELECT id, import_id, line_key, amount, currency, title, counterparty_account FROM bank_statement_lines
        WHERE line_key = ANY(?::text[]) AND classification NOT IN ('duplicate', 'conflict')`,
      [keys],
    );
    return new Map(
      rows.map((r) => [
        r.line_key,
        { id: String(r.id), importId: r.import_id, amount: String(r.amount), currency: r.currency, title: r.title, counterpartyAccount: r.counterparty_account },
      ]),
    );
  }

  /** Inserts lines in one statement; answers the id of each by its key. */
  async insertLines(lines: NewLine[]): Promise<Map<string, string>> {
    if (lines.length === 0) return new Map();
    const rows = await this.db('bank_statement_lines').insert(lines.map(lineValues)).returning(['id', 'line_key']);
    return new Map((rows as { id: string; line_key: string }[]).map((r) => [r.line_key, String(r.id)]));
  }

  async linesOf(importId: string, page: { after: number; limit: number }): Promise<LineRow[]> {
    const { rows } = await this.db.raw<{ rows: LineDbRow[] }>(`${LINE_SELECT} WHERE l.import_id = ? AND l.position > ? ORDER BY l.position LIMIT ?`, [
      importId,
      page.after,
      page.limit,
    ]);
    return rows.map(mapLine);
  }

  async lineById(id: string): Promise<LineRow | undefined> {
    const { rows } = await this.db.raw<{ rows: LineDbRow[] }>(`${LINE_SELECT} WHERE l.id = ?`, [id]);
    return rows[0] ? mapLine(rows[0]) : undefined;
  }

  /** The line, locked for the rest of the transaction (an assignment by hand). */
  async lineForUpdate(id: string): Promise<LineRow | undefined> {
    const row = await this.db<LineDbRow>('bank_statement_lines').where({ id }).forUpdate().first();
    return row ? mapLine(row) : undefined;
  }

  async recordAssignment(id: string, a: { by: string; at: Date; customerId: string; invoiceNumbers: string[]; creditId: string }): Promise<void> {
    await this.db('bank_statement_lines').where({ id }).update({
      assigned_by: a.by,
      assigned_at: a.at,
      assigned_customer_id: a.customerId,
      assigned_invoice_numbers: JSON.stringify(a.invoiceNumbers),
      assigned_credit_id: a.creditId,
    });
  }

  async lines(filter: { classification?: LineClassification | undefined; limit: number }): Promise<LineRow[]> {
    const params: unknown[] = [];
    let where = '';
    if (filter.classification) {
      where = 'WHERE l.classification = ?';
      params.push(filter.classification);
    }
    params.push(filter.limit);
    const { rows } = await this.db.raw<{ rows: LineDbRow[] }>(`${LINE_SELECT} ${where} ORDER BY l.id DESC LIMIT ?`, params as never[]);
    return rows.map(mapLine);
  }

  /**
   * Invoices whose number (compared without regard to case, as banks upper-case titles) is one
   * of `numbers`, by upper-cased number. A declared read model of the invoices table
   * (docs/architecture.md): matching a title needs a lookup by number across customers, a set
   * operation per batch of lines.
   */
  async invoicesByNumbers(numbers: string[]): Promise<Map<string, { id: string; invoiceNumber: string; customerId: string }>> {
    if (numbers.length === 0) return new Map();
    const { rows } = await this.db.raw<{ rows: { id: string; invoice_number: string; customer_id: string }[] }>(
      'SELECT id, invoice_number, customer_id FROM invoices WHERE upper(invoice_number) = ANY(?::text[]) ORDER BY due_date, id',
      [numbers.map((n) => n.toUpperCase())],
    );
    return new Map(rows.map((r) => [r.invoice_number.toUpperCase(), { id: String(r.id), invoiceNumber: r.invoice_number, customerId: String(r.customer_id) }]));
  }

  /** Bank payouts of the gateway seen on imported statements for a settlement date. */
  async payoutsFor(date: string): Promise<{ statementId: string; reference: string; amount: string; valueDate: string; account: string }[]> {
    const rows = await this.db<LineDbRow>('bank_statement_lines')
      .where({ classification: 'gateway_payout', settlement_date: date })
      .orderBy('id')
      .select('import_id', 'reference', 'amount', 'value_date', 'account');
    return rows.map((r) => ({
      statementId: r.import_id,
      reference: r.reference,
      amount: String(r.amount),
      valueDate: r.value_date,
      account: r.account,
    }));
  }
}
