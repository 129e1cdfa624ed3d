import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { syntheticRows } from '../../../mocks/paybynet/app.js';
import { SettlementReportSignatureError } from '../../../src/gateway/errors.js';
import { readSettlementReport, type SettlementReportRow } from '../../../src/gateway/settlement.js';
import { GatewayClient } from '../../../src/gateway/client.js';
import { MERCHANT_ID, setupGateway, type GatewaySetup } from './helpers.js';

const DATE = '2025-03-14';
let gw: GatewaySetup;

beforeAll(async () => {
  gw = await setupGateway();
  gw.mock.controls.registerMerchant(MERCHANT_ID, gw.merchant.jwksUrl);
});
afterAll(async () => {
  await gw.close();
});
beforeEach(() => {
  gw.mock.controls.reset();
});

async function collect(file: string): Promise<SettlementReportRow[]> {
  const rows: SettlementReportRow[] = [];
  for await (const row of readSettlementReport(file, { expectedDate: DATE })) rows.push(row);
  return rows;
}

async function completedPayments(amounts: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, amount] of amounts.entries()) {
    const { paymentId } = await gw.register({ amount });
    gw.mock.controls.complete(paymentId, { paidAt: new Date(`${DATE}T0${i + 1}:00:00Z`), settlementDate: DATE, notify: false });
    ids.push(paymentId);
  }
  return ids;
}

describe('settlement report (SPEC 3.5)', () => {
  it('is streamed to the file, its signature verified, and read back row by row', async () => {
    const ids = await completedPayments(['10.00', '20.50', '1234.56']);
    const pending = await gw.register({ amount: '5.00' }); // not completed: not in the report
    const file = path.join(gw.dataDir, `report-${DATE}.csv`);

    const download = await gw.client.fetchSettlementReport(DATE, file);
    expect(download.rows).toBe(3);
    expect(download.kid).toBe(gw.mock.controls.signingKid());
    const text = await readFile(file, 'utf8');
    expect(text.split('\n')[0]).toBe('paymentId,id_trans,amount,currency,paid_at,settlement_date');
    expect(download.bytes).toBe(Buffer.byteLength(text));
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const rows = await collect(file);
    expect(rows.map((r) => [r.paymentId, r.amount, r.currency, r.settlementDate])).toEqual([
      [ids[0], '10.00', 'PLN', DATE],
      [ids[1], '20.50', 'PLN', DATE],
      [ids[2], '1234.56', 'PLN', DATE],
    ]);
    expect(rows[0]!.paidAt.toISOString()).toBe(`${DATE}T01:00:00.000Z`);
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4]);
    expect(rows.some((r) => r.paymentId === pending.paymentId)).toBe(false);
  });

  it('shows rows injected for reconciliation: unknown payments, duplicates, another amount, a missing one', async () => {
    const [a, b, c] = await completedPayments(['10.00', '20.00', '30.00']);
    gw.mock.controls.addReportRows(DATE, [{ paymentId: a! }, { paymentId: 'PBNSTRANGER', id_trans: '0000000999', amount: '5.55' }]);
    gw.mock.controls.patchReportRow(DATE, b!, { amount: '19.99' });
    gw.mock.controls.excludeFromReport(DATE, c!);
    const file = path.join(gw.dataDir, 'injected.csv');
    await gw.client.fetchSettlementReport(DATE, file);
    const rows = await collect(file);
    expect(rows.map((r) => [r.paymentId, r.amount])).toEqual([
      [a, '10.00'],
      [b, '19.99'],
      [a, '10.00'],
      ['PBNSTRANGER', '5.55'],
    ]);
  });

  it('a tampered report is refused and no file is left behind', async () => {
    await completedPayments(['10.00', '20.00']);
    gw.mock.controls.tamperReport(DATE);
    const dir = path.join(gw.dataDir, 'tampered');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir));
    const file = path.join(dir, 'report.csv');
    const error = await gw.client.fetchSettlementReport(DATE, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SettlementReportSignatureError);
    expect((error as SettlementReportSignatureError).reason).toBe('bad_signature');
    expect(await readdir(dir)).toEqual([]);

    gw.mock.controls.tamperReport(DATE, false);
    await gw.client.fetchSettlementReport(DATE, file);
    expect((await collect(file)).length).toBe(2);
  });

  it('an empty day is a report with the header only', async () => {
    const file = path.join(gw.dataDir, 'empty.csv');
    expect((await gw.client.fetchSettlementReport('2025-01-01', file)).rows).toBe(0);
    expect(await readFile(file, 'utf8')).toBe('paymentId,id_trans,amount,currency,paid_at,settlement_date\n');
  });

  it('a merchant the gateway cannot find keys for is refused with 401', async () => {
    const stranger = new GatewayClient({ baseUrl: gw.gatewayUrl, merchantId: '9999999999', merchantKeys: gw.keys, clock: gw.clock });
    await expect(stranger.fetchSettlementReport(DATE, path.join(gw.dataDir, 'x.csv'))).rejects.toMatchObject({ httpStatus: 401, code: 'unknown_merchant' });
  });

  it('a report signed by the rotated gateway key verifies after one JWKS refetch', async () => {
    await completedPayments(['10.00']);
    const file = path.join(gw.dataDir, 'rotated.csv');
    await gw.client.fetchSettlementReport(DATE, file);
    const fetches = gw.client.gatewayJwks.fetchCount;
    const kid = gw.mock.controls.rotateKey();
    const download = await gw.client.fetchSettlementReport(DATE, file);
    expect(download.kid).toBe(kid);
    expect(gw.client.gatewayJwks.fetchCount).toBe(fetches + 1);
  });

  it('a large report streams through with flat memory', async () => {
    const count = 200_000;
    gw.mock.controls.setReportSource(DATE, () => syntheticRows(DATE, count, '12.34'));
    const file = path.join(gw.dataDir, 'large.csv');
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const download = await gw.client.fetchSettlementReport(DATE, file);
    expect(download.rows).toBe(count);
    let rows = 0;
    let peakHeap = 0;
    for await (const row of readSettlementReport(file, { expectedDate: DATE })) {
      rows += 1;
      if (rows % 20_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      if (rows === count) expect(row.amount).toBe('12.34');
    }
    expect(rows).toBe(count);
    // The body is ~16 MB; holding it (as UTF-16 strings and rows) would add far more than this.
    expect(peakHeap - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });
});
