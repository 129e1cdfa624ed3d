import type { Queryable } from '../db/createDb.js';

export type LineClassification = 'gateway_payout' | 'invoice_payment' | 'unmatched' | 'duplicate';

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
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function mapImport(r: any): ImportRow {
  return {
    id: r.id,
    importedAt: r.imported_at,
    importedBy: r.imported_by,
    byteSize: Number(r.byte_size),
    charset: r.charset,
    statements: r.statements,
  };
}

function mapLine(r: any): LineRow {
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
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

const LINE_SELECT = `SELECT l.*, c.customer_number, d.import_id AS duplicate_of_import_id
    FROM bank_statement_lines l
    LEFT JOIN customers c ON c.id = l.customer_id
    LEFT JOIN bank_statement_lines d ON d.id = l.duplicate_of`;

export class BankStatementStore {
  constructor(private readonly db: Queryable) {}

  async importById(id: string): Promise<ImportRow | undefined> {
    const row = await this.db('bank_statement_imports').where({ id }).first();
    return row ? mapImport(row) : undefined;
  }

  async imports(limit: number): Promise<(ImportRow & { lines: number })[]> {
    const rows = await this.db('bank_statement_imports as i')
      .select('i.*', this.db.raw('(SELECT count(*) FROM bank_statement_lines l WHERE l.import_id = i.id) AS lines'))
      .orderBy('i.imported_at', 'desc')
      .limit(limit);
    return rows.map((r) => ({ ...mapImport(r), lines: Number(r.lines) }));
  }

  async insertImport(row: Omit<ImportRow, 'importedAt'> & { importedAt: Date }): Promise<void> {
    await this.db('bank_statement_imports').insert({
      id: row.id,
      imported_at: row.importedAt,
      imported_by: row.importedBy,
      byte_size: row.byteSize,
      charset: row.charset,
      statements: JSON.stringify(row.statements),
    });
  }

  /** The line first imported under this key (never a duplicate). */
  async lineByKey(lineKey: string): Promise<{ id: string; importId: string } | undefined> {
    const row = await this.db('bank_statement_lines').where({ line_key: lineKey }).whereNot({ classification: 'duplicate' }).first('id', 'import_id');
    return row ? { id: String(row.id), importId: row.import_id } : undefined;
  }

  async insertLine(line: NewLine): Promise<string> {
    const rows = await this.db('bank_statement_lines')
      .insert({
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
      })
      .returning('id');
    return String((rows[0] as { id: string }).id);
  }

  async linesOf(importId: string): Promise<LineRow[]> {
    const { rows } = await this.db.raw<{ rows: unknown[] }>(`${LINE_SELECT} WHERE l.import_id = ? ORDER BY l.position`, [importId]);
    return rows.map(mapLine);
  }

  async lines(filter: { classification?: LineClassification | undefined; limit: number }): Promise<LineRow[]> {
    const params: unknown[] = [];
    let where = '';
    if (filter.classification) {
      where = 'WHERE l.classification = ?';
      params.push(filter.classification);
    }
    params.push(filter.limit);
    const { rows } = await this.db.raw<{ rows: unknown[] }>(`${LINE_SELECT} ${where} ORDER BY l.id DESC LIMIT ?`, params as never[]);
    return rows.map(mapLine);
  }

  /**
   * Invoices whose number (compared without regard to case, as banks upper-case titles) is one
   * of `numbers`. Read-only use of the billing module's table: there is no lookup by number
   * across customers in BillingService.
   */
  async invoicesByNumbers(numbers: string[]): Promise<{ id: string; invoiceNumber: string; customerId: string }[]> {
    if (numbers.length === 0) return [];
    const { rows } = await this.db.raw<{ rows: { id: string; invoice_number: string; customer_id: string }[] }>(
      'SELECT id, invoice_number, customer_id FROM invoices WHERE upper(invoice_number) = ANY(?::text[]) ORDER BY due_date, id',
      [numbers.map((n) => n.toUpperCase())],
    );
    return rows.map((r) => ({ id: String(r.id), invoiceNumber: r.invoice_number, customerId: String(r.customer_id) }));
  }

  /** Bank payouts of the gateway seen on imported statements for a settlement date. */
  async payoutsFor(date: string): Promise<{ statementId: string; reference: string; amount: string; valueDate: string; account: string }[]> {
    const rows = await this.db('bank_statement_lines')
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
