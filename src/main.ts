import http from 'node:http';
import { createApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createDb, type Database } from './db/createDb.js';
import { DataDirLockedError, lockDataDir, type DataDirLock } from './db/dataDirLock.js';
import { migrateLatest } from './db/migrate.js';
import { createDeps, createLogger } from './deps.js';
import { seedDemoData } from './demo/seedDemo.js';
import { startJobRunner } from './jobs/index.js';
import { startBundledMailMocks, type BundledMailMocks } from '../mocks/smtp/bundled.js';
import { startBundledMockGateway, type MockGateway } from '../mocks/paybynet/app.js';

/** Process entry: config → lock → database (migrate) → app → listen; clean shutdown on SIGTERM. */
async function main(): Promise<void> {
  const startedAt = process.hrtime.bigint();
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`ibok-payments: configuration error: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);

  let lock: DataDirLock | undefined;
  if (!config.databaseUrl) {
    try {
      lock = lockDataDir(config.dataDir);
    } catch (err) {
      if (err instanceof DataDirLockedError) {
        process.stderr.write(`ibok-payments: ${err.message}\n`);
        process.exit(75); // EX_TEMPFAIL
      }
      throw err;
    }
  }

  let db: Database;
  try {
    db = await createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    const applied = await migrateLatest(db.knex);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  } catch (err) {
    lock?.release();
    const where = config.databaseUrl ? 'the PostgreSQL server in DATABASE_URL' : `the embedded database in ${config.dataDir}`;
    process.stderr.write(`ibok-payments: cannot open ${where}: ${(err as Error).message}\n`);
    process.exit(1);
  }

  // Without GATEWAY_URL the bundled mock gateway runs in this process: a demo, never production.
  let mockGateway: MockGateway | undefined;
  let gatewayUrl = config.gatewayUrl;
  if (!gatewayUrl) {
    mockGateway = await startBundledMockGateway({ logger: logger.child({ component: 'mock-paybynet' }), dataDir: config.dataDir, port: config.mockGatewayPort });
    gatewayUrl = mockGateway.url!;
    logger.warn({ gatewayUrl }, 'GATEWAY_URL is not set: using the bundled MOCK PayByNet gateway (no real money moves)');
  }

  // Without SMTP_URL / SMS_API_URL the demo inbox runs in this process: e-mails and SMS stay there.
  let mailMocks: BundledMailMocks | undefined;
  if (!config.notices.smtpUrl || !config.notices.smsApiUrl) {
    mailMocks = await startBundledMailMocks({ smtpPort: config.notices.mockSmtpPort, inboxPort: config.notices.mockInboxPort, logger });
  }
  const deps = await createDeps(config, db, { logger, gatewayUrl, ...(mailMocks ? { smtpUrl: mailMocks.smtpUrl, smsApiUrl: mailMocks.smsApiUrl } : {}) });
  if (config.admin) {
    if (await deps.auth.ensureStaff(config.admin.login, config.admin.password, 'admin')) {
      logger.info({ login: config.admin.login }, 'admin login created from ADMIN_LOGIN');
    }
  }
  if (config.demoData) await seedDemoData(deps, logger);

  const app = createApp(deps);
  const server = http.createServer(app.callback());
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const readyMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
  logger.info(
    { host: config.host, port: config.port, url: config.publicUrl, database: db.kind, readyMs: Math.round(readyMs) },
    'IBOK Payments is listening',
  );

  // Every module's periodic work (outbox, reminders, payment sweep, daily reconciliation) on pg-boss.
  // The signal handlers below are installed before it has started, so a SIGTERM that arrives
  // meanwhile still shuts down cleanly (it waits for the runner, then stops it).
  const jobsStarted = startJobRunner({ knex: db.knex, jobs: deps.modules.flatMap((m) => m.jobs), logger });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing requests');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), 10_000);
    await closed;
    clearTimeout(force);
    const jobs = await jobsStarted.catch(() => undefined);
    await jobs?.stop();
    await mailMocks?.close();
    await mockGateway?.close();
    await db.close();
    lock?.release();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  const jobs = await jobsStarted;
  // Reminders whose moment passed while the service was down go out now, not at the next cron tick.
  if (!stopping) await jobs.trigger('notices-reminders');
  if (mailMocks) logger.warn({ inbox: mailMocks.inboxUrl }, `SMTP_URL / SMS_API_URL are not set: e-mails and SMS go to the demo inbox at ${mailMocks.inboxUrl}/`);
}

main().catch((err: unknown) => {
  process.stderr.write(`ibok-payments: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
