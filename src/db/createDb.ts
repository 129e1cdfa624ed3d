import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexLib, { type Knex } from 'knex';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';

// Business dates stay 'YYYY-MM-DD' strings; a JS Date would shift them by the process's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (v: string) => v);

export type DbKind = 'embedded' | 'server';

/**
 * The server mode's pool: twice the CPUs plus one (5 on a 2-core server). PostgreSQL runs at most
 * one statement per core at a time, and here it shares the cores with this process: more
 * connections only add backends switching on the same cores (and the memory of each), while a
 * request waiting for a connection in the pool costs nothing. Transactions are short and the
 * gateway is never called inside one, so a few connections keep the database busy.
 */
export const DEFAULT_POOL_MAX = 2 * os.availableParallelism() + 1;

// knex prints connection errors with stacks to the console; they also reach the caller as
// rejections, which the service reports in one line (main.ts) or logs with the request id.
const quietKnexLog = { warn() {}, error() {}, deprecate() {}, debug() {} };

export interface Database {
  knex: Knex;
  kind: DbKind;
  close(): Promise<void>;
  /** Embedded mode only: a copy of the whole database (tests start new instances from it). */
  dumpDataDir?: () => Promise<Blob>;
}

export interface CreateDbOptions {
  databaseUrl?: string | undefined;
  /** Embedded mode: where PGlite keeps its files. */
  dataDir?: string;
  /** Embedded mode: start from a dumped data directory instead of a directory on disk (tests). */
  loadDataDir?: Blob;
  /** Server mode: the schema every query runs in (tests use one schema per file). */
  schema?: string;
  /** Server mode: pool size (DEFAULT_POOL_MAX unless said). */
  poolMax?: number;
}

/**
 * One code path for both modes: knex's stock `pg` client. Without DATABASE_URL the connection is
 * PGlite's node-postgres adapter, a pool of exactly one connection, since PGlite runs one
 * transaction at a time.
 */
export async function createDb(options: CreateDbOptions): Promise<Database> {
  if (options.databaseUrl) {
    const knex = knexLib({
      client: 'pg',
      connection: options.databaseUrl,
      pool: { min: 0, max: options.poolMax ?? DEFAULT_POOL_MAX },
      acquireConnectionTimeout: 10_000,
      log: quietKnexLog,
      ...(options.schema ? { searchPath: [options.schema] } : {}),
    });
    return { knex, kind: 'server', close: () => knex.destroy() };
  }

  let pglite: PGlite;
  if (options.loadDataDir) {
    pglite = await PGlite.create({ loadDataDir: options.loadDataDir });
  } else {
    if (!options.dataDir) throw new Error('createDb: dataDir is required without DATABASE_URL');
    const dir = path.join(options.dataDir, 'pgdata');
    fs.mkdirSync(dir, { recursive: true });
    pglite = await PGlite.create(dir);
  }
  const knex = knexLib({
    client: 'pg',
    connection: createPgConfig(pglite) as unknown as Knex.PgConnectionConfig,
    // One connection, never recycled: it is the in-process database itself.
    pool: { min: 1, max: 1, idleTimeoutMillis: 2_147_483_647 },
    acquireConnectionTimeout: 60_000,
    log: quietKnexLog,
  });
  return {
    knex,
    kind: 'embedded',
    dumpDataDir: () => pglite.dumpDataDir('none'),
    async close() {
      await knex.destroy();
      await pglite.close();
    },
  };
}

/** `count(*)` and bigint sums come back as strings from pg: normalise at the store edge. */
export function toInt(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' || typeof value === 'bigint') return Number(value);
  return 0;
}

export type Queryable = Knex | Knex.Transaction;
