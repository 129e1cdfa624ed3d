/**
 * The rows of one settlement report, staged in a table of their own for the matching in SQL.
 *
 * A run creates `reconciliation_stage_{runId}` (UNLOGGED: it is scratch data, rebuilt from the
 * gateway's report on any rerun, so it skips the write-ahead log), fills it from the report as a
 * stream and drops it at the end. On a PostgreSQL server the rows go in with COPY; the embedded
 * database (PGlite, no COPY through its adapter) gets multi-row INSERTs. Either way at most one
 * batch of rows is in memory.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import { from as copyFrom } from 'pg-copy-streams';
import type { DbKind } from '../db/createDb.js';
import type { SettlementReportRow } from '../gateway/index.js';

const STAGE_PREFIX = 'reconciliation_stage_';
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
  await knex.raw(`DROP TABLE IF EXISTS ${stageTable(runId)}`);
}

/** Stage tables left behind by runs that no longer run (a process killed mid-run). */
export async function stageTablesOf(knex: Knex): Promise<number[]> {
  const { rows } = await knex.raw<{ rows: { tablename: string }[] }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'reconciliation\\_stage\\_%'`,
  );
  return rows.map((r) => Number(r.tablename.slice(STAGE_PREFIX.length))).filter((n) => Number.isSafeInteger(n) && n > 0);
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
  const connection = (await knex.client.acquireConnection()) as CopyableConnection;
  try {
    const copy = connection.query(copyFrom(`COPY ${table} (line, payment_id, id_trans, amount, currency) FROM STDIN`));
    await pipeline(Readable.from(chunks()), copy);
  } finally {
    await knex.client.releaseConnection(connection);
  }
  return count;
}

/** Fresh statistics, so the planner picks hash joins for a big report and index lookups for a small one. */
export async function analyzeStage(knex: Knex, table: string): Promise<void> {
  await knex.raw(`ANALYZE ${table}`);
}
