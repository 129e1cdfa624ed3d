import type { Knex } from 'knex';
import { migrationsApplied } from '../db/migrate.js';

export type Readiness = { ready: true } | { ready: false; reason: string };

/** Readiness of the process: the database answers and every migration is applied. */
export class OpsService {
  // Migrations never un-apply under a running process: once seen applied, the folder and the
  // migrations table need not be read on every probe again.
  private migrated = false;

  constructor(private readonly db: Knex) {}

  async readiness(): Promise<Readiness> {
    try {
      await this.db.raw('SELECT 1');
      this.migrated ||= await migrationsApplied(this.db);
      return this.migrated ? { ready: true } : { ready: false, reason: 'Database migrations are not applied yet.' };
    } catch {
      return { ready: false, reason: 'The database does not answer.' };
    }
  }
}
