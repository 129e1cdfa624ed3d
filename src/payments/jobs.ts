import type { Logger } from 'pino';
import type { JobDefinition } from '../module.js';
import type { PaymentService } from './service.js';

/**
 * The lost-notification sweep: pending orders past date_valid are asked about at the gateway.
 * Safe on several instances at once: each run claims its orders with SKIP LOCKED and a lease.
 */
export function paymentJobs(payments: PaymentService, options: { sweepSeconds: number; logger: Logger }): JobDefinition[] {
  return [
    {
      name: 'payments-sweep',
      schedule: { everySeconds: options.sweepSeconds },
      async run() {
        const n = await payments.sweep();
        if (n > 0) options.logger.info({ orders: n }, 'payment sweep asked the gateway about overdue orders');
      },
    },
  ];
}

/**
 * Runs one job on an interval, never overlapping itself. Stands in until the shared job runner
 * takes over the modules' jobs (main.ts).
 */
export function startPaymentSweep(job: JobDefinition, logger: Logger): { stop(): Promise<void> } {
  if (!('everySeconds' in job.schedule)) throw new Error(`${job.name}: only interval schedules are run here`);
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = job
      .run()
      .catch((err: unknown) => logger.warn({ job: job.name, err: (err as Error).message }, 'job failed; will retry'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, job.schedule.everySeconds * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
