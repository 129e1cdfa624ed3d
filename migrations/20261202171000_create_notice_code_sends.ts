import type { Knex } from 'knex';

/**
 * Module notices: every confirmation code sent, kept apart from the subscription (which a customer
 * may delete and save again), so that codes to one channel are limited per customer and hour: a
 * customer cannot make the office flood someone else's phone or mailbox by switching addresses.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notice_code_sends', (t) => {
    t.bigIncrements('id');
    t.bigInteger('customer_id').notNullable().references('customers.id');
    t.text('channel').notNullable();
    t.timestamp('sent_at', { useTz: true }).notNullable();
    t.index(['customer_id', 'channel', 'sent_at'], 'notice_code_sends_recent');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notice_code_sends');
}
