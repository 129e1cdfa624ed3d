import { randomBytes } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Decimal } from 'decimal.js';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { warsawDate, type Clock } from '../clock.js';
import type { DbKind } from '../db/createDb.js';
import {
  GatewayError,
  GatewayRejectedError,
  GatewayTimeoutError,
  SettlementReportFormatError,
  SettlementReportSignatureError,
  readSettlementReport,
  statusKind,
  type GatewayTransactionStatus,
  type SettlementReportDownload,
} from '../gateway/index.js';
import { AppError } from '../errors.js';
import { formatMoney } from '../money.js';
import { reconciliationErrors as errors } from './errors.js';
import { presentItem, presentRun, type BankPayoutView, type ItemView, type ReportView, type RunSummaryView } from './presenters.js';
import {
  CATEGORIES,
  ReconciliationStore,
  SYSTEM_ACTOR,
  emptyCounts,
  type Category,
  type Item,
  type Run,
  type RunTrigger,
} from './store.js';
import { analyzeStage, copyReportFile, createStage, dropStage, loadStage, stageTable, stageTablesOf } from './staging.js';

/** What reconciliation needs of the gateway; GatewayClient provides it. */
export interface ReconciliationGateway {
  fetchSettlementReport(date: string, destFile: string): Promise<SettlementReportDownload>;
  getTransactionStatus(paymentId: string): Promise<GatewayTransactionStatus>;
}

/** The fields of a payment order reconciliation looks at. */
export interface ReconciledOrder {
  id: string;
  idTrans: string;
  status: string;
  amount: string;
  currency: string;
  gatewayPaymentId: string | null;
}

/** What reconciliation needs of payments; the payments service provides it (the one crediting path). */
export interface ReconciliationPayments {
  applyGatewayStatus(status: GatewayTransactionStatus, cause: 'reconciliation'): Promise<ReconciledOrder | undefined>;
  orderById(id: string): Promise<ReconciledOrder | undefined>;
}

/** The gateway's payouts of a settlement date seen on imported bank statements (the bank statements module). */
export type BankPayoutsOf = (date: string) => Promise<{ statementId: string; reference: string; account: string; amount: string; valueDate: string }[]>;

export interface ReconciliationOptions {
  /** Where reports are downloaded to (deleted after each run). Default: the OS temp folder. */
  tmpDir?: string;
  /** Parallel status queries for missing_locally rows (default 4). */
  gatewayConcurrency?: number;
  /**
   * A run still 'running' after this long is taken to be dead: its process ended mid-run (default
   * 10 minutes; a million-row report takes well under one).
   */
  staleRunMinutes?: number;
}

export interface ItemFilter {
  categories?: Category[] | undefined;
  after?: number | undefined;
  limit: number;
}

export const DEFAULT_ITEM_LIMIT = 1000;
const CSV_PAGE = 5000;

/** Runs `work` over `items` with at most `limit` in flight. */
async function forEachLimit<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Daily reconciliation (SPEC 4.5): the gateway's signed settlement report of a date against the
 * payments completed here with that settlement date. The report is verified while it downloads
 * to a temporary file, streamed into a staging table and matched in SQL; nothing of a report that
 * fails its signature or format is kept. Report rows unknown or not completed here are asked of
 * the gateway and, when completed, credited through PaymentService (exactly once).
 */
export class ReconciliationService {
  private readonly tmpDir: string;
  private readonly concurrency: number;
  private readonly staleMs: number;

  constructor(
    private readonly knex: Knex,
    private readonly dbKind: DbKind,
    private readonly clock: Clock,
    private readonly gateway: ReconciliationGateway,
    private readonly payments: ReconciliationPayments,
    private readonly logger: Logger,
    private readonly bankPayouts: BankPayoutsOf,
    options: ReconciliationOptions = {},
  ) {
    this.tmpDir = options.tmpDir ?? os.tmpdir();
    this.concurrency = options.gatewayConcurrency ?? 4;
    this.staleMs = (options.staleRunMinutes ?? 10) * 60_000;
  }

  private get store(): ReconciliationStore {
    return new ReconciliationStore(this.knex);
  }

