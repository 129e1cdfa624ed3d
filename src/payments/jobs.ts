import type { Logger } from 'pino';
import type { PaymentService } from './paymentService.js';

/**
 * Runs the lost-notification sweep on an interval. Safe with several instances: each run claims
 * its orders with SKIP LOCKED and a lease. Never overlaps itself.
 */
export function startPaymentSweep(payments: PaymentService, intervalMs: number, logger: Logger): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = payments
      .sweep()
      .then((n) => {
        if (n > 0) logger.info({ orders: n }, 'payment sweep asked the gateway about overdue orders');
      })
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'payment sweep failed; will retry'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
