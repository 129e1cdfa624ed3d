import { randomBytes } from 'node:crypto';
import { createDb, type Database } from './createDb.js';

/**
 * A fresh, empty schema on a PostgreSQL server, dropped again on close: what each test file
 * and each benchmark runs in, so that they never touch each other's rows.
 */
export async function createScratchSchemaDb(
  databaseUrl: string,
  options: { prefix: string; poolMax: number },
): Promise<Database & { schema: string }> {
  const schema = `${options.prefix}_${randomBytes(6).toString('hex')}`;
  const admin = await createDb({ databaseUrl, poolMax: 1 });
  try {
    await admin.knex.raw(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.close();
  }
  const db = await createDb({ databaseUrl, schema, poolMax: options.poolMax });
  return {
    ...db,
    schema,
    async close() {
      await db.close();
      const cleanup = await createDb({ databaseUrl, poolMax: 1 });
      try {
        await cleanup.knex.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await cleanup.close();
      }
    },
  };
}
