import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { AppModule } from '../module.js';
import { paymentJobs } from './jobs.js';
import { paymentRoutes, type NotificationVerifier } from './routes.js';
import { PaymentService, type BillingPort, type GatewayPort, type LedgerPort, type PaymentSettings } from './service.js';

export { PaymentService, transferTitle } from './service.js';
export type { BillingPort, GatewayPort, LedgerPort, OrderResult, PaymentSettings, PaymentView, ReturnView, StatusCause } from './service.js';
export type { HistoryEntry, PaymentOrder, PaymentStatus } from './store.js';
export { PAYMENT_STATUSES } from './store.js';
export { paymentErrors } from './errors.js';

export interface PaymentsModuleDeps {
  db: Knex;
  clock: Clock;
  logger: Logger;
  ledger: LedgerPort;
  billing: BillingPort;
  /** The gateway client: registers, queries, cancels and verifies notifications. */
  gateway: GatewayPort & NotificationVerifier;
  /** The merchant's public JWKS (rotations replace the keys in place). */
  merchantJwks: () => unknown;
  settings: PaymentSettings & { sweepSeconds: number };
}

/** Payments: orders at the gateway, notifications, cancellation, the return page, the sweep. */
export function createPaymentsModule(deps: PaymentsModuleDeps): AppModule<PaymentService> {
  const service = new PaymentService(deps.db, deps.clock, deps.ledger, deps.billing, deps.gateway, deps.settings, deps.logger);
  return {
    name: 'payments',
    service,
    routes: paymentRoutes({ payments: service, verifier: deps.gateway, merchantJwks: deps.merchantJwks }),
    jobs: paymentJobs(service, { sweepSeconds: deps.settings.sweepSeconds, logger: deps.logger.child({ component: 'payments-sweep' }) }),
  };
}
