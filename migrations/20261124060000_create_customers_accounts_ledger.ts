import type { Knex } from 'knex';

/** Customers and their properties, logins, invoices and corrections, the account ledger, e-mail outbox. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('customers', (t) => {
    t.bigIncrements('id');
    t.text('customer_number').notNullable().unique();
    t.text('name').notNullable();
    t.text('street').notNullable();
    t.text('postal_code').notNullable();
    t.text('city').notNullable();
    t.text('email');
    t.text('phone');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('properties', (t) => {
    t.bigIncrements('id');
    t.bigInteger('customer_id').notNullable().references('customers.id');
    t.text('property_number').notNullable().unique();
    t.text('street').notNullable();
    t.text('postal_code').notNullable();
    t.text('city').notNullable();
    t.index(['customer_id']);
  });

  await knex.schema.createTable('logins', (t) => {
    t.bigIncrements('id');
    t.text('login').notNullable().unique();
    t.text('role').notNullable();
    t.bigInteger('customer_id').references('customers.id').unique();
    t.text('email');
    t.text('password_hash').notNullable();
    t.boolean('must_change_password').notNullable().defaultTo(false);
    t.integer('failed_attempts').notNullable().defaultTo(0);
    t.timestamp('locked_until', { useTz: true });
    t.integer('password_version').notNullable().defaultTo(1);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('password_changed_at', { useTz: true });
  });
  await knex.raw(`ALTER TABLE logins ADD CONSTRAINT logins_role_check CHECK (role IN ('customer', 'admin', 'accounting'))`);
  await knex.raw(
    `ALTER TABLE logins ADD CONSTRAINT logins_customer_role_check CHECK ((role = 'customer') = (customer_id IS NOT NULL))`,
  );

  // Invoices and corrections as the billing system issued them; immutable once stored.
  await knex.schema.createTable('invoices', (t) => {
    t.bigIncrements('id');
    t.text('invoice_number').notNullable().unique();
    t.bigInteger('customer_id').notNullable().references('customers.id');
    t.bigInteger('property_id').notNullable().references('properties.id');
    t.text('kind').notNullable();
    t.date('issue_date').notNullable();
    t.date('due_date').notNullable();
    t.decimal('amount', 14, 2).notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    t.text('issued_by').notNullable();
    t.jsonb('lines').notNullable().defaultTo('[]');
    t.text('content_hash').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['customer_id', 'due_date']);
  });
  await knex.raw(`ALTER TABLE invoices ADD CONSTRAINT invoices_kind_check CHECK (kind IN ('invoice', 'correction'))`);
  await knex.raw(`ALTER TABLE invoices ADD CONSTRAINT invoices_issued_by_check CHECK (issued_by IN ('office', 'reader'))`);
  await knex.raw(`ALTER TABLE invoices ADD CONSTRAINT invoices_dates_check CHECK (due_date >= issue_date)`);
  await knex.raw(`ALTER TABLE invoices ADD CONSTRAINT invoices_amount_check CHECK (kind = 'correction' OR amount > 0)`);

  // Money received for a customer: gateway payments, bank transfers, negative corrections.
  // One credit per source (a payment order, a bank reference, a correction) is enforced here.
  await knex.schema.createTable('ledger_credits', (t) => {
    t.bigIncrements('id');
    t.bigInteger('customer_id').notNullable().references('customers.id');
    t.text('kind').notNullable();
    t.text('source').notNullable();
    t.text('source_ref').notNullable();
    t.text('document_number').notNullable();
    t.decimal('amount', 14, 2).notNullable();
    t.date('received_on').notNullable();
    t.boolean('has_invoice_target').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['source', 'source_ref']);
    t.index(['customer_id']);
  });
  await knex.raw(`ALTER TABLE ledger_credits ADD CONSTRAINT ledger_credits_amount_check CHECK (amount > 0)`);
  await knex.raw(
    `ALTER TABLE ledger_credits ADD CONSTRAINT ledger_credits_kind_check CHECK (kind IN ('payment', 'correction'))`,
  );

  // Which part of which credit paid which invoice.
  await knex.schema.createTable('ledger_allocations', (t) => {
    t.bigIncrements('id');
    t.bigInteger('credit_id').notNullable().references('ledger_credits.id');
    t.bigInteger('invoice_id').notNullable().references('invoices.id');
    t.decimal('amount', 14, 2).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['credit_id']);
    t.index(['invoice_id']);
  });
  await knex.raw(`ALTER TABLE ledger_allocations ADD CONSTRAINT ledger_allocations_amount_check CHECK (amount > 0)`);

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
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['outbox_emails', 'ledger_allocations', 'ledger_credits', 'invoices', 'logins', 'properties', 'customers']) {
    await knex.schema.dropTableIfExists(table);
  }
}
