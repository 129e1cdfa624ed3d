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