  /** Reconciles `date` (again): the new result becomes current, earlier runs stay in the history. */
  async run(date: string, options: { trigger: RunTrigger; by: string }, filter: ItemFilter = { limit: DEFAULT_ITEM_LIMIT }): Promise<ReportView> {
    const now = this.clock.now();
    const today = warsawDate(now);
    if (date > today) {
      throw errors.create('date_in_future', `${date} is in the future (today is ${today} in Warsaw); there is no settlement report for it yet.`);
    }
    await this.dropAbandonedStages();
    const run = await this.store.claimRun(date, options.trigger, options.by, now, new Date(now.getTime() - this.staleMs));
    if (!run) {
      throw errors.create('reconciliation_running', `A reconciliation of ${date} is running right now; try again when it has finished.`);
    }
    const log = this.logger.child({ runId: run.id, date });
    log.info({ trigger: options.trigger, by: options.by }, 'reconciliation started');
    const timings: Record<string, number> = {};
    let mark = performance.now();
    const lap = (name: string) => {
      const t = performance.now();
      timings[name] = Math.round(t - mark);
      mark = t;
    };
    const file = path.join(this.tmpDir, `ibok-settlement-${date}-${run.id}-${randomBytes(4).toString('hex')}.csv`);
    let staged = false;
    try {
      let download: SettlementReportDownload;
      try {
        download = await this.gateway.fetchSettlementReport(date, file);
      } catch (err) {
        throw this.downloadError(date, run.id, err);
      }
      lap('downloadMs');
      await this.store.recordDownload(run.id, download);

      staged = true;
      let rows: number;
      try {
        if (this.dbKind === 'server') {
          rows = await copyReportFile(this.knex, run.id, file, date);
        } else {
          const table = await createStage(this.knex, run.id);
          rows = await loadStage(this.knex, this.dbKind, table, readSettlementReport(file, { expectedDate: date }));
          await analyzeStage(this.knex, table);
        }
      } catch (err) {
        if (err instanceof SettlementReportFormatError) {
          throw errors.create(
            'settlement_report_invalid',
            `The gateway's settlement report of ${date} is not in the agreed format (${err.message}); nothing from it was kept. The failed attempt is recorded as run ${run.id}.`,
            { runId: run.id, line: err.line },
          );
        }
        throw err;
      }
      await unlink(file).catch(() => undefined);
      lap('loadMs');

      const facts = await this.knex.transaction(async (trx) => {
        // Memory for the hash joins of a big report (the default spills them to disk), and no JIT
        // compilation, which costs more than it saves on these one-off statements.
        await trx.raw(`SET LOCAL work_mem = '128MB'`);
        if (this.dbKind === 'server') await trx.raw('SET LOCAL jit = off');
        const store = new ReconciliationStore(trx);
        const stage = stageTable(run.id);
        const found = await store.stageFacts(stage);
        // Line n of the report becomes item firstId + n - 2 (line 2 is the first row).
        const firstId = await store.reserveItemIds(Math.max(found.maxLine - 1, 1));
        await store.classifyReportRows(run.id, stage, date, found, firstId);
        await store.classifyLocalOnly(run.id, stage, date);
        return found;
      });
      await dropStage(this.knex, run.id);
      staged = false;
      lap('matchMs');

      await this.resolveMissingLocally(run.id, log);
      lap('resolveMs');

      const summary = await this.store.summarise(run.id, facts);
      lap('summariseMs');
      await this.knex.transaction((trx) =>
        new ReconciliationStore(trx).completeRun(trx, run, { ...summary, timingsMs: timings }, this.clock.now()),
      );
      log.info({ rows, counts: summary.counts, gatewayTotal: summary.gatewayTotal, localTotal: summary.localTotal, timings }, 'reconciliation completed');
    } catch (err) {
      const known = err instanceof AppError ? err : undefined;
      if (!known) log.error({ err }, 'reconciliation failed');
      else log.warn({ code: known.code }, known.message);
      try {
        await this.knex('reconciliation_items').where({ run_id: run.id }).delete();
        await this.store.failRun(
          run.id,
          known?.code ?? 'internal_error',
          known?.message ?? 'The reconciliation failed on our side; nothing of it was kept.',
          this.clock.now(),
          { timings_ms: JSON.stringify(timings) },
        );
      } catch (recordErr) {
        log.error({ err: recordErr }, 'could not record the failed reconciliation run');
      }
      throw err;
    } finally {
      await unlink(file).catch(() => undefined);
      if (staged) await dropStage(this.knex, run.id).catch((e: unknown) => log.warn({ err: e }, 'could not drop the stage table'));
    }
    return this.report(date, filter);
  }

