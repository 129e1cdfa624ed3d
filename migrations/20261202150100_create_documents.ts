import type { Knex } from 'knex';

/**
 * Documents module: documents the billing system feeds (price lists, regulations, forms, contract
 * scans), for one customer or for every customer (customer_id null). The current version is on
 * the document; every version, the first included, stays in document_versions with its file.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('documents', (t) => {
    t.bigIncrements('id');
    t.text('document_number').notNullable().unique();
    t.bigInteger('customer_id').references('customers.id');
    t.text('title').notNullable();
    t.text('category').notNullable();
    t.uuid('file_id').notNullable().references('files.id');
    t.integer('version').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['customer_id', 'updated_at']);
    t.index(['updated_at']);
  });
  await knex.raw(`ALTER TABLE documents ADD CONSTRAINT documents_category_check
    CHECK (category IN ('contract_scan', 'price_list', 'form', 'regulations', 'other'))`);

  await knex.schema.createTable('document_versions', (t) => {
    t.bigIncrements('id');
    t.bigInteger('document_id').notNullable().references('documents.id');
    t.integer('version').notNullable();
    t.uuid('file_id').notNullable().references('files.id');
    t.bigInteger('customer_id').references('customers.id');
    t.text('title').notNullable();
    t.text('category').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['document_id', 'version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('document_versions');
  await knex.schema.dropTableIfExists('documents');
}
