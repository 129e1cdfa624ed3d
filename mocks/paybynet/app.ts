/**
 * A PayByNet-style gateway for development and tests (SPEC 3): registers transactions, hosts the
 * bank page, sends signed notifications with retries, answers status queries and serves signed
 * settlement reports; faults on demand. Everything is kept in memory.
 *
 *   const gateway = createMockGateway({ merchantJwksUrl, retryScale: 0.001 });
 *   const { url } = await gateway.listen();      // random port on 127.0.0.1
 *   gateway.controls.complete(paymentId);        // or the bank page at redirectUrl
 *   await gateway.close();
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Transform } from 'node:stream';
import Koa from 'koa';
import { Router } from '@koa/router';
import { pino } from 'pino';
import { z } from 'zod';
import { systemClock, warsawDate } from '../../src/clock.js';
import { JwsType, signCompactJws } from '../../src/gateway/jws.js';
import { isValidCalendarDate, isValidInstant } from '../../src/gateway/protocol.js';
import { GatewayStatus, isCompletedStatus, isFinalStatus, type GatewayStatusCode } from '../../src/gateway/status.js';
import { renderFinalPage, renderNotFoundPage, renderPaymentPage, BANKS } from './bankPage.js';
import { MockHttpError, readBody, readJsonBody, sleep } from './http.js';
import { GatewayKeyRing } from './keyRing.js';
import { MerchantKeyDirectory, peekClaims } from './merchantAuth.js';
import { Notifier } from './notifier.js';
import { SettlementReports } from './reports.js';
import {
  NO_FAULTS,
  type CompleteOptions,
  type MockFaults,
  type MockGateway,
  type MockGatewayControls,
  type MockGatewayOptions,
  type MockTransaction,
  type ReportRow,
  type ReportRowInput,
} from './types.js';

export * from './types.js';

const GATEWAY_ISS = 'paybynet';
const MAX_JOSE_BODY = 64 * 1024;
/** Tolerated clock difference for iat and the exp bounds. */
const SKEW_SECONDS = 300;
const DATE_VALID_MIN_MS = 15 * 60_000;
const DATE_VALID_MAX_MS = 7 * 24 * 60 * 60_000;
/** date_valid bounds are checked with this much grace for network and clock latency. */
const DATE_VALID_GRACE_MS = 60_000;

const amountPattern = /^(0|[1-9]\d{0,11})\.\d{2}$/;
const httpUrl = z.string().max(2048).refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an http(s) URL');

const registrationSchema = z.object({
  iss: z.string().min(1).max(64),
  id_trans: z.string().regex(/^\d{10}$/, 'id_trans must be 10 digits'),
  amount: z.string().regex(amountPattern, 'amount must look like "123.45"').refine((a) => a !== '0.00', 'amount must be greater than 0'),
  currency: z.literal('PLN', { error: 'currency must be PLN' }),
  date_valid: z.string().refine(isValidInstant, 'date_valid must be an ISO instant'),
  email: z.email().max(254).optional(),
  account: z.string().regex(/^\d{26}$/, 'account must be a 26-digit NRB'),
  accname: z.string().min(1).max(512),
  title: z.string().min(1).max(140, 'title must be at most 140 characters'),
  backpage: httpUrl,
  backpagereject: httpUrl,
  notify_url: httpUrl,
});
type Registration = z.infer<typeof registrationSchema>;

const faultsSchema = z
  .object({
    dropNotifications: z.number().int().min(0),
    dropForever: z.boolean(),
    duplicateNotifications: z.number().int().min(0).max(100),
    notificationDelayMs: z.number().int().min(0),
    reorderNotifications: z.boolean(),
    tamperNotifications: z.number().int().min(0),
    tamperMode: z.enum(['signature', 'amount']),
    down: z.union([z.literal(false), z.enum(['unavailable', 'close'])]),
    slowMs: z.number().int().min(0),
  })
  .partial()
  .strict();

