import { ConfigError, loadConfig } from '../config.js';
import { createDb } from '../db/createDb.js';
import { DataDirLockedError, lockDataDir } from '../db/dataDirLock.js';
import { migrateLatest } from '../db/migrate.js';

/** `npm run migrate`: applies pending migrations to the configured database and exits. */
async function run(): Promise<void> {
  const config = loadConfig();
  const lock = config.databaseUrl ? undefined : lockDataDir(config.dataDir);
  const db = await createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const applied = await migrateLatest(db.knex);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
  } finally {
    await db.close();
    lock?.release();
  }
}

run().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DataDirLockedError) {
    process.stderr.write(`ibok-payments migrate: ${err.message}\n`);
  } else {
    process.stderr.write(`ibok-payments migrate: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
});
