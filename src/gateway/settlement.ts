/**
 * The daily settlement report (SPEC 3.5): a CSV that may hold a million rows, read as a stream.
 */
import type { KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { SettlementReportFormatError } from './errors.js';
import { ID_TRANS_PATTERN, PROTOCOL_AMOUNT_PATTERN, isValidCalendarDate, isValidInstant } from './protocol.js';
import { DetachedJwsVerifier } from './jws.js';

export const SETTLEMENT_REPORT_COLUMNS = ['paymentId', 'id_trans', 'amount', 'currency', 'paid_at', 'settlement_date'] as const;
export const SETTLEMENT_REPORT_HEADER = SETTLEMENT_REPORT_COLUMNS.join(',');

export interface SettlementReportRow {
  paymentId: string;
  idTrans: string;
  /** "123.45" */
  amount: string;
  currency: string;
  paidAt: Date;
  /** YYYY-MM-DD */
  settlementDate: string;
  /** 1-based line number in the file (the header is line 1). */
  line: number;
}

export interface ReadSettlementReportOptions {
  /** When given, every row's settlement_date must be this date. */
  expectedDate?: string;
}

function csvErrorLine(err: unknown): number {
  const lines = (err as { lines?: unknown }).lines;
  return typeof lines === 'number' ? lines : 0;
}

/**
 * Reads a settlement report file row by row. Throws SettlementReportFormatError naming the line
 * of the first row that is not valid (bad header, wrong column count, bad id_trans/amount/date...).
 * Duplicated rows are returned as they are: finding them is reconciliation's job.
 */
export async function* readSettlementReport(
  file: string,
  options: ReadSettlementReportOptions = {},
): AsyncGenerator<SettlementReportRow> {
  const input = createReadStream(file, { highWaterMark: 256 * 1024 });
  // Empty lines are not skipped: one is a bad row. Valid rows hold no line breaks, so record n
  // (0-based, header included) is line n + 1 up to and including the first bad row; counting
  // here is much cheaper than csv-parse's per-record `info`.
  const parser = parse({ bom: true, relax_column_count: false });
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  let line = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      line += 1;
      if (line === 1) {
        if (record.join(',') !== SETTLEMENT_REPORT_HEADER) {
          throw new SettlementReportFormatError(line, `header must be ${SETTLEMENT_REPORT_HEADER}`);
        }
        continue;
      }
      yield parseRow(record, line, options);
    }
  } catch (err) {
    if (err instanceof SettlementReportFormatError) throw err;
    if (err instanceof CsvError) throw new SettlementReportFormatError(csvErrorLine(err) || line + 1, err.message);
    throw err;
  } finally {
    input.destroy();
    parser.destroy();
  }
  if (line === 0) throw new SettlementReportFormatError(1, 'the report is empty, the header row is missing');
}

function parseRow(record: string[], line: number, options: ReadSettlementReportOptions): SettlementReportRow {
  if (record.length !== SETTLEMENT_REPORT_COLUMNS.length) {
    throw new SettlementReportFormatError(line, `expected ${SETTLEMENT_REPORT_COLUMNS.length} columns, got ${record.length}`);
  }
  const [paymentId, idTrans, amount, currency, paidAt, settlementDate] = record as [string, string, string, string, string, string];
  if (!/^[\x21-\x7e]{1,128}$/.test(paymentId)) throw new SettlementReportFormatError(line, 'paymentId must be 1 to 128 printable ASCII characters');
  if (!ID_TRANS_PATTERN.test(idTrans)) throw new SettlementReportFormatError(line, 'id_trans must be 10 digits');
  if (!PROTOCOL_AMOUNT_PATTERN.test(amount)) throw new SettlementReportFormatError(line, 'amount must look like "123.45"');
  if (!/^[A-Z]{3}$/.test(currency)) throw new SettlementReportFormatError(line, 'currency must be a 3-letter code');
  if (!isValidInstant(paidAt)) throw new SettlementReportFormatError(line, 'paid_at must be an ISO instant');
  if (!isValidCalendarDate(settlementDate)) throw new SettlementReportFormatError(line, 'settlement_date must be YYYY-MM-DD');
  if (options.expectedDate !== undefined && settlementDate !== options.expectedDate) {
    throw new SettlementReportFormatError(line, `settlement_date ${settlementDate} is not the report's date ${options.expectedDate}`);
  }
  return { paymentId, idTrans, amount, currency, paidAt: new Date(paidAt), settlementDate, line };
}

/**
 * A pass-through stream that feeds every chunk to a detached-JWS verifier and counts bytes and
 * line feeds, so a report is verified while it is written to disk.
 */
export class VerifyingPassThrough extends Transform {
  bytes = 0;
  lineFeeds = 0;
  private lastByte = -1;

  constructor(private readonly verifier: DetachedJwsVerifier) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.verifier.update(chunk);
    this.bytes += chunk.length;
    let at = chunk.indexOf(10);
    while (at !== -1) {
      this.lineFeeds += 1;
      at = chunk.indexOf(10, at + 1);
    }
    if (chunk.length > 0) this.lastByte = chunk[chunk.length - 1]!;
    callback(null, chunk);
  }

  /** Call once the stream has ended: true when the detached signature matches the bytes seen. */
  verify(key: KeyObject, signature: Buffer): boolean {
    return this.verifier.verify(key, signature);
  }

  /** Data rows: lines after the header (a last line without a line feed counts). */
  get dataRows(): number {
    const lines = this.lineFeeds + (this.bytes > 0 && this.lastByte !== 10 ? 1 : 0);
    return Math.max(0, lines - 1);
  }
}
