/**
 * The rows of one settlement report, staged for the matching in SQL as `reconciliation_stage_{runId}`.
 *
 * On a PostgreSQL server the verified report file goes in as it is, with one COPY (FORMAT csv)
 * into an UNLOGGED text table `reconciliation_raw_{runId}` (scratch data, rebuilt from the
 * gateway's report on any rerun, so it skips the write-ahead log); one set-based query then finds
 * the first row that breaks the agreed format, and the stage is a view that types the columns.
 * Nothing is parsed row by row in Node. The embedded database (PGlite, no COPY through its
 * adapter) gets a typed stage table filled with multi-row INSERTs from the parsed rows. Either way
 * at most one batch of rows is in memory.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import { from as copyFrom } from 'pg-copy-streams';
import type { DbKind } from '../db/createDb.js';
import { SettlementReportFormatError, type SettlementReportRow } from '../gateway/index.js';

const STAGE_PREFIX = 'reconciliation_stage_';
const RAW_PREFIX = 'reconciliation_raw_';
const REPORT_HEADER = 'paymentId,id_trans,amount,currency,paid_at,settlement_date';
const INSERT_BATCH = 2000;
const COPY_CHUNK_CHARS = 256 * 1024;

export function stageTable(runId: number): string {
  if (!Number.isSafeInteger(runId) || runId <= 0) throw new TypeError(`bad run id ${runId}`);
  return `${STAGE_PREFIX}${runId}`;
}

export async function createStage(knex: Knex, runId: number): Promise<string> {
  const table = stageTable(runId);
  await knex.raw(`DROP TABLE IF EXISTS ${table}`);
  // id_trans has payment_orders' type (char(10)), so the join can use its unique index.
  await knex.raw(
    `CREATE UNLOGGED TABLE ${table} (line integer NOT NULL, payment_id text NOT NULL, id_trans char(10) NOT NULL,
       amount numeric(14,2) NOT NULL, currency char(3) NOT NULL)`,
  );
  return table;
}

export async function dropStage(knex: Knex, runId: number): Promise<void> {
  const table = stageTable(runId);
  // The stage is a table (embedded) or a view over the raw COPY table (server).
  const { rows } = await knex.raw<{ rows: { relkind: string }[] }>(
    `SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = ?`,
    [table],
  );
  if (rows[0]?.relkind === 'v') await knex.raw(`DROP VIEW IF EXISTS ${table}`);
  else await knex.raw(`DROP TABLE IF EXISTS ${table}`);
  await knex.raw(`DROP TABLE IF EXISTS ${RAW_PREFIX}${runId}`);
}

/** Stage tables (and raw COPY tables) left behind by runs that no longer run (a process killed mid-run). */
export async function stageTablesOf(knex: Knex): Promise<number[]> {
  const { rows } = await knex.raw<{ rows: { relname: string }[] }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v')
        AND (c.relname LIKE 'reconciliation\\_stage\\_%' OR c.relname LIKE 'reconciliation\\_raw\\_%')`,
  );
  const ids = rows.map((r) => Number(r.relname.startsWith(STAGE_PREFIX) ? r.relname.slice(STAGE_PREFIX.length) : r.relname.slice(RAW_PREFIX.length)));
  return [...new Set(ids.filter((n) => Number.isSafeInteger(n) && n > 0))];
}

/** COPY's text format: only a backslash can need escaping in the validated fields. */
function copyField(value: string): string {
  return value.includes('\\') ? value.replace(/\\/g, '\\\\') : value;
}

/** Loads the rows into the stage table; answers how many were loaded. */
export async function loadStage(knex: Knex, kind: DbKind, table: string, rows: AsyncIterable<SettlementReportRow>): Promise<number> {
  return kind === 'server' ? copyRows(knex, table, rows) : insertRows(knex, table, rows);
}

async function insertRows(knex: Knex, table: string, rows: AsyncIterable<SettlementReportRow>): Promise<number> {
  let batch: { line: number; payment_id: string; id_trans: string; amount: string; currency: string }[] = [];
  let count = 0;
  for await (const row of rows) {
    batch.push({ line: row.line, payment_id: row.paymentId, id_trans: row.idTrans, amount: row.amount, currency: row.currency });
    if (batch.length >= INSERT_BATCH) {
      await knex(table).insert(batch);
      count += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) {
    await knex(table).insert(batch);
    count += batch.length;
  }
  return count;
}

interface CopyableConnection {
  query(stream: ReturnType<typeof copyFrom>): ReturnType<typeof copyFrom>;
}

/** knex's pool, for COPY: it needs the driver's own connection (borrowed and given back). */
interface ConnectionPool {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

function poolOf(knex: Knex): ConnectionPool {
  return knex.client as ConnectionPool;
}

async function copyRows(knex: Knex, table: string, rows: AsyncIterable<SettlementReportRow>): Promise<number> {
  let count = 0;
  async function* chunks(): AsyncGenerator<string> {
    let chunk = '';
    for await (const row of rows) {
      chunk += `${row.line}\t${copyField(row.paymentId)}\t${row.idTrans}\t${row.amount}\t${row.currency}\n`;
      count += 1;
      if (chunk.length >= COPY_CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk !== '') yield chunk;
  }
  // COPY needs the driver's own connection: borrowed from knex's pool and given back after.
  const connection = (await poolOf(knex).acquireConnection()) as CopyableConnection;
  try {
    const copy = connection.query(copyFrom(`COPY ${table} (line, payment_id, id_trans, amount, currency) FROM STDIN`));
    await pipeline(Readable.from(chunks()), copy);
  } finally {
    await poolOf(knex).releaseConnection(connection);
  }
  return count;
}

interface PgError {
  code?: string;
  message?: string;
  where?: string;
}

/**
 * Server only: stages a verified report file with one COPY and checks its rows in SQL (the same
 * rules and messages as readSettlementReport). Answers the number of rows; throws
 * SettlementReportFormatError naming the first bad line.
 */
export async function copyReportFile(knex: Knex, runId: number, file: string, expectedDate: string): Promise<number> {
  const stage = stageTable(runId);
  const raw = `${RAW_PREFIX}${runId}`;
  await checkHeader(file);
  await knex.raw(`DROP VIEW IF EXISTS ${stage}`);
  await knex.raw(`DROP TABLE IF EXISTS ${stage}`);
  await knex.raw(`DROP TABLE IF EXISTS ${raw}`);
  // line: the file's line number (the header is line 1), in the order COPY reads the rows.
  await knex.raw(
    `CREATE UNLOGGED TABLE ${raw} (line integer GENERATED ALWAYS AS IDENTITY (START WITH 2), payment_id text, id_trans text,
       amount text, currency text, paid_at text, settlement_date text)`,
  );
  const connection = (await poolOf(knex).acquireConnection()) as CopyableConnection;
  let rows: number;
  try {
    const copy = connection.query(
      copyFrom(`COPY ${raw} (payment_id, id_trans, amount, currency, paid_at, settlement_date) FROM STDIN (FORMAT csv, HEADER true)`),
    );
    await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), copy);
    rows = Number((copy as unknown as { rowCount: number }).rowCount);
  } catch (err) {
    const e = err as PgError;
    if (e.code?.startsWith('22')) {
      // 22P04 bad copy file format, 22021 bad bytes, 22001 too long...: the report's fault.
      const line = /line (\d+)/.exec(e.where ?? '')?.[1];
      throw new SettlementReportFormatError(line ? Number(line) : 0, `the report cannot be read as CSV (${e.message ?? 'COPY failed'})`);
    }
    throw err;
  } finally {
    await poolOf(knex).releaseConnection(connection);
  }
  const { rows: bad } = await knex.raw<{ rows: { line: number; problem: string }[] }>(
    `SELECT line, problem FROM (
       SELECT line, CASE
         -- (a bounded repetition such as {1,128} costs PostgreSQL's regex engine ten times more)
         WHEN payment_id IS NULL OR length(payment_id) > 128 OR payment_id = '' OR payment_id ~ '[^!-~]'
           THEN 'paymentId must be 1 to 128 printable ASCII characters'
         WHEN id_trans IS NULL OR id_trans !~ '^[0-9]{10}$' THEN 'id_trans must be 10 digits'
         WHEN amount IS NULL OR amount !~ '^(0|[1-9][0-9]{0,11})\\.[0-9]{2}$' THEN 'amount must look like "123.45"'
         WHEN currency IS NULL OR currency !~ '^[A-Z]{3}$' THEN 'currency must be a 3-letter code'
         WHEN paid_at IS NULL OR paid_at !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9}){0,1}(Z|[+-][0-9]{2}:[0-9]{2})$'
           THEN 'paid_at must be an ISO instant'
         WHEN settlement_date IS NULL OR settlement_date !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN 'settlement_date must be YYYY-MM-DD'
         WHEN settlement_date <> ? THEN 'settlement_date ' || settlement_date || ' is not the report''s date ' || ?
       END AS problem
       FROM ${raw}) checked
     WHERE problem IS NOT NULL ORDER BY line LIMIT 1`,
    [expectedDate, expectedDate],
  );
  if (bad[0]) throw new SettlementReportFormatError(Number(bad[0].line), bad[0].problem);
  // The matching reads typed columns, as from the embedded database's stage table.
  await knex.raw(
    `CREATE VIEW ${stage} AS SELECT line, payment_id, id_trans::char(10) AS id_trans, amount::numeric(14,2) AS amount,
       currency::char(3) AS currency FROM ${raw}`,
  );
  await analyzeStage(knex, raw);
  return rows;
}

/** The first line must be the agreed header (a UTF-8 BOM before it is allowed). */
async function checkHeader(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(256);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    let text = buf.subarray(0, bytesRead).toString('utf8');
    if (text.startsWith('\uFEFF')) text = text.slice(1);
    if (bytesRead === 0) throw new SettlementReportFormatError(1, 'the report is empty, the header row is missing');
    const first = text.split('\n')[0]!.replace(/\r$/, '');
    if (first !== REPORT_HEADER) throw new SettlementReportFormatError(1, `header must be ${REPORT_HEADER}`);
  } finally {
    await handle.close();
  }
}

/**
 * Fresh statistics, so the planner picks hash joins for a big report and index lookups for a small
 * one. The row count is what matters: a sample of 3,000 rows (statistics target 10) gives it at a
 * tenth of the default's cost (which reads 30,000 rows, every page of a million-row stage).
 */
export async function analyzeStage(knex: Knex, table: string): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx.raw('SET LOCAL default_statistics_target = 10');
    await trx.raw(`ANALYZE ${table}`);
  });
}