const reportRowInputSchema = z
  .object({
    paymentId: z.string().min(1),
    id_trans: z.string().optional(),
    amount: z.string().optional(),
    currency: z.string().optional(),
    paid_at: z.string().optional(),
    settlement_date: z.string().optional(),
  })
  .strict();

const completeSchema = z
  .object({
    paidAt: z.string().refine(isValidInstant).optional(),
    settlementDate: z.string().refine(isValidCalendarDate).optional(),
    status: z.union([z.literal(2203), z.literal(2303)]).optional(),
    transAmount: z.string().optional(),
    currency: z.string().optional(),
    notify: z.boolean().optional(),
  })
  .strict();

function zodDetails(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

function contentKey(r: Registration): string {
  return JSON.stringify([
    r.iss,
    r.id_trans,
    r.amount,
    r.currency,
    new Date(r.date_valid).toISOString(),
    r.email ?? null,
    r.account,
    r.accname,
    r.title,
    r.backpage,
    r.backpagereject,
    r.notify_url,
  ]);
}

function newPaymentId(): string {
  return `PBN${randomBytes(10).toString('hex').toUpperCase()}`;
}

/** Flips one byte near the end of the body (the last data character) after signing. */
function tamperStream(size: number): Transform {
  const target = Math.max(0, size - 2);
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
      if (target >= offset && target < offset + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[target - offset] = copy[target - offset]! ^ 0x01;
        chunk = copy;
      }
      offset += chunk.length;
      callback(null, chunk);
    },
  });
}

