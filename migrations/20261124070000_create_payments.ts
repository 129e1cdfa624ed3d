import type { Knex } from 'knex';

/** Payment orders at the gateway, their invoices, processed notification events, and history. */
export async function up(knex: Knex): Promise<void> {
  // id_trans: 10 digits, unique per merchant, from the database so several instances agree.
  await knex.raw('CREATE SEQUENCE payment_id_trans_seq START 1 MAXVALUE 9999999999 NO CYCLE');

  await knex.schema.createTable('payment_orders', (t) => {
    t.uuid('id').primary();
    t.bigInteger('customer_id').notNullable().references('customers.id');
    t.specificType('id_trans', 'char(10)').notNullable().unique();
    t.decimal('amount', 14, 2).notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    t.text('status').notNullable();
    t.integer('gateway_status');
    t.text('gateway_payment_id').unique();
    t.text('redirect_url');
    t.text('title').notNullable();
    t.timestamp('date_valid', { useTz: true }).notNullable();
    t.text('idempotency_key').notNullable();
    t.text('request_hash').notNullable();
    t.text('failure_code');
    t.text('failure_message');
    t.decimal('notified_amount', 14, 2);
    t.specificType('notified_currency', 'char(3)');
    t.timestamp('paid_at', { useTz: true });
    t.date('settlement_date');
    t.timestamp('sweep_claimed_until', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.unique(['customer_id', 'idempotency_key']);
    t.index(['status', 'date_valid']);
    t.index(['settlement_date']);
  });
  await knex.raw(`ALTER TABLE payment_orders ADD CONSTRAINT payment_orders_status_check
    CHECK (status IN ('pending', 'completed', 'rejected', 'expired', 'failed', 'amount_mismatch'))`);
  await knex.raw(`ALTER TABLE payment_orders ADD CONSTRAINT payment_orders_amount_check CHECK (amount > 0)`);
  await knex.raw(`ALTER TABLE payment_orders ADD CONSTRAINT payment_orders_id_trans_check CHECK (id_trans ~ '^[0-9]{10}$')`);

  // The invoices an order pays; `active` while the order is pending. One active order per invoice.
  await knex.schema.createTable('payment_order_invoices', (t) => {
    t.uuid('order_id').notNullable().references('payment_orders.id');
    t.bigInteger('invoice_id').notNullable().references('invoices.id');
    t.decimal('amount', 14, 2).notNullable();
    t.boolean('active').notNullable();
    t.primary(['order_id', 'invoice_id']);
  });
  await knex.raw(
    'CREATE UNIQUE INDEX payment_order_invoices_one_pending ON payment_order_invoices (invoice_id) WHERE active',
  );

  // Every notification event processed, once: retries carry the same event_id.
  await knex.schema.createTable('payment_events', (t) => {
    t.text('event_id').primary();
    t.uuid('order_id').references('payment_orders.id');
    t.text('id_trans').notNullable();
    t.integer('gateway_status').notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable();
  });

  // Append-only: every state change of an order, what caused it, which event.
  await knex.schema.createTable('payment_history', (t) => {
    t.bigIncrements('id');
    t.uuid('order_id').notNullable().references('payment_orders.id');
    t.text('from_status');
    t.text('to_status').notNullable();
    t.integer('gateway_status');
    t.text('cause').notNullable();
    t.text('event_id');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['order_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('payment_history');
  await knex.schema.dropTableIfExists('payment_events');
  await knex.schema.dropTableIfExists('payment_order_invoices');
  await knex.schema.dropTableIfExists('payment_orders');
  await knex.raw('DROP SEQUENCE IF EXISTS payment_id_trans_seq');
}
