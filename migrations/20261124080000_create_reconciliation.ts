import type { Knex } from 'knex';

/**
 * Accounting: reconciliation runs of a settlement date with their items, the daily job's claims,
 * and imported bank statements with their credit lines. A report's rows are staged in a table of
 * their own per run (created and dropped by the run, see reconciliation/stagingTable.ts).
 */
export async function up(knex: Knex): Promise<void> {
  // Every attempt to reconcile a date, failed ones included; `current` marks the one shown.
  await knex.schema.createTable('reconciliation_runs', (t) => {
    t.bigIncrements('id');
    t.date('settlement_date').notNullable();
    t.text('status').notNullable();
    t.boolean('current').notNullable().defaultTo(false);
    t.text('trigger').notNullable();
    t.text('started_by').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    t.decimal('gateway_total', 14, 2);
    t.decimal('local_total', 14, 2);
    t.jsonb('counts');
    t.integer('report_rows');
    t.bigInteger('report_bytes');
    t.text('report_kid');
    t.jsonb('timings_ms');
    t.text('error_code');
    t.text('error_message');
    t.index(['settlement_date', 'id']);
  });
  await knex.raw(`ALTER TABLE reconciliation_runs ADD CONSTRAINT reconciliation_runs_status_check
    CHECK (status IN ('running', 'completed', 'failed'))`);
  await knex.raw(`ALTER TABLE reconciliation_runs ADD CONSTRAINT reconciliation_runs_current_check
    CHECK (NOT current OR status = 'completed')`);
  // One current result per date, and one run of a date at a time (across instances).
  await knex.raw('CREATE UNIQUE INDEX reconciliation_runs_one_current ON reconciliation_runs (settlement_date) WHERE current');
  await knex.raw(
    `CREATE UNIQUE INDEX reconciliation_runs_one_running ON reconciliation_runs (settlement_date) WHERE status = 'running'`,
  );

  // Each report row and each local payment of the date, in exactly one category. No foreign keys:
  // a run writes up to a million rows in one statement, and a check per row (to the run, to
  // payment_orders) would cost a third of the run; the service writes run_id itself.
  await knex.schema.createTable('reconciliation_items', (t) => {
    t.bigIncrements('id', { primaryKey: false });
    t.bigInteger('run_id').notNullable();
    t.text('category').notNullable();
    t.text('payment_id');
    t.text('id_trans').notNullable();
    t.decimal('gateway_amount', 14, 2);
    t.text('gateway_currency');
    t.decimal('local_amount', 14, 2);
    /** The local payment is completed (credited): what localTotal adds up. */
    t.boolean('local_credited').notNullable().defaultTo(false);
    t.uuid('order_id');
    t.integer('report_line');
    t.text('detail');
    t.text('resolution');
    t.text('resolved_by');
    t.timestamp('resolved_at', { useTz: true });
    t.primary(['run_id', 'id']);
  });
  // The discrepancies of a run, read page by page, without indexing the (many) matched rows.
  await knex.raw(`CREATE INDEX reconciliation_items_discrepancies ON reconciliation_items (run_id, id) WHERE category <> 'matched'`);
  await knex.raw(`ALTER TABLE reconciliation_items ADD CONSTRAINT reconciliation_items_category_check
    CHECK (category IN ('matched', 'missing_locally', 'missing_in_gateway', 'amount_mismatch', 'duplicate'))`);

  // The daily job's claim of a date: several instances, one run.
  await knex.schema.createTable('reconciliation_daily', (t) => {
    t.date('settlement_date').primary();
    t.text('claimed_by').notNullable();
    t.timestamp('claimed_at', { useTz: true }).notNullable();
    t.integer('attempts').notNullable();
    t.boolean('done').notNullable().defaultTo(false);
    t.bigInteger('run_id');
    t.text('last_error');
  });

  // An imported MT940 file, identified by the SHA-256 of its bytes.
  await knex.schema.createTable('bank_statement_imports', (t) => {
    t.text('id').primary();
    t.timestamp('imported_at', { useTz: true }).notNullable();
    t.text('imported_by').notNullable();
    t.integer('byte_size').notNullable();
    t.text('charset').notNullable();
    t.jsonb('statements').notNullable();
  });

  // The credit lines of imported statements (debits are not kept). `line_key` is the line's
  // identity across files: account + bank reference + the bank's transaction number.
  await knex.schema.createTable('bank_statement_lines', (t) => {
    t.bigIncrements('id');
    t.text('import_id').notNullable().references('bank_statement_imports.id');
    t.integer('position').notNullable();
    t.text('account').notNullable();
    t.text('line_key').notNullable();
    t.text('reference').notNullable();
    t.date('value_date').notNullable();
    t.date('entry_date');
    t.decimal('amount', 14, 2).notNullable();
    t.text('currency').notNullable();
    t.text('title').notNullable();
    t.text('counterparty_name');
    t.text('counterparty_account');
    t.text('classification').notNullable();
    t.date('settlement_date');
    t.jsonb('invoice_numbers');
    t.bigInteger('customer_id');
    t.bigInteger('credit_id');
    t.bigInteger('duplicate_of');
    t.text('note');
    t.index(['import_id', 'position']);
  });
  await knex.raw(`ALTER TABLE bank_statement_lines ADD CONSTRAINT bank_statement_lines_classification_check
    CHECK (classification IN ('gateway_payout', 'invoice_payment', 'unmatched', 'duplicate'))`);
  // A bank line is taken once: every later sighting is recorded as a duplicate of it.
  await knex.raw(
    `CREATE UNIQUE INDEX bank_statement_lines_once ON bank_statement_lines (line_key) WHERE classification <> 'duplicate'`,
  );
  await knex.raw(
    `CREATE INDEX bank_statement_lines_payouts ON bank_statement_lines (settlement_date) WHERE classification = 'gateway_payout'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['bank_statement_lines', 'bank_statement_imports', 'reconciliation_daily', 'reconciliation_items', 'reconciliation_runs']) {
    await knex.schema.dropTableIfExists(table);
  }
}
