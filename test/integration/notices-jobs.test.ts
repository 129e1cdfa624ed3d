import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/createDb.js';
import { startJobRunner } from '../../src/jobs/index.js';
import type { JobDefinition } from '../../src/module.js';
import { createTestDb } from '../helpers/db.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('job runner (pg-boss on knex’s connections)', () => {
  let db: Database & { schema?: string };
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    if (db.schema) await db.knex.raw(`DROP SCHEMA IF EXISTS ${db.schema}_jobs CASCADE`);
    await db.close();
  });

  it('runs a module’s periodic job through the queue and keeps the app’s queries working meanwhile', async () => {
    let runs = 0;
    const jobs: JobDefinition[] = [
      { name: 'test-tick', schedule: { everySeconds: 1 }, run: () => {
          runs++;
          return Promise.resolve();
        },
      },
      { name: 'test-daily', schedule: { cron: '0 6 * * *' }, run: () => Promise.resolve() },
    ];
    const runner = await startJobRunner({ knex: db.knex, jobs, logger, schema: `${db.schema ?? 'pgboss'}_jobs` });
    try {
      await until(() => runs >= 2);
      // The app's own statements still get the (on PGlite: only) connection.
      const { rows } = await db.knex.raw<{ rows: Array<{ one: number }> }>('SELECT 1 AS one');
      expect(rows[0]!.one).toBe(1);
      const schedules = await db.knex.raw<{ rows: Array<{ name: string; cron: string; timezone: string }> }>(
        `SELECT name, cron, timezone FROM ${db.schema ?? 'pgboss'}_jobs.schedule`,
      );
      expect(schedules.rows).toEqual([{ name: 'test-daily', cron: '0 6 * * *', timezone: 'Europe/Warsaw' }]);
    } finally {
      await runner.stop();
    }
  });

  it.skipIf(!process.env.DATABASE_URL)('two instances offering the same slot run it once', async () => {
    let runs = 0;
    const job: JobDefinition = {
      name: 'test-slot',
      schedule: { everySeconds: 4 },
      run: async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 200));
      },
    };
    const schema = `${db.schema ?? 'pgboss'}_jobs`;
    const a = await startJobRunner({ knex: db.knex, jobs: [job], logger, schema });
    const b = await startJobRunner({ knex: db.knex, jobs: [job], logger, schema });
    try {
      await until(() => runs >= 1);
      await new Promise((r) => setTimeout(r, 2500));
      // Both offered a run at start, within one 4-second slot: one ran.
      expect(runs).toBe(1);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
