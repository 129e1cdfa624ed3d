import type { Knex } from 'knex';

/**
 * Meters module: water meters fed by the billing system, every change of a meter kept, who held a
 * meter when, and the readings (each kept with the customer and property that held the meter on
 * the reading's date, so a meter that changes hands keeps its readings with the earlier holder).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('meters', (t) => {
    t.bigIncrements('id');
    t.text('serial_number').notNullable().unique();
    t.bigInteger('customer_id').notNullable().references('customers.id');
    t.bigInteger('property_id').notNullable().references('properties.id');
    t.text('kind').notNullable();
    t.text('status').notNullable();
    t.text('owner').notNullable();
    t.date('registered_on').notNullable();
    t.date('installed_on').notNullable();
    t.date('removed_on');
    t.date('legalised_on').notNullable();
    t.date('legalisation_valid_until').notNullable();
    t.integer('diameter_mm');
    t.text('tariff_code').notNullable();
    t.text('tariff_name').notNullable();
    t.text('content_hash').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['customer_id']);
    t.index(['legalisation_valid_until']);
  });
  await knex.raw(`ALTER TABLE meters ADD CONSTRAINT meters_kind_check CHECK (kind IN ('main', 'sub'))`);
  await knex.raw(`ALTER TABLE meters ADD CONSTRAINT meters_status_check CHECK (status IN ('active', 'removed'))`);
  await knex.raw(`ALTER TABLE meters ADD CONSTRAINT meters_owner_check CHECK (owner IN ('utility', 'customer'))`);

  // Every body the billing system sent that changed the meter, in order.
  await knex.schema.createTable('meter_history', (t) => {
    t.bigIncrements('id');
    t.bigInteger('meter_id').notNullable().references('meters.id');
    t.bigInteger('customer_id').notNullable().references('customers.id');
    t.bigInteger('property_id').notNullable().references('properties.id');
    t.jsonb('body').notNullable();
    t.timestamp('changed_at', { useTz: true }).notNullable();
    t.index(['meter_id', 'id']);
  });

  // Who held the meter from which day (the first holder since always: valid_from NULL).
  await knex.schema.createTable('meter_holders', (t) => {
    t.bigIncrements('id');
    t.bigInteger('meter_id').notNullable().references('meters.id');
    t.bigInteger('customer_id').notNullable().references('customers.id');
    t.bigInteger('property_id').notNullable().references('properties.id');
    t.date('valid_from');
    t.index(['meter_id', 'valid_from']);
  });

  await knex.schema.createTable('meter_readings', (t) => {
    t.bigIncrements('id');
    t.bigInteger('meter_id').notNullable().references('meters.id');
    t.bigInteger('customer_id').notNullable().references('customers.id');
    t.bigInteger('property_id').notNullable().references('properties.id');
    t.date('read_on').notNullable();
    t.text('type').notNullable();
    t.decimal('value', 12, 3).notNullable();
    t.decimal('consumption', 12, 3);
    // false: computed from the previous reading (and recomputed when an earlier one arrives later).
    t.boolean('consumption_given').notNullable();
    t.text('source').notNullable();
    // The Warsaw day a customer reported it (customer reports only): one report a day per meter.
    t.date('reported_on');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['meter_id', 'read_on', 'type']);
    t.index(['meter_id', 'read_on', 'id']);
    t.index(['customer_id', 'meter_id', 'read_on']);
  });
  await knex.raw(
    `ALTER TABLE meter_readings ADD CONSTRAINT meter_readings_type_check CHECK (type IN ('actual', 'estimated', 'customer', 'remote'))`,
  );
  await knex.raw(`ALTER TABLE meter_readings ADD CONSTRAINT meter_readings_source_check CHECK (source IN ('billing', 'customer'))`);
  await knex.raw(`ALTER TABLE meter_readings ADD CONSTRAINT meter_readings_value_check CHECK (value >= 0)`);
  await knex.raw(
    `CREATE UNIQUE INDEX meter_readings_one_report_a_day ON meter_readings (meter_id, reported_on) WHERE source = 'customer'`,
  );
  // The billing system collects customer reports in the order they came.
  await knex.raw(`CREATE INDEX meter_readings_customer_reports ON meter_readings (created_at, id) WHERE source = 'customer'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('meter_readings');
  await knex.schema.dropTableIfExists('meter_holders');
  await knex.schema.dropTableIfExists('meter_history');
  await knex.schema.dropTableIfExists('meters');
}
