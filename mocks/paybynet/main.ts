/**
 * Runs the mock gateway alone: `npm run mock:gateway [-- --control]`.
 * Environment: MOCK_GATEWAY_PORT (or PORT; 4010), HOST (127.0.0.1), DATA_DIR (./data: the state
 * is kept in DATA_DIR/mock-paybynet.json and survives a restart), MERCHANT_JWKS_URL (optional:
 * else derived from each transaction's notify_url), PUBLIC_URL (base of redirectUrl, optional),
 * RETRY_SCALE (1). `--control` serves the /__control endpoints (anyone reaching them can "pay").
 */
import path from 'node:path';
import { pino } from 'pino';
import { createMockGateway } from './app.js';

const logger = pino({ name: 'mock-paybynet' });
const port = Number(process.env.MOCK_GATEWAY_PORT ?? process.env.PORT ?? 4010);
const host = process.env.HOST ?? '127.0.0.1';
const retryScale = Number(process.env.RETRY_SCALE ?? 1);
const controlApi = process.argv.slice(2).includes('--control');
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`MOCK_GATEWAY_PORT must be a port number, got ${port}`);
if (!Number.isFinite(retryScale) || retryScale < 0) throw new Error('RETRY_SCALE must be a non-negative number');

const gateway = createMockGateway({
  logger,
  retryScale,
  controlApi,
  stateFile: path.resolve(process.env.DATA_DIR ?? './data', 'mock-paybynet.json'),
  ...(process.env.MERCHANT_JWKS_URL ? { merchantJwksUrl: process.env.MERCHANT_JWKS_URL } : {}),
  ...(process.env.PUBLIC_URL ? { publicUrl: process.env.PUBLIC_URL } : {}),
});
const { url } = await gateway.listen(port, host);
logger.info({ url, controlApi }, 'mock PayByNet gateway listening');
console.log(`Mock PayByNet gateway: ${url}${controlApi ? ` (control API at ${url}/__control)` : ''}`);

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
