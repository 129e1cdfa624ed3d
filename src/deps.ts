import pino, { type Logger } from 'pino';
import { AuthService } from './auth/authService.js';
import { loadJwtSecret } from './auth/secrets.js';
import { TokenService } from './auth/tokens.js';
import { BillingService } from './billing/billingService.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/createDb.js';
import { GatewayClient, loadMerchantKeys, type MerchantKeys } from './gateway/index.js';
import { LedgerService } from './ledger/ledgerService.js';
import type { AppModule } from './module.js';
import { HttpMetrics, createOpsModule } from './ops/index.js';
import { PaymentService } from './payments/paymentService.js';
import { createBankStatementsModule, type BankStatementService } from './bankStatements/index.js';
import { createReconciliationModule, type ReconciliationModule, type ReconciliationService } from './reconciliation/index.js';

/** Everything the app and the jobs use, built in one place. */
export interface Deps {
  config: Config;
  db: Database;
  clock: Clock;
  logger: Logger;
  metrics: HttpMetrics;
  auth: AuthService;
  billing: BillingService;
  ledger: LedgerService;
  gateway: GatewayClient;
  payments: PaymentService;
  reconciliation: ReconciliationService;
  bankStatements: BankStatementService;
  /** The merchant's signing keys; replaced in place on rotation. */
  merchantKeys: { current: MerchantKeys };
  /** Every module, in the order built: app.ts mounts their routes, main.ts runs their jobs. */
  modules: AppModule[];
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'ibok-payments' },
    // Belt and braces: nothing that looks like a credential is ever written.
    redact: {
      paths: ['password', 'newPassword', 'currentPassword', 'oneTimePassword', 'accessToken', 'authorization', '*.password', '*.authorization', 'req.headers.authorization'],
      censor: '[redacted]',
    },
  });
}

export interface DepsOptions {
  clock?: Clock;
  logger?: Logger;
  /** The gateway to talk to when GATEWAY_URL is unset (the bundled mock, started by main). */
  gatewayUrl?: string;
  /** Per-request gateway timeout (5 s unless a test shortens it). */
  gatewayTimeoutMs?: number;
}

export async function createDeps(config: Config, db: Database, options: DepsOptions = {}): Promise<Deps> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = new HttpMetrics();
  const tokens = new TokenService(loadJwtSecret(config.jwtSecret, config.dataDir), clock);
  const ledger = new LedgerService(db.knex, clock);
  const billing = new BillingService(db.knex, ledger);
  const auth = new AuthService(db.knex, tokens, clock, billing);

  const gatewayUrl = config.gatewayUrl ?? options.gatewayUrl;
  if (!gatewayUrl) throw new Error('no gateway: set GATEWAY_URL (or let main start the mock gateway)');
  const merchantKeys = {
    current: await loadMerchantKeys({ dataDir: config.dataDir, ...(config.merchant.keyFile ? { keyFile: config.merchant.keyFile } : {}) }),
  };
  const gateway = new GatewayClient({
    baseUrl: gatewayUrl,
    merchantId: config.merchant.id,
    merchantKeys: merchantKeys.current,
    clock,
    logger,
    ...(options.gatewayTimeoutMs ? { timeoutMs: options.gatewayTimeoutMs } : {}),
  });
  const payments = new PaymentService(
    db.knex,
    clock,
    ledger,
    billing,
    gateway,
    {
      publicUrl: config.publicUrl,
      merchant: config.merchant,
      validMinutes: config.payments.validMinutes,
      sweepGraceMinutes: config.payments.sweepGraceMinutes,
    },
    logger,
  );
  // Reconciliation shows the bank's payouts and bank statements show the reconciled totals: each
  // reaches the other's service late-bound, so neither module is built inside the other.
  const reconciliationModule: ReconciliationModule = createReconciliationModule({
    db: db.knex,
    dbKind: db.kind,
    clock,
    logger: logger.child({ component: 'reconciliation' }),
    gateway,
    payments,
    bankPayouts: (date) => bankStatementsModule.service.payoutsFor(date),
  });
  const bankStatementsModule = createBankStatementsModule({
    db: db.knex,
    clock,
    logger: logger.child({ component: 'bank-statements' }),
    ledger,
    settings: { merchantId: config.merchant.id, accounts: [config.merchant.account, ...config.bankAccounts] },
    gatewayTotals: (dates) => reconciliationModule.service.gatewayTotals(dates),
  });
  const reconciliation = reconciliationModule.service;
  const bankStatements = bankStatementsModule.service;
  const modules: AppModule[] = [createOpsModule({ db: db.knex, metrics }), reconciliationModule, bankStatementsModule];
  return { config, db, clock, logger, metrics, auth, billing, ledger, gateway, payments, reconciliation, bankStatements, merchantKeys, modules };
}
