import pino, { type Logger } from 'pino';
import { AuthService } from './auth/authService.js';
import { loadJwtSecret } from './auth/secrets.js';
import { TokenService } from './auth/tokens.js';
import { BillingService } from './billing/billingService.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/createDb.js';
import { LedgerService } from './ledger/ledgerService.js';
import { HttpMetrics } from './ops/metrics.js';

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

export function createDeps(config: Config, db: Database, options: { clock?: Clock; logger?: Logger } = {}): Deps {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = new HttpMetrics();
  const tokens = new TokenService(loadJwtSecret(config.jwtSecret, config.dataDir), clock);
  const ledger = new LedgerService(db.knex, clock);
  const billing = new BillingService(db.knex, ledger);
  const auth = new AuthService(db.knex, tokens, clock, billing);
  return { config, db, clock, logger, metrics, auth, billing, ledger };
}
