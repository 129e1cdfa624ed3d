import type { Logger } from 'pino';
import type { JobDefinition } from '../module.js';
import type { NoticesService } from './service.js';

/** The meters module's answer: active meters whose legalisation ends between two dates (inclusive). */
export type MeterExpirySource = (from: string, to: string) => Promise<Array<{ serialNumber: string; customerId: string; legalisationValidUntil: string }>>;

export function noticesJobs(service: NoticesService, logger: Logger, meters?: MeterExpirySource): JobDefinition[] {
  const jobs: JobDefinition[] = [
    {
      // Often, so a one-time password arrives while the customer waits; SKIP LOCKED makes
      // overlapping runs on several instances harmless.
      name: 'notices-outbox',
      schedule: { everySeconds: 5 },
      async run() {
        const r = await service.deliverDue();
        if (r.sent + r.failed + r.retried > 0) logger.info(r, 'outbox delivery');
      },
    },
    {
      // Every 10 minutes: the window opens at NOTICE_SEND_HOUR; later runs pick up what is left.
      name: 'notices-reminders',
      schedule: { cron: '*/10 * * * *' },
      async run() {
        await service.runReminders();
      },
    },
  ];
  if (meters) {
    jobs.push({
      name: 'notices-meter-legalisation',
      schedule: { cron: '15 * * * *' },
      async run() {
        await service.meterLegalisationNotices(meters);
      },
    });
  }
  return jobs;
}
