import { Decimal } from 'decimal.js';
import { formatMoney } from '../money.js';
import type { ImportRow, LineClassification, LineRow, StatementSummary } from './store.js';

export interface BankLineView {
  /** The line's id, for the assignment by hand. */
  id: string;
  /** The bank's reference of the line (with mBank's transaction number when it has one). */
  reference: string;
  account: string;
  valueDate: string;
  entryDate: string | null;
  amount: string;
  currency: string;
  title: string;
  counterpartyName: string | null;
  counterpartyAccount: string | null;
  classification: LineClassification;
  /** gateway_payout: the settlement date the title names... */
  settlementDate?: string;
  /** ...that date's gatewayTotal (null while it is not reconciled)... */
  gatewayTotal?: string | null;
  /** ...and whether the payout equals it (null while the date is not reconciled). */
  matchesGatewayTotal?: boolean | null;
  /** invoice_payment: the invoices found in the title and whose ledger was credited. */
  invoiceNumbers?: string[];
  customerNumber?: string | null;
  creditId?: string | null;
  /** duplicate, conflict: the statement file that brought this reference first. */
  firstImportedIn?: string | null;
  /** An unmatched or conflict line placed by accounting: to whom, by whom, when. */
  assignment?: {
    customerNumber: string | null;
    invoiceNumbers: string[];
    creditId: string | null;
    assignedBy: string;
    assignedAt: string;
  };
  note: string | null;
}

export interface ImportView {
  statementId: string;
  /** `importing` while a large file is taken in the background; `failed` says to send it again. */
  status: 'importing' | 'complete' | 'failed';
  error: string | null;
  importedAt: string;
  importedBy: string;
  charset: string;
  statements: StatementSummary[];
  /** Credit lines in the file (the page below holds some of them). */
  lineCount: number | null;
  lines: BankLineView[];
  /** Pass as `cursor` for the next page of lines; null on the last one. */
  nextCursor: string | null;
}

export function presentLine(l: LineRow, totals: Map<string, string>): BankLineView {
  const view: BankLineView = {
    id: l.id,
    reference: l.reference,
    account: l.account,
    valueDate: l.valueDate,
    entryDate: l.entryDate,
    amount: formatMoney(l.amount),
    currency: l.currency,
    title: l.title,
    counterpartyName: l.counterpartyName,
    counterpartyAccount: l.counterpartyAccount,
    classification: l.classification,
    note: l.note,
  };
  if (l.classification === 'gateway_payout' && l.settlementDate) {
    const total = totals.get(l.settlementDate);
    view.settlementDate = l.settlementDate;
    view.gatewayTotal = total === undefined ? null : formatMoney(total);
    view.matchesGatewayTotal = total === undefined ? null : new Decimal(l.amount).eq(total);
  }
  if (l.classification === 'invoice_payment') {
    view.invoiceNumbers = l.invoiceNumbers ?? [];
    view.customerNumber = l.customerNumber;
    view.creditId = l.creditId;
  } else if (l.invoiceNumbers) {
    view.invoiceNumbers = l.invoiceNumbers;
  }
  if (l.classification === 'duplicate' || l.classification === 'conflict') view.firstImportedIn = l.duplicateOfImportId;
  if (l.assignedBy && l.assignedAt) {
    view.assignment = {
      customerNumber: l.assignedCustomerNumber,
      invoiceNumbers: l.assignedInvoiceNumbers ?? [],
      creditId: l.assignedCreditId,
      assignedBy: l.assignedBy,
      assignedAt: new Date(l.assignedAt).toISOString(),
    };
  }
  return view;
}

export function presentImport(row: ImportRow, lines: BankLineView[], nextCursor: string | null): ImportView {
  return {
    statementId: row.id,
    status: row.status,
    error: row.error,
    importedAt: new Date(row.importedAt).toISOString(),
    importedBy: row.importedBy,
    charset: row.charset,
    statements: row.statements,
    lineCount: row.lineCount,
    lines,
    nextCursor,
  };
}
