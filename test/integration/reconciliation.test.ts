import fs from 'node:fs';
import os from 'node:os';
import { parse } from 'csv-parse/sync';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { DailyReconciliation } from '../../src/reconciliation/index.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { createCustomer, loginAs, putInvoice, type TestCustomer } from '../helpers/factories.js';
import { createPayment, creditsFor, gatewayPaymentId, waitForStatus } from '../helpers/payments.js';

let svc: TestService;
let accounting: string;
let admin: string;
beforeAll(async () => {
  svc = await startTestService({}, { gatewayTimeoutMs: 2000 });
  await svc.deps.auth.ensureStaff('acc-rec', 'accounting-pass-1', 'accounting');
  await svc.deps.auth.ensureStaff('adm-rec', 'admin-password-1', 'admin');
  accounting = await loginAs(svc, 'acc-rec', 'accounting-pass-1');
  admin = await loginAs(svc, 'adm-rec', 'admin-password-1');
});
afterAll(async () => {
  await svc?.close();
});
beforeEach(() => {
  svc.gateway.controls.clearFaults();
});

interface Order {
  c: TestCustomer;
  id: string;
  idTrans: string;
  paymentId: string;
  amount: string;
}

async function order(amount: string): Promise<Order> {
  const c = await createCustomer(svc);
  await putInvoice(svc, `FV/R/${c.customerNumber}`, { ...c, amount });
  const res = await createPayment(svc, c);
  expect(res.status).toBe(201);
  return { c, id: res.body.id, idTrans: res.body.idTrans, paymentId: await gatewayPaymentId(svc, res.body.id), amount };
}

/** An order paid at the gateway with this settlement date; `notify: false` loses the notification. */
async function paid(amount: string, settlementDate: string, options: { notify?: boolean; transAmount?: string } = {}): Promise<Order> {
  const o = await order(amount);
  svc.gateway.controls.complete(o.paymentId, { settlementDate, ...options });
  if (options.notify !== false) await waitForStatus(svc, o.c, o.id, options.transAmount ? 'amount_mismatch' : 'completed');
  return o;
}

const reconcile = (date: string, token = accounting) => svc.request('POST', `/api/reconciliation/${date}`, { token });

type Item = { id: number; category: string; paymentId: string | null; idTrans: string; gatewayAmount: string | null; localAmount: string | null; resolution: string | null; resolvedBy: string | null };

function itemOf(report: { items: Item[] }, o: Order, category?: string): Item {
  const found = report.items.filter((i) => i.idTrans === o.idTrans && (!category || i.category === category));
  expect(found, `items of ${o.idTrans}`).toHaveLength(1);
  return found[0]!;
}

