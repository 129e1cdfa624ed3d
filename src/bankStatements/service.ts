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
  parseMt940Async,
  resolveCharset,
  StatementFormatError,
  StatementTruncatedError,
  type BankStatement,
  type StatementLine,
} from './mt940/index.js';
import { presentImport, presentLine, type BankLineView, type ImportView } from './presenters.js';
import { BankStatementStore, type FirstLine, type LineClassification, type NewLine, type StatementSummary } from './store.js';

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
  /** GATEWAY_PAYOUT_ACCOUNTS: the only counterparties of a gateway payout (empty: any). */
  payoutAccounts?: string[];
  /** At most this many lines (:61:) in a file (default 100,000). */
  maxLines?: number;
  /** Files with more credit lines than this are imported in the background (default 2,000). */
  backgroundLines?: number;
  /** Credit lines written per transaction (default 500). */
  batchLines?: number;
}

/** What assigning a line by hand needs of the customers and invoices modules. */
export interface BankStatementsDirectory {
  findByNumber(db: Knex | Knex.Transaction, customerNumber: string): Promise<{ id: string } | undefined>;
  invoicesByNumbers(db: Knex | Knex.Transaction, customerId: string, numbers: string[]): Promise<{ id: string; invoiceNumber: string }[]>;
}

export type ImportOutcome =
  | { outcome: 'created' | 'existing'; view: ImportView }
  | { outcome: 'accepted'; statementId: string; url: string };

