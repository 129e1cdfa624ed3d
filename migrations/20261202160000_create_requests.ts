import type { Knex } from 'knex';

/**
 * Requests module: customers' requests to the office (complaints, inquiries, applications), their
 * attachments (files in the documents module's file store), the office's replies, and a counter
 * row per year that numbers them ZG/{year}/{000123}: the counter's row lock makes numbers unique
 * and gapless under concurrency (a rolled-back request gives its number back).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('request_counters', (t) => {
    t.integer('year').primary();
    t.integer('last_number').notNullable();
  });

  await knex.schema.createTable('customer_requests', (t) => {
    t.uuid('id').primary();
    // Orders lists newest first and pages them; never shown.
    t.specificType('seq', 'bigserial').notNullable().unique();
    t.text('number').notNullable().unique();
    t.bigInteger('customer_id').notNullable().references('customers.id');
    t.text('kind').notNullable();
    t.text('subject').notNullable();
    t.text('message').notNullable();
    t.text('invoice_number');
    t.text('meter_serial');
    t.text('status').notNullable().defaultTo('submitted');
    t.date('due_by').notNullable();
    t.text('idempotency_key');
    t.text('body_hash');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.unique(['customer_id', 'idempotency_key'], { indexName: 'customer_requests_idempotency_unique' });
    t.index(['customer_id', 'seq']);
    t.index(['status', 'due_by']);
  });
  await knex.raw(`ALTER TABLE customer_requests ADD CONSTRAINT customer_requests_kind_check CHECK (kind IN ('complaint', 'inquiry', 'application'))`);
  await knex.raw(
    `ALTER TABLE customer_requests ADD CONSTRAINT customer_requests_status_check CHECK (status IN ('submitted', 'in_progress', 'answered', 'closed'))`,
  );

  await knex.schema.createTable('request_attachments', (t) => {
    t.uuid('request_id').notNullable().references('customer_requests.id').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.uuid('file_id').notNullable().references('files.id');
    t.text('file_name').notNullable();
    t.primary(['request_id', 'position']);
  });

  await knex.schema.createTable('request_replies', (t) => {
    t.bigIncrements('id');
    t.uuid('request_id').notNullable().references('customer_requests.id').onDelete('CASCADE');
    t.text('author_login').notNullable();
    t.text('message').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['request_id', 'id']);
  });

  // Every status change, with who made it: the office's record of how a request was handled.
  await knex.schema.createTable('request_history', (t) => {
    t.bigIncrements('id');
    t.uuid('request_id').notNullable().references('customer_requests.id').onDelete('CASCADE');
    t.text('from_status');
    t.text('to_status').notNullable();
    t.text('changed_by').notNullable();
    t.timestamp('changed_at', { useTz: true }).notNullable();
    t.index(['request_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('request_history');
  await knex.schema.dropTableIfExists('request_replies');
  await knex.schema.dropTableIfExists('request_attachments');
  await knex.schema.dropTableIfExists('customer_requests');
  await knex.schema.dropTableIfExists('request_counters');
}
