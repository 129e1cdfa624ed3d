import { Decimal } from 'decimal.js';
import type { Knex } from 'knex';
import { warsawToday, type Clock } from '../clock.js';
import { formatMoney, ZERO } from '../money.js';
import { LedgerStore, type ChargeRow, type CreditRow, type NewCredit } from './store.js';

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
    await store.lockCustomer(credit.customerId);
    const creditId = await store.insertCredit(credit);
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
   * Invoices and positive corrections still owed, oldest due date first, read inside the caller's
   * transaction with the customer's ledger locked (a payment order is priced from this).
   */
  async outstandingForPayment(trx: Knex.Transaction, customerId: string): Promise<{ invoiceId: string; invoiceNumber: string; dueDate: string; outstanding: string }[]> {
    const store = new LedgerStore(trx);
    await store.lockCustomer(customerId);
    const charges = await store.outstandingCharges(customerId);
    return charges.map((c) => ({
      invoiceId: c.id,
      invoiceNumber: c.invoiceNumber,
      dueDate: c.dueDate,
      outstanding: formatMoney(new Decimal(c.amount).minus(c.paid)),
    }));
  }

  /** What has been paid on each of the customer's invoices, and when the last payment came. */
  async paidByInvoice(customerId: string): Promise<Map<string, { paid: string; paymentDate: string | null }>> {
    const charges = await new LedgerStore(this.db).charges(customerId);
    return new Map(
      charges.map((c) => {
        const paid = new Decimal(c.paid);
        return [c.invoiceNumber, { paid: formatMoney(paid), paymentDate: paid.gt(0) ? c.lastPaidOn : null }];
      }),
    );
  }

  async balance(customerId: string): Promise<Balance> {
    const store = new LedgerStore(this.db);
    const [charges, credits] = await Promise.all([store.charges(customerId), store.credits(customerId)]);
    return computeBalance(charges, credits);
  }

  /** The account ledger of SPEC 4.3 with its balance (always over the whole account). */
  async settlements(customerId: string, filter: SettlementFilter): Promise<{ items: SettlementItem[] } & Balance> {
    const store = new LedgerStore(this.db);
    const charges = await store.charges(customerId);
    const credits = await store.credits(customerId);
    const items: SettlementItem[] = [];
    for (const c of charges) {
      const amount = new Decimal(c.amount);
      if (amount.isNegative()) {
        // A negative correction: its value lives on as a credit (shown below as its remainder).
        items.push({
          documentNumber: c.invoiceNumber,
          kind: 'correction',
          issueDate: c.issueDate,
          dueDate: c.dueDate,
          amount: formatMoney(amount),
          paid: '0.00',
          outstanding: '0.00',
          paymentDate: null,
          currency: c.currency,
        });
        continue;
      }
      const paid = new Decimal(c.paid);
      items.push({
        documentNumber: c.invoiceNumber,
        kind: c.kind,
        issueDate: c.issueDate,
        dueDate: c.dueDate,
        amount: formatMoney(amount),
        paid: formatMoney(paid),
        outstanding: formatMoney(amount.minus(paid)),
        paymentDate: paid.gt(0) ? c.lastPaidOn : null,
        currency: c.currency,
      });
    }
    for (const cr of credits) {
      if (cr.kind === 'payment') {
        items.push({
          documentNumber: cr.documentNumber,
          kind: 'payment',
          issueDate: cr.receivedOn,
          dueDate: null,
          amount: formatMoney(cr.amount),
          paid: formatMoney(cr.amount),
          outstanding: '0.00',
          paymentDate: cr.receivedOn,
          currency: 'PLN',
        });
      }
      const left = new Decimal(cr.amount).minus(cr.used);
      if (left.gt(0)) {
        items.push({
          documentNumber: cr.documentNumber,
          kind: cr.hasInvoiceTarget ? 'overpayment' : 'prepayment',
          issueDate: cr.receivedOn,
          dueDate: null,
          amount: formatMoney(left),
          paid: '0.00',
          outstanding: formatMoney(left.negated()),
          paymentDate: cr.kind === 'payment' ? cr.receivedOn : null,
          currency: 'PLN',
        });
      }
    }
    const filtered = items
      .filter((i) => !filter.kind || i.kind === filter.kind)
      .filter((i) => !filter.from || i.issueDate >= filter.from)
      .filter((i) => !filter.to || i.issueDate <= filter.to)
      .filter((i) => {
        if (!filter.status) return true;
        const settled = new Decimal(i.outstanding).isZero();
        return filter.status === 'paid' ? settled : !settled;
      })
      .sort(newestFirst);
    return { items: filtered, ...computeBalance(charges, credits) };
  }

  /**
   * `GET /api/settlements`: the ledger a page at a time (`limit` items after `cursor`), with the
   * balance of the whole account on every page.
   */
  async settlementsPage(
    customerId: string,
    filter: SettlementFilter,
    page: { limit?: number | undefined; cursor?: string | undefined },
  ): Promise<{ items: SettlementItem[]; nextCursor: string | null } & Balance> {
    const all = await this.settlements(customerId, filter);
    const limit = page.limit ?? 100;
    let start = 0;
    if (page.cursor !== undefined) {
      const after = decodeItemKey(page.cursor);
      start = after ? all.items.findIndex((i) => newestFirst(i, after) > 0) : -1;
      if (start < 0) start = all.items.length;
    }
    const items = all.items.slice(start, start + limit);
    const last = items[items.length - 1];
    const nextCursor = last && start + limit < all.items.length ? encodeItemKey(last) : null;
    return { ...all, items, nextCursor };
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

/** Newest first (SPEC 4.3); one day's documents by number, a payment before its overpayment. */
function newestFirst(a: ItemKey, b: ItemKey): number {
  if (a.issueDate !== b.issueDate) return a.issueDate < b.issueDate ? 1 : -1;
  if (a.documentNumber !== b.documentNumber) return a.documentNumber < b.documentNumber ? -1 : 1;
  return a.kind === b.kind ? 0 : a.kind < b.kind ? -1 : 1;
}

function encodeItemKey(i: ItemKey): string {
  return Buffer.from(JSON.stringify([i.issueDate, i.documentNumber, i.kind])).toString('base64url');
}

function decodeItemKey(cursor: string): ItemKey | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'string')) {
      const [issueDate, documentNumber, kind] = v as [string, string, SettlementKind];
      return { issueDate, documentNumber, kind };
    }
  } catch {
    // not a cursor of ours: an empty page
  }
  return undefined;
}

