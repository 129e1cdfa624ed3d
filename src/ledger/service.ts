import { Decimal } from 'decimal.js';
import type { Knex } from 'knex';
import { isCalendarDate, warsawToday, type Clock } from '../clock.js';
import { formatMoney } from '../money.js';
import { LedgerStore, type ChargeRow, type CreditRow, type LedgerItemRow, type NewCredit } from './store.js';

export type SettlementKind = 'invoice' | 'correction' | 'payment' | 'prepayment' | 'overpayment';

export interface SettlementItem {
  documentNumber: string;
  kind: SettlementKind;
  issueDate: string;
  dueDate: string | null;
  amount: string;
  paid: string;
  outstanding: string;
  paymentDate: string | null;
  currency: string;
}

export interface SettlementFilter {
  status?: 'paid' | 'unpaid' | undefined;
  kind?: SettlementKind | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export interface Balance {
  /** What the customer still owes on invoices and corrections. */
  totalOutstanding: string;
  /** Money received and not yet used for any invoice (overpayments, prepayments). */
  availableCredit: string;
  /** totalOutstanding − availableCredit: positive means the customer owes, negative is a credit. */
  balance: string;
}

export interface CreditResult {
  creditId: string;
  /** False when this source was credited before: nothing was changed. */
  created: boolean;
  allocated: { invoiceNumber: string; amount: string }[];
}

/**
 * The account ledger: credits (money received) are allocated to charges (invoices, positive
 * corrections), oldest due date first. What a credit cannot cover stays on the account and is
 * used for the next charges, including ones issued later. Every change runs inside the caller's
 * transaction, with the customer's row locked first.
 */
export class LedgerService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
  ) {}

  /**
   * Records money received, once per (source, sourceRef): allocated to `targetInvoiceIds` first,
   * then to any other outstanding charge; the rest stays as credit on the account.
   */
  async recordCredit(trx: Knex.Transaction, credit: NewCredit, targetInvoiceIds: string[] = []): Promise<CreditResult> {
    const store = new LedgerStore(trx);
    // The customer's ledger is locked by the same statement that inserts the credit.
    const creditId = await store.lockAndInsertCredit(credit);
    if (!creditId) {
      const existing = await store.findCredit(credit.source, credit.sourceRef);
      return { creditId: existing?.id ?? '', created: false, allocated: [] };
    }
    const allocated: CreditResult['allocated'] = [];
    const fresh: CreditRow = {
      id: creditId,
      kind: credit.kind,
      source: credit.source,
      sourceRef: credit.sourceRef,
      documentNumber: credit.documentNumber,
      amount: credit.amount,
      used: '0',
      receivedOn: credit.receivedOn,
      hasInvoiceTarget: credit.hasInvoiceTarget,
    };
    let left = new Decimal(credit.amount);
    if (targetInvoiceIds.length > 0) {
      const targets = await store.outstandingCharges(credit.customerId, targetInvoiceIds);
      const done = await allocate(store, [fresh], targets);
      allocated.push(...done);
      left = left.minus(sumAmounts(done));
    }
    // Credit is never left idle while something is owed (and vice versa), so only a remainder of
    // this credit can change anything; it goes to the other outstanding charges, oldest first.
    if (left.gt(0)) allocated.push(...(await applyLocked(store, credit.customerId)));
    return { creditId, created: true, allocated };
  }

  /** Allocates every available credit of the customer to outstanding charges, oldest first. */
  private async applyCredits(trx: Knex.Transaction, customerId: string): Promise<{ invoiceNumber: string; amount: string }[]> {
    const store = new LedgerStore(trx);
    await store.lockCustomer(customerId);
    return applyLocked(store, customerId);
  }

  /** A newly issued invoice or correction: a negative correction is a credit, the rest are charges. */
  async invoiceIssued(
    trx: Knex.Transaction,
    invoice: { id: string; customerId: string; invoiceNumber: string; amount: string; issueDate: string },
  ): Promise<void> {
    const amount = new Decimal(invoice.amount);
    if (amount.isNegative()) {
      await this.recordCredit(trx, {
        customerId: invoice.customerId,
        kind: 'correction',
        source: 'invoice',
        sourceRef: invoice.id,
        documentNumber: invoice.invoiceNumber,
        amount: formatMoney(amount.negated()),
        receivedOn: invoice.issueDate,
        hasInvoiceTarget: false,
      });
    } else {
      await this.applyCredits(trx, invoice.customerId);
    }
  }

  /**
   * Invoices and positive corrections still owed, oldest due date first, in one statement (a
   * payment order is priced from this; it takes no lock: what it answers is true as of its read).
   */
  async outstandingForPayment(customerId: string): Promise<{ invoiceId: string; invoiceNumber: string; dueDate: string; outstanding: string }[]> {
    const charges = await new LedgerStore(this.db).outstandingCharges(customerId);
    return charges.map((c) => ({
      invoiceId: c.id,
      invoiceNumber: c.invoiceNumber,
      dueDate: c.dueDate,
      outstanding: formatMoney(new Decimal(c.amount).minus(c.paid)),
    }));
  }

  /**
   * What has been paid on each of the customer's invoices (only those among `invoiceNumbers` when
   * given), and when the last payment came.
   */
  async paidByInvoice(customerId: string, invoiceNumbers?: readonly string[]): Promise<Map<string, { paid: string; paymentDate: string | null }>> {
    const rows = await new LedgerStore(this.db).paidByInvoice(customerId, invoiceNumbers);
    return new Map(rows.map((r) => [r.invoiceNumber, { paid: r.paid, paymentDate: r.paymentDate }]));
  }

  async balance(customerId: string): Promise<Balance> {
    return new LedgerStore(this.db).totals(customerId);
  }

  /** The account ledger of SPEC 4.3 with its balance (always over the whole account). */
  async settlements(customerId: string, filter: SettlementFilter): Promise<{ items: SettlementItem[] } & Balance> {
    const { items, ...totals } = await new LedgerStore(this.db).ledgerItems(customerId, filter);
    return { items: items.map(withCurrency), ...totals };
  }

  /**
   * `GET /api/settlements`: the ledger a page at a time (`limit` items after `cursor`), with the
   * balance of the whole account on every page. Filtering, order and paging happen in the one query.
   */
  async settlementsPage(
    customerId: string,
    filter: SettlementFilter,
    page: { limit?: number | undefined; cursor?: string | undefined },
  ): Promise<{ items: SettlementItem[]; nextCursor: string | null } & Balance> {
    const limit = page.limit ?? 100;
    const after = page.cursor !== undefined ? decodeItemKey(page.cursor) : undefined;
    const store = new LedgerStore(this.db);
    if (page.cursor !== undefined && !after) {
      // Not a cursor of ours: an empty page (the balance is still the account's).
      return { items: [], nextCursor: null, ...(await store.totals(customerId)) };
    }
    // One line more than the page tells whether another page follows.
    const { items, ...totals } = await store.ledgerItems(customerId, { ...filter, after, limit: limit + 1 });
    const pageItems = items.slice(0, limit).map(withCurrency);
    const last = pageItems[pageItems.length - 1];
    const nextCursor = last && items.length > limit ? encodeItemKey(last) : null;
    return { items: pageItems, nextCursor, ...totals };
  }

  /**
   * Which of these customers have credit not yet allocated (read in the caller's transaction, with
   * their rows locked): for them `invoiceIssued` allocates; for the others a new charge changes
   * nothing in the ledger. A bulk feed asks once for a whole batch.
   */
  async customersWithAvailableCredit(trx: Knex.Transaction, customerIds: string[]): Promise<Set<string>> {
    if (customerIds.length === 0) return new Set();
    return new Set(await new LedgerStore(trx).customersWithAvailableCredit(customerIds));
  }

  /** Today in Europe/Warsaw, by the injected clock: what "overdue" is measured against. */
  today(): string {
    return warsawToday(this.clock);
  }
}

