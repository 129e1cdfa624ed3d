import { createHash } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { isValidCalendarDate } from '../gateway/index.js';
import type { CreditResult, NewCredit } from '../ledger/index.js';
import { formatMoney } from '../money.js';
import { bankStatementErrors as errors } from './errors.js';
import {
  chooseCharset,
  decodeStatement,
  parseMt940,
  resolveCharset,
  StatementFormatError,
  type BankStatement,
  type StatementLine,
} from './mt940/index.js';
import { presentImport, presentLine, type BankLineView, type ImportView } from './presenters.js';
import { BankStatementStore, type LineClassification, type NewLine, type StatementSummary } from './store.js';

/** What the import needs of the ledger: one credit per (source, sourceRef), inside our transaction. */
export interface BankStatementsLedger {
  recordCredit(trx: Knex.Transaction, credit: NewCredit, targetInvoiceIds?: string[]): Promise<CreditResult>;
}

/** gatewayTotal of the current reconciliation of each date (from the reconciliation module). */
export type GatewayTotalsOf = (dates: string[]) => Promise<Map<string, string>>;

export interface BankStatementSettings {
  /** id_client: the payout title names it. */
  merchantId: string;
  /** The utility's accounts (MERCHANT_ACCOUNT and BANK_ACCOUNTS), 26-digit NRB. */
  accounts: string[];
}

/** `PAYBYNET ROZLICZENIE {id_client} {YYYY-MM-DD}` (SPEC 3.5), wherever the title was cut. */
const PAYOUT_TITLE = /PAYBYNET\s*ROZLICZENIE\s*(\d{10})\s*(\d{4}-\d{2}-\d{2})/i;
/** Serialises imports, so a line seen in two files at once is still taken once. */
const IMPORT_LOCK_KEY = 94_020_001;

/**
 * Words of a title that could be invoice numbers: letters, digits and / . _ - (the characters a
 * billing number may hold), with a digit in them and at least 4 long, upper-cased as banks write.
 */
export function invoiceCandidates(title: string): string[] {
  const tokens = title.toUpperCase().match(/[A-Z0-9][A-Z0-9/._-]*/g) ?? [];
  const out = new Set<string>();
  for (const raw of tokens) {
    const token = raw.replace(/[/._-]+$/, '');
    if (token.length >= 4 && /\d/.test(token)) out.add(token);
  }
  return [...out].slice(0, 50);
}

/** The line's identity across files: mBank repeats one bank reference on several lines and accounts. */
function lineReference(line: StatementLine): string {
  const tnr = line.transactionNumber;
  return tnr && tnr !== line.bankReference ? `${line.bankReference}/${tnr}` : line.bankReference;
}

function summarise(s: BankStatement): StatementSummary {
  const credits = s.lines.filter((l) => l.direction === 'credit').length;
  return {
    reference: s.reference,
    account: s.account,
    number: s.number,
    currency: s.currency,
    openingBalance: { date: s.openingBalance.date, amount: s.openingBalance.amount },
    closingBalance: s.closingBalance ? { date: s.closingBalance.date, amount: s.closingBalance.amount } : null,
    creditLines: credits,
    debitLines: s.lines.length - credits,
  };
}

/**
 * Bank statement import (SPEC 4.5): the utility's MT940 file, each credit line classified as the
 * gateway's payout of a settlement date, a transfer paying a customer's invoice (credited to the
 * ledger once, keyed by the line's bank reference), unmatched, or a duplicate of a line imported
 * before. The whole file is taken in one transaction: all of it or nothing.
 */
export class BankStatementService {
  private readonly accounts: Set<string>;

  constructor(
    private readonly knex: Knex,
    private readonly ledger: BankStatementsLedger,
    private readonly clock: Clock,
    private readonly settings: BankStatementSettings,
    private readonly logger: Logger,
    private readonly gatewayTotals: GatewayTotalsOf,
  ) {
    this.accounts = new Set(settings.accounts);
  }

