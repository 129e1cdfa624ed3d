import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

/**
 * Migrations live in `migrations/` as TypeScript and are compiled to `dist/migrations/`. This
 * source reads whichever folder sits beside this module's tree, and names each migration without
 * its extension, so a database migrated by the tests and one migrated by the built service agree.
 */
const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down?(knex: Knex): Promise<void>;
}

class FolderMigrationSource implements Knex.MigrationSource<string> {
  getMigrations(): Promise<string[]> {
    const files = fs
      .readdirSync(migrationsDir)
      .filter((f) => /^\d{14}_[a-z0-9_]+\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
      .sort();
    return Promise.resolve(files);
  }
  getMigrationName(file: string): string {
    return file.replace(/\.(ts|js)$/, '');
  }
  async getMigration(file: string): Promise<Knex.Migration> {
    const mod = (await import(pathToFileURL(path.join(migrationsDir, file)).href)) as MigrationModule;
    return { up: (knex: Knex) => mod.up(knex), down: (knex: Knex) => (mod.down ? mod.down(knex) : Promise.resolve()) };
  }
}

const source = new FolderMigrationSource();

/**
 * True when the database records exactly the folder's migrations as applied (a recorded name is a
 * committed migration), in two small queries. knex's own check (lock table, list, validation)
 * costs about 0.4 s of a restart on the embedded database; anything else (no table yet, pending
 * migrations, a recorded one missing from the folder) is left to knex, which applies or refuses.
 */
async function upToDate(knex: Knex): Promise<boolean> {
  const { rows } = await knex.raw<{ rows: { present: boolean }[] }>(`SELECT to_regclass('knex_migrations') IS NOT NULL AS present`);
  if (!rows[0]?.present) return false;
  const applied = new Set((await knex('knex_migrations').select<{ name: string }[]>('name')).map((r) => r.name));
  const all = new Set((await source.getMigrations()).map((f) => source.getMigrationName(f)));
  return applied.size === all.size && [...all].every((name) => applied.has(name));
}

export async function migrateLatest(knex: Knex): Promise<string[]> {
  if (await upToDate(knex)) return [];
  const [, applied] = (await knex.migrate.latest({ migrationSource: source })) as [number, string[]];
  return applied;
}

/** True when every migration in the folder has been applied to this database. */
export async function migrationsApplied(knex: Knex): Promise<boolean> {
  if (await upToDate(knex)) return true;
  const [, pending] = (await knex.migrate.list({ migrationSource: source })) as [unknown[], unknown[]];
  return pending.length === 0;
}
