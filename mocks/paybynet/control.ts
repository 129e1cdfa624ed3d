/**
 * The mock's controls: what tests (and a developer at `npm run mock:gateway -- --control`) use to
 * move transactions, inject faults and shape settlement reports. In process they are plain
 * methods; over HTTP they are JSON endpoints under /__control, served only when asked for.
 */
import type { Router } from '@koa/router';
import { z } from 'zod';
import { PROTOCOL_AMOUNT_PATTERN, isValidCalendarDate, isValidInstant } from '../../src/gateway/protocol.js';
import { GatewayStatus } from '../../src/gateway/status.js';
import { zodDetails, type FaultBox, type TrafficStats } from './faults.js';
import { MockHttpError, readJsonBody } from './http.js';
import type { Notifier } from './notifier.js';
import { httpUrl } from './protocol.js';
import type { SettlementReports } from './reports.js';
import type { MockState } from './state.js';
import { type MockFaults, type MockGatewayControls, type MockTransaction, type ReportRow } from './types.js';

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
    status: z.union([z.literal(GatewayStatus.COMPLETED), z.literal(GatewayStatus.COMPLETED_BY_BANK)]).optional(),
    transAmount: z.string().optional(),
    currency: z.string().optional(),
    notify: z.boolean().optional(),
  })
  .strict();

export interface ControlDeps {
  state: MockState;
  notifier: Notifier;
  reports: SettlementReports;
  faults: FaultBox;
  stats: TrafficStats;
  logger: { info(o: object, m: string): void };
}

export function createControls(deps: ControlDeps): MockGatewayControls {
  const { state, notifier, reports, faults, stats } = deps;
  const snapshot = (tx: MockTransaction): MockTransaction => structuredClone(tx);
  const notifyOpt = (opts: { notify?: boolean }) => (opts.notify !== undefined ? { notify: opts.notify } : {});
  return {
    complete: (paymentId, opts) => state.complete(state.mustFind(paymentId), opts),
    reject: (paymentId, opts = {}) => state.changeStatus(state.mustFind(paymentId), opts.status ?? GatewayStatus.REJECTED, notifyOpt(opts)),
    expire: (paymentId, opts = {}) => state.changeStatus(state.mustFind(paymentId), opts.status ?? GatewayStatus.EXPIRED, notifyOpt(opts)),
    cancel: (paymentId) => snapshot(state.cancel(state.mustFind(paymentId))),
    waitForBank: (paymentId, opts = {}) => {
      const tx = state.mustFind(paymentId);
      if (tx.status !== GatewayStatus.WAITING_FOR_CUSTOMER) {
        throw new MockHttpError(409, 'not_waiting', `transaction ${paymentId} is not waiting for the customer`);
      }
      return state.changeStatus(tx, GatewayStatus.WAITING_FOR_BANK, notifyOpt(opts));
    },
    notify: (paymentId, overrides) => state.notify(state.mustFind(paymentId), overrides),
    transaction: (paymentId) => {
      const tx = state.get(paymentId);
      if (!tx) return undefined;
      state.refreshExpiry(tx);
      return snapshot(tx);
    },
    transactions: () =>
      [...state.all()].map((tx) => {
        state.refreshExpiry(tx);
        return snapshot(tx);
      }),
    rotateKey: () => {
      const kid = state.rotateKey();
      reports.touch();
      deps.logger.info({ kid }, 'gateway signing key rotated');
      return kid;
    },
    signingKid: () => state.keyRing.signing.kid,
    faults: () => ({ ...faults.get() }),
    setFaults: (patch) => faults.set(patch),
    clearFaults: () => faults.clear(),
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
      state.reset();
      notifier.reset();
      reports.reset();
      faults.clear();
      stats.jwksRequests = 0;
      stats.apiRequests = 0;
    },
    stats: () => ({ ...stats }),
    registerMerchant: (merchantId, jwksUrl) => state.learnMerchant(merchantId, new URL(jwksUrl).toString()),
  };
}

/** JSON endpoints under /__control for tests that run the mock in another process. */
export function mountControlApi(router: Router, controls: MockGatewayControls): void {
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
  router.post('/__control/transactions/:paymentId/cancel', (ctx) => {
    ctx.body = controls.cancel(ctx.params.paymentId!);
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
    controls.addReportRows(dateParam(ctx.params.date), body.rows);
    ctx.body = { ok: true };
  });
  router.post('/__control/reports/:date/patch', async (ctx) => {
    const body = parse(reportRowInputSchema, await readJsonBody(ctx.req));
    const { paymentId, ...patch } = body;
    controls.patchReportRow(dateParam(ctx.params.date), paymentId, patch);
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
          amount: z.string().regex(PROTOCOL_AMOUNT_PATTERN).optional(),
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
