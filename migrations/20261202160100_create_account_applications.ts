import type { Knex } from 'knex';

/**
 * Applications module: online applications for an IBOK login. A matching one (invoice number and
 * amount of one of the customer's invoices) waits for the office as `pending`; one that does not
 * match is kept as `unmatched` for the office's statistics and for spotting probing, and can never
 * be approved. Every application counts towards the per-address hourly limit.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('account_applications', (t) => {
    t.uuid('id').primary();
    t.specificType('seq', 'bigserial').notNullable().unique();
    t.text('status').notNullable();
    t.text('customer_number').notNullable();
    t.bigInteger('customer_id').references('customers.id');
    t.text('name').notNullable();
    t.text('email').notNullable();
    t.text('phone');
    t.text('invoice_number').notNullable();
    t.decimal('invoice_amount', 14, 2).notNullable();
    t.text('client_address').notNullable();
    t.timestamp('terms_accepted_at', { useTz: true }).notNullable();
    t.date('due_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('decided_at', { useTz: true });
    t.text('decided_by');
    t.text('reject_reason');
    t.text('login');
    t.index(['client_address', 'created_at']);
    t.index(['status', 'seq']);
  });
  await knex.raw(
    `ALTER TABLE account_applications ADD CONSTRAINT account_applications_status_check CHECK (status IN ('pending', 'approved', 'rejected', 'unmatched'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('account_applications');
}
