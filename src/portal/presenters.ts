import { Decimal } from 'decimal.js';
import type { Invoice, Property } from '../billing/billingStore.js';
import { formatMoney } from '../money.js';

/** Whitelists what leaves the service about an invoice; ledger figures are added when known. */
export function presentInvoice(
  invoice: Invoice,
  ledger?: { paid: string; paymentDate: string | null; today: string; pendingPaymentId?: string | null },
  withLines = true,
) {
  const base = {
    number: invoice.invoiceNumber,
    kind: invoice.kind,
    customerNumber: invoice.customerNumber,
    propertyId: invoice.propertyNumber,
    issueDate: invoice.issueDate,
    dueDate: invoice.dueDate,
    amount: formatMoney(invoice.amount),
    currency: invoice.currency,
    issuedBy: invoice.issuedBy,
    ...(withLines ? { lines: invoice.lines } : {}),
  };
  if (!ledger) return base;
  const amount = new Decimal(invoice.amount);
  const paid = amount.isNegative() ? new Decimal(0) : new Decimal(ledger.paid);
  const outstanding = amount.isNegative() ? new Decimal(0) : amount.minus(paid);
  let status: 'paid' | 'unpaid' | 'overdue' | 'partially_paid' | 'credit';
  if (amount.isNegative()) status = 'credit';
  else if (outstanding.isZero()) status = 'paid';
  else if (invoice.dueDate < ledger.today) status = 'overdue';
  else status = paid.gt(0) ? 'partially_paid' : 'unpaid';
  return {
    ...base,
    paid: formatMoney(paid),
    outstanding: formatMoney(outstanding),
    status,
    paymentDate: ledger.paymentDate,
    ...(ledger.pendingPaymentId !== undefined ? { pendingPaymentId: ledger.pendingPaymentId } : {}),
  };
}

export function presentProperty(p: Property) {
  return { id: p.propertyNumber, address: p.address };
}