export function createMockGateway(options: MockGatewayOptions = {}): MockGateway {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ level: 'silent' });
  const settlementDateFor = options.settlementDateFor ?? warsawDate;
  const closing = new AbortController();
  const keyRing = new GatewayKeyRing();
  const merchantKeys = new MerchantKeyDirectory({ cooldownMs: options.merchantJwksCooldownMs ?? 10_000, timeoutMs: 5000 });
  const transactions = new Map<string, MockTransaction>();
  const byIdTrans = new Map<string, { paymentId: string; contentKey: string }>();
  /** Merchant id → JWKS URL, learned from registrations (kept across reset()). */
  const merchantJwks = new Map<string, string>();
  let faults: MockFaults = { ...NO_FAULTS };
  const stats = { jwksRequests: 0, apiRequests: 0 };
  let server: http.Server | undefined;
  const sockets = new Set<Socket>();
  let listenUrl: string | undefined;

  const sign = (claims: Record<string, unknown>, typ: string) => {
    const key = keyRing.signing;
    return signCompactJws(claims, key.privateKey, { kid: key.kid, typ });
  };

  const notifier = new Notifier({
    sign: (claims) => sign(claims, JwsType.notification),
    clock,
    retryScale: options.retryScale ?? 1,
    timeoutMs: options.notifyTimeoutMs ?? 10_000,
    faults: () => faults,
    updateFaults: (patch) => {
      faults = { ...faults, ...patch };
    },
    logger,
    signal: closing.signal,
  });

  const reports = new SettlementReports({
    signingKey: () => keyRing.signing,
    transactions: () => transactions.values(),
    findTransaction: (id) => transactions.get(id),
  });

  // ---- transactions -------------------------------------------------------------------------

  function mustFind(paymentId: string): MockTransaction {
    const tx = transactions.get(paymentId);
    if (!tx) throw new MockHttpError(404, 'not_found', `no transaction ${paymentId}`);
    return tx;
  }

  function statusClaims(tx: MockTransaction): Record<string, unknown> {
    return {
      iss: GATEWAY_ISS,
      aud: tx.merchantId,
      paymentId: tx.paymentId,
      id_trans: tx.idTrans,
      newStatus: tx.status,
      transAmount: tx.amount,
      currency: tx.currency,
      ...(isCompletedStatus(tx.status) && tx.paidAt ? { paid_at: tx.paidAt.toISOString(), settlement_date: tx.settlementDate } : {}),
    };
  }

  function notify(tx: MockTransaction, overrides: Record<string, unknown> = {}): string {
    const claims = { ...statusClaims(tx), ...overrides };
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
  }

  function changeStatus(
    tx: MockTransaction,
    status: GatewayStatusCode,
    opts: { notify?: boolean; overrides?: Record<string, unknown>; completion?: { paidAt: Date; settlementDate: string } } = {},
  ): MockTransaction {
    if (isFinalStatus(tx.status)) {
      throw new MockHttpError(409, 'already_final', `transaction ${tx.paymentId} already has the final status ${tx.status}`);
    }
    const now = clock.now();
    tx.status = status;
    tx.updatedAt = now;
    tx.history.push({ status, at: now });
    if (opts.completion) {
      tx.paidAt = opts.completion.paidAt;
      tx.settlementDate = opts.completion.settlementDate;
      reports.touch(tx.settlementDate);
    }
    logger.info({ paymentId: tx.paymentId, status }, 'transaction status changed');
    if (opts.notify !== false) notify(tx, opts.overrides);
    return structuredClone(tx);
  }

  function complete(tx: MockTransaction, opts: CompleteOptions = {}): MockTransaction {
    const paidAt = opts.paidAt ?? clock.now();
    const overrides: Record<string, unknown> = {};
    if (opts.transAmount !== undefined) overrides.transAmount = opts.transAmount;
    if (opts.currency !== undefined) overrides.currency = opts.currency;
    return changeStatus(tx, opts.status ?? GatewayStatus.COMPLETED, {
      ...(opts.notify !== undefined ? { notify: opts.notify } : {}),
      overrides,
      completion: { paidAt, settlementDate: opts.settlementDate ?? settlementDateFor(paidAt) },
    });
  }

  /** A pending transaction past date_valid becomes expired (2201) when anyone looks at it. */
  function refreshExpiry(tx: MockTransaction): void {
    if (!isFinalStatus(tx.status) && clock.now().getTime() > tx.dateValid.getTime()) {
      changeStatus(tx, GatewayStatus.EXPIRED);
    }
  }

  function snapshot(tx: MockTransaction): MockTransaction {
    return structuredClone(tx);
  }

  // ---- merchant authentication -------------------------------------------------------------

  function jwksUrlFor(notifyUrl: string | undefined): string {
    if (options.merchantJwksUrl) return options.merchantJwksUrl;
    if (!notifyUrl) throw new MockHttpError(401, 'unknown_merchant', 'cannot tell where the merchant keys are');
    try {
      return new URL('/.well-known/jwks.json', notifyUrl).toString();
    } catch {
      throw new MockHttpError(400, 'invalid_request', 'notify_url is not a URL');
    }
  }

  function checkTimeClaims(payload: Record<string, unknown>, maxTtlSeconds: number): void {
    const now = clock.now().getTime() / 1000;
    const { iat, exp } = payload;
    if (typeof iat !== 'number' || typeof exp !== 'number') throw new MockHttpError(401, 'invalid_token', 'iat and exp are required');
    if (exp <= now) throw new MockHttpError(401, 'token_expired', 'exp has passed');
    if (iat > now + SKEW_SECONDS) throw new MockHttpError(401, 'stale_iat', 'iat is in the future');
    if (exp - iat > maxTtlSeconds || exp > now + maxTtlSeconds + SKEW_SECONDS) {
      throw new MockHttpError(401, 'exp_too_far', `exp must be at most ${maxTtlSeconds} s after iat`);
    }
    const aud = payload.aud;
    if (!(aud === 'paybynet' || (Array.isArray(aud) && aud.includes('paybynet')))) {
      throw new MockHttpError(401, 'wrong_audience', 'aud must be paybynet');
    }
  }

  /** Checks `Authorization: Bearer <JWS>` (SPEC 3.4); returns the merchant id (iss). */
  async function verifyBearer(ctx: Koa.Context, jwksUrlOf: (iss: string) => string): Promise<string> {
    const auth = ctx.get('Authorization');
    const match = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!match) throw new MockHttpError(401, 'missing_token', 'Authorization: Bearer <JWS> is required');
    const token = match[1]!;
    const iss = peekClaims(token).iss;
    if (typeof iss !== 'string' || iss === '') throw new MockHttpError(401, 'invalid_token', 'iss is required');
    const { payload } = await merchantKeys.verify(token, jwksUrlOf(iss), (typ) => typ === undefined || typ === 'JWT' || typ === JwsType.auth);
    checkTimeClaims(payload, 60);
    return iss;
  }

  // ---- HTTP --------------------------------------------------------------------------------

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

  // Faults: every API but /__control.
  app.use(async (ctx, next) => {
    if (ctx.path.startsWith('/__control')) return next();
    if (ctx.path === '/.well-known/jwks.json') stats.jwksRequests += 1;
    if (ctx.path.startsWith('/api/')) stats.apiRequests += 1;
    if (faults.slowMs > 0) await sleep(faults.slowMs, closing.signal);
    if (closing.signal.aborted) {
      ctx.status = 503;
      ctx.body = { error: { code: 'closing', message: 'the gateway is shutting down' } };
      return;
    }
    if (faults.down === 'close') {
      ctx.respond = false;
      ctx.req.socket.destroy();
      return;
    }
    if (faults.down === 'unavailable') {
      ctx.status = 503;
      ctx.set('Retry-After', '30');
      ctx.body = { error: { code: 'unavailable', message: 'the gateway is down (simulated)' } };
      return;
    }
    return next();
  });

  const router = new Router();

  router.get('/.well-known/jwks.json', (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = keyRing.jwks();
  });

  router.post('/api/v1/transactions', async (ctx) => {
    if (!ctx.request.is('application/jose')) {
      throw new MockHttpError(415, 'unsupported_media_type', 'Content-Type must be application/jose');
    }
    const token = (await readBody(ctx.req, MAX_JOSE_BODY)).trim();
    const peek = peekClaims(token);
    if (!options.merchantJwksUrl && typeof peek.notify_url !== 'string') {
      throw new MockHttpError(400, 'invalid_request', 'notify_url is required');
    }
    const jwksUrl = jwksUrlFor(peek.notify_url as string | undefined);
    const { payload } = await merchantKeys.verify(token, jwksUrl, (typ) => typ === JwsType.transaction);
    checkTimeClaims(payload, 300);
    if (typeof payload.jti !== 'string' || payload.jti === '') throw new MockHttpError(401, 'invalid_token', 'jti is required');

    const parsed = registrationSchema.safeParse(payload);
    if (!parsed.success) {
      throw new MockHttpError(400, 'invalid_request', parsed.error.issues[0]?.message ?? 'invalid registration', zodDetails(parsed.error));
    }
    const reg = parsed.data;
    merchantJwks.set(reg.iss, jwksUrl);
    const key = `${reg.iss}|${reg.id_trans}`;
    const existing = byIdTrans.get(key);
    const redirectBase = options.publicUrl ?? listenUrl ?? ctx.origin;
    if (existing) {
      if (existing.contentKey !== contentKey(reg)) {
        throw new MockHttpError(409, 'id_trans_conflict', `id_trans ${reg.id_trans} is already registered with different content`);
      }
      const tx = mustFind(existing.paymentId);
      refreshExpiry(tx);
      ctx.status = 200;
      ctx.body = { paymentId: tx.paymentId, id_trans: tx.idTrans, status: tx.status, redirectUrl: `${redirectBase}/pay/${tx.paymentId}` };
      return;
    }

    const now = clock.now().getTime();
    const dateValid = new Date(reg.date_valid);
    const ahead = dateValid.getTime() - now;
    if (ahead < DATE_VALID_MIN_MS - DATE_VALID_GRACE_MS || ahead > DATE_VALID_MAX_MS + DATE_VALID_GRACE_MS) {
      throw new MockHttpError(400, 'date_valid_out_of_range', 'date_valid must be 15 minutes to 7 days ahead');
    }

    const at = clock.now();
    const tx: MockTransaction = {
      paymentId: newPaymentId(),
      merchantId: reg.iss,
      idTrans: reg.id_trans,
      amount: reg.amount,
      currency: reg.currency,
      dateValid,
      email: reg.email ?? null,
      account: reg.account,
      accname: reg.accname,
      title: reg.title,
      backpage: reg.backpage,
      backpagereject: reg.backpagereject,
      notifyUrl: reg.notify_url,
      status: GatewayStatus.WAITING_FOR_CUSTOMER,
      createdAt: at,
      updatedAt: at,
      paidAt: null,
      settlementDate: null,
      bank: null,
      history: [{ status: GatewayStatus.WAITING_FOR_CUSTOMER, at }],
    };
    transactions.set(tx.paymentId, tx);
    byIdTrans.set(key, { paymentId: tx.paymentId, contentKey: contentKey(reg) });
    logger.info({ paymentId: tx.paymentId, idTrans: tx.idTrans, merchantId: tx.merchantId }, 'transaction registered');
    ctx.status = 201;
    ctx.body = { paymentId: tx.paymentId, id_trans: tx.idTrans, status: tx.status, redirectUrl: `${redirectBase}/pay/${tx.paymentId}` };
  });

  router.get('/api/v1/transactions/:paymentId', async (ctx) => {
    const tx = transactions.get(ctx.params.paymentId!);
    if (!tx && !options.merchantJwksUrl) throw new MockHttpError(404, 'not_found', 'no such transaction');
    const iss = await verifyBearer(ctx, () => jwksUrlFor(tx?.notifyUrl));
    if (!tx || tx.merchantId !== iss) throw new MockHttpError(404, 'not_found', 'no such transaction');
    refreshExpiry(tx);
    const iat = Math.floor(clock.now().getTime() / 1000);
    ctx.type = 'application/jose';
    ctx.body = await sign({ ...statusClaims(tx), iat, jti: randomBytes(16).toString('hex') }, JwsType.status);
  });

  router.get('/api/v1/settlements/:date', async (ctx) => {
    const date = ctx.params.date!;
    if (!isValidCalendarDate(date)) throw new MockHttpError(400, 'invalid_date', 'the date must be YYYY-MM-DD');
    const iss = await verifyBearer(ctx, (merchantId) => options.merchantJwksUrl ?? merchantJwks.get(merchantId) ?? jwksUrlFor(undefined));
    const build = await reports.build(date, iss);
    ctx.set('X-PBN-Signature', build.signature);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.length = build.size;
    const file = createReadStream(build.file);
    ctx.body = reports.isTampered(date) ? file.pipe(tamperStream(build.size)) : file;
  });

  // ---- bank page ---------------------------------------------------------------------------

  /** The transaction a bank page is for, or a 404 page (answered here) when there is none. */
  function bankPageTransaction(ctx: Koa.Context): MockTransaction | undefined {
    const tx = transactions.get(ctx.params.paymentId!);
    ctx.type = 'text/html; charset=utf-8';
    if (!tx) {
      ctx.status = 404;
      ctx.body = renderNotFoundPage();
    }
    return tx;
  }

  router.get('/pay/:paymentId', (ctx) => {
    const tx = bankPageTransaction(ctx);
    if (!tx) return;
    refreshExpiry(tx);
    ctx.body = isFinalStatus(tx.status) ? renderFinalPage(tx) : renderPaymentPage(tx);
  });

  router.post('/pay/:paymentId', async (ctx) => {
    const tx = bankPageTransaction(ctx);
    if (!tx) return;
    const form = new URLSearchParams(await readBody(ctx.req, 16 * 1024));
    refreshExpiry(tx);
    if (isFinalStatus(tx.status)) {
      ctx.status = 409;
      ctx.body = renderFinalPage(tx);
      return;
    }
    const action = form.get('action');
    if (action === 'pay') {
      const bank = form.get('bank') ?? BANKS[0].code;
      if (!BANKS.some((b) => b.code === bank)) {
        ctx.status = 400;
        ctx.body = renderPaymentPage(tx, 'Wybierz bank z listy.');
        return;
      }
      tx.bank = bank;
      complete(tx);
      ctx.status = 303;
      ctx.redirect(tx.backpage);
      return;
    }
    if (action === 'reject') {
      changeStatus(tx, GatewayStatus.REJECTED);
      ctx.status = 303;
      ctx.redirect(tx.backpagereject);
      return;
    }
    ctx.status = 400;
    ctx.body = renderPaymentPage(tx, 'Wybierz „Zapłać” albo „Odrzuć”.');
  });

  // ---- controls ----------------------------------------------------------------------------

  const controls: MockGatewayControls = {
    complete: (paymentId, opts) => complete(mustFind(paymentId), opts),
    reject: (paymentId, opts = {}) =>
      changeStatus(mustFind(paymentId), opts.status ?? GatewayStatus.REJECTED, opts.notify !== undefined ? { notify: opts.notify } : {}),
    expire: (paymentId, opts = {}) =>
      changeStatus(mustFind(paymentId), opts.status ?? GatewayStatus.EXPIRED, opts.notify !== undefined ? { notify: opts.notify } : {}),
    waitForBank: (paymentId, opts = {}) => {
      const tx = mustFind(paymentId);
      if (tx.status !== GatewayStatus.WAITING_FOR_CUSTOMER) {
        throw new MockHttpError(409, 'not_waiting', `transaction ${paymentId} is not waiting for the customer`);
      }
      return changeStatus(tx, GatewayStatus.WAITING_FOR_BANK, opts.notify !== undefined ? { notify: opts.notify } : {});
    },
    notify: (paymentId, overrides) => notify(mustFind(paymentId), overrides),
    transaction: (paymentId) => {
      const tx = transactions.get(paymentId);
      if (!tx) return undefined;
      refreshExpiry(tx);
      return snapshot(tx);
    },
    transactions: () =>
      [...transactions.values()].map((tx) => {
        refreshExpiry(tx);
        return snapshot(tx);
      }),
    rotateKey: () => {
      const kid = keyRing.rotate();
      reports.touch();
      logger.info({ kid }, 'gateway signing key rotated');
      return kid;
    },
    signingKid: () => keyRing.signing.kid,
    faults: () => ({ ...faults }),
    setFaults: (patch) => {
      const parsed = faultsSchema.safeParse(patch);
      if (!parsed.success) throw new MockHttpError(400, 'invalid_request', 'invalid faults', zodDetails(parsed.error));
      const wasHolding = faults.reorderNotifications;
      faults = { ...faults, ...(parsed.data as Partial<MockFaults>) };
      if (wasHolding && !faults.reorderNotifications) void notifier.releaseHeld();
      return { ...faults };
    },
    clearFaults: () => {
      const wasHolding = faults.reorderNotifications;
      faults = { ...NO_FAULTS };
      if (wasHolding) void notifier.releaseHeld();
      return { ...faults };
    },
    releaseHeld: () => notifier.releaseHeld(),
    retryNow: () => notifier.retryNow(),
    deliveries: () => notifier.deliveries(),
    events: () => notifier.views(),
    waitForDelivery: (match, timeoutMs = 5000) => notifier.waitFor(match, timeoutMs),
    addReportRows: (date, rows) => reports.addRows(date, rows),
    patchReportRow: (date, paymentId, patch) => reports.patchRow(date, paymentId, patch),
    excludeFromReport: (date, paymentId) => reports.exclude(date, paymentId),
    tamperReport: (date, tampered = true) => reports.setTampered(date, tampered),
    setReportSource: (date, source) => reports.setSource(date, source),
    clearReport: (date) => reports.clear(date),
    reset: () => {
      transactions.clear();
      byIdTrans.clear();
      notifier.reset();
      reports.reset();
      faults = { ...NO_FAULTS };
      stats.jwksRequests = 0;
      stats.apiRequests = 0;
    },
    stats: () => ({ ...stats }),
    registerMerchant: (merchantId, jwksUrl) => {
      merchantJwks.set(merchantId, new URL(jwksUrl).toString());
    },
  };

  if (options.controlApi !== false) mountControlApi(router, controls);

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
      const s = http.createServer(app.callback());
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