export interface LinePage {
  limit: number;
  /** The position of the last line of the previous page. */
  cursor?: number | undefined;
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

/** A credit line of the file, in file order, with what identifies it across files. */
interface PendingCredit {
  position: number;
  account: string;
  line: StatementLine;
  reference: string;
  lineKey: string;
}

/** What makes a line the same line when its bank reference comes back (SPEC 4.5: amount, account, title). */
function differences(first: FirstLine, line: NewLine): string[] {
  const out: string[] = [];
  if (!new Decimal(first.amount).eq(line.amount) || first.currency !== line.currency) out.push(`amount (${formatMoney(first.amount)} ${first.currency} before)`);
  if ((first.counterpartyAccount ?? '') !== (line.counterpartyAccount ?? '')) out.push(`counterparty account (${first.counterpartyAccount ?? 'none'} before)`);
  if (first.title !== line.title) out.push(`title ("${first.title}" before)`);
  return out;
}

/**
 * Bank statement import (SPEC 4.5): the utility's MT940 file, each credit line classified as the
 * gateway's payout of a settlement date, a transfer paying a customer's invoice (credited to the
 * ledger once, keyed by the line's bank reference), unmatched, a duplicate of a line imported
 * before, or a conflict (its reference came before with other content). A file is checked whole
 * before anything is written (cut, foreign account, limits): a small one is then taken in one
 * transaction, a large one in the background, batch by batch (a repeated upload resumes it).
 * Accounting assigns unmatched and conflict lines by hand.
 */
export class BankStatementService {
  private readonly accounts: Set<string>;
  private readonly payoutAccounts: Set<string>;
  private readonly maxLines: number;
  private readonly backgroundLines: number;
  private readonly batchLines: number;
  /** Background imports running in this process, by statementId. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly knex: Knex,
    private readonly ledger: BankStatementsLedger,
    private readonly directory: BankStatementsDirectory,
    private readonly clock: Clock,
    private readonly settings: BankStatementSettings,
    private readonly logger: Logger,
    private readonly gatewayTotals: GatewayTotalsOf,
  ) {
    this.accounts = new Set(settings.accounts);
    this.payoutAccounts = new Set(settings.payoutAccounts ?? []);
    this.maxLines = settings.maxLines ?? 100_000;
    this.backgroundLines = settings.backgroundLines ?? 2_000;
    this.batchLines = settings.batchLines ?? 500;
  }

  /**
   * Imports a file: `created` (201), `existing` (200: the identical file was imported before) or
   * `accepted` (202: a large file, imported in the background; its URL shows the progress).
   */
  async import(bytes: Buffer, contentCharset: string | undefined, by: string, page: LinePage = { limit: 1000 }): Promise<ImportOutcome> {
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
      const text = decodeStatement(bytes, contentCharset);
      // Counted before parsing: a file past the limit costs no more than this.
      const lineCount = text.match(/^:61:/gm)?.length ?? 0;
      if (lineCount > this.maxLines) {
        throw errors.create(
          'statement_too_large',
          `The file holds ${lineCount.toLocaleString('en-US')} statement lines; at most ${this.maxLines.toLocaleString('en-US')} are taken in one file. Nothing of it was kept.`,
          { lines: lineCount, maxLines: this.maxLines },
        );
      }
      statements = await parseMt940Async(text);
    } catch (err) {
      if (err instanceof StatementTruncatedError) {
        throw errors.create('statement_truncated', `The statement is cut short: ${err.message}. Nothing of it was kept; send the whole file.`, {
          ...(err.line !== undefined ? { line: err.line } : {}),
        });
      }
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

    const credits = creditsOf(statements);
    const url = `/api/bank-statements/${statementId}`;
    // Checked in full first: an identical file sent with a wrong charset is still refused.
    const existing = await new BankStatementStore(this.knex).importById(statementId);
    if (existing?.status === 'complete') return { outcome: 'existing', view: await this.view(statementId, page) };
    if (existing) {
      this.startBackground(statementId, credits); // resumes an import a restart or a failure stopped
      return { outcome: 'accepted', statementId, url };
    }
    const header = {
      id: statementId,
      importedAt: this.clock.now(),
      importedBy: by,
      byteSize: bytes.length,
      charset,
      statements: statements.map(summarise),
      lineCount: credits.length,
    };

    if (credits.length > this.backgroundLines) {
      const created = await this.knex.transaction(async (trx) => {
        await trx.raw('SELECT pg_advisory_xact_lock(?)', [IMPORT_LOCK_KEY]);
        const store = new BankStatementStore(trx);
        if (await store.importById(statementId)) return false;
        await store.insertImport({ ...header, status: 'importing' });
        return true;
      });
      if (created) this.logger.info({ statementId, by, lines: credits.length }, 'bank statement accepted for a background import');
      this.startBackground(statementId, credits);
      return { outcome: 'accepted', statementId, url };
    }

    let created = true;
    await this.knex.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(?)', [IMPORT_LOCK_KEY]);
      const store = new BankStatementStore(trx);
      if (await store.importById(statementId)) {
        created = false; // the same file, imported by a concurrent request
        return;
      }
      await store.insertImport({ ...header, status: 'complete' });
      for (let at = 0; at < credits.length; at += this.batchLines) {
        await this.writeBatch(trx, statementId, credits.slice(at, at + this.batchLines));
      }
    });
    if (created) this.logger.info({ statementId, by, statements: statements.length }, 'bank statement imported');
    else {
      const now = await new BankStatementStore(this.knex).importById(statementId);
      if (now?.status !== 'complete') return { outcome: 'accepted', statementId, url };
    }
    return { outcome: created ? 'created' : 'existing', view: await this.view(statementId, page) };
  }

  /** Runs (or joins) the background import of a file: batch by batch, each its own transaction. */
  private startBackground(statementId: string, credits: PendingCredit[]): void {
    if (this.running.has(statementId)) return;
    const work = (async () => {
      try {
        const done = await new BankStatementStore(this.knex).writtenPositions(statementId);
        const rest = credits.filter((c) => c.position > done);
        for (let at = 0; at < rest.length; at += this.batchLines) {
          const batch = rest.slice(at, at + this.batchLines);
          await this.knex.transaction(async (trx) => {
            await trx.raw('SELECT pg_advisory_xact_lock(?)', [IMPORT_LOCK_KEY]);
            await this.writeBatch(trx, statementId, batch);
          });
          // Other requests get their turn between batches (on the embedded database they share its one connection).
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        await new BankStatementStore(this.knex).finishImport(statementId, 'complete', null);
        this.logger.info({ statementId, lines: credits.length }, 'bank statement imported in the background');
      } catch (err) {
        this.logger.error({ err, statementId }, 'background import of a bank statement failed; sending the file again resumes it');
        await new BankStatementStore(this.knex)
          .finishImport(statementId, 'failed', 'The import stopped on our side; send the same file again to resume it.')
          .catch(() => undefined);
      } finally {
        this.running.delete(statementId);
      }
    })();
    this.running.set(statementId, work);
  }

  /** Waits for the background imports of this process (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.running.values()]);
  }

  /**
   * Classifies and writes a batch of credit lines in the caller's transaction (which holds the
   * import lock): a reference seen before (in this file or another) is a duplicate or a conflict;
   * the rest are matched to invoices (one query for the batch) and credited once.
   */
  private async writeBatch(trx: Knex.Transaction, importId: string, batch: PendingCredit[]): Promise<void> {
    const store = new BankStatementStore(trx);
    const seen = await store.firstLinesByKeys([...new Set(batch.map((c) => c.lineKey))]);
    const candidates = new Set<string>();
    for (const c of batch) for (const n of invoiceCandidates(c.line.title)) candidates.add(n);
    const invoices = await store.invoicesByNumbers([...candidates]);

    const firsts: NewLine[] = [];
    const repeats: { line: NewLine; firstOf: string }[] = [];
    const inBatch = new Map<string, NewLine>();
    for (const c of batch) {
      const base = newLine(importId, c);
      const earlier = seen.get(c.lineKey);
      const earlierHere = inBatch.get(c.lineKey);
      if (earlier || earlierHere) {
        const first: FirstLine = earlier ?? { ...earlierHere!, id: '' };
        const diff = differences(first, base);
        repeats.push({
          line:
            diff.length === 0
              ? { ...base, classification: 'duplicate', note: 'this bank reference was imported before; nothing was credited again' }
              : {
                  ...base,
                  classification: 'conflict',
                  note: `this bank reference was imported before with another ${diff.join(', another ')}; nothing was credited: accounting decides (assign it by hand)`,
                },
          firstOf: c.lineKey,
        });
        continue;
      }
      const classified = await this.classify(trx, c, base, invoices);
      inBatch.set(c.lineKey, classified);
      firsts.push(classified);
    }
    const ids = await store.insertLines(firsts);
    for (const [key, id] of ids) seen.set(key, { ...(inBatch.get(key) as NewLine), id, importId });
    if (repeats.length > 0) {
      await store.insertLines(repeats.map((r) => ({ ...r.line, duplicateOf: seen.get(r.firstOf)!.id })));
    }
  }

  private async classify(
    trx: Knex.Transaction,
    c: PendingCredit,
    base: NewLine,
    invoiceIndex: Map<string, { id: string; invoiceNumber: string; customerId: string }>,
  ): Promise<NewLine> {
    const line = c.line;
    if (line.reversal) return { ...base, note: 'the bank reverses an earlier debit: not a customer payment' };
    // Our invoice numbers first: a customer may well quote the payout's wording beside one (issue 12, finding 9).
    const invoices = line.currency === 'PLN' && new Decimal(line.amount).gt(0)
      ? invoiceCandidates(line.title).flatMap((n) => invoiceIndex.get(n) ?? [])
      : [];
    if (invoices.length > 0) {
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
    const payout = PAYOUT_TITLE.exec(line.title);
    if (payout) {
      const [, merchantId, date] = payout as unknown as [string, string, string];
      if (merchantId !== this.settings.merchantId) {
        return { ...base, note: `a PayByNet payout for another merchant (${merchantId})` };
      }
      if (this.payoutAccounts.size > 0 && !this.payoutAccounts.has(line.counterpartyAccount ?? '')) {
        return {
          ...base,
          note: `titled as the gateway's payout, but sent from ${line.counterpartyAccount ?? 'an unknown account'}, which is not in GATEWAY_PAYOUT_ACCOUNTS`,
        };
      }
      if (!isValidCalendarDate(date)) return { ...base, note: `a PayByNet payout with an impossible date ${date}` };
      return { ...base, classification: 'gateway_payout', settlementDate: date };
    }
    if (line.currency !== 'PLN') return { ...base, note: `a credit in ${line.currency}: only PLN transfers are matched to invoices` };
    if (!new Decimal(line.amount).gt(0)) return { ...base, note: 'a zero amount' };
    return base;
  }

  /**
   * Accounting places an unmatched or conflict line by hand (SPEC 4.5): credited to the customer
   * (to the named invoices first) once, with who and when. A second assignment is refused.
   */
  async assign(lineId: string, target: { customerNumber: string; invoiceNumbers?: string[] | undefined }, by: string): Promise<BankLineView & { statementId: string }> {
    await this.knex.transaction(async (trx) => {
      const store = new BankStatementStore(trx);
      const line = await store.lineForUpdate(lineId);
      if (!line) throw errors.create('bank_line_not_found', `No bank statement line ${lineId}.`);
      if (line.assignedAt) {
        throw errors.create('line_already_assigned', `Line ${lineId} was assigned by ${line.assignedBy} at ${new Date(line.assignedAt).toISOString()}; it is credited once.`);
      }
      if (line.classification !== 'unmatched' && line.classification !== 'conflict') {
        throw errors.create('line_not_assignable', `Line ${lineId} is ${line.classification}; only unmatched and conflict lines are assigned by hand.`);
      }
      if (line.currency !== 'PLN' || !new Decimal(line.amount).gt(0)) {
        throw errors.create('line_not_assignable', `Line ${lineId} is ${formatMoney(line.amount)} ${line.currency}; only PLN credits are assigned to customers.`);
      }
      const customer = await this.directory.findByNumber(trx, target.customerNumber);
      if (!customer) throw errors.create('unknown_assignee', `There is no customer ${target.customerNumber}.`, { field: 'customerNumber' });
      const wanted = [...new Set(target.invoiceNumbers ?? [])];
      const invoices = wanted.length > 0 ? await this.directory.invoicesByNumbers(trx, customer.id, wanted) : [];
      const missing = wanted.filter((n) => !invoices.some((i) => i.invoiceNumber === n));
      if (missing.length > 0) {
        throw errors.create('unknown_assignee', `Customer ${target.customerNumber} has no invoice ${missing.join(', ')}.`, { field: 'invoiceNumbers', invoiceNumbers: missing });
      }
      const credit = await this.ledger.recordCredit(
        trx,
        {
          customerId: customer.id,
          kind: 'payment',
          source: 'bank',
          // A conflict line shares its key with the first line of its reference: its own credit.
          sourceRef: line.classification === 'conflict' ? `${line.lineKey}#${line.id}` : line.lineKey,
          documentNumber: `BANK/${line.reference}`,
          amount: formatMoney(line.amount),
          receivedOn: line.valueDate,
          hasInvoiceTarget: invoices.length > 0,
        },
        invoices.map((i) => i.id),
      );
      if (!credit.created) throw errors.create('line_already_assigned', `The money of line ${lineId} was credited before; it is credited once.`);
      await store.recordAssignment(lineId, {
        by,
        at: this.clock.now(),
        customerId: customer.id,
        invoiceNumbers: invoices.map((i) => i.invoiceNumber),
        creditId: credit.creditId,
      });
    });
    this.logger.info({ lineId, by, customerNumber: target.customerNumber }, 'bank statement line assigned by hand');
    const line = await new BankStatementStore(this.knex).lineById(lineId);
    const totals = await this.totalsFor([line!]);
    return { statementId: line!.importId, ...presentLine(line!, totals) };
  }

  private totalsFor(lines: { settlementDate: string | null }[]): Promise<Map<string, string>> {
    return this.gatewayTotals([...new Set(lines.flatMap((l) => (l.settlementDate ? [l.settlementDate] : [])))]);
  }

  /** An import as it is now with a page of its lines: payouts are compared with the current reconciliation of their date. */
  async view(statementId: string, page: LinePage = { limit: 1000 }): Promise<ImportView> {
    const store = new BankStatementStore(this.knex);
    const row = await store.importById(statementId);
    if (!row) throw errors.create('statement_not_found', `No bank statement ${statementId} has been imported.`);
    const lines = await store.linesOf(statementId, { after: page.cursor ?? 0, limit: page.limit + 1 });
    const more = lines.length > page.limit;
    if (more) lines.pop();
    const totals = await this.totalsFor(lines);
    return presentImport(row, lines.map((l) => presentLine(l, totals)), more ? String(lines[lines.length - 1]!.position) : null);
  }

  async list(limit: number) {
    const rows = await new BankStatementStore(this.knex).imports(limit);
    return rows.map((r) => ({
      statementId: r.id,
      importedAt: new Date(r.importedAt).toISOString(),
      importedBy: r.importedBy,
      status: r.status,
      accounts: [...new Set(r.statements.map((s) => s.account))],
      statements: r.statements.length,
      creditLines: r.lines,
    }));
  }

  /** Credit lines of every import, newest first, e.g. the unmatched ones accounting has to place. */
  async lines(classification: LineClassification | undefined, limit: number): Promise<(BankLineView & { statementId: string })[]> {
    const lines = await new BankStatementStore(this.knex).lines({ classification, limit });
    const totals = await this.totalsFor(lines);
    return lines.map((l) => ({ statementId: l.importId, ...presentLine(l, totals) }));
  }

  /** The gateway's payouts of a settlement date found on imported statements (for reconciliation). */
  async payoutsFor(date: string): Promise<{ statementId: string; reference: string; account: string; amount: string; valueDate: string }[]> {
    return new BankStatementStore(this.knex).payoutsFor(date);
  }
}

function creditsOf(statements: BankStatement[]): PendingCredit[] {
  const out: PendingCredit[] = [];
  for (const statement of statements) {
    for (const line of statement.lines) {
      if (line.direction !== 'credit') continue;
      const reference = lineReference(line);
      out.push({ position: out.length + 1, account: statement.account, line, reference, lineKey: `${statement.account}/${reference}` });
    }
  }
  return out;
}

function newLine(importId: string, c: PendingCredit): NewLine {
  const line = c.line;
  return {
    importId,
    position: c.position,
    account: c.account,
    lineKey: c.lineKey,
    reference: c.reference,
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
}
