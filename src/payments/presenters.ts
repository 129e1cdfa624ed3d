import type { HistoryEntry, PaymentOrder } from './store.js';
import type { PaymentView } from './service.js';

/** The answer of POST /api/payments and the head of GET /api/payments/{id}: whitelisted fields. */
export function presentPayment(view: PaymentView) {
  return {
    id: view.id,
    idTrans: view.idTrans,
    amount: view.amount,
    currency: view.currency,
    status: view.status,
    redirectUrl: view.redirectUrl,
    invoiceNumbers: view.invoiceNumbers,
    createdAt: view.createdAt,
    dateValid: view.dateValid,
    paidAt: view.paidAt,
    settlementDate: view.settlementDate,
  };
}

export function presentHistory(history: HistoryEntry[]) {
  return history.map((h) => ({
    fromStatus: h.fromStatus,
    toStatus: h.toStatus,
    gatewayStatus: h.gatewayStatus,
    cause: h.cause,
    eventId: h.eventId,
    details: h.details,
    at: h.at.toISOString(),
  }));
}

/** A row of accounting's list of payments to look at. */
export function presentFlagged(o: PaymentOrder) {
  return {
    id: o.id,
    idTrans: o.idTrans,
    status: o.status,
    amount: o.amount,
    notifiedAmount: o.notifiedAmount,
    notifiedCurrency: o.notifiedCurrency,
    paidAt: o.paidAt?.toISOString() ?? null,
    settlementDate: o.settlementDate,
    gatewayPaymentId: o.gatewayPaymentId,
  };
}