type ItemKey = Pick<SettlementItem, 'issueDate' | 'documentNumber' | 'kind'>;

/** Ledger lines are all in złoty (SPEC 4.3). */
function withCurrency(item: LedgerItemRow): SettlementItem {
  return { ...item, currency: 'PLN' };
}

function encodeItemKey(i: ItemKey): string {
  return Buffer.from(JSON.stringify([i.issueDate, i.documentNumber, i.kind])).toString('base64url');
}

function decodeItemKey(cursor: string): ItemKey | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'string')) {
      const [issueDate, documentNumber, kind] = v as [string, string, SettlementKind];
      // The query compares the date as a date: anything else was not made here.
      if (isCalendarDate(issueDate)) return { issueDate, documentNumber, kind };
    }
  } catch {
    // not a cursor of ours: an empty page
  }
  return undefined;
}

async function applyLocked(store: LedgerStore, customerId: string): Promise<{ invoiceNumber: string; amount: string }[]> {
  const credits = await store.availableCredits(customerId);
  if (credits.length === 0) return [];
  const charges = await store.outstandingCharges(customerId);
  return allocate(store, credits, charges);
}

function sumAmounts(parts: { amount: string }[]): Decimal {
  return parts.reduce((total, p) => total.plus(p.amount), new Decimal(0));
}

/** Greedy allocation: each credit in order pays the charges in order until one side runs out; one insert. */
async function allocate(
  store: LedgerStore,
  credits: CreditRow[],
  charges: ChargeRow[],
): Promise<{ invoiceNumber: string; amount: string }[]> {
  const done: { invoiceNumber: string; amount: string }[] = [];
  const rows: { creditId: string; invoiceId: string; amount: string }[] = [];
  const owed = charges.map((c) => ({ charge: c, left: new Decimal(c.amount).minus(c.paid) }));
  for (const credit of credits) {
    let available = new Decimal(credit.amount).minus(credit.used);
    for (const o of owed) {
      if (available.lte(0)) break;
      if (o.left.lte(0)) continue;
      const part = Decimal.min(available, o.left);
      rows.push({ creditId: credit.id, invoiceId: o.charge.id, amount: formatMoney(part) });
      done.push({ invoiceNumber: o.charge.invoiceNumber, amount: formatMoney(part) });
      available = available.minus(part);
      o.left = o.left.minus(part);
    }
  }
  await store.insertAllocations(rows);
  return done;
}
