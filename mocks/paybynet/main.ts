/**
 * Runs the mock gateway alone: `npm run mock:gateway`.
 * Environment: PORT (4010), HOST (127.0.0.1), MERCHANT_JWKS_URL (optional: else derived from
 * each transaction's notify_url), PUBLIC_URL (base of redirectUrl, optional), RETRY_SCALE (1).
 */
import { pino } from 'pino';
import { createMockGateway } from './app.js';

const logger = pino({ name: 'mock-paybynet' });
const port = Number(process.env.PORT ?? 4010);
const host = process.env.HOST ?? '127.0.0.1';
const retryScale = Number(process.env.RETRY_SCALE ?? 1);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${process.env.PORT}`);
if (!Number.isFinite(retryScale) || retryScale < 0) throw new Error('RETRY_SCALE must be a non-negative number');

const gateway = createMockGateway({
  logger,
  retryScale,
  ...(process.env.MERCHANT_JWKS_URL ? { merchantJwksUrl: process.env.MERCHANT_JWKS_URL } : {}),
  ...(process.env.PUBLIC_URL ? { publicUrl: process.env.PUBLIC_URL } : {}),
});
const { url } = await gateway.listen(port, host);
logger.info({ url }, 'mock PayByNet gateway listening');
console.log(`Mock PayByNet gateway: ${url}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'mock gateway did not close cleanly');
        process.exit(1);
      },
    );
  });
}
