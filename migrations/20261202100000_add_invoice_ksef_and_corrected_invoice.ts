import type { Knex } from 'knex';

/**
 * Invoices module: the number KSeF (the national e-invoice system) gave an invoice, and the
 * invoice a correction corrects (SPEC 4.1). Both optional; a KSeF number names one document.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invoices', (t) => {
    t.text('ksef_number');
    t.bigInteger('corrected_invoice_id').references('invoices.id');
  });
  await knex.raw(`CREATE UNIQUE INDEX invoices_ksef_number_unique ON invoices (ksef_number) WHERE ksef_number IS NOT NULL`);
  await knex.raw(
    `ALTER TABLE invoices ADD CONSTRAINT invoices_corrected_invoice_check CHECK (corrected_invoice_id IS NULL OR kind = 'correction')`,
  );
  // The portal lists a customer's invoices newest first, paged by (issue_date, id).
  await knex.raw(`CREATE INDEX invoices_customer_issue_idx ON invoices (customer_id, issue_date DESC, id DESC)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX IF EXISTS invoices_customer_issue_idx`);
  await knex.raw(`ALTER TABLE invoices DROP CONSTRAINT IF EXISTS invoices_corrected_invoice_check`);
  await knex.raw(`DROP INDEX IF EXISTS invoices_ksef_number_unique`);
  await knex.schema.alterTable('invoices', (t) => {
    t.dropColumn('corrected_invoice_id');
    t.dropColumn('ksef_number');
  });
}
