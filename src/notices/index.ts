import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { AppModule } from '../module.js';
import { noticesJobs, type MeterExpirySource } from './jobs.js';
import { noticesRoutes } from './routes.js';
import { NoticesService, type NoticesConfig } from './service.js';
import { smsApiTransport, smtpTransport, type EmailTransport, type SmsTransport } from './transports.js';

export { enqueueEmail, enqueueSms, type OutboxEmail, type OutboxSms } from './store.js';
export { NoticesService, type IssuedInvoice, type ExpiringMeter, type NoticesConfig } from './service.js';
export type { MeterExpirySource } from './jobs.js';
export { DeliveryError, type EmailTransport, type SmsTransport } from './transports.js';
export { polishDate, polishMoney } from './texts.js';

export interface NoticesModuleDeps {
  db: Knex;
  clock: Clock;
  logger: Logger;
  config: NoticesConfig;
  smtp: { url: string; from: string };
  sms: { url: string; token: string; from: string };
  /** Tests may hand in their own transports; otherwise SMTP and the SMS API above. */
  transports?: { email: EmailTransport; sms: SmsTransport };
  meters?: MeterExpirySource;
}

export type NoticesModule = AppModule<NoticesService> & { close(): void };

/** E-mail and SMS: the outbox and its delivery, subscriptions, invoice notices and reminders. */
export function createNoticesModule(deps: NoticesModuleDeps): NoticesModule {
  const email = deps.transports?.email ?? smtpTransport(deps.smtp);
  const sms = deps.transports?.sms ?? smsApiTransport(deps.sms);
  const logger = deps.logger.child({ component: 'notices' });
  const service = new NoticesService(deps.db, deps.clock, deps.config, { email, sms }, logger);
  return {
    name: 'notices',
    service,
    routes: noticesRoutes(service),
    jobs: noticesJobs(service, logger, deps.meters),
    close: () => email.close(),
  };
}
