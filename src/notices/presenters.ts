import type { OutboxRow, SubscriptionRow } from './store.js';
import type { z } from 'zod';
import type { outboxItem, SubscriptionView } from './schema.js';

export function presentSubscription(rows: SubscriptionRow[], now: Date): SubscriptionView {
  const state = (r: SubscriptionRow) => ({
    invoiceIssued: r.invoiceIssued,
    reminders: r.reminders,
    confirmed: r.confirmedAt !== null,
    confirmationPending: r.confirmedAt === null && r.codeHash !== null && (r.codeExpiresAt?.getTime() ?? 0) > now.getTime() && r.codeAttempts < 5,
  });
  const email = rows.find((r) => r.channel === 'email');
  const sms = rows.find((r) => r.channel === 'sms');
  const terms = rows.map((r) => r.termsAcceptedAt.getTime()).sort((a, b) => b - a)[0];
  return {
    email: email ? { address: email.address, ...state(email) } : null,
    sms: sms ? { phone: `+${sms.address}`, ...state(sms) } : null,
    termsAcceptedAt: terms === undefined ? null : new Date(terms).toISOString(),
  };
}

/** The office sees who, what and why it failed, never a message's body. */
export function presentOutbox(r: OutboxRow): z.output<typeof outboxItem> {
  return {
    id: r.id,
    channel: r.channel,
    recipient: r.recipient,
    subject: r.subject,
    template: r.template,
    status: r.status,
    attempts: r.attempts,
    lastError: r.lastError,
    createdAt: r.createdAt.toISOString(),
    sentAt: r.sentAt?.toISOString() ?? null,
    failedAt: r.failedAt?.toISOString() ?? null,
  };
}
