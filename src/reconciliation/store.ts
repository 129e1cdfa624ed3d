import type { Knex } from 'knex';
import { Decimal } from 'decimal.js';
import { toInt, type Queryable } from '../db/createDb.js';

export const CATEGORIES = ['matched', 'missing_locally', 'missing_in_gateway', 'amount_mismatch', 'duplicate'] as const;
export type Category = (typeof CATEGORIES)[number];
export type Counts = Record<Category, number>;

export type RunStatus = 'running' | 'completed' | 'failed';
export type RunTrigger = 'manual' | 'daily';

/** Who wrote an automatic resolution (people are named by their login). */
export const SYSTEM_ACTOR = 'system';

export interface Run {
  id: number;
  date: string;
  status: RunStatus;
  current: boolean;
  trigger: RunTrigger;
  startedBy: string;
  startedAt: Date;
  finishedAt: Date | null;
  gatewayTotal: string | null;
  localTotal: string | null;
  counts: Counts | null;
  reportRows: number | null;
  reportBytes: number | null;
  reportKid: string | null;
  timingsMs: Record<string, number> | null;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface Item {
  id: number;
  runId: number;
  category: Category;
  paymentId: string | null;
  idTrans: string;
  gatewayAmount: string | null;
  gatewayCurrency: string | null;
  localAmount: string | null;
  localCredited: boolean;
  orderId: string | null;
  reportLine: number | null;
  detail: string | null;
  resolution: string | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
}

/** What the matching needs to know of a staged report (ReconciliationStore.stageFacts). */
export interface StageFacts {
  rows: number;
  /** The last line number of the report (0 when it has no rows). */
  maxLine: number;
  /** The sum of the rows' amounts. */
  total: string;
  /** Some paymentId is on more than one row. */
  repeats: boolean;
}

/** Serialises the reservation and use of item ids across runs (see reserveItemIds). */
const ITEM_IDS_LOCK_KEY = 94_030_001;

export function emptyCounts(): Counts {
  return { matched: 0, missing_locally: 0, missing_in_gateway: 0, amount_mismatch: 0, duplicate: 0 };
}

/** A reconciliation_runs row as the driver returns it (numbers of bigint columns may come as strings). */
interface RunDbRow {
  id: string | number;
  settlement_date: string;
  status: RunStatus;
  current: boolean;
  trigger: RunTrigger;
  started_by: string;
  started_at: Date;
  finished_at: Date | null;
  gateway_total: string | number | null;
  local_total: string | number | null;
  counts: Counts | null;
  report_rows: string | number | null;
  report_bytes: string | number | null;
  report_kid: string | null;
  timings_ms: Record<string, number> | null;
  error_code: string | null;
  error_message: string | null;
}

/** A reconciliation_items row as the driver returns it. */
interface ItemDbRow {
  id: string | number;
  run_id: string | number;
  category: Category;
  payment_id: string | null;
  id_trans: string;
  gateway_amount: string | number | null;
  gateway_currency: string | null;
  local_amount: string | number | null;
  local_credited: boolean;
  order_id: string | null;
  report_line: string | number | null;
  detail: string | null;
  resolution: string | null;
  resolved_by: string | null;
  resolved_at: Date | null;
}

/** A reconciliation_daily row. */
interface DailyDbRow {
  settlement_date: string;
  claimed_by: string;
  claimed_at: Date;
  attempts: number;
  done: boolean;
  run_id: string | number | null;
  last_error: string | null;
}

function mapRun(r: RunDbRow): Run {
  return {
    id: Number(r.id),
    date: r.settlement_date,
    status: r.status,
    current: r.current,
    trigger: r.trigger,
    startedBy: r.started_by,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    gatewayTotal: r.gateway_total === null ? null : String(r.gateway_total),
    localTotal: r.local_total === null ? null : String(r.local_total),
    counts: r.counts ?? null,
    reportRows: r.report_rows === null ? null : toInt(r.report_rows),
    reportBytes: r.report_bytes === null ? null : toInt(r.report_bytes),
    reportKid: r.report_kid,
    timingsMs: r.timings_ms ?? null,
    errorCode: r.error_code,
    errorMessage: r.error_message,
  };
}

function mapItem(r: ItemDbRow): Item {
  return {
    id: Number(r.id),
    runId: Number(r.run_id),
    category: r.category,
    paymentId: r.payment_id,
    idTrans: r.id_trans.trim(),
    gatewayAmount: r.gateway_amount === null ? null : String(r.gateway_amount),
    gatewayCurrency: r.gateway_currency === null ? null : String(r.gateway_currency).trim(),
    localAmount: r.local_amount === null ? null : String(r.local_amount),
    localCredited: r.local_credited,
    orderId: r.order_id,
    reportLine: r.report_line === null ? null : Number(r.report_line),
    detail: r.detail,
    resolution: r.resolution,
    resolvedBy: r.resolved_by,
    resolvedAt: r.resolved_at,
  };
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23505' && e.constraint === constraint;
}

export class ReconciliationStore {
  constructor(private readonly db: Queryable) {}

