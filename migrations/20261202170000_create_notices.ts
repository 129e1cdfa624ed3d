import type { Knex } from 'knex';

/**
 * Notices module: one outbox for e-mail and SMS (replacing `outbox_emails`, whose rows move here),
 * customers' notice subscriptions with their confirmation codes, and the notice log that makes
 * each notice go at most once per (document, notice, channel).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outbox_messages', (t) => {
    t.bigIncrements('id');
    t.text('channel').notNullable();
    t.text('recipient').notNullable();
    t.text('subject');
    // Erased once delivered: a one-time password or a code must not stay readable (SPEC 4.7).
    t.text('body');
    t.text('template').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    // SMS notices wait for the day (never 21:00-8:00 Warsaw time).
    t.boolean('quiet_at_night').notNullable().defaultTo(false);
    t.timestamp('next_attempt_at', { useTz: true });
    t.timestamp('first_attempt_at', { useTz: true });
    // A claim by a delivery worker; a claim left by a crashed instance expires and is taken again.
    t.timestamp('locked_until', { useTz: true });
    t.text('last_error');
    t.text('provider_id');
    t.integer('parts');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
    t.timestamp('failed_at', { useTz: true });
  });
  await knex.raw(`ALTER TABLE outbox_messages ADD CONSTRAINT outbox_messages_channel_check CHECK (channel IN ('email', 'sms'))`);
  await knex.raw(
    `ALTER TABLE outbox_messages ADD CONSTRAINT outbox_messages_status_check CHECK (status IN ('pending', 'sent', 'failed'))`,
  );
  await knex.raw(`ALTER TABLE outbox_messages ADD CONSTRAINT outbox_messages_sent_erased_check CHECK (status <> 'sent' OR body IS NULL)`);
  // The delivery worker's queue: only what is still to send is indexed.
  await knex.raw(`CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at NULLS FIRST, id) WHERE status = 'pending'`);
  await knex.raw(`CREATE INDEX outbox_messages_failed ON outbox_messages (failed_at DESC, id DESC) WHERE status = 'failed'`);

  // The old e-mail outbox's rows, delivered ones with their body erased.
  await knex.raw(`
    INSERT INTO outbox_messages (channel, recipient, subject, body, template, status, attempts, created_at, sent_at)
    SELECT 'email', to_address, subject, CASE WHEN sent_at IS NULL THEN body END, template,
           CASE WHEN sent_at IS NULL THEN 'pending' ELSE 'sent' END, attempts, created_at, sent_at
      FROM outbox_emails ORDER BY id`);
  await knex.schema.dropTable('outbox_emails');
  // Readers of the old table (tests, ad-hoc queries) keep working on the e-mails of the new one.
  await knex.raw(`
    CREATE VIEW outbox_emails AS
    SELECT id, recipient AS to_address, subject, body, template, attempts, created_at, sent_at
      FROM outbox_messages WHERE channel = 'email'`);

  await knex.schema.createTable('notice_subscriptions', (t) => {
    t.bigInteger('customer_id').notNullable().references('customers.id');
    t.text('channel').notNullable();
    t.text('address').notNullable();
    t.boolean('invoice_issued').notNullable();
    t.boolean('reminders').notNullable();
    t.timestamp('confirmed_at', { useTz: true });
    // The confirmation code: only its hash, with its expiry and the tries left.
    t.text('code_hash');
    t.timestamp('code_expires_at', { useTz: true });
    t.integer('code_attempts').notNullable().defaultTo(0);
    t.timestamp('terms_accepted_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.primary(['customer_id', 'channel']);
  });
  await knex.raw(`ALTER TABLE notice_subscriptions ADD CONSTRAINT notice_subscriptions_channel_check CHECK (channel IN ('email', 'sms'))`);

  // One row per (document, notice, channel): the database refuses a second, whichever instance tries.
  await knex.schema.createTable('notice_log', (t) => {
    t.bigIncrements('id');
    t.text('document').notNullable();
    t.text('notice').notNullable();
    t.text('channel').notNullable();
    t.bigInteger('customer_id').notNullable().references('customers.id');
    t.text('outcome').notNullable();
    t.text('reason');
    t.bigInteger('outbox_id').references('outbox_messages.id');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['document', 'notice', 'channel']);
    t.index(['customer_id']);
  });
  await knex.raw(`ALTER TABLE notice_log ADD CONSTRAINT notice_log_outcome_check CHECK (outcome IN ('queued', 'dropped'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('notice_log');
  await knex.schema.dropTableIfExists('notice_subscriptions');
  await knex.raw('DROP VIEW IF EXISTS outbox_emails');
  await knex.schema.createTable('outbox_emails', (t) => {
    t.bigIncrements('id');
    t.text('to_address').notNullable();
    t.text('subject').notNullable();
    t.text('body').notNullable();
    t.text('template').notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
  });
  await knex.schema.dropTableIfExists('outbox_messages');
}
