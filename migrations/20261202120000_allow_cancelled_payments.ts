import type { Knex } from 'knex';

/** payments: a customer can cancel a pending order (SPEC 3.6, 4.4): the status `cancelled`. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE payment_orders DROP CONSTRAINT payment_orders_status_check');
  await knex.raw(`ALTER TABLE payment_orders ADD CONSTRAINT payment_orders_status_check
    CHECK (status IN ('pending', 'completed', 'rejected', 'expired', 'failed', 'amount_mismatch', 'cancelled'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE payment_orders DROP CONSTRAINT payment_orders_status_check');
  await knex.raw(`ALTER TABLE payment_orders ADD CONSTRAINT payment_orders_status_check
    CHECK (status IN ('pending', 'completed', 'rejected', 'expired', 'failed', 'amount_mismatch'))`);
}
