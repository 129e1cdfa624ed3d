import type { Knex } from 'knex';
import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { JobDefinition } from '../module.js';

/**
 * The job runner: every module's `JobDefinition`s on pg-boss 10, so that on several instances each
 * run happens once (pg-boss's queue and its cron live in the database).
 *
 * - pg-boss gets no pool of its own: each of its statements borrows one of knex's connections. On
 *   PGlite that is the only connection there is; a second pool would share PGlite's one session
 *   (one side's ROLLBACK undoing the other's work, as measured in DESIGN.md).
 * - `{ cron }` jobs are pg-boss schedules in Europe/Warsaw time.
 * - `{ everySeconds }` jobs: every instance offers a run every N seconds with a singleton key and
 *   `singletonSeconds` (the key alone does not dedupe), so one run per slot happens, wherever.
 * - A queue is `stately`: at most one run queued and one running, so a slow run is never overtaken
 *   by the next one.
 */
export interface JobRunner {
  /** Runs a job now (through the queue), e.g. from an admin action or a test. */
  trigger(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface JobRunnerOptions {
  knex: Knex;
  jobs: readonly JobDefinition[];
  logger: Logger;
  /** pg-boss's schema (tests give each database their own). */
  schema?: string;
}

interface PgConnection {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** pg-boss's `db` option: one statement at a time on a connection borrowed from knex. */
function knexExecutor(knex: Knex): PgBoss.Db {
  const client = knex.client as { acquireConnection(): Promise<PgConnection>; releaseConnection(c: PgConnection): Promise<void> };
  return {
    async executeSql(text: string, values: unknown[]) {
      const conn = await client.acquireConnection();
      try {
        return await conn.query(text, values);
      } finally {
        await client.releaseConnection(conn);
      }
    },
  };
}

export async function startJobRunner(options: JobRunnerOptions): Promise<JobRunner> {
  const logger = options.logger.child({ component: 'jobs' });
  const names = new Set<string>();
  for (const job of options.jobs) {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(job.name)) throw new Error(`job name ${job.name} is not kebab-case`);
    if (names.has(job.name)) throw new Error(`two jobs are called ${job.name}`);
    names.add(job.name);
  }
  // pg-boss and its cron parser (about 0.2 s to load) come after the service listens, not before.
  const { default: PgBossEngine } = await import('pg-boss');
  const boss = new PgBossEngine({
    db: knexExecutor(options.knex),
    schema: options.schema ?? 'pgboss',
    // Fewer background statements on PGlite's one connection; archive and delete as usual.
    monitorStateIntervalSeconds: 300,
    maintenanceIntervalSeconds: 300,
  });
  boss.on('error', (err: Error) => logger.error({ err: { message: err.message } }, 'job engine error'));
  await boss.start();

  const timers: NodeJS.Timeout[] = [];
  for (const job of options.jobs) {
    const runSeconds = 'everySeconds' in job.schedule ? Math.max(60, job.schedule.everySeconds * 6) : 15 * 60;
    const queue = { policy: 'stately', expireInSeconds: Math.max(600, runSeconds), retryLimit: 0 } as PgBoss.Queue;
    if (await boss.getQueue(job.name)) await boss.updateQueue(job.name, queue);
    else await boss.createQueue(job.name, queue);
    const pollingIntervalSeconds = 'everySeconds' in job.schedule ? Math.min(2, Math.max(0.5, job.schedule.everySeconds / 2)) : 5;
    await boss.work(job.name, { pollingIntervalSeconds, batchSize: 1 }, async () => {
      const started = Date.now();
      try {
        await job.run();
        const ms = Date.now() - started;
        if (ms > 1000) logger.info({ job: job.name, ms }, 'job finished');
      } catch (err) {
        logger.error({ job: job.name, err: { message: (err as Error).message } }, 'job failed');
        throw err;
      }
    });
    if ('cron' in job.schedule) {
      await boss.schedule(job.name, job.schedule.cron, {}, { tz: 'Europe/Warsaw' });
    } else {
      const every = job.schedule.everySeconds;
      const offer = () =>
        boss.send(job.name, {}, { singletonKey: job.name, singletonSeconds: every }).catch((err: Error) => {
          logger.warn({ job: job.name, err: { message: err.message } }, 'could not queue a job run');
        });
      void offer();
      const timer = setInterval(() => void offer(), every * 1000);
      timer.unref();
      timers.push(timer);
    }
  }
  // Schedules of jobs that no longer exist would otherwise fire forever into queues nobody works.
  for (const s of await boss.getSchedules()) {
    if (!names.has(s.name)) await boss.unschedule(s.name);
  }
  logger.info({ jobs: [...names] }, 'job runner started');

  return {
    async trigger(name) {
      if (!names.has(name)) throw new Error(`no job ${name}`);
      await boss.send(name, {});
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      // Waits for runs in progress (up to 30 s), then lets go; the knex connections stay knex's.
      await boss.stop({ graceful: true, wait: true, timeout: 30_000, close: false });
    },
  };
}