  private downloadError(date: string, runId: number, err: unknown): unknown {
    if (err instanceof SettlementReportSignatureError) {
      return errors.create(
        'settlement_report_invalid',
        `The settlement report of ${date} does not match the gateway's signature (${err.reason}: ${err.message}); nothing from it was kept. The failed attempt is recorded as run ${runId}.`,
        { runId, reason: err.reason },
      );
    }
    if (err instanceof GatewayTimeoutError) {
      return errors.create('gateway_timeout', `The payment gateway did not send the settlement report of ${date} in time; nothing was changed. Try again later.`, { runId });
    }
    if (err instanceof GatewayRejectedError) {
      return errors.create(
        'gateway_refused',
        `The payment gateway refused to send the settlement report of ${date} (HTTP ${err.httpStatus}${err.code ? `, ${err.code}` : ''}); nothing was changed.`,
        { runId },
      );
    }
    if (err instanceof GatewayError) {
      return errors.create('gateway_unavailable', `The payment gateway is not available to send the settlement report of ${date}; nothing was changed. Try again later.`, { runId });
    }
    return err;
  }

  /**
   * Report rows of orders known here but not completed: the gateway is asked, and a completed
   * transaction is applied through PaymentService, which credits it once. The item stays
   * missing_locally and shows how it was resolved.
   */
  private async resolveMissingLocally(runId: number, log: Logger): Promise<void> {
    let after = 0;
    for (;;) {
      const batch = await this.store.missingLocallyKnown(runId, after, 200);
      if (batch.length === 0) return;
      after = batch[batch.length - 1]!.id;
      await forEachLimit(batch, this.concurrency, (item) => this.resolveOne(runId, item, log));
    }
  }

  private async resolveOne(runId: number, item: Item, log: Logger): Promise<void> {
    const store = this.store;
    const order = await this.payments.orderById(item.orderId!);
    if (!order || order.idTrans !== item.idTrans) return;
    const note = (text: string) => store.updateItem(runId, item.id, { detail: item.detail ? `${item.detail}; ${text}` : text });
    if (order.gatewayPaymentId && order.gatewayPaymentId !== item.paymentId) {
      await note('nothing is credited automatically; decide by hand');
      return;
    }
    if (order.status === 'completed') {
      await store.updateItem(runId, item.id, {
        local_amount: order.amount,
        local_credited: true,
        resolution: 'Completed here meanwhile (a notification arrived during the run); nothing else to do.',
        resolved_by: SYSTEM_ACTOR,
        resolved_at: this.clock.now(),
      });
      return;
    }
    let status: GatewayTransactionStatus;
    try {
      status = await this.gateway.getTransactionStatus(item.paymentId!);
    } catch (err) {
      log.warn({ paymentId: item.paymentId, err: (err as Error).message }, 'reconciliation: status query failed');
      await note(`the gateway could not be asked about it (${(err as Error).message}); run the reconciliation again later`);
      return;
    }
    if (status.idTrans !== item.idTrans) {
      await note(`the gateway's status answer names id_trans ${status.idTrans}`);
      return;
    }
    const kind = statusKind(status.status);
    if (kind !== 'completed') {
      await note(`the gateway's status answer says ${status.status} (${kind}), although its report lists the payment`);
      return;
    }
    const after = await this.payments.applyGatewayStatus(status, 'reconciliation');
    if (after?.status === 'completed') {
      await store.updateItem(runId, item.id, {
        local_amount: after.amount,
        local_credited: true,
        resolution: `Credited by this reconciliation: the gateway confirmed the payment as completed (status ${status.status}).`,
        resolved_by: SYSTEM_ACTOR,
        resolved_at: this.clock.now(),
      });
      log.info({ orderId: after.id, idTrans: after.idTrans }, 'reconciliation credited a payment the service had missed');
    } else if (after?.status === 'amount_mismatch') {
      await store.updateItem(runId, item.id, {
        category: 'amount_mismatch',
        detail: `the gateway completed it for ${status.amount} ${status.currency}, the order is for ${formatMoney(order.amount)} ${order.currency}: flagged for accounting, not credited`,
      });
    } else {
      await note(
        `the gateway says completed, but the order is ${after?.status ?? order.status} here, which reconciliation does not change; decide by hand`,
      );
    }
  }

  /** Stage tables of runs that are not running any more (a process killed mid-run). */
  private async dropAbandonedStages(): Promise<void> {
    for (const runId of await stageTablesOf(this.knex)) {
      if (!(await this.store.runIsRunning(runId))) await dropStage(this.knex, runId);
    }
  }