/** JSON endpoints under /__control for tests that run the mock in another process. */
function mountControlApi(router: Router, controls: MockGatewayControls): void {
  const parse = <T>(schema: z.ZodType<T>, body: unknown): T => {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new MockHttpError(400, 'invalid_request', 'invalid control request', zodDetails(parsed.error));
    return parsed.data;
  };
  const dateParam = (value: string | undefined): string => {
    if (!value || !isValidCalendarDate(value)) throw new MockHttpError(400, 'invalid_date', 'the date must be YYYY-MM-DD');
    return value;
  };
  const notifyOnly = z.object({ notify: z.boolean().optional() }).strict();

  router.get('/__control/transactions', (ctx) => {
    ctx.body = controls.transactions();
  });
  router.get('/__control/transactions/:paymentId', (ctx) => {
    const tx = controls.transaction(ctx.params.paymentId!);
    if (!tx) throw new MockHttpError(404, 'not_found', 'no such transaction');
    ctx.body = tx;
  });
  router.post('/__control/transactions/:paymentId/complete', async (ctx) => {
    const body = parse(completeSchema, await readJsonBody(ctx.req));
    ctx.body = controls.complete(ctx.params.paymentId!, {
      ...(body.paidAt ? { paidAt: new Date(body.paidAt) } : {}),
      ...(body.settlementDate ? { settlementDate: body.settlementDate } : {}),
      ...(body.status ? { status: body.status } : {}),
      ...(body.transAmount ? { transAmount: body.transAmount } : {}),
      ...(body.currency ? { currency: body.currency } : {}),
      ...(body.notify !== undefined ? { notify: body.notify } : {}),
    });
  });
  router.post('/__control/transactions/:paymentId/reject', async (ctx) => {
    const body = parse(notifyOnly, await readJsonBody(ctx.req));
    ctx.body = controls.reject(ctx.params.paymentId!, body.notify !== undefined ? { notify: body.notify } : {});
  });
  router.post('/__control/transactions/:paymentId/expire', async (ctx) => {
    const body = parse(notifyOnly, await readJsonBody(ctx.req));
    ctx.body = controls.expire(ctx.params.paymentId!, body.notify !== undefined ? { notify: body.notify } : {});
  });
  router.post('/__control/transactions/:paymentId/wait-for-bank', async (ctx) => {
    const body = parse(notifyOnly, await readJsonBody(ctx.req));
    ctx.body = controls.waitForBank(ctx.params.paymentId!, body.notify !== undefined ? { notify: body.notify } : {});
  });
  router.post('/__control/transactions/:paymentId/notify', async (ctx) => {
    const overrides = parse(z.record(z.string(), z.unknown()), await readJsonBody(ctx.req));
    ctx.body = { eventId: controls.notify(ctx.params.paymentId!, overrides) };
  });
  router.post('/__control/rotate-key', (ctx) => {
    ctx.body = { kid: controls.rotateKey() };
  });
  router.get('/__control/faults', (ctx) => {
    ctx.body = controls.faults();
  });
  router.post('/__control/faults', async (ctx) => {
    ctx.body = controls.setFaults((await readJsonBody(ctx.req)) as Partial<MockFaults>);
  });
  router.delete('/__control/faults', (ctx) => {
    ctx.body = controls.clearFaults();
  });
  router.post('/__control/release-held', async (ctx) => {
    await controls.releaseHeld();
    ctx.body = { ok: true };
  });
  router.post('/__control/retry-now', (ctx) => {
    controls.retryNow();
    ctx.body = { ok: true };
  });
  router.get('/__control/deliveries', (ctx) => {
    ctx.body = controls.deliveries();
  });
  router.get('/__control/events', (ctx) => {
    ctx.body = controls.events();
  });
  router.post('/__control/reports/:date/rows', async (ctx) => {
    const body = parse(z.object({ rows: z.array(reportRowInputSchema) }).strict(), await readJsonBody(ctx.req));
    controls.addReportRows(dateParam(ctx.params.date), body.rows as ReportRowInput[]);
    ctx.body = { ok: true };
  });
  router.post('/__control/reports/:date/patch', async (ctx) => {
    const body = parse(reportRowInputSchema, await readJsonBody(ctx.req));
    const { paymentId, ...patch } = body;
    controls.patchReportRow(dateParam(ctx.params.date), paymentId, patch as Partial<Omit<ReportRow, 'paymentId'>>);
    ctx.body = { ok: true };
  });
  router.post('/__control/reports/:date/exclude', async (ctx) => {
    const body = parse(z.object({ paymentId: z.string().min(1) }).strict(), await readJsonBody(ctx.req));
    controls.excludeFromReport(dateParam(ctx.params.date), body.paymentId);
    ctx.body = { ok: true };
  });
  router.post('/__control/reports/:date/tamper', async (ctx) => {
    const body = parse(z.object({ tampered: z.boolean().optional() }).strict(), await readJsonBody(ctx.req));
    controls.tamperReport(dateParam(ctx.params.date), body.tampered ?? true);
    ctx.body = { ok: true };
  });
  router.post('/__control/reports/:date/synthetic', async (ctx) => {
    const date = dateParam(ctx.params.date);
    const body = parse(
      z
        .object({
          rows: z.number().int().min(0).max(10_000_000),
          amount: z.string().regex(amountPattern).optional(),
          prefix: z.string().regex(/^[A-Za-z0-9_-]{1,20}$/).optional(),
        })
        .strict(),
      await readJsonBody(ctx.req),
    );
    controls.setReportSource(date, () => syntheticRows(date, body.rows, body.amount ?? '10.00', body.prefix ?? 'SYN'));
    ctx.body = { ok: true };
  });
  router.delete('/__control/reports/:date', (ctx) => {
    controls.clearReport(dateParam(ctx.params.date));
    ctx.body = { ok: true };
  });
  router.post('/__control/reset', (ctx) => {
    controls.reset();
    ctx.body = { ok: true };
  });
  router.put('/__control/merchants/:merchantId', async (ctx) => {
    const body = parse(z.object({ jwksUrl: httpUrl }).strict(), await readJsonBody(ctx.req));
    controls.registerMerchant(ctx.params.merchantId!, body.jwksUrl);
    ctx.body = { ok: true };
  });
  router.get('/__control/stats', (ctx) => {
    ctx.body = controls.stats();
  });
}

/** `count` made-up rows for a big report: paymentId PREFIX000000001..., id_trans 9000000001... */
export function* syntheticRows(date: string, count: number, amount = '10.00', prefix = 'SYN'): Generator<ReportRow> {
  const paidAt = `${date}T08:00:00.000Z`;
  for (let i = 1; i <= count; i += 1) {
    yield {
      paymentId: `${prefix}${String(i).padStart(9, '0')}`,
      id_trans: String(9_000_000_000 + i).slice(-10),
      amount,
      currency: 'PLN',
      paid_at: paidAt,
      settlement_date: date,
    };
  }
}