describe('reconciliation of a settlement date', () => {
  const date = '2026-11-10';
  let matched: Order, missingLocally: Order, missingInGateway: Order, reportedOtherAmount: Order, flagged: Order, duplicated: Order;

  beforeAll(async () => {
    matched = await paid('100.00', date);
    missingLocally = await paid('40.50', date, { notify: false });
    missingInGateway = await paid('7.25', date);
    reportedOtherAmount = await paid('60.00', date);
    flagged = await paid('99.99', date, { transAmount: '9.99' });
    duplicated = await paid('12.00', date);
    svc.gateway.controls.excludeFromReport(date, missingInGateway.paymentId);
    svc.gateway.controls.patchReportRow(date, reportedOtherAmount.paymentId, { amount: '6.00' });
    svc.gateway.controls.addReportRows(date, [
      { paymentId: duplicated.paymentId },
      { paymentId: 'PBN-UNKNOWN-1', id_trans: '0999999901', amount: '5.00' },
    ]);
  });

  it('puts every report row and every local payment in one category, with totals, and credits what the service missed', async () => {
    expect((await svc.request('GET', `/api/payments/${missingLocally.id}`, { token: missingLocally.c.token })).body.status).toBe('pending');
    const res = await reconcile(date);
    expect(res.status).toBe(200);
    const r = res.body;
    expect(r).toMatchObject({ date, status: 'completed', current: true, trigger: 'manual', startedBy: 'acc-rec', currency: 'PLN' });
    expect(r.counts).toEqual({ matched: 2, missing_locally: 2, missing_in_gateway: 1, amount_mismatch: 2, duplicate: 1 });
    // The report: 100 + 40.50 + 6.00 + 99.99 + 12 + 12 + 5 (duplicates are paid out too).
    expect(r.gatewayTotal).toBe('275.49');
    // Credited here: 100 + 40.50 (by this run) + 7.25 + 60 + 12; the flagged payment is not credited.
    expect(r.localTotal).toBe('219.75');
    expect(r.difference).toBe('55.74');
    expect(r.items).toHaveLength(8);
    expect(r.itemsTotal).toBe(8);
    expect(r.report.rows).toBe(7);
    // Items in report order (their ids follow the report's lines), then the local payments absent from it.
    expect([...r.items].sort((a: Item, b: Item) => a.id - b.id)).toEqual(r.items);
    expect(r.items.map((i: Item & { reportLine: number | null }) => i.reportLine)).toEqual([2, 3, 4, 5, 6, 7, 8, null]);

    expect(itemOf(r, matched)).toMatchObject({ category: 'matched', paymentId: matched.paymentId, gatewayAmount: '100.00', localAmount: '100.00', resolution: null });
    const ml = itemOf(r, missingLocally);
    expect(ml).toMatchObject({ category: 'missing_locally', gatewayAmount: '40.50', localAmount: '40.50', resolvedBy: 'system' });
    expect(ml.resolution).toMatch(/Credited by this reconciliation/);
    expect(itemOf(r, missingInGateway)).toMatchObject({ category: 'missing_in_gateway', gatewayAmount: null, localAmount: '7.25' });
    expect(itemOf(r, reportedOtherAmount)).toMatchObject({ category: 'amount_mismatch', gatewayAmount: '6.00', localAmount: '60.00' });
    const f = itemOf(r, flagged);
    expect(f).toMatchObject({ category: 'amount_mismatch', gatewayAmount: '99.99', localAmount: '99.99' });
    expect((f as unknown as { detail: string }).detail).toContain('flagged on notification');
    expect(itemOf(r, duplicated, 'matched')).toMatchObject({ gatewayAmount: '12.00', localAmount: '12.00' });
    expect(itemOf(r, duplicated, 'duplicate')).toMatchObject({ gatewayAmount: '12.00', localAmount: null });
    expect(r.items.find((i: Item) => i.paymentId === 'PBN-UNKNOWN-1')).toMatchObject({
      category: 'missing_locally',
      idTrans: '0999999901',
      gatewayAmount: '5.00',
      localAmount: null,
      resolution: null,
    });

    // The missed payment is completed through the payments path, credited once, and the customer sees it.
    const after = await svc.request('GET', `/api/payments/${missingLocally.id}`, { token: missingLocally.c.token });
    expect(after.body.status).toBe('completed');
    expect(after.body.history.at(-1)).toMatchObject({ cause: 'reconciliation', toStatus: 'completed' });
    expect(await creditsFor(svc, missingLocally.idTrans)).toHaveLength(1);
    expect(await creditsFor(svc, flagged.idTrans)).toHaveLength(0);
    const s = await svc.request('GET', '/api/settlements', { token: missingLocally.c.token });
    expect(s.body.totalOutstanding).toBe('0.00');

    const again = await svc.request('GET', `/api/reconciliation/${date}`, { token: accounting });
    expect(again.status).toBe(200);
    expect(again.body.runId).toBe(r.runId);
    expect(again.body.items).toEqual(r.items);
  });

  it('pages and filters the items', async () => {
    const some = await svc.request('GET', `/api/reconciliation/${date}?category=amount_mismatch,duplicate&limit=2`, { token: accounting });
    expect(some.status).toBe(200);
    expect(some.body.itemsTotal).toBe(3);
    expect(some.body.items).toHaveLength(2);
    expect(some.body.nextAfter).toBe(some.body.items[1].id);
    const rest = await svc.request('GET', `/api/reconciliation/${date}?category=amount_mismatch,duplicate&limit=2&after=${some.body.nextAfter}`, { token: accounting });
    expect(rest.body.items).toHaveLength(1);
    expect(rest.body.nextAfter).toBeNull();
    expect([...some.body.items, ...rest.body.items].map((i: Item) => i.category).sort()).toEqual(['amount_mismatch', 'amount_mismatch', 'duplicate']);
  });

  it('exports CSV with a BOM, readable back with a CSV parser, with ; and decimal commas on request', async () => {
    const get = async (query: string) => {
      const res = await fetch(`${svc.url}/api/reconciliation/${date}.csv${query}`, { headers: { authorization: `Bearer ${accounting}` } });
      return { res, bytes: Buffer.from(await res.arrayBuffer()) };
    };
    const plain = await get('');
    expect(plain.res.status).toBe(200);
    expect(plain.res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(plain.res.headers.get('content-disposition')).toBe(`attachment; filename="reconciliation-${date}.csv"`);
    expect([...plain.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse<Record<string, string>>(plain.bytes, { bom: true, columns: true });
    expect(rows).toHaveLength(8);
    expect(Object.keys(rows[0]!)).toEqual(['id', 'category', 'paymentId', 'idTrans', 'gatewayAmount', 'localAmount', 'resolution', 'resolvedBy', 'resolvedAt', 'detail', 'orderId', 'reportLine']);
    expect(rows.find((row) => row.idTrans === reportedOtherAmount.idTrans)).toMatchObject({ category: 'amount_mismatch', gatewayAmount: '6.00', localAmount: '60.00' });
    // The notes hold commas and quotes: the CSV quotes them and the parser gives them back whole.
    expect(rows.find((row) => row.idTrans === missingLocally.idTrans)!.resolution).toMatch(/^Credited by this reconciliation: the gateway confirmed/);

    const polish = await get('?separator=semicolon&decimal=comma&category=amount_mismatch');
    expect(polish.res.status).toBe(200);
    const text = polish.bytes.toString('utf8');
    expect(text.split('\n')[0]).toBe('\uFEFFid;category;paymentId;idTrans;gatewayAmount;localAmount;resolution;resolvedBy;resolvedAt;detail;orderId;reportLine');
    const semi = parse<Record<string, string>>(polish.bytes, { bom: true, columns: true, delimiter: ';' });
    expect(semi.map((row) => row.category)).toEqual(['amount_mismatch', 'amount_mismatch']);
    expect(semi.find((row) => row.idTrans === reportedOtherAmount.idTrans)).toMatchObject({ gatewayAmount: '6,00', localAmount: '60,00' });

    const bad = await svc.request('GET', `/api/reconciliation/${date}.csv?separator=tab`, { token: accounting });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('separator');
  });

  it('records a resolution note with who and when, carried over when the date is run again', async () => {
    const r = (await svc.request('GET', `/api/reconciliation/${date}?category=missing_in_gateway`, { token: accounting })).body;
    const item = r.items[0] as Item;
    const note = 'Zgłoszone do PayByNet, zgłoszenie nr 4711; czekamy na korektę raportu';
    const res = await svc.request('PATCH', `/api/reconciliation/${date}/items/${item.id}`, { token: accounting, body: { resolution: note } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: item.id, resolution: note, resolvedBy: 'acc-rec' });
    expect(new Date(res.body.resolvedAt).getTime()).toBe(svc.clock.now().getTime());

    // Running the date again: the new result replaces the old, which stays in the history.
    const rerun = await reconcile(date);
    expect(rerun.status).toBe(200);
    expect(rerun.body.runId).not.toBe(r.runId);
    // The new run's items have ids of their own (the earlier run's last item is this local payment).
    expect(Math.min(...rerun.body.items.map((i: Item) => i.id))).toBeGreaterThan(item.id);
    // The payment credited by the first run is matched now, and credited still once.
    expect(itemOf(rerun.body, missingLocally)).toMatchObject({ category: 'matched', resolution: null });
    expect(rerun.body.counts).toEqual({ matched: 3, missing_locally: 1, missing_in_gateway: 1, amount_mismatch: 2, duplicate: 1 });
    expect(rerun.body.localTotal).toBe('219.75');
    expect(await creditsFor(svc, missingLocally.idTrans)).toHaveLength(1);
    expect(itemOf(rerun.body, missingInGateway)).toMatchObject({ resolution: note, resolvedBy: 'acc-rec' });
    expect(rerun.body.runs.map((x: { runId: number; current: boolean }) => [x.runId, x.current])).toEqual([
      [rerun.body.runId, true],
      [r.runId, false],
    ]);
    expect(rerun.body.runs[1].counts.missing_locally).toBe(2);

    // An item of the replaced run can no longer be noted.
    const old = await svc.request('PATCH', `/api/reconciliation/${date}/items/${item.id}`, { token: accounting, body: { resolution: 'x' } });
    expect(old.status).toBe(409);
    expect(old.body.error.code).toBe('run_superseded');
  });

  it('refuses a report whose signature fails: 502, the failure recorded, nothing kept', async () => {
    const before = (await svc.request('GET', `/api/reconciliation/${date}`, { token: accounting })).body;
    const tmpBefore = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(`ibok-settlement-${date}-`));
    svc.gateway.controls.tamperReport(date);
    try {
      const res = await reconcile(date);
      expect(res.status).toBe(502);
      expect(res.body.error.code).toBe('settlement_report_invalid');
      expect(res.body.error.message).toContain('does not match the gateway\'s signature');
      expect(res.body.error.message).toContain('nothing from it was kept');
      const failedRun = res.body.error.details.runId as number;
      expect(await svc.db.knex('reconciliation_items').where({ run_id: failedRun })).toHaveLength(0);
      const { rows } = await svc.db.knex.raw(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'reconciliation_stage_%'`);
      expect(rows).toHaveLength(0);
      expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(`ibok-settlement-${date}-`))).toEqual(tmpBefore);

      const now = (await svc.request('GET', `/api/reconciliation/${date}`, { token: accounting })).body;
      expect(now.runId).toBe(before.runId);
      expect(now.items).toEqual(before.items);
      expect(now.runs[0]).toMatchObject({ runId: failedRun, status: 'failed', current: false, error: { code: 'settlement_report_invalid' } });
    } finally {
      svc.gateway.controls.tamperReport(date, false);
    }
  });

  it('refuses a report with a malformed row (502, nothing kept), and runs again once the gateway fixes it', async () => {
    const day = '2026-11-09';
    const p = await paid('18.00', day);
    svc.gateway.controls.addReportRows(day, [{ paymentId: 'PBN-BAD-1', id_trans: '0999999902', amount: '12,50' }]);
    const res = await reconcile(day);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('settlement_report_invalid');
    expect(res.body.error.message).toMatch(/not in the agreed format \(settlement report line 3: amount must look like "123\.45"\)/);
    expect(await svc.db.knex('reconciliation_items').where({ run_id: res.body.error.details.runId })).toHaveLength(0);
    svc.gateway.controls.clearReport(day);
    const fixed = await reconcile(day);
    expect(fixed.status).toBe(200);
    expect(itemOf(fixed.body, p).category).toBe('matched');
    expect(fixed.body.runs.map((r: { status: string }) => r.status)).toEqual(['completed', 'failed']);
  });

  it('answers 404 for a date never reconciled, naming a failed attempt', async () => {
    const never = await svc.request('GET', '/api/reconciliation/2026-10-01', { token: accounting });
    expect(never.status).toBe(404);
    expect(never.body.error).toMatchObject({ code: 'not_reconciled', message: '2026-10-01 has not been reconciled yet: POST /api/reconciliation/2026-10-01 runs it.' });
    const csv = await svc.request('GET', '/api/reconciliation/2026-10-01.csv', { token: accounting });
    expect(csv.status).toBe(404);

    svc.gateway.controls.tamperReport('2026-10-02');
    expect((await reconcile('2026-10-02')).status).toBe(502);
    const failed = await svc.request('GET', '/api/reconciliation/2026-10-02', { token: accounting });
    expect(failed.status).toBe(404);
    expect(failed.body.error.message).toMatch(/^2026-10-02 has no completed reconciliation: 1 attempt failed/);
  });
});

describe('missing_locally credited once', () => {
  it('two reconciliations at once: one runs, the other is told so, and the payment is credited once', async () => {
    const date = '2026-11-12';
    const lost = await paid('33.00', date, { notify: false });
    const [a, b] = await Promise.all([reconcile(date), reconcile(date)]);
    expect([a.status, b.status].sort()).toEqual(a.status === b.status ? [200, 200] : [200, 409]);
    const refused = [a, b].find((x) => x.status === 409);
    if (refused) expect(refused.body.error.code).toBe('reconciliation_running');
    const third = await reconcile(date);
    expect(third.status).toBe(200);
    expect(itemOf(third.body, lost)).toMatchObject({ category: 'matched' });
    expect(await creditsFor(svc, lost.idTrans)).toHaveLength(1);
  });

  it('two dates reconciled at once number their items apart, each in its report order', async () => {
    const dates = ['2026-11-05', '2026-11-06'];
    for (const d of dates) {
      await paid('11.00', d);
      await paid('12.00', d);
      await paid('13.00', d, { notify: false });
    }
    const results = await Promise.all(dates.map((d) => reconcile(d)));
    const ids = results.flatMap((res) => {
      expect(res.status).toBe(200);
      expect(res.body.counts).toMatchObject({ matched: 2, missing_locally: 1 });
      const items = res.body.items as (Item & { reportLine: number })[];
      expect(items.map((i) => i.reportLine)).toEqual([2, 3, 4]);
      expect(items.map((i) => i.id)).toEqual([items[0]!.id, items[0]!.id + 1, items[0]!.id + 2]);
      return items.map((i) => i.id);
    });
    expect(new Set(ids).size).toBe(6);
  });

  it('a payment the gateway reports but says is still pending is listed, not credited', async () => {
    const date = '2026-11-13';
    const o = await order('21.00');
    svc.gateway.controls.addReportRows(date, [{ paymentId: o.paymentId, amount: '21.00' }]);
    const res = await reconcile(date);
    expect(res.status).toBe(200);
    const item = itemOf(res.body, o);
    expect(item).toMatchObject({ category: 'missing_locally', resolution: null, localAmount: '21.00' });
    expect((item as unknown as { detail: string }).detail).toContain("the gateway's status answer says 2101 (pending)");
    expect(await creditsFor(svc, o.idTrans)).toHaveLength(0);
    expect(res.body.localTotal).toBe('0.00');
  });
});

describe('accounting routes refuse everyone else and bad input', () => {
  it('403 for a customer or an admin, 401 without a token', async () => {
    const c = await createCustomer(svc);
    for (const token of [c.token, admin]) {
      for (const [method, path] of [
        ['POST', '/api/reconciliation/2026-11-10'],
        ['GET', '/api/reconciliation/2026-11-10'],
        ['GET', '/api/reconciliation/2026-11-10.csv'],
        ['GET', '/api/reconciliation'],
        ['PATCH', '/api/reconciliation/2026-11-10/items/1'],
        ['POST', '/api/bank-statements'],
        ['GET', '/api/bank-statements'],
      ] as const) {
        const res = await svc.request(method, path, { token, ...(method === 'PATCH' ? { body: { resolution: 'x' } } : {}) });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
    }
    expect((await svc.request('POST', '/api/reconciliation/2026-11-10')).status).toBe(401);
  });

  it('400 for a date that is not a real YYYY-MM-DD, 422 for a future one, 400 for bad queries and bodies, 404 for an unknown item', async () => {
    for (const bad of ['2026-02-30', '2026-1-5', 'yesterday', '20261110']) {
      const res = await reconcile(bad);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.message).toContain('date must be a real calendar date');
    }
    const future = await reconcile('2026-11-21');
    expect(future.status).toBe(422);
    expect(future.body.error.code).toBe('date_in_future');
    const query = await svc.request('GET', '/api/reconciliation/2026-11-10?category=lost', { token: accounting });
    expect(query.status).toBe(400);
    expect(query.body.error.message).toContain('category');
    const unknown = await svc.request('GET', '/api/reconciliation/2026-11-10?color=red', { token: accounting });
    expect(unknown.status).toBe(400);
    const body = await svc.request('POST', '/api/reconciliation/2026-11-10', { token: accounting, body: { force: true } });
    expect(body.status).toBe(400);
    const empty = await svc.request('PATCH', '/api/reconciliation/2026-11-10/items/1', { token: accounting, body: { resolution: '   ' } });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain('resolution');
    const number = await svc.request('PATCH', '/api/reconciliation/2026-11-10/items/1', { token: accounting, body: { resolution: 5 } });
    expect(number.status).toBe(400);
    const missing = await svc.request('PATCH', '/api/reconciliation/2026-11-10/items/999999', { token: accounting, body: { resolution: 'ok' } });
    expect(missing.status).toBe(404);
    const badId = await svc.request('PATCH', '/api/reconciliation/2026-11-10/items/abc', { token: accounting, body: { resolution: 'ok' } });
    expect(badId.status).toBe(400);
  });

  it('502 with a clear message when the gateway is down, and nothing changes', async () => {
    svc.gateway.controls.setFaults({ down: 'unavailable' });
    const res = await reconcile('2026-11-14');
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('gateway_unavailable');
    expect(res.body.error.message).toContain('2026-11-14');
    expect((await svc.request('GET', '/api/reconciliation/2026-11-14', { token: accounting })).status).toBe(404);
  });

  it('lists the reconciled dates', async () => {
    const res = await svc.request('GET', '/api/reconciliation?from=2026-11-01&to=2026-11-30', { token: accounting });
    expect(res.status).toBe(200);
    const dates = res.body.items.map((r: { date: string }) => r.date);
    expect(dates).toContain('2026-11-10');
    expect(dates).toEqual([...dates].sort().reverse());
    expect(res.body.items.every((r: { current: boolean }) => r.current)).toBe(true);
  });
});

describe('the daily job', () => {
  const logger = pino({ level: 'silent' });

  it('reconciles yesterday (Warsaw) once, whichever of several instances looks first', async () => {
    const date = '2026-11-15';
    const p = await paid('15.00', date);
    // 16 Nov 00:30 in Warsaw is still 15 Nov in UTC: yesterday is the 15th only from the 16th on, Warsaw time.
    const clock = new ManualClock(new Date('2026-11-15T23:30:00Z'));
    const jobs = ['instance-a', 'instance-b', 'instance-c'].map(
      (id) => new DailyReconciliation(svc.db.knex, svc.deps.reconciliation, clock, logger, { instanceId: id }),
    );
    expect(await jobs[0]!.runOnce()).toEqual({ outcome: 'too_early', date });
    clock.set(new Date('2026-11-16T05:05:00Z')); // 06:05 in Warsaw
    const outcomes = await Promise.all(jobs.map((j) => j.runOnce()));
    expect(outcomes.filter((o) => o.outcome === 'reconciled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'claimed_elsewhere')).toHaveLength(2);
    const report = await svc.request('GET', `/api/reconciliation/${date}`, { token: accounting });
    expect(report.body).toMatchObject({ trigger: 'daily', startedBy: 'daily-job', counts: { matched: 1 } });
    expect(itemOf(report.body, p).category).toBe('matched');
    clock.set(new Date('2026-11-17T05:10:00Z')); // the next morning looks at the 16th, not the 15th again
    const next = await jobs[1]!.runOnce();
    expect(next).toMatchObject({ outcome: 'reconciled', date: '2026-11-16' });
    expect(await svc.db.knex('reconciliation_runs').where({ settlement_date: date })).toHaveLength(1);
  });

  it('tries a failed day again later, and leaves a day accounting ran by hand alone', async () => {
    const clock = new ManualClock(new Date('2026-11-18T07:00:00Z'));
    const job = new DailyReconciliation(svc.db.knex, svc.deps.reconciliation, clock, logger, { instanceId: 'x', retryMinutes: 30 });
    svc.gateway.controls.setFaults({ down: 'unavailable' });
    const failed = await job.runOnce();
    expect(failed).toMatchObject({ outcome: 'failed', date: '2026-11-17' });
    svc.gateway.controls.clearFaults();
    expect((await job.runOnce()).outcome).toBe('claimed_elsewhere');
    clock.advance(31 * 60_000);
    expect(await job.runOnce()).toMatchObject({ outcome: 'reconciled', date: '2026-11-17' });

    expect((await reconcile('2026-11-18')).status).toBe(200);
    clock.set(new Date('2026-11-19T06:00:00Z'));
    expect(await job.runOnce()).toMatchObject({ outcome: 'already_reconciled', date: '2026-11-18' });
  });
});
