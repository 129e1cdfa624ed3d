import type { ApplicationView } from './service.js';

/** An application as the office sees it (whitelisted: no client address). */
export function presentApplication(a: ApplicationView) {
  return {
    id: a.id,
    status: a.status,
    customerNumber: a.customerNumber,
    customerName: a.customerName,
    name: a.name,
    email: a.email,
    phone: a.phone,
    invoiceNumber: a.invoiceNumber,
    invoiceAmount: a.invoiceAmount,
    createdAt: a.createdAt.toISOString(),
    dueBy: a.dueBy,
    overdue: a.overdue,
    decidedAt: a.decidedAt ? a.decidedAt.toISOString() : null,
    decidedBy: a.decidedBy,
    rejectReason: a.rejectReason,
    login: a.login,
  };
}

export function presentApplicationPage(page: { items: ApplicationView[]; nextCursor: string | null }) {
  return { items: page.items.map(presentApplication), nextCursor: page.nextCursor };
}