  /**
   * Claims the date for a new run: one run of a date at a time, across instances (a unique index
   * on the running runs). A run left 'running' by a process that died before `staleBefore` is
   * marked failed and the claim retried. Answers undefined while another run is under way.
   */
  async claimRun(date: string, trigger: RunTrigger, by: string, now: Date, staleBefore: Date): Promise<Run | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const rows = await this.db<RunDbRow>('reconciliation_runs')
          .insert({ settlement_date: date, status: 'running', current: false, trigger, started_by: by, started_at: now })
          .returning('*');
        return mapRun(rows[0]!);
      } catch (err) {
        if (!isUniqueViolation(err, 'reconciliation_runs_one_running')) throw err;
        const stale = await this.db<RunDbRow>('reconciliation_runs')
          .where({ settlement_date: date, status: 'running' })
          .andWhere('started_at', '<', staleBefore)
          .update({
            status: 'failed',
            finished_at: now,
            error_code: 'interrupted',
            error_message: 'The run stopped before it finished (the process ended); nothing of it is kept.',
          });
        if (stale === 0) return undefined;
      }
    }
    return undefined;
  }

  async runningRun(date: string): Promise<Run | undefined> {
    const row = await this.db<RunDbRow>('reconciliation_runs').where({ settlement_date: date, status: 'running' }).first();
    return row ? mapRun(row) : undefined;
  }

  async runIsRunning(id: number): Promise<boolean> {
    const row = await this.db<RunDbRow>('reconciliation_runs').where({ id }).first('status');
    return row?.status === 'running';
  }

  async failRun(id: number, code: string, message: string, now: Date, fields: Record<string, unknown> = {}): Promise<void> {
    await this.db<RunDbRow>('reconciliation_runs')
      .where({ id, status: 'running' })
      .update({ status: 'failed', finished_at: now, error_code: code, error_message: message, ...fields });
  }

  async recordDownload(id: number, download: { rows: number; bytes: number; kid: string }): Promise<void> {
    await this.db<RunDbRow>('reconciliation_runs')
      .where({ id })
      .update({ report_rows: download.rows, report_bytes: download.bytes, report_kid: download.kid });
  }

  /**
   * What the matching needs of the stage: its rows, its last line, the sum of its amounts (the
   * gateway's total: every row, duplicates included) and whether any paymentId repeats. Two
   * statements: a plain aggregate costs a tenth of the grouping, which stays as lean as it can
   * (with the sums in it, its hash table no longer fits in memory at a million rows).
   */
  async stageFacts(stage: string): Promise<StageFacts> {
    const { rows } = await this.db.raw<{ rows: { n: unknown; max_line: unknown; total: string }[] }>(
      `SELECT count(*) AS n, coalesce(max(line), 0) AS max_line, coalesce(sum(amount), 0)::numeric(14,2)::text AS total FROM ${stage}`,
    );
    const { rows: repeated } = await this.db.raw<{ rows: unknown[] }>(`SELECT 1 FROM ${stage} GROUP BY payment_id HAVING count(*) > 1 LIMIT 1`);
    const r = rows[0]!;
    return { rows: toInt(r.n), maxLine: toInt(r.max_line), total: String(r.total), repeats: repeated.length > 0 };
  }

  /**
   * Reserves `count` consecutive item ids (answers the first), so that a run numbers its report
   * rows by their line without sorting them. Holds a transaction-scoped lock until the caller's
   * transaction ends: every insert of items takes it first, so no other run draws ids from the
   * sequence between the reservation and its use.
   */
  async reserveItemIds(count: number): Promise<number> {
    await this.db.raw('SELECT pg_advisory_xact_lock(?)', [ITEM_IDS_LOCK_KEY]);
    const { rows } = await this.db.raw<{ rows: { first: unknown }[] }>(
      `SELECT nextval(pg_get_serial_sequence('reconciliation_items', 'id')) AS first`,
    );
    const first = toInt(rows[0]!.first);
    if (count > 1) await this.db.raw(`SELECT setval(pg_get_serial_sequence('reconciliation_items', 'id'), ?)`, [first + count - 1]);
    return first;
  }

  /**
   * Puts every report row in its category. The first row of a paymentId is compared with the
   * local payment order (by id_trans); later rows of it are duplicates. A row that repeats an
   * id_trans under another paymentId does not match the order's paymentId, so it lands in
   * missing_locally with that said. Item ids follow the report's lines (`firstId` is the id of
   * line 2, the first row after the header; see reserveItemIds), so the rows need no sort.
   */
  async classifyReportRows(runId: number, stage: string, date: string, facts: { repeats: boolean }, firstId: number): Promise<void> {
    const repeats = facts.repeats
      ? `(SELECT payment_id, min(line) AS line FROM ${stage} GROUP BY payment_id HAVING count(*) > 1)`
      : '(SELECT NULL::text AS payment_id, NULL::integer AS line WHERE false)';
    await this.db.raw(
      `INSERT INTO reconciliation_items
         (id, run_id, category, payment_id, id_trans, gateway_amount, gateway_currency, local_amount, local_credited, order_id, report_line, detail)
       SELECT ?::bigint + c.line - 2, ?, c.category, c.payment_id, c.id_trans, c.amount, c.currency,
              CASE WHEN c.category = 'duplicate' THEN NULL ELSE c.o_amount END,
              c.category <> 'duplicate' AND coalesce(c.o_status = 'completed', false),
              c.o_id, c.line, c.detail
         FROM (
           SELECT s.line, s.payment_id, s.id_trans, s.amount, s.currency,
                  o.id AS o_id, o.amount AS o_amount, o.status AS o_status,
                  CASE
                    WHEN dp.line IS NOT NULL THEN 'duplicate'
                    WHEN o.id IS NULL THEN 'missing_locally'
                    WHEN o.gateway_payment_id IS NOT NULL AND o.gateway_payment_id <> s.payment_id THEN 'missing_locally'
                    WHEN o.status = 'completed' AND o.amount = s.amount AND o.currency = s.currency THEN 'matched'
                    WHEN o.status IN ('completed', 'amount_mismatch') THEN 'amount_mismatch'
                    ELSE 'missing_locally'
                  END AS category,
                  CASE
                    WHEN dp.line IS NOT NULL THEN 'the report lists this paymentId again (first on line ' || dp.line || ')'
                    WHEN o.id IS NULL THEN 'no payment order of this service has this id_trans'
                    WHEN o.gateway_payment_id IS NOT NULL AND o.gateway_payment_id <> s.payment_id THEN
                      'the order with this id_trans is paymentId ' || o.gateway_payment_id || ' at the gateway, not this one'
                    WHEN o.status = 'completed' AND o.amount = s.amount AND o.currency = s.currency THEN
                      CASE WHEN o.settlement_date IS DISTINCT FROM ?::date
                           THEN 'completed here with settlement date ' || coalesce(o.settlement_date::text, 'none') END
                    WHEN o.status = 'amount_mismatch' THEN
                      'flagged on notification: the gateway notified ' || coalesce(o.notified_amount::text, 'unknown') || ' ' ||
                      coalesce(o.notified_currency, 'unknown') || ' for an order of ' || o.amount || ' ' || o.currency || '; not credited'
                    WHEN o.status = 'completed' THEN
                      'the report says ' || s.amount || ' ' || s.currency || ', the payment credited here is ' || o.amount || ' ' || o.currency
                    ELSE 'the order is ' || o.status || ' here'
                  END AS detail
             FROM ${stage} s
             LEFT JOIN payment_orders o ON o.id_trans = s.id_trans
             LEFT JOIN ${repeats} dp
                    ON dp.payment_id = s.payment_id AND dp.line < s.line
         ) c`,
      [firstId, runId, date],
    );
  }

  /**
   * The payments of the date known here and absent from the report: completed ones are
   * missing_in_gateway, the ones flagged on notification (not credited) amount_mismatch.
   */
  async classifyLocalOnly(runId: number, stage: string, date: string): Promise<void> {
    await this.db.raw(
      `INSERT INTO reconciliation_items (run_id, category, payment_id, id_trans, local_amount, local_credited, order_id, detail)
       SELECT ?, CASE WHEN o.status = 'completed' THEN 'missing_in_gateway' ELSE 'amount_mismatch' END,
              o.gateway_payment_id, o.id_trans, o.amount, o.status = 'completed', o.id,
              CASE WHEN o.status = 'completed' THEN 'completed here, absent from the gateway''s report'
                   ELSE 'flagged on notification: the gateway notified ' || coalesce(o.notified_amount::text, 'unknown') || ' ' ||
                        coalesce(o.notified_currency, 'unknown') || ' for an order of ' || o.amount || ' ' || o.currency ||
                        '; absent from the report; not credited'
              END
         FROM payment_orders o
        WHERE o.settlement_date = ? AND o.status IN ('completed', 'amount_mismatch')
          AND NOT EXISTS (SELECT 1 FROM ${stage} s WHERE s.id_trans = o.id_trans)
        ORDER BY o.id_trans`,
      [runId, date],
    );
  }

  /** missing_locally items of known orders, to ask the gateway about; keyset by id. */
  async missingLocallyKnown(runId: number, afterId: number, limit: number): Promise<Item[]> {
    const rows = await this.db<ItemDbRow>('reconciliation_items')
      .where({ run_id: runId, category: 'missing_locally' })
      .whereNotNull('order_id')
      .whereNotNull('payment_id')
      .andWhere('id', '>', afterId)
      .orderBy('id')
      .limit(limit);
    return rows.map(mapItem);
  }

  async updateItem(runId: number, id: number, fields: Record<string, unknown>): Promise<void> {
    await this.db<ItemDbRow>('reconciliation_items').where({ run_id: runId, id }).update(fields);
  }

  /**
   * Counts and totals of a run. Only the discrepancies are read (through their partial index);
   * the matched rows are what the report has besides them. A matched row's local amount is its
   * report amount and is credited, so gatewayTotal is the report's total (duplicates included)
   * and localTotal the matched rows' amounts plus the discrepancies credited here.
   */
  async summarise(runId: number, report: { rows: number; total: string }): Promise<{ counts: Counts; gatewayTotal: string; localTotal: string }> {
    const { rows } = await this.db.raw<{ rows: { category: Category; n: unknown; report_rows: unknown; g: string; l: string }[] }>(
      `SELECT category, count(*) AS n, count(report_line) AS report_rows,
              coalesce(sum(gateway_amount), 0)::text AS g, coalesce(sum(local_amount) FILTER (WHERE local_credited), 0)::text AS l
         FROM reconciliation_items WHERE run_id = ? AND category <> 'matched' GROUP BY category`,
      [runId],
    );
    const counts = emptyCounts();
    let reportRowsElsewhere = 0;
    let matchedTotal = new Decimal(report.total);
    let credited = new Decimal(0);
    for (const r of rows) {
      counts[r.category] = toInt(r.n);
      reportRowsElsewhere += toInt(r.report_rows);
      matchedTotal = matchedTotal.minus(r.g);
      credited = credited.plus(r.l);
    }
    counts.matched = report.rows - reportRowsElsewhere;
    return { counts, gatewayTotal: new Decimal(report.total).toFixed(2), localTotal: matchedTotal.plus(credited).toFixed(2) };
  }

  /**
   * Makes a finished run the date's current result; the one before stays in the history. Notes
   * people wrote on the previous result carry over to the same items of this one.
   */
  async completeRun(
    trx: Knex.Transaction,
    run: { id: number; date: string },
    summary: { counts: Counts; gatewayTotal: string; localTotal: string; timingsMs: Record<string, number> },
    now: Date,
  ): Promise<void> {
    const previous = await trx<RunDbRow>('reconciliation_runs').where({ settlement_date: run.date, current: true }).forUpdate().first('id');
    if (previous) {
      await trx.raw(
        `UPDATE reconciliation_items n
            SET resolution = p.resolution, resolved_by = p.resolved_by, resolved_at = p.resolved_at
           FROM reconciliation_items p
          WHERE n.run_id = ? AND p.run_id = ? AND p.resolution IS NOT NULL AND p.resolved_by <> ?
            AND n.resolution IS NULL AND n.category = p.category AND n.id_trans = p.id_trans
            AND n.payment_id IS NOT DISTINCT FROM p.payment_id`,
        [run.id, previous.id, SYSTEM_ACTOR],
      );
      await trx<RunDbRow>('reconciliation_runs').where({ id: previous.id }).update({ current: false });
    }
    await trx<RunDbRow>('reconciliation_runs')
      .where({ id: run.id })
      .update({
        status: 'completed',
        current: true,
        finished_at: now,
        gateway_total: summary.gatewayTotal,
        local_total: summary.localTotal,
        // jsonb columns: sent as JSON text
        counts: JSON.stringify(summary.counts) as unknown as Counts,
        timings_ms: JSON.stringify(summary.timingsMs) as unknown as Record<string, number>,
      });
  }

  async runById(id: number): Promise<Run | undefined> {
    const row = await this.db<RunDbRow>('reconciliation_runs').where({ id }).first();
    return row ? mapRun(row) : undefined;
  }

  async currentRun(date: string): Promise<Run | undefined> {
    const row = await this.db<RunDbRow>('reconciliation_runs').where({ settlement_date: date, current: true }).first();
    return row ? mapRun(row) : undefined;
  }

  /** Every run of the date, newest first. */
  async runsOf(date: string): Promise<Run[]> {
    const rows = await this.db<RunDbRow>('reconciliation_runs').where({ settlement_date: date }).orderBy('id', 'desc');
    return rows.map(mapRun);
  }

  /** The current runs of a range of dates, newest date first. */
  async currentRuns(from: string | undefined, to: string | undefined, limit: number): Promise<Run[]> {
    const q = this.db<RunDbRow>('reconciliation_runs').where({ current: true });
    if (from) q.andWhere('settlement_date', '>=', from);
    if (to) q.andWhere('settlement_date', '<=', to);
    const rows = await q.orderBy('settlement_date', 'desc').limit(limit);
    return rows.map(mapRun);
  }

  async items(runId: number, filter: { categories?: Category[] | undefined; after?: number | undefined; limit: number }): Promise<Item[]> {
    const q = this.db<ItemDbRow>('reconciliation_items').where({ run_id: runId });
    if (filter.categories) q.whereIn('category', filter.categories);
    if (filter.after !== undefined) q.andWhere('id', '>', filter.after);
    const rows = await q.orderBy('id').limit(filter.limit);
    return rows.map(mapItem);
  }

  async item(runId: number, id: number): Promise<Item | undefined> {
    const row = await this.db<ItemDbRow>('reconciliation_items').where({ run_id: runId, id }).first();
    return row ? mapItem(row) : undefined;
  }

  /** The run an item of this date belongs to (any run of the date), if there is such an item. */
  async runOfItem(date: string, itemId: number): Promise<Run | undefined> {
    const row: RunDbRow | undefined = await this.db('reconciliation_items as i')
      .join('reconciliation_runs as r', 'r.id', 'i.run_id')
      .where({ 'r.settlement_date': date, 'i.id': itemId })
      .first('r.*');
    return row ? mapRun(row) : undefined;
  }

  async setResolution(runId: number, id: number, resolution: string, by: string, at: Date): Promise<Item | undefined> {
    const rows = await this.db<ItemDbRow>('reconciliation_items')
      .where({ run_id: runId, id })
      .update({ resolution, resolved_by: by, resolved_at: at })
      .returning('*');
    return rows[0] ? mapItem(rows[0]) : undefined;
  }

  /** gatewayTotal of the current reconciliation of each date (dates never reconciled are absent). */
  async gatewayTotals(dates: string[]): Promise<Map<string, string>> {
    if (dates.length === 0) return new Map();
    const rows = await this.db<RunDbRow>('reconciliation_runs').where({ current: true }).whereIn('settlement_date', dates).select('settlement_date', 'gateway_total');
    return new Map(rows.map((r) => [r.settlement_date, String(r.gateway_total)]));
  }

  // ---- the daily job's claims ------------------------------------------------------------

  /**
   * Claims the daily run of `date` for one instance: the first claim wins; a claim whose run
   * failed may be taken again after `retryBefore`, at most `maxAttempts` times in all.
   */
  async claimDaily(date: string, by: string, now: Date, retryBefore: Date, maxAttempts: number): Promise<boolean> {
    const { rows } = await this.db.raw<{ rows: unknown[] }>(
      `INSERT INTO reconciliation_daily AS d (settlement_date, claimed_by, claimed_at, attempts, done)
       VALUES (?, ?, ?, 1, false)
       ON CONFLICT (settlement_date) DO UPDATE
          SET claimed_by = EXCLUDED.claimed_by, claimed_at = EXCLUDED.claimed_at, attempts = d.attempts + 1
        WHERE NOT d.done AND d.claimed_at < ? AND d.attempts < ?
       RETURNING settlement_date`,
      [date, by, now, retryBefore, maxAttempts],
    );
    return rows.length > 0;
  }

  async finishDaily(date: string, outcome: { done: boolean; runId?: number | undefined; error?: string | undefined }): Promise<void> {
    await this.db<DailyDbRow>('reconciliation_daily')
      .where({ settlement_date: date })
      .update({ done: outcome.done, run_id: outcome.runId ?? null, last_error: outcome.error ?? null });
  }

  async dailyClaim(date: string): Promise<{ claimedBy: string; attempts: number; done: boolean; runId: number | null; lastError: string | null } | undefined> {
    const row = await this.db<DailyDbRow>('reconciliation_daily').where({ settlement_date: date }).first();
    return row
      ? { claimedBy: row.claimed_by, attempts: row.attempts, done: row.done, runId: row.run_id === null ? null : Number(row.run_id), lastError: row.last_error }
      : undefined;
  }
}
