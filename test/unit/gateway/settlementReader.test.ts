import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettlementReportFormatError } from '../../../src/gateway/errors.js';
import { readSettlementReport } from '../../../src/gateway/settlement.js';

const HEADER = 'paymentId,id_trans,amount,currency,paid_at,settlement_date';
let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ibok-report-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function read(content: string, expectedDate?: string) {
  const file = path.join(dir, `r${++n}.csv`);
  await writeFile(file, content);
  const rows = [];
  for await (const row of readSettlementReport(file, expectedDate ? { expectedDate } : {})) rows.push(row);
  return rows;
}

async function formatError(content: string, expectedDate?: string): Promise<SettlementReportFormatError> {
  const error = await read(content, expectedDate).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SettlementReportFormatError);
  return error as SettlementReportFormatError;
}

describe('reading a settlement report', () => {
  it('yields typed rows with their line numbers; amounts stay strings', async () => {
    const rows = await read(`${HEADER}\nPBN1,0000000001,10.00,PLN,2025-03-14T09:00:00Z,2025-03-14\nPBN2,0000000002,0.10,PLN,2025-03-14T10:00:00.123+01:00,2025-03-14\n`);
    expect(rows).toEqual([
      { paymentId: 'PBN1', idTrans: '0000000001', amount: '10.00', currency: 'PLN', paidAt: new Date('2025-03-14T09:00:00Z'), settlementDate: '2025-03-14', line: 2 },
      { paymentId: 'PBN2', idTrans: '0000000002', amount: '0.10', currency: 'PLN', paidAt: new Date('2025-03-14T09:00:00.123Z'), settlementDate: '2025-03-14', line: 3 },
    ]);
  });

  it('accepts CRLF, a BOM and no final line feed; a header-only report has no rows', async () => {
    expect(await read(`\uFEFF${HEADER}\r\nPBN1,0000000001,10.00,PLN,2025-03-14T09:00:00Z,2025-03-14`)).toHaveLength(1);
    expect(await read(`${HEADER}\n`)).toEqual([]);
  });

  it('names the line of the first bad row', async () => {
    const good = 'PBN1,0000000001,10.00,PLN,2025-03-14T09:00:00Z,2025-03-14';
    const cases: [string, RegExp][] = [
      ['PBN2,123,10.00,PLN,2025-03-14T09:00:00Z,2025-03-14', /id_trans/],
      ['PBN2,0000000002,10.5,PLN,2025-03-14T09:00:00Z,2025-03-14', /amount/],
      ['PBN2,0000000002,-1.00,PLN,2025-03-14T09:00:00Z,2025-03-14', /amount/],
      ['PBN2,0000000002,10.00,PLN,yesterday,2025-03-14', /paid_at/],
      ['PBN2,0000000002,10.00,PLN,2025-03-14T09:00:00Z,2025-02-30', /settlement_date/],
      ['PBN2,0000000002,10.00,PLN,2025-03-14T09:00:00Z', /./],
      [',0000000002,10.00,PLN,2025-03-14T09:00:00Z,2025-03-14', /paymentId/],
      ['', /./],
    ];
    for (const [bad, message] of cases) {
      const error = await formatError(`${HEADER}\n${good}\n${good}\n${bad}\n${good}\n`);
      expect(error.line, bad).toBe(4);
      expect(error.message).toMatch(message);
    }
  });

  it('refuses a wrong header, an empty file and a row of another date when the date is expected', async () => {
    expect((await formatError('paymentId,amount\nPBN1,10.00\n')).line).toBe(1);
    expect((await formatError('')).line).toBe(1);
    const error = await formatError(`${HEADER}\nPBN1,0000000001,10.00,PLN,2025-03-14T09:00:00Z,2025-03-13\n`, '2025-03-14');
    expect(error.line).toBe(2);
  });
});
