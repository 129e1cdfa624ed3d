import type { Knex } from 'knex';

/**
 * Contracts module: the billing system's contracts (latest body wins) and every change of each,
 * kept in contract_history. The signed scan is a document of the documents module, named by its
 * number (no foreign key across modules; the feed checks it exists).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('contracts', (t) => {
    t.bigIncrements('id');
    t.text('contract_number').notNullable().unique();
    t.bigInteger('customer_id').notNullable().references('customers.id');
    t.bigInteger('property_id').notNullable().references('properties.id');
    t.text('service').notNullable();
    t.date('signed_on').notNullable();
    t.date('valid_from').notNullable();
    t.date('valid_to');
    t.text('status').notNullable();
    t.text('tariff_code').notNullable();
    t.text('tariff_name').notNullable();
    t.text('scan_document_number');
    t.text('content_hash').notNullable();
    t.integer('version').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['customer_id']);
  });
  await knex.raw(`ALTER TABLE contracts ADD CONSTRAINT contracts_service_check CHECK (service IN ('water', 'sewage', 'water_sewage'))`);
  await knex.raw(`ALTER TABLE contracts ADD CONSTRAINT contracts_status_check CHECK (status IN ('active', 'terminated'))`);
  await knex.raw(`ALTER TABLE contracts ADD CONSTRAINT contracts_dates_check CHECK (valid_to IS NULL OR valid_to >= valid_from)`);

  // Each body the billing system sent that changed the contract, the first one included.
  await knex.schema.createTable('contract_history', (t) => {
    t.bigIncrements('id');
    t.bigInteger('contract_id').notNullable().references('contracts.id');
    t.integer('version').notNullable();
    t.jsonb('body').notNullable();
    t.timestamp('changed_at', { useTz: true }).notNullable();
    t.unique(['contract_id', 'version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('contract_history');
  await knex.schema.dropTableIfExists('contracts');
}
