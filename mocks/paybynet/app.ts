/**
 * A PayByNet-style gateway for development and tests (SPEC 3), as a real HTTP server: registers
 * transactions, hosts the bank page, sends signed notifications with retries, answers status
 * queries and cancellations, serves signed settlement reports; faults on demand. The rooms:
 * state.ts (what it knows, optionally kept in a file), protocol.ts (the API), bankPage.ts,
 * notifier.ts, reports.ts, faults.ts and control.ts (tests' levers, over HTTP only when asked).
 *
 *   const gateway = createMockGateway({ retryScale: 0.001 });
 *   const { url } = await gateway.listen();      // random port on 127.0.0.1
 *   gateway.controls.complete(paymentId);        // or the bank page at redirectUrl
 *   await gateway.close();
 */
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import Koa from 'koa';
import { Router } from '@koa/router';
import { pino, type Logger } from 'pino';
import { systemClock, warsawDate } from '../../src/clock.js';
import { JwsType } from '../../src/gateway/jws.js';
import { mountBankPage } from './bankPage.js';
import { createControls, mountControlApi } from './control.js';
import { FaultBox, faultMiddleware, type TrafficStats } from './faults.js';
import { MockHttpError } from './http.js';
import { MerchantKeyDirectory } from './merchantAuth.js';
import { Notifier } from './notifier.js';
import { mountProtocolRoutes, signAsGateway } from './protocol.js';
import { SettlementReports } from './reports.js';
import { MockState } from './state.js';
import type { MockGateway, MockGatewayOptions } from './types.js';

export * from './types.js';
export { syntheticRows } from './control.js';

export function createMockGateway(options: MockGatewayOptions = {}): MockGateway {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ level: 'silent' });
  const closing = new AbortController();
  const stats: TrafficStats = { jwksRequests: 0, apiRequests: 0 };
  let server: http.Server | undefined;
  const sockets = new Set<Socket>();
  let listenUrl: string | undefined;

  const state = new MockState({ clock, logger, settlementDateFor: options.settlementDateFor ?? warsawDate, stateFile: options.stateFile });
  // The notifier and the faults need each other: reordering holds deliveries the faults release.
  const faults: FaultBox = new FaultBox((): Promise<void> => notifier.releaseHeld());
  const notifier: Notifier = new Notifier({
    sign: (claims) => signAsGateway(state, claims, JwsType.notification),
    clock,
    retryScale: options.retryScale ?? 1,
    timeoutMs: options.notifyTimeoutMs ?? 10_000,
    faults: () => faults.get(),
    updateFaults: (patch) => faults.patch(patch),
    logger,
    signal: closing.signal,
  });
  state.notify = (tx, overrides = {}) => {
    const claims = { ...state.statusClaims(tx), ...overrides };
    const eventId = typeof overrides.event_id === 'string' ? overrides.event_id : undefined;
    delete claims.event_id;
    return notifier.enqueue({
      paymentId: tx.paymentId,
      idTrans: tx.idTrans,
      newStatus: typeof claims.newStatus === 'number' ? claims.newStatus : tx.status,
      notifyUrl: tx.notifyUrl,
      claims,
      ...(eventId ? { eventId } : {}),
    });
  };
  const reports = new SettlementReports({
    signingKey: () => state.keyRing.signing,
    transactions: () => state.all(),
    findTransaction: (id) => state.get(id),
  });
  state.onCompleted = (date) => reports.touch(date);
  const controls = createControls({ state, notifier, reports, faults, stats, logger });

  const app = new Koa();
  app.on('error', (err: Error) => logger.warn({ err: err.message }, 'mock gateway stream error'));
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (err instanceof MockHttpError) {
        ctx.status = err.status;
        ctx.body = { error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) } };
        return;
      }
      logger.error({ err }, 'mock gateway failure');
      ctx.status = 500;
      ctx.body = { error: { code: 'internal_error', message: 'the mock gateway failed' } };
    }
  });
  app.use(faultMiddleware(faults, stats, closing.signal));

  const router = new Router();
  mountProtocolRoutes(router, {
    state,
    reports,
    clock,
    merchantKeys: new MerchantKeyDirectory({ cooldownMs: options.merchantJwksCooldownMs ?? 10_000, timeoutMs: 5000 }),
    merchantJwksUrl: options.merchantJwksUrl,
    redirectBase: (ctx) => options.publicUrl ?? listenUrl ?? ctx.origin,
  });
  mountBankPage(router, state);
  if (options.controlApi === true) mountControlApi(router, controls);
  app.use(router.routes());
  app.use(router.allowedMethods());

  return {
    app,
    controls,
    get url() {
      return listenUrl;
    },
    async listen(port = 0, host = '127.0.0.1') {
      if (server) throw new Error('the mock gateway is already listening');
      const handle = app.callback();
      const s = http.createServer((req, res) => void handle(req, res));
      s.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host, () => {
          s.off('error', reject);
          resolve();
        });
      });
      server = s;
      const address = s.address() as AddressInfo;
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
      listenUrl = `http://${shownHost}:${address.port}`;
      return { url: listenUrl };
    },
    async close() {
      closing.abort();
      notifier.close();
      if (server) {
        const s = server;
        server = undefined;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
          for (const socket of sockets) socket.destroy();
        });
      }
      listenUrl = undefined;
      await reports.close();
    },
  };
}

/** The port the bundled mock listens on unless told otherwise (README, issue 12). */
export const DEFAULT_MOCK_GATEWAY_PORT = 4010;

/**
 * The mock `npm start` runs when GATEWAY_URL is unset: its state in `dataDir` (pending orders'
 * bank pages survive a restart), on port 4010 unless `port` says otherwise (when 4010 is taken and
 * no port was asked for, any free port, with a warning), and without the control API.
 */
export async function startBundledMockGateway(options: { logger: Logger; dataDir: string; port: number | undefined }): Promise<MockGateway> {
  const gateway = createMockGateway({ logger: options.logger, stateFile: path.join(options.dataDir, 'mock-paybynet.json'), controlApi: false });
  try {
    await gateway.listen(options.port ?? DEFAULT_MOCK_GATEWAY_PORT, '127.0.0.1');
  } catch (err) {
    if (options.port !== undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    options.logger.warn({ port: DEFAULT_MOCK_GATEWAY_PORT }, 'port 4010 is taken: the mock gateway listens on a free port instead (set MOCK_GATEWAY_PORT)');
    await gateway.listen(0, '127.0.0.1');
  }
  return gateway;
}
