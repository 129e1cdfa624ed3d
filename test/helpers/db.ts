import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDb, type Database } from '../../src/db/createDb.js';
import { migrateLatest } from '../../src/db/migrate.js';

/**
 * A fresh, migrated database for one test file: a PGlite started from the migrated template, or
 * with DATABASE_URL a new schema on the server (dropped on close).
 */
export async function createTestDb(): Promise<Database & { schema?: string }> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = await createDb({ databaseUrl: url, poolMax: 1 });
    await admin.knex.raw(`CREATE SCHEMA ${schema}`);
    await admin.close();
    const db = await createDb({ databaseUrl: url, schema, poolMax: 20 });
    await migrateLatest(db.knex);
    return {
      ...db,
      schema,
      async close() {
        await db.close();
        const cleanup = await createDb({ databaseUrl: url, poolMax: 1 });
        await cleanup.knex.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await cleanup.close();
      },
    };
  }
  const template = inject('pgliteTemplate');
  const bytes = fs.readFileSync(template);
  return createDb({ loadDataDir: new Blob([bytes]) });
}
