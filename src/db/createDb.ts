import fs from 'node:fs';
import { createRequire } from 'node:module';
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
 * PGlite's start parameters with a smaller buffer cache. initdb writes PostgreSQL's default
 * `shared_buffers = 128MB` into postgresql.conf, and PGlite zeroes all of it inside its WebAssembly
 * memory at every start: about 120 MB of resident memory and a fifth of a restart's time for a
 * cache that one process on a service-sized database does not need (the demo database is 12 MB, the
 * system catalogue included; the operating system caches the files below it). A parameter here beats the one in the
 * file, so databases created before this setting get it too.
 */
const embeddedStartParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * An empty database cluster made once by `npm install` (prepare: src/cli/prepareEmbedded.ts), so
 * that a first start copies 40 MB of files instead of running PGlite's initdb (about 3 s of CPU and
 * 450 MB of WebAssembly memory that stays with the process). Kept in node_modules/.cache, under
 * PGlite's version: a new PGlite makes a new one, and without one a first start runs initdb as before.
 */
export function emptyClusterTemplateDir(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const packageDir = entry.slice(0, entry.lastIndexOf(`${path.sep}dist${path.sep}`));
  const { version } = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return path.join(packageDir, '..', '..', '.cache', 'ibok-payments', `pglite-${version}-empty-cluster`);
}

/** Creates the template (a cleanly stopped, empty cluster); true when it was missing. */
export async function makeEmptyClusterTemplate(): Promise<boolean> {
  const target = emptyClusterTemplateDir();
  if (fs.existsSync(path.join(target, 'PG_VERSION'))) return false;
  const staging = `${target}.${process.pid}.tmp`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  const pglite = await PGlite.create({ dataDir: staging, startParams: embeddedStartParams });
  await pglite.close();
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(staging, target); // whole or not at all
  return true;
}

/**
 * A new DATA_DIR gets its cluster by copy from the template, when there is one. The copy goes to a
 * staging folder renamed into place, so an interrupted first start leaves no half a cluster.
 */
function copyEmptyClusterInto(dir: string): void {
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) return; // an existing cluster, or something to leave to PGlite
  const template = emptyClusterTemplateDir();
  if (!fs.existsSync(path.join(template, 'PG_VERSION'))) return;
  const staging = `${dir}.${process.pid}.tmp`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.cpSync(template, staging, { recursive: true });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(staging, dir);
}

const SYNC = 0x53; // 'S': ends every extended-protocol statement
const SIMPLE_QUERY = 0x51; // 'Q'

/**
 * PGlite runs in this thread and answers through promise callbacks only, so a run of statements
 * (a job, pg-boss starting up) never lets the event loop accept a connection: the first /healthz
 * after listen waited ~1 s for the job runner's start. Letting the loop turn (setImmediate) once
 * per statement keeps the service answering meanwhile. The node-postgres adapter uses only
 * `waitReady` and `execProtocolStream` of the instance it is given.
 */
function yieldingBetweenStatements(pglite: PGlite): PGlite {
  const view: Pick<PGlite, 'waitReady' | 'execProtocolStream'> = {
    waitReady: pglite.waitReady,
    async execProtocolStream(message, options) {
      if (message[0] === SYNC || message[0] === SIMPLE_QUERY) await new Promise((resolve) => setImmediate(resolve));
      return pglite.execProtocolStream(message, options);
    },
  };
  return view as PGlite;
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
    pglite = await PGlite.create({ loadDataDir: options.loadDataDir, startParams: embeddedStartParams });
  } else {
    if (!options.dataDir) throw new Error('createDb: dataDir is required without DATABASE_URL');
    const dir = path.join(options.dataDir, 'pgdata');
    copyEmptyClusterInto(dir);
    fs.mkdirSync(dir, { recursive: true });
    pglite = await PGlite.create({ dataDir: dir, startParams: embeddedStartParams });
  }
  const knex = knexLib({
    client: 'pg',
    connection: createPgConfig(yieldingBetweenStatements(pglite)) as unknown as Knex.PgConnectionConfig,
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
