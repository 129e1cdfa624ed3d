import fs from 'node:fs';
import { inject } from 'vitest';
import { createDb, type Database } from '../../src/db/createDb.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { createScratchSchemaDb } from '../../src/db/scratchSchema.js';

/**
 * A fresh, migrated database for one test file: a PGlite started from the migrated template, or
 * with DATABASE_URL a new schema on the server (dropped on close) with a pool of `poolMax`
 * connections (20 unless said; PGlite always has one).
 */
export async function createTestDb(options: { poolMax?: number } = {}): Promise<Database & { schema?: string }> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const db = await createScratchSchemaDb(url, { prefix: 't', poolMax: options.poolMax ?? 20 });
    await migrateLatest(db.knex);
    return db;
  }
  const template = inject('pgliteTemplate');
  const bytes = fs.readFileSync(template);
  return createDb({ loadDataDir: new Blob([bytes]) });
}
