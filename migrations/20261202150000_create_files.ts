import type { Knex } from 'knex';

/**
 * Documents module: the file store. Every file (documents, contract scans, request attachments)
 * lives in the database in both modes, cut into chunks of about 256 KiB so that it is written and
 * read one chunk at a time, never whole in memory. A stored file never changes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('files', (t) => {
    t.uuid('id').primary();
    t.bigInteger('size').notNullable();
    t.text('sha256').notNullable();
    t.text('content_type').notNullable();
    t.integer('chunk_count').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`ALTER TABLE files ADD CONSTRAINT files_size_check CHECK (size >= 0)`);

  await knex.schema.createTable('file_chunks', (t) => {
    t.uuid('file_id').notNullable().references('files.id').onDelete('CASCADE');
    t.integer('seq').notNullable();
    t.binary('data').notNullable();
    t.primary(['file_id', 'seq']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('file_chunks');
  await knex.schema.dropTableIfExists('files');
}
