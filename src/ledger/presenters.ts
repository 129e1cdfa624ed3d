import type { Balance, SettlementItem } from './service.js';

/** Whitelists one ledger line for the answer. */
export function presentSettlementItem(i: SettlementItem) {
  return {
    documentNumber: i.documentNumber,
    kind: i.kind,
    issueDate: i.issueDate,
    dueDate: i.dueDate,
    amount: i.amount,
    paid: i.paid,
    outstanding: i.outstanding,
    paymentDate: i.paymentDate,
    currency: 'PLN' as const,
  };
}

export function presentSettlements(s: { items: SettlementItem[]; nextCursor: string | null } & Balance) {
  return {
    items: s.items.map(presentSettlementItem),
    nextCursor: s.nextCursor,
    totalOutstanding: s.totalOutstanding,
    availableCredit: s.availableCredit,
    balance: s.balance,
  };
}
