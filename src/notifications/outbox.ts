import type { Queryable } from '../db/createDb.js';

export interface OutboxEmail {
  to: string;
  subject: string;
  body: string;
  template: string;
}

/**
 * E-mails are written to the outbox in the same transaction as the change they announce, and a
 * delivery worker sends them later: a message is never sent for a change that rolled back.
 */
export async function enqueueEmail(db: Queryable, email: OutboxEmail): Promise<void> {
  await db('outbox_emails').insert({
    to_address: email.to,
    subject: email.subject,
    body: email.body,
    template: email.template,
  });
}