function computeBalance(charges: ChargeRow[], credits: CreditRow[]): Balance {
  let outstanding = ZERO;
  for (const c of charges) {
    const amount = new Decimal(c.amount);
    if (amount.gt(0)) outstanding = outstanding.plus(amount.minus(c.paid));
  }
  let credit = ZERO;
  for (const cr of credits) credit = credit.plus(new Decimal(cr.amount).minus(cr.used));
  return {
    totalOutstanding: formatMoney(outstanding),
    availableCredit: formatMoney(credit),
    balance: formatMoney(outstanding.minus(credit)),
  };
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

/** Greedy allocation: each credit in order pays the charges in order until one side runs out. */
async function allocate(
  store: LedgerStore,
  credits: CreditRow[],
  charges: ChargeRow[],
): Promise<{ invoiceNumber: string; amount: string }[]> {
  const done: { invoiceNumber: string; amount: string }[] = [];
  const owed = charges.map((c) => ({ charge: c, left: new Decimal(c.amount).minus(c.paid) }));
  for (const credit of credits) {
    let available = new Decimal(credit.amount).minus(credit.used);
    for (const o of owed) {
      if (available.lte(0)) break;
      if (o.left.lte(0)) continue;
      const part = Decimal.min(available, o.left);
      await store.insertAllocation(credit.id, o.charge.id, formatMoney(part));
      done.push({ invoiceNumber: o.charge.invoiceNumber, amount: formatMoney(part) });
      available = available.minus(part);
      o.left = o.left.minus(part);
    }
  }
  return done;
}
