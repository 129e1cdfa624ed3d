import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { AppModule } from '../module.js';
import { bankStatementRoutes } from './routes.js';
import { BankStatementService, type BankStatementSettings, type BankStatementsDirectory, type BankStatementsLedger, type GatewayTotalsOf } from './service.js';

export { BankStatementService } from './service.js';
export type { BankStatementSettings, BankStatementsDirectory, BankStatementsLedger, GatewayTotalsOf } from './service.js';
export type { BankLineView, ImportView } from './presenters.js';

export interface BankStatementsDeps {
  db: Knex;
  clock: Clock;
  logger: Logger;
  ledger: BankStatementsLedger;
  /** Customers and their invoices by number (for assignments by hand). */
  directory: BankStatementsDirectory;
  settings: BankStatementSettings;
  /** The current gatewayTotal of settlement dates (from the reconciliation module). */
  gatewayTotals: GatewayTotalsOf;
}

/**
 * Bank statements (SPEC 4.5): MT940 import with the Polish `:86:` narratives, each credit line
 * classified (gateway payout, invoice payment credited once, unmatched, duplicate, conflict);
 * unmatched and conflict lines are assigned by hand.
 */
export function createBankStatementsModule(deps: BankStatementsDeps): AppModule<BankStatementService> {
  const service = new BankStatementService(deps.db, deps.ledger, deps.directory, deps.clock, deps.settings, deps.logger, deps.gatewayTotals);
  return { name: 'bankStatements', service, routes: bankStatementRoutes(service), jobs: [] };
}
