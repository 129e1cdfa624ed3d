import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { DbKind } from '../db/createDb.js';
import type { AppModule } from '../module.js';
import { DailyReconciliation, dailyReconciliationJob } from './jobs.js';
import { reconciliationRoutes } from './routes.js';
import { ReconciliationService, type BankPayoutsOf, type ReconciliationGateway, type ReconciliationOptions, type ReconciliationPayments } from './service.js';

export { DailyReconciliation, startDailyReconciliation, previousDate, DAILY_CHECK_SECONDS, type DailyOutcome, type DailyReconciliationOptions } from './jobs.js';
export { ReconciliationService } from './service.js';
export type { BankPayoutsOf, ReconciledOrder, ReconciliationGateway, ReconciliationPayments } from './service.js';
export type { ItemView, ReportView, RunSummaryView } from './presenters.js';
/** The CSV export of a date's items (also used by the accounting page in src/web). */
export { itemsCsv } from './presenters.js';

export interface ReconciliationDeps {
  db: Knex;
  dbKind: DbKind;
  clock: Clock;
  logger: Logger;
  gateway: ReconciliationGateway;
  payments: ReconciliationPayments;
  /** The gateway's payouts of a date on imported bank statements (from the bank statements module). */
  bankPayouts: BankPayoutsOf;
  options?: ReconciliationOptions;
}

export interface ReconciliationModule extends AppModule<ReconciliationService> {
  /** The daily job itself (the job runner runs it through `jobs`; main.ts's loop until then). */
  daily: DailyReconciliation;
}

/**
 * Reconciliation (SPEC 4.5): runs of a settlement date against the gateway's signed report,
 * matching in SQL (a declared read model over payment_orders), resolutions, CSV export, and the
 * daily run of yesterday.
 */
export function createReconciliationModule(deps: ReconciliationDeps): ReconciliationModule {
  const service = new ReconciliationService(deps.db, deps.dbKind, deps.clock, deps.gateway, deps.payments, deps.logger, deps.bankPayouts, deps.options);
  const daily = new DailyReconciliation(deps.db, service, deps.clock, deps.logger.child({ component: 'daily-reconciliation' }));
  return { name: 'reconciliation', service, routes: reconciliationRoutes(service), jobs: [dailyReconciliationJob(daily)], daily };
}
