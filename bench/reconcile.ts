/**
 * `npm run bench:reconcile`: the reconciliation of a settlement report of ROWS rows (1,000,000
 * unless BENCH_ROWS says otherwise) on PostgreSQL, against as many completed payments, through
 * the HTTP API (POST /api/reconciliation/{date} as accounting). The report is generated and signed
 * by the mock gateway, served over HTTP, verified while it downloads, streamed into the database
 * and matched in SQL. Printed: the time, its phases, the peak resident memory of the process, and
 * the time of a plain COPY of the same CSV file into a table on the same server, with the ratio.
 *
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) gets a throw-away schema.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import pino from 'pino';
import { createMockGateway, syntheticRows } from '../mocks/paybynet/app.js';
import { createApp } from '../src/app.js';
import { warsawDate } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createScratchSchemaDb } from '../src/db/scratchSchema.js';
import { migrateLatest } from '../src/db/migrate.js';
import { createDeps } from '../src/deps.js';
import { previousDate } from '../src/reconciliation/index.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TARGET_SECONDS = 20;
const TARGET_MB = 300;

const seconds = (startedNs: bigint) => Number(process.hrtime.bigint() - startedNs) / 1e9;
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main() {
  const db = await createScratchSchemaDb(url, { prefix: 'bench', poolMax: 10 });
  const schema = db.schema;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibok-bench-'));
  const servers: http.Server[] = [];
  const logger = pino({ level: 'silent' });
  let gateway: ReturnType<typeof createMockGateway> | undefined;
  try {
    await migrateLatest(db.knex);
    const k = db.knex;
    const date = previousDate(warsawDate(new Date()));

    // The service listens first: the mock gateway fetches the merchant's keys from it.
    let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
    const server = http.createServer((req, res) => handler(req, res));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const serviceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    gateway = createMockGateway({ logger, merchantJwksUrl: `${serviceUrl}/.well-known/jwks.json` });
    const gatewayUrl = (await gateway.listen(0, '127.0.0.1')).url;
    const config = loadConfig({ DATA_DIR: dataDir, GATEWAY_URL: gatewayUrl, DATABASE_URL: url, LOG_LEVEL: 'silent', PUBLIC_URL: serviceUrl });
    const deps = await createDeps(config, db, { logger, gatewayTimeoutMs: 30_000 });
    handler = createApp(deps).callback();

    log(`setting up ${ROWS} completed payments settled on ${date} in schema ${schema}...`);
    let t = process.hrtime.bigint();
    const [customer] = (await k('customers')
      .insert({ customer_number: 'BENCH', name: 'Bench', street: 'ul. Testowa 1', postal_code: '32-600', city: 'Oświęcim' })
      .returning<{ id: string }[]>('id'));
    // The same ids as the mock's synthetic report rows: paymentId SYN000000001, id_trans 9000000001...
    await k.raw(
      `INSERT INTO payment_orders (id, customer_id, id_trans, amount, currency, status, gateway_status, gateway_payment_id, title,
                                   date_valid, idempotency_key, request_hash, notified_amount, notified_currency, paid_at,
                                   settlement_date, created_at, updated_at)
       SELECT gen_random_uuid(), ?, (9000000000 + i)::text, 10.00, 'PLN', 'completed', 2203, 'SYN' || lpad(i::text, 9, '0'),
              'Zaplata za fakture', now(), 'bench-' || i, 'bench', 10.00, 'PLN', now(), ?::date, now(), now()
         FROM generate_series(1, ?) AS i`,
      [customer!.id, date, ROWS],
    );
    await k.raw('ANALYZE payment_orders');
    log(`  payments inserted in ${seconds(t).toFixed(1)} s`);

    gateway.controls.setReportSource(date, () => syntheticRows(date, ROWS, '10.00', 'SYN'));
    // The mock builds and signs the report on the first request; this download also leaves the
    // exact CSV for the COPY comparison.
    t = process.hrtime.bigint();
    const csvFile = path.join(dataDir, `report-${date}.csv`);
    const download = await deps.gateway.fetchSettlementReport(date, csvFile);
    log(`  report generated, signed and downloaded once (verified): ${download.rows} rows, ${(download.bytes / 1024 / 1024).toFixed(1)} MiB in ${seconds(t).toFixed(1)} s`);

    await deps.auth.ensureStaff('bench-accounting', 'bench-accounting-password', 'accounting');
    const login = (await (
      await fetch(`${serviceUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: 'bench-accounting', password: 'bench-accounting-password' }),
      })
    ).json()) as { accessToken: string };

    log('reconciling...');
    t = process.hrtime.bigint();
    const res = await fetch(`${serviceUrl}/api/reconciliation/${date}`, { method: 'POST', headers: { authorization: `Bearer ${login.accessToken}` } });
    const report = (await res.json()) as {
      counts: Record<string, number>;
      gatewayTotal: string;
      localTotal: string;
      timingsMs: Record<string, number>;
      error?: unknown;
    };
    const reconcileSeconds = seconds(t);
    if (res.status !== 200) throw new Error(`reconciliation answered ${res.status}: ${JSON.stringify(report)}`);
    const peakMb = process.resourceUsage().maxRSS / 1024;

    // The baseline: the same CSV into a table by COPY, the fastest way into PostgreSQL.
    await k.raw(`CREATE TABLE ${schema}.copy_baseline (payment_id text, id_trans text, amount numeric(14,2), currency text,
                   paid_at timestamptz, settlement_date date)`);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    t = process.hrtime.bigint();
    await pipeline(
      fs.createReadStream(csvFile, { highWaterMark: 256 * 1024 }),
      client.query(copyFrom(`COPY ${schema}.copy_baseline FROM STDIN (FORMAT csv, HEADER true)`)),
    );
    const copySeconds = seconds(t);
    await client.end();

    const ok = report.counts.matched === ROWS && report.gatewayTotal === report.localTotal;
    log(
      [
        `database:              PostgreSQL (${new URL(url).host})`,
        `report:                ${ROWS} rows, ${(download.bytes / 1024 / 1024).toFixed(1)} MiB, signed (ES256, detached JWS)`,
        `result:                ${JSON.stringify(report.counts)}; gatewayTotal ${report.gatewayTotal}, localTotal ${report.localTotal}${ok ? '' : '  <-- UNEXPECTED'}`,
        `reconciliation:        ${reconcileSeconds.toFixed(2)} s (target ≤ ${TARGET_SECONDS} s)`,
        `  phases (ms):         ${['download', 'load', 'match', 'resolve', 'summarise'].map((p) => `${p} ${report.timingsMs[`${p}Ms`] ?? '?'}`).join(', ')}`,
        `peak RSS:              ${peakMb.toFixed(0)} MB (whole process: service and mock gateway; target ≤ ${TARGET_MB} MB)`,
        `plain COPY of the CSV: ${copySeconds.toFixed(2)} s`,
        `ratio:                 ${(reconcileSeconds / copySeconds).toFixed(1)} × the plain COPY`,
      ].join('\n'),
    );
    if (!ok) throw new Error('the reconciliation did not match every row');
  } finally {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    await gateway?.close();
    await db.close(); // drops the schema
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
