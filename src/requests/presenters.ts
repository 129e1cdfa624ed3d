import type { RequestDetail, RequestPage, RequestView } from './service.js';

/** The fields of a request every answer shows (whitelisted: no idempotency key, hash or ordering). */
function summary(r: RequestView) {
  return {
    id: r.id,
    number: r.number,
    kind: r.kind,
    subject: r.subject,
    status: r.status,
    dueBy: r.dueBy,
    overdue: r.overdue,
    invoiceNumber: r.invoiceNumber,
    meterSerial: r.meterSerial,
    attachmentCount: r.attachmentCount,
    replyCount: r.replyCount,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

function attachments(r: RequestDetail, base: string) {
  return r.attachments.map((a) => ({
    n: a.position,
    fileName: a.fileName,
    contentType: a.contentType,
    size: a.size,
    url: `${base}/${r.id}/attachments/${a.position}`,
  }));
}

export function presentRequestPage(page: RequestPage) {
  return { items: page.items.map(summary), nextCursor: page.nextCursor };
}

/** The customer's view: the office's replies without who wrote them. */
export function presentRequest(r: RequestDetail) {
  return {
    ...summary(r),
    message: r.message,
    attachments: attachments(r, '/api/requests'),
    replies: r.replies.map((p) => ({ message: p.message, createdAt: p.createdAt.toISOString() })),
  };
}

function officeSummary(r: RequestView) {
  return { ...summary(r), customerNumber: r.customerNumber, customerName: r.customerName };
}

export function presentOfficeRequestPage(page: RequestPage) {
  return { items: page.items.map(officeSummary), nextCursor: page.nextCursor };
}

/** The office's view: with the customer, who replied, and every status change. */
export function presentOfficeRequest(r: RequestDetail) {
  return {
    ...officeSummary(r),
    message: r.message,
    attachments: attachments(r, '/api/admin/requests'),
    replies: r.replies.map((p) => ({ message: p.message, author: p.authorLogin, createdAt: p.createdAt.toISOString() })),
    history: r.history.map((h) => ({ from: h.fromStatus, to: h.toStatus, by: h.changedBy, at: h.changedAt.toISOString() })),
  };
}
