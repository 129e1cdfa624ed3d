import pino, { type Logger } from 'pino';
import { createAuthModule, type AuthService, type PasswordHashingOptions } from './auth/index.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/createDb.js';
import { createDocumentsModule, type DocumentService } from './documents/index.js';
import { createContractsModule, presentContract, type ContractService } from './contracts/index.js';
import { createMetersModule, presentMeter, type MeterService } from './meters/index.js';
import { createNoticesModule, type NoticesService } from './notices/index.js';
import { createRequestsModule, type RequestService } from './requests/index.js';
import { createApplicationsModule, type ApplicationService } from './applications/index.js';
import { GatewayClient, loadMerchantKeys, type MerchantKeys } from './gateway/index.js';
import { createCustomersModule, type CustomersService } from './customers/index.js';
import { createInvoicesModule, type InvoicesService } from './invoices/index.js';
import { createLedgerModule, type LedgerService } from './ledger/index.js';
import type { AppModule } from './module.js';
import { HttpMetrics, createOpsModule } from './ops/index.js';
import { createPaymentsModule, type PaymentService } from './payments/index.js';
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
  customers: CustomersService;
  invoices: InvoicesService;
  ledger: LedgerService;
  gateway: GatewayClient;
  payments: PaymentService;
  reconciliation: ReconciliationService;
  bankStatements: BankStatementService;
  /** The merchant's signing keys; replaced in place on rotation. */
  merchantKeys: { current: MerchantKeys };
  /** Documents and the file store (src/documents). */
  documents: DocumentService;
  /** Contracts and their signed scans (src/contracts). */
  contracts: ContractService;
  /** Meters and readings (src/meters). */
  meters: MeterService;
  /** E-mail and SMS: the outbox, subscriptions, invoice notices and reminders (src/notices). */
  notices: NoticesService;
  /** Customers' requests to the office and the office's replies (src/requests). */
  requests: RequestService;
  /** Online applications for a login and the office's decisions (src/applications). */
  applications: ApplicationService;
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
  /** Where e-mail and SMS go when SMTP_URL / SMS_API_URL are unset (the bundled mocks, started by main or tests). */
  smtpUrl?: string;
  smsApiUrl?: string;
  /** Password-hash cost and concurrency (production defaults; tests pass a cheap cost). */
  passwordHashing?: PasswordHashingOptions;
}

export async function createDeps(config: Config, db: Database, options: DepsOptions = {}): Promise<Deps> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = new HttpMetrics();
  const ledgerModule = createLedgerModule({ db: db.knex, clock });
  const ledger = ledgerModule.service;
  const customersModule = createCustomersModule({
    db: db.knex,
    // GET /api/me lists each property's contracts and meters, read from the modules that own them
    // (built further down; called only when a request comes).
    propertyDetails: async (customerId) => {
      const [contractsOf, metersOf] = await Promise.all([
        contracts.service.contractsByProperty(customerId),
        metersModule.service.metersByProperty(customerId),
      ]);
      return (propertyNumber) => ({
        contracts: (contractsOf.get(propertyNumber) ?? []).map(presentContract),
        meters: (metersOf.get(propertyNumber) ?? []).map(presentMeter),
      });
    },
  });
  const customers = customersModule.service;
  const invoicesModule = createInvoicesModule({ db: db.knex, dbKind: db.kind, customers, ledger, seller: config.merchant });
  const invoices = invoicesModule.service;
  const authModule = createAuthModule({
    db: db.knex,
    clock,
    jwtSecret: config.jwtSecret,
    dataDir: config.dataDir,
    customers,
    ...(options.passwordHashing ? { passwordHashing: options.passwordHashing } : {}),
  });
  const auth = authModule.service;

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
  const paymentsModule = createPaymentsModule({
    db: db.knex,
    clock,
    logger,
    ledger,
    // What payments need of the billing data: the customer's invoices by number, the customer's e-mail.
    billing: {
      invoicesByNumbers: (trx, customerId, numbers) => invoices.invoicesByNumbers(trx, customerId, numbers),
      customerById: (id) => customers.customerById(id),
    },
    gateway,
    merchantJwks: () => merchantKeys.current.publicJwks(),
    settings: {
      publicUrl: config.publicUrl,
      merchant: config.merchant,
      validMinutes: config.payments.validMinutes,
      sweepGraceMinutes: config.payments.sweepGraceMinutes,
      sweepSeconds: config.payments.sweepSeconds,
    },
  });
  const payments = paymentsModule.service;
  invoices.usePendingPayments(payments);
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
    directory: { findByNumber: (db, n) => customers.findByNumber(db, n), invoicesByNumbers: (db, id, numbers) => invoices.invoicesByNumbers(db, id, numbers) },
    settings: {
      merchantId: config.merchant.id,
      accounts: [config.merchant.account, ...config.bankAccounts],
      payoutAccounts: config.gatewayPayoutAccounts,
    },
    gatewayTotals: (dates) => reconciliationModule.service.gatewayTotals(dates),
  });
  const reconciliation = reconciliationModule.service;
  const bankStatements = bankStatementsModule.service;
  const documents = createDocumentsModule({ db: db.knex, clock, customers });
  const contracts = createContractsModule({ db: db.knex, clock, customers, documents: documents.service });
  const metersModule = createMetersModule({ db: db.knex, clock, customers });
  const noticesModule = createNoticesModule({
    db: db.knex,
    clock,
    logger,
    config: { sendHour: config.notices.sendHour, sender: { name: config.merchant.name, account: config.merchant.account, publicUrl: config.publicUrl } },
    // Without any SMTP server or SMS API (a script, a test without mocks) messages wait in the outbox.
    smtp: { url: config.notices.smtpUrl ?? options.smtpUrl ?? 'smtp://127.0.0.1:1', from: config.notices.mailFrom },
    sms: { url: config.notices.smsApiUrl ?? options.smsApiUrl ?? 'http://127.0.0.1:1', token: config.notices.smsApiToken ?? 'mock-token', from: config.notices.smsFrom },
    meters: (from, to) => metersModule.service.metersWithLegalisationEndingBetween(from, to),
  });
  // The invoice-issued notice is queued in the transaction that stores the invoice.
  invoices.onIssued((trx, issued) => noticesModule.service.invoicesIssued(trx, issued));
  const requestsModule = createRequestsModule({
    db: db.knex,
    clock,
    logger,
    files: documents.service.files,
    customers,
    invoices,
    meters: metersModule.service,
    settings: { publicUrl: config.publicUrl, senderName: config.merchant.name },
  });
  const applicationsModule = createApplicationsModule({
    db: db.knex,
    clock,
    customers,
    invoices,
    createCustomerLogin: (trx, input) => auth.createCustomerLogin(trx, input),
    senderName: config.merchant.name,
  });
  const modules: AppModule[] = [createOpsModule({ db: db.knex, metrics, metricsToken: config.metricsToken }), customersModule, invoicesModule, ledgerModule, authModule, paymentsModule, reconciliationModule, bankStatementsModule, documents, contracts, metersModule, noticesModule, requestsModule, applicationsModule];
  return { requests: requestsModule.service, applications: applicationsModule.service, notices: noticesModule.service, documents: documents.service, contracts: contracts.service, meters: metersModule.service, config, db, clock, logger, metrics, auth, customers, invoices, ledger, gateway, payments, reconciliation, bankStatements, merchantKeys, modules };
}
