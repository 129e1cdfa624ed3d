import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * `COPY … FROM STDIN` inside a knex transaction (PostgreSQL server only: PGlite's adapter has no
 * COPY from a client stream). `chunks` is COPY's text format, produced as it is read (never held
 * whole; a chunk may end anywhere, even inside a row). Answers the number of rows COPY took.
 */
export async function copyInTransaction(trx: Knex.Transaction, copySql: string, chunks: AsyncIterable<string | Buffer>): Promise<number> {
  // A transaction's client hands out the transaction's own connection (the driver's pg.Client).
  const client = trx.client as { acquireConnection(): Promise<{ query(stream: ReturnType<typeof copyFrom>): ReturnType<typeof copyFrom> }> };
  const connection = await client.acquireConnection();
  const copy = connection.query(copyFrom(copySql));
  await pipeline(Readable.from(chunks, { objectMode: false }), copy);
  return Number((copy as unknown as { rowCount: number }).rowCount);
}

const HAS_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIAL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One field in COPY's text format: `\N` for null, the four special characters escaped. */
export function copyField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  const text = String(value);
  return HAS_SPECIAL.test(text) ? text.replace(COPY_SPECIAL, (c) => COPY_ESCAPES[c]!) : text;
}

const COPY_ESCAPED = /\\(.)/gs;
const COPY_UNESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r' };

/**
 * One row of COPY's text format (without its newline) back into its fields, as `copyField` wrote
 * them: `\N` is null, `\t`, `\n`, `\r` and `\\` their characters.
 */
export function parseCopyRow(row: string): (string | null)[] {
  return row.split('\t').map((field) => {
    if (field === '\\N') return null;
    return field.includes('\\') ? field.replace(COPY_ESCAPED, (_, c: string) => COPY_UNESCAPES[c] ?? c) : field;
  });
}
