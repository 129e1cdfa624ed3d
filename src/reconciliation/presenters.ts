import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { formatMoney } from '../money.js';
import { emptyCounts, type Category, type Counts, type Item, type Run, type RunTrigger } from './store.js';

export interface ItemView {
  id: number;
  category: Category;
  paymentId: string | null;
  idTrans: string;
  gatewayAmount: string | null;
  localAmount: string | null;
  resolution: string | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
  detail: string | null;
  orderId: string | null;
  reportLine: number | null;
}

export interface RunSummaryView {
  runId: number;
  date: string;
  status: Run['status'];
  current: boolean;
  trigger: RunTrigger;
  startedBy: string;
  startedAt: string;
  finishedAt: string | null;
  gatewayTotal: string | null;
  localTotal: string | null;
  counts: Counts | null;
  error: { code: string; message: string } | null;
}

export interface BankPayoutView {
  statementId: string;
  reference: string;
  account: string;
  amount: string;
  valueDate: string;
  matchesGatewayTotal: boolean;
}

export interface ReportView extends RunSummaryView {
  currency: 'PLN';
  /** gatewayTotal − localTotal. */
  difference: string;
  report: { rows: number | null; bytes: number | null; kid: string | null };
  timingsMs: Record<string, number> | null;
  /** The gateway's payouts for this date found on imported bank statements. */
  bankPayouts: BankPayoutView[];
  items: ItemView[];
  /** Items matching the filter, over all pages. */
  itemsTotal: number;
  /** Pass as `after` for the next page; null on the last one. */
  nextAfter: number | null;
  /** Every run of the date, newest first (the current one included). */
  runs: RunSummaryView[];
}

function iso(d: Date | null): string | null {
  return d ? new Date(d).toISOString() : null;
}

export function presentItem(i: Item): ItemView {
  return {
    id: i.id,
    category: i.category,
    paymentId: i.paymentId,
    idTrans: i.idTrans,
    gatewayAmount: i.gatewayAmount === null ? null : formatMoney(i.gatewayAmount),
    localAmount: i.localAmount === null ? null : formatMoney(i.localAmount),
    resolution: i.resolution,
    resolvedBy: i.resolvedBy,
    resolvedAt: iso(i.resolvedAt),
    detail: i.detail,
    orderId: i.orderId,
    reportLine: i.reportLine,
  };
}

export function presentRun(r: Run): RunSummaryView {
  return {
    runId: r.id,
    date: r.date,
    status: r.status,
    current: r.current,
    trigger: r.trigger,
    startedBy: r.startedBy,
    startedAt: iso(r.startedAt)!,
    finishedAt: iso(r.finishedAt),
    gatewayTotal: r.gatewayTotal === null ? null : formatMoney(r.gatewayTotal),
    localTotal: r.localTotal === null ? null : formatMoney(r.localTotal),
    counts: r.counts ? { ...emptyCounts(), ...r.counts } : null,
    error: r.errorCode ? { code: r.errorCode, message: r.errorMessage ?? '' } : null,
  };
}

export const CSV_COLUMNS: (keyof ItemView)[] = [
  'id',
  'category',
  'paymentId',
  'idTrans',
  'gatewayAmount',
  'localAmount',
  'resolution',
  'resolvedBy',
  'resolvedAt',
  'detail',
  'orderId',
  'reportLine',
];

/**
 * The items as CSV: UTF-8 with a BOM (spreadsheets then open Polish letters right), `;` for Polish
 * locales on request, and every cell a spreadsheet would run as a formula (a leading = + - @, tab
 * or carriage return, SPEC 4.5) neutralised with a leading apostrophe, whatever its source: notes
 * are typed by people and report fields come from outside.
 */
export function itemsCsv(
  items: AsyncIterable<ItemView>,
  options: { separator: ',' | ';'; decimalComma: boolean },
  onError: (err: unknown) => void,
): Readable {
  const amount = (v: string | null) => (v !== null && options.decimalComma ? v.replace('.', ',') : v);
  const records = Readable.from(
    (async function* () {
      for await (const item of items) {
        yield { ...item, gatewayAmount: amount(item.gatewayAmount), localAmount: amount(item.localAmount) };
      }
    })(),
  );
  const out = stringify({ bom: true, header: true, columns: CSV_COLUMNS, delimiter: options.separator, escape_formulas: true });
  records.on('error', (err) => {
    onError(err);
    out.destroy(err);
  });
  return records.pipe(out);
}
