import { formatMoney } from '../money.js';
import { isPdfAvailable, type InvoiceView } from './service.js';
import type { Invoice } from './store.js';

/** The document's own fields: what leaves the service about any invoice (no internal ids, no hash). */
function documentFields(invoice: Invoice) {
  return {
    number: invoice.invoiceNumber,
    kind: invoice.kind,
    customerNumber: invoice.customerNumber,
    propertyId: invoice.propertyNumber,
    issueDate: invoice.issueDate,
    dueDate: invoice.dueDate,
    amount: formatMoney(invoice.amount),
    currency: 'PLN' as const,
    issuedBy: invoice.issuedBy,
    ksefNumber: invoice.ksefNumber,
    correctedInvoiceNumber: invoice.correctedInvoiceNumber,
    pdfAvailable: isPdfAvailable(invoice),
  };
}

/** The billing feed's answer: the document as stored. */
export function presentIssuedInvoice(invoice: Invoice) {
  return { ...documentFields(invoice), lines: invoice.lines };
}

function accountFields(view: InvoiceView) {
  return {
    paid: view.paid,
    outstanding: view.outstanding,
    status: view.status,
    paymentDate: view.paymentDate,
    pendingPaymentId: view.pendingPaymentId,
  };
}

/** One line of `GET /api/invoices`. */
export function presentInvoiceSummary(view: InvoiceView) {
  return { ...documentFields(view), ...accountFields(view) };
}

/** `GET /api/invoices/{number}`: with its lines. */
export function presentInvoice(view: InvoiceView) {
  return { ...documentFields(view), ...accountFields(view), lines: view.lines };
}
