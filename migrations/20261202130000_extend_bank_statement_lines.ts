import type { Knex } from 'knex';

/**
 * Bank statements (module bankStatements), SPEC 4.5 as amended by issue 12:
 * - a `conflict` line: a bank reference seen before with other content (kept beside the first,
 *   like a duplicate, so the one-line-per-reference index leaves it out);
 * - a line assigned by hand to a customer (and invoices): who, when, and the credit it made;
 * - an import's state, for large files imported in the background (`importing` → `complete`, or
 *   `failed` with the reason; a repeated upload of the same file resumes it).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE bank_statement_lines DROP CONSTRAINT bank_statement_lines_classification_check');
  await knex.raw(`ALTER TABLE bank_statement_lines ADD CONSTRAINT bank_statement_lines_classification_check
    CHECK (classification IN ('gateway_payout', 'invoice_payment', 'unmatched', 'duplicate', 'conflict'))`);
  await knex.raw('DROP INDEX bank_statement_lines_once');
  await knex.raw(
    `CREATE UNIQUE INDEX bank_statement_lines_once ON bank_statement_lines (line_key) WHERE classification NOT IN ('duplicate', 'conflict')`,
  );
  // A line is written once per position of its import (a resumed background import skips them).
  await knex.raw('CREATE UNIQUE INDEX bank_statement_lines_position ON bank_statement_lines (import_id, position)');
  await knex.raw('DROP INDEX IF EXISTS bank_statement_lines_import_id_position_index');
  await knex.schema.alterTable('bank_statement_lines', (t) => {
    t.text('assigned_by');
    t.timestamp('assigned_at', { useTz: true });
    t.bigInteger('assigned_customer_id');
    t.jsonb('assigned_invoice_numbers');
    t.bigInteger('assigned_credit_id');
  });
  await knex.raw(`CREATE INDEX bank_statement_lines_by_key ON bank_statement_lines (line_key)`);

  await knex.schema.alterTable('bank_statement_imports', (t) => {
    t.text('status').notNullable().defaultTo('complete');
    t.integer('line_count');
    t.text('error');
  });
  await knex.raw(`ALTER TABLE bank_statement_imports ADD CONSTRAINT bank_statement_imports_status_check
    CHECK (status IN ('importing', 'complete', 'failed'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE bank_statement_imports DROP CONSTRAINT bank_statement_imports_status_check');
  await knex.schema.alterTable('bank_statement_imports', (t) => {
    t.dropColumns('status', 'line_count', 'error');
  });
  await knex.raw('DROP INDEX bank_statement_lines_by_key');
  await knex.schema.alterTable('bank_statement_lines', (t) => {
    t.dropColumns('assigned_by', 'assigned_at', 'assigned_customer_id', 'assigned_invoice_numbers', 'assigned_credit_id');
  });
  await knex.raw('DROP INDEX bank_statement_lines_position');
  await knex.raw('CREATE INDEX bank_statement_lines_import_id_position_index ON bank_statement_lines (import_id, position)');
  await knex.raw('DROP INDEX bank_statement_lines_once');
  await knex.raw(`CREATE UNIQUE INDEX bank_statement_lines_once ON bank_statement_lines (line_key) WHERE classification <> 'duplicate'`);
  await knex.raw('ALTER TABLE bank_statement_lines DROP CONSTRAINT bank_statement_lines_classification_check');
  await knex.raw(`ALTER TABLE bank_statement_lines ADD CONSTRAINT bank_statement_lines_classification_check
    CHECK (classification IN ('gateway_payout', 'invoice_payment', 'unmatched', 'duplicate'))`);
}