  /** The current result of a date with one page of items; 404 when the date was never reconciled. */
  async report(date: string, filter: ItemFilter = { limit: DEFAULT_ITEM_LIMIT }): Promise<ReportView> {
    const store = this.store;
    const run = await this.currentOrNotFound(date);
    const items = filter.limit > 0 ? await store.items(run.id, { ...filter, limit: filter.limit + 1 }) : [];
    const more = items.length > filter.limit;
    if (more) items.pop();
    const counts = { ...emptyCounts(), ...(run.counts ?? {}) };
    const itemsTotal = (filter.categories ?? [...CATEGORIES]).reduce((n, c) => n + counts[c], 0);
    const gatewayTotal = run.gatewayTotal ?? '0';
    const payouts = await this.bankPayouts(date);
    const runs = await store.runsOf(date);
    return {
      ...presentRun(run),
      currency: 'PLN',
      difference: formatMoney(new Decimal(gatewayTotal).minus(run.localTotal ?? '0')),
      report: { rows: run.reportRows, bytes: run.reportBytes, kid: run.reportKid },
      timingsMs: run.timingsMs,
      bankPayouts: payouts.map((p): BankPayoutView => ({
        statementId: p.statementId,
        reference: p.reference,
        account: p.account,
        amount: formatMoney(p.amount),
        valueDate: p.valueDate,
        matchesGatewayTotal: new Decimal(p.amount).eq(gatewayTotal),
      })),
      items: items.map(presentItem),
      itemsTotal,
      nextAfter: more ? items[items.length - 1]!.id : null,
      runs: runs.map(presentRun),
    };
  }

  private async currentOrNotFound(date: string): Promise<Run> {
    const run = await this.store.currentRun(date);
    if (run) return run;
    const runs = await this.store.runsOf(date);
    const failed = runs.filter((r) => r.status === 'failed');
    const running = runs.find((r) => r.status === 'running');
    let message = `${date} has not been reconciled yet: POST /api/reconciliation/${date} runs it.`;
    if (running) message = `The first reconciliation of ${date} is running right now; try again in a moment.`;
    else if (failed.length > 0) {
      message = `${date} has no completed reconciliation: ${failed.length} attempt${failed.length > 1 ? 's' : ''} failed, the last with: ${failed[0]!.errorMessage ?? failed[0]!.errorCode}`;
    }
    throw errors.create('not_reconciled', message, runs.length > 0 ? { runs: runs.map(presentRun) } : undefined);
  }

  /** Every item of the current result (optionally of some categories), page by page, for the CSV. */
  async *allItems(date: string, categories?: Category[]): AsyncGenerator<ItemView> {
    const run = await this.currentOrNotFound(date);
    let after: number | undefined;
    for (;;) {
      const page = await this.store.items(run.id, { categories, after, limit: CSV_PAGE });
      for (const item of page) yield presentItem(item);
      if (page.length < CSV_PAGE) return;
      after = page[page.length - 1]!.id;
    }
  }

  /** Checks that the date has a result before a response starts streaming. */
  async ensureReconciled(date: string): Promise<void> {
    await this.currentOrNotFound(date);
  }

  /** Records accounting's note on an item of the date's current result, with who and when. */
  async resolveItem(date: string, itemId: number, resolution: string, by: string): Promise<ItemView> {
    const store = this.store;
    const run = await store.runOfItem(date, itemId);
    if (!run) throw errors.create('reconciliation_item_not_found', `The reconciliation of ${date} has no item ${itemId}.`);
    if (!run.current) {
      throw errors.create(
        'run_superseded',
        `Item ${itemId} belongs to run ${run.id} of ${date}, which a later run replaced; note the item of the current result instead.`,
      );
    }
    const item = await store.setResolution(run.id, itemId, resolution, by, this.clock.now());
    if (!item) throw errors.create('reconciliation_item_not_found', `The reconciliation of ${date} has no item ${itemId}.`);
    return presentItem(item);
  }

  /** gatewayTotal of the current reconciliation of each date (dates never reconciled are absent). */
  async gatewayTotals(dates: string[]): Promise<Map<string, string>> {
    return this.store.gatewayTotals(dates);
  }

  /** The current result of each reconciled date in a range, newest first. */
  async list(from: string | undefined, to: string | undefined, limit: number): Promise<RunSummaryView[]> {
    return (await this.store.currentRuns(from, to, limit)).map(presentRun);
  }
}
