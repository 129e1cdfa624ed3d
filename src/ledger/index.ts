import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { AppModule } from '../module.js';
import { ledgerRoutes } from './routes.js';
import { LedgerService } from './service.js';

export { LedgerService, type Balance, type CreditResult, type SettlementFilter, type SettlementItem, type SettlementKind } from './service.js';
export type { NewCredit } from './store.js';

export type LedgerModule = AppModule<LedgerService>;

/**
 * The account ledger: credits (payments, negative corrections) allocated to charges (invoices,
 * positive corrections); `GET /api/settlements`. Its writes run in the callers' transactions.
 */
export function createLedgerModule(deps: { db: Knex; clock: Clock }): LedgerModule {
  const service = new LedgerService(deps.db, deps.clock);
  return { name: 'ledger', service, routes: ledgerRoutes(service), jobs: [] };
}
