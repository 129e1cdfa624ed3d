import fs from 'node:fs';
import path from 'node:path';
import knexLib, { type Knex } from 'knex';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';

// Business dates stay 'YYYY-MM-DD' strings; a JS Date would shift them by the process's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (v: string) => v);

export type DbKind = 'embedded' | 'server';

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
  /** Server mode: pool size. */
  poolMax?: number;
}

/**
 * PGlite's start parameters with a smaller buffer cache. initdb writes PostgreSQL's default
 * `shared_buffers = 128MB` into postgresql.conf, and PGlite zeroes all of it inside its WebAssembly
 * memory at every start: about 120 MB of resident memory and a fifth of a restart's time for a
 * cache that one process on a service-sized database does not need (the demo database is 12 MB, the
 * system catalogue included; the operating system caches the files below it). A parameter here beats the one in the
 * file, so databases created before this setting get it too.
 */
const embeddedStartParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

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
      pool: { min: 0, max: options.poolMax ?? 10 },
      acquireConnectionTimeout: 10_000,
      log: quietKnexLog,
      ...(options.schema ? { searchPath: [options.schema] } : {}),
    });
    return { knex, kind: 'server', close: () => knex.destroy() };
  }

  let pglite: PGlite;
  if (options.loadDataDir) {
    pglite = await PGlite.create({ loadDataDir: options.loadDataDir, startParams: embeddedStartParams });
  } else {
    if (!options.dataDir) throw new Error('createDb: dataDir is required without DATABASE_URL');
    const dir = path.join(options.dataDir, 'pgdata');
    fs.mkdirSync(dir, { recursive: true });
    pglite = await PGlite.create({ dataDir: dir, startParams: embeddedStartParams });
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