  /** Imports a file; `created` is false when the identical file was imported before. */
  async import(bytes: Buffer, contentCharset: string | undefined, by: string): Promise<{ created: boolean; view: ImportView }> {
    if (bytes.length === 0) throw errors.create('empty_statement', 'The body is empty: send the MT940 file as the request body.');
    const statementId = createHash('sha256').update(bytes).digest('hex');
    if (contentCharset) {
      try {
        resolveCharset(contentCharset);
      } catch (err) {
        if (err instanceof StatementFormatError) throw errors.create('unsupported_charset', `${err.message}.`);
        throw err;
      }
    }
    let statements: BankStatement[];
    let charset: string;
    try {
      charset = chooseCharset(bytes, contentCharset);
      statements = parseMt940(decodeStatement(bytes, contentCharset));
    } catch (err) {
      if (err instanceof StatementFormatError) {
        throw errors.create('invalid_statement', `The file is not an MT940 statement this service can read: ${err.message}.`, {
          ...(err.line !== undefined ? { line: err.line } : {}),
          ...(err.field !== undefined ? { field: err.field } : {}),
        });
      }
      throw err;
    }
    const foreign = [...new Set(statements.map((s) => s.account).filter((a) => !this.accounts.has(a)))];
    if (foreign.length > 0) {
      throw errors.create(
        'foreign_account',
        `The file holds a statement of account ${foreign.join(', ')}, which is not an account of the utility ` +
          `(MERCHANT_ACCOUNT or BANK_ACCOUNTS); nothing from the file was imported.`,
        { accounts: foreign },
      );
    }

    // Checked in full first: an identical file sent with a wrong charset is still refused.
    if (await new BankStatementStore(this.knex).importById(statementId)) {
      return { created: false, view: await this.view(statementId) };
    }
    let created = true;
    await this.knex.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(?)', [IMPORT_LOCK_KEY]);
      const store = new BankStatementStore(trx);
      if (await store.importById(statementId)) {
        created = false; // the same file, imported by a concurrent request
        return;
      }
      await store.insertImport({
        id: statementId,
        importedAt: this.clock.now(),
        importedBy: by,
        byteSize: bytes.length,
        charset,
        statements: statements.map(summarise),
      });
      const inThisFile = new Map<string, string>();
      let position = 0;
      for (const statement of statements) {
        for (const line of statement.lines) {
          if (line.direction !== 'credit') continue;
          position += 1;
          const reference = lineReference(line);
          const lineKey = `${statement.account}/${reference}`;
          const base: NewLine = {
            importId: statementId,
            position,
            account: statement.account,
            lineKey,
            reference,
            valueDate: line.valueDate,
            entryDate: line.entryDate ?? null,
            amount: line.amount,
            currency: line.currency,
            title: line.title,
            counterpartyName: line.counterpartyName ?? null,
            counterpartyAccount: line.counterpartyAccount ?? null,
            classification: 'unmatched',
            settlementDate: null,
            invoiceNumbers: null,
            customerId: null,
            creditId: null,
            duplicateOf: null,
            note: null,
          };
          const earlier = inThisFile.get(lineKey) ?? (await store.lineByKey(lineKey))?.id;
          if (earlier) {
            await store.insertLine({ ...base, classification: 'duplicate', duplicateOf: earlier, note: 'this bank reference was imported before; nothing was credited again' });
            continue;
          }
          const classified = await this.classify(trx, store, line, base);
          inThisFile.set(lineKey, await store.insertLine(classified));
        }
      }
    });
    if (created) this.logger.info({ statementId, by, statements: statements.length }, 'bank statement imported');
    return { created, view: await this.view(statementId) };
  }

  private async classify(trx: Knex.Transaction, store: BankStatementStore, line: StatementLine, base: NewLine): Promise<NewLine> {
    const payout = PAYOUT_TITLE.exec(line.title);
    if (payout) {
      const [, merchantId, date] = payout as unknown as [string, string, string];
      if (merchantId !== this.settings.merchantId) {
        return { ...base, note: `a PayByNet payout for another merchant (${merchantId})` };
      }
      if (!isValidCalendarDate(date)) return { ...base, note: `a PayByNet payout with an impossible date ${date}` };
      return { ...base, classification: 'gateway_payout', settlementDate: date };
    }
    if (line.reversal) return { ...base, note: 'the bank reverses an earlier debit: not a customer payment' };
    if (line.currency !== 'PLN') return { ...base, note: `a credit in ${line.currency}: only PLN transfers are matched to invoices` };
    if (!new Decimal(line.amount).gt(0)) return { ...base, note: 'a zero amount' };

    const invoices = await store.invoicesByNumbers(invoiceCandidates(line.title));
    if (invoices.length === 0) return base;
    const customers = new Set(invoices.map((i) => i.customerId));
    if (customers.size > 1) {
      return { ...base, invoiceNumbers: invoices.map((i) => i.invoiceNumber), note: 'the title names invoices of several customers: decide by hand' };
    }
    const customerId = invoices[0]!.customerId;
    const credit = await this.ledger.recordCredit(
      trx,
      {
        customerId,
        kind: 'payment',
        source: 'bank',
        sourceRef: base.lineKey,
        documentNumber: `BANK/${base.reference}`,
        amount: formatMoney(line.amount),
        receivedOn: line.valueDate,
        hasInvoiceTarget: true,
      },
      invoices.map((i) => i.id),
    );
    return {
      ...base,
      classification: 'invoice_payment',
      invoiceNumbers: invoices.map((i) => i.invoiceNumber),
      customerId,
      creditId: credit.creditId || null,
      note: credit.created ? null : 'this bank reference was credited before',
    };
  }

  /** An import as it is now: payouts are compared with the current reconciliation of their date. */
  async view(statementId: string): Promise<ImportView> {
    const store = new BankStatementStore(this.knex);
    const row = await store.importById(statementId);
    if (!row) throw errors.create('statement_not_found', `No bank statement ${statementId} has been imported.`);
    const lines = await store.linesOf(statementId);
    const totals = await this.gatewayTotals([...new Set(lines.flatMap((l) => (l.settlementDate ? [l.settlementDate] : [])))]);
    return presentImport(row, lines.map((l) => presentLine(l, totals)));
  }

  async list(limit: number) {
    const rows = await new BankStatementStore(this.knex).imports(limit);
    return rows.map((r) => ({
      statementId: r.id,
      importedAt: new Date(r.importedAt).toISOString(),
      importedBy: r.importedBy,
      accounts: [...new Set(r.statements.map((s) => s.account))],
      statements: r.statements.length,
      creditLines: r.lines,
    }));
  }

  /** Credit lines of every import, newest first, e.g. the unmatched ones accounting has to place. */
  async lines(classification: LineClassification | undefined, limit: number): Promise<(BankLineView & { statementId: string })[]> {
    const store = new BankStatementStore(this.knex);
    const lines = await store.lines({ classification, limit });
    const totals = await this.gatewayTotals([...new Set(lines.flatMap((l) => (l.settlementDate ? [l.settlementDate] : [])))]);
    return lines.map((l) => ({ statementId: l.importId, ...presentLine(l, totals) }));
  }

  /** The gateway's payouts of a settlement date found on imported statements (for reconciliation). */
  async payoutsFor(date: string): Promise<{ statementId: string; reference: string; account: string; amount: string; valueDate: string }[]> {
    return new BankStatementStore(this.knex).payoutsFor(date);
  }
}
