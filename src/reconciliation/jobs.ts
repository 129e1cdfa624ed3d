import os from 'node:os';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { warsawDate, type Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { JobDefinition } from '../module.js';
import type { ReconciliationService } from './service.js';
import { ReconciliationStore } from './store.js';

export interface DailyReconciliationOptions {
  /** Not before this hour of the day in Warsaw (default 6: after the night's last ELIXIR session). */
  notBeforeHour?: number;
  /** A failed daily run is tried again after this long (default 30 minutes)... */
  retryMinutes?: number;
  /** ...at most this many times in all (default 5). */
  maxAttempts?: number;
  /** Names this instance in the claim (default host:pid). */
  instanceId?: string;
}

export type DailyOutcome =
  | { outcome: 'too_early'; date: string }
  | { outcome: 'claimed_elsewhere'; date: string }
  | { outcome: 'already_reconciled'; date: string; runId: number }
  | { outcome: 'reconciled'; date: string; runId: number }
  | { outcome: 'failed'; date: string; error: string };

/** The calendar date before a YYYY-MM-DD date. */
export function previousDate(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

function warsawHour(at: Date): number {
  const hour = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Warsaw', hour: '2-digit', hourCycle: 'h23' }).format(at);
  return Number(hour);
}

/**
 * Reconciles yesterday (Europe/Warsaw) once a day on its own. Safe with several instances: each
 * date is claimed in the database (the first claim wins), and a failed run is retried later by
 * whichever instance claims it next.
 */
export class DailyReconciliation {
  private readonly notBeforeHour: number;
  private readonly retryMs: number;
  private readonly maxAttempts: number;
  readonly instanceId: string;

  constructor(
    private readonly knex: Knex,
    private readonly reconciliation: ReconciliationService,
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: DailyReconciliationOptions = {},
  ) {
    this.notBeforeHour = options.notBeforeHour ?? 6;
    this.retryMs = (options.retryMinutes ?? 30) * 60_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.instanceId = options.instanceId ?? `${os.hostname()}:${process.pid}`;
  }

  /** One look at the clock: reconciles yesterday when it is time and no one else has. */
  async runOnce(): Promise<DailyOutcome> {
    const now = this.clock.now();
    const date = previousDate(warsawDate(now));
    if (warsawHour(now) < this.notBeforeHour) return { outcome: 'too_early', date };
    const store = new ReconciliationStore(this.knex);
    const claimed = await store.claimDaily(date, this.instanceId, now, new Date(now.getTime() - this.retryMs), this.maxAttempts);
    if (!claimed) return { outcome: 'claimed_elsewhere', date };

    // Accounting may have run it by hand already: a finished result is enough.
    const existing = await store.currentRun(date);
    if (existing) {
      await store.finishDaily(date, { done: true, runId: existing.id });
      return { outcome: 'already_reconciled', date, runId: existing.id };
    }
    try {
      const report = await this.reconciliation.run(date, { trigger: 'daily', by: 'daily-job' }, { limit: 0 });
      await store.finishDaily(date, { done: true, runId: report.runId });
      this.logger.info({ date, runId: report.runId, counts: report.counts }, 'daily reconciliation done');
      return { outcome: 'reconciled', date, runId: report.runId };
    } catch (err) {
      const message = err instanceof AppError ? `${err.code}: ${err.message}` : (err as Error).message;
      await store.finishDaily(date, { done: false, error: message }).catch(() => undefined);
      this.logger.warn({ date, err: message }, 'daily reconciliation failed; another attempt later');
      return { outcome: 'failed', date, error: message };
    }
  }
}

/** How often the daily job looks at the clock (a run starts at most once a day). */
export const DAILY_CHECK_SECONDS = 5 * 60;

/** The daily reconciliation for the job runner: each look reconciles yesterday when it is time. */
export function dailyReconciliationJob(job: DailyReconciliation): JobDefinition {
  return {
    name: 'reconciliation-daily',
    schedule: { everySeconds: DAILY_CHECK_SECONDS },
    async run() {
      await job.runOnce();
    },
  };
}

/**
 * Looks every `intervalMs` whether yesterday needs reconciling. Never overlaps itself. Until the
 * job runner runs `module.jobs`, main.ts starts the daily job with this loop.
 */
export function startDailyReconciliation(job: DailyReconciliation, intervalMs: number, logger: Logger): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = job
      .runOnce()
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'daily reconciliation check failed; will retry'))
      .finally(() => {
        running = undefined;
      });
  };
  const first = setTimeout(tick, Math.min(intervalMs, 10_000));
  first.unref();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
