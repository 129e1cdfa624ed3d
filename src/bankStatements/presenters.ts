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
  /** duplicate: the statement file that brought this line first. */
  firstImportedIn?: string | null;
  note: string | null;
}

export interface ImportView {
  statementId: string;
  importedAt: string;
  importedBy: string;
  charset: string;
  statements: StatementSummary[];
  lines: BankLineView[];
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
  if (l.classification === 'duplicate') view.firstImportedIn = l.duplicateOfImportId;
  return view;
}

export function presentImport(row: ImportRow, lines: BankLineView[]): ImportView {
  return {
    statementId: row.id,
    importedAt: new Date(row.importedAt).toISOString(),
    importedBy: row.importedBy,
    charset: row.charset,
    statements: row.statements,
    lines,
  };
}
