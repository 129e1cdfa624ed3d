/**
 * `npm run bench` (`-- --quick` for a short run): the service's throughput and latency next to
 * what the machine allows, in one run, first on PostgreSQL (DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test, a throw-away schema), then on the embedded database.
 *
 * The service runs in this process; the clients run in a child process (bench/load.ts), 32
 * keep-alive connections on loopback, each row bounded in time. Rows:
 *   baselines: Koa hello; Koa + `SELECT 1`; pgbench of the completion notification's own SQL
 *   transaction (PostgreSQL, when pgbench is installed);
 *   the service: billing feed invoices one by one and in bulk (one NDJSON request), payment creation with the mock gateway,
 *   completion notifications (each delivered twice, credited once), GET /api/settlements
 *   (20 invoices + 20 payments), GET /api/invoices/{n}, GET /api/meters/{serial}, the web
 *   office's /rozrachunki with a session cookie; on PostgreSQL, reconciliation of a 1,000,000-row
 *   report (100,000 with --quick, bench/reconcile.ts in a child process) against a plain COPY.
 *
 * Options: --quick, --only=name[,name] (row names below), --server-only, --embedded-only,
 * --queries (count the SQL statements per request of each row, with knex's 'query' event),
 * --duration=ms (per row).
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import Koa from 'koa';
import pg from 'pg';
import pino from 'pino';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDb, DEFAULT_POOL_MAX, type Database } from '../src/db/createDb.js';
import { migrateLatest } from '../src/db/migrate.js';
import { createScratchSchemaDb } from '../src/db/scratchSchema.js';
import { createDeps, type Deps } from '../src/deps.js';
import { createMockGateway } from '../mocks/paybynet/app.js';
import type { LoadJob, LoadRequest, LoadResult } from './load.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const QUICK = flag('quick');
const ONLY = option('only')?.split(',');
const COUNT_QUERIES = flag('queries');
const DURATION_MS = Number(option('duration') ?? (QUICK ? 1500 : 4000));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BILLING_TOKEN = 'bench-billing-token-0123456789abcdef';
const here = path.dirname(fileURLToPath(import.meta.url));

interface Row {
  db: string;
  name: string;
  what: string;
  rate: number;
  p50: number;
  p99: number;
  /** The row this one is compared with (its rate), by name. */
  against?: string;
  /** Requests per unit of the baseline (notifications: 2 deliveries per completion transaction). */
  perUnit?: number;
  note?: string;
}
const rows: Row[] = [];
const wanted = (name: string) => !ONLY || ONLY.includes(name);

// ---- the load generator child -------------------------------------------------------------

let loader: ChildProcess | undefined;
function load(job: Omit<LoadJob, 'connections' | 'durationMs'> & { durationMs?: number }): Promise<LoadResult> {
  loader ??= fork(path.join(here, 'load.js'), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const child = loader;
  return new Promise((resolve, reject) => {
    child.once('message', (m: { ok: boolean; result?: LoadResult; error?: string }) => (m.ok ? resolve(m.result!) : reject(new Error(m.error))));
    child.send({ connections: CONNECTIONS, durationMs: DURATION_MS, ...job });
  });
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—';
}

async function measure(db: string, name: string, what: string, job: Parameters<typeof load>[0], extra: Partial<Row> = {}, counter?: QueryCounter): Promise<LoadResult> {
  counter?.reset();
  // The service's own CPU time (user + system) per request: steadier than the rate on a busy machine.
  const cpuBefore = process.cpuUsage();
  const r = await load(job);
  const cpu = process.cpuUsage(cpuBefore);
  if (r.errors) throw new Error(`${db} ${name}: ${r.errors} of ${r.requests} requests failed; first: ${r.firstError}`);
  const cpuPerRequest = r.requests ? ` ${fmt((cpu.user + cpu.system) / 1000 / r.requests, 2)} ms CPU/request` : '';
  const perRequest = (counter && r.requests ? ` ${fmt(counter.count / r.requests, 1)} queries/request;` : '') + cpuPerRequest;
  rows.push({ db, name, what, rate: r.rate, p50: r.p50, p99: r.p99, ...extra, ...(perRequest ? { note: `${extra.note ? `${extra.note};` : ''}${perRequest}` } : {}) });
  process.stdout.write(`  ${db} ${name}: ${fmt(r.rate)}/s p50 ${fmt(r.p50, 1)} ms p99 ${fmt(r.p99, 1)} ms (${r.requests} requests)${perRequest}\n`);
  return r;
}

interface QueryCounter {
  count: number;
  reset(): void;
}
function countQueries(deps: Deps): QueryCounter | undefined {
  if (!COUNT_QUERIES) return undefined;
  const counter = { count: 0, armed: false, reset() { counter.count = 0; counter.armed = true; } };
  // BENCH_TRACE=n prints the first n statements of each row (what a request runs, in order).
  const trace = Number(process.env.BENCH_TRACE ?? 0);
  deps.db.knex.on('query', (q: { sql: string }) => {
    counter.count += 1;
    if (counter.armed && counter.count <= trace) process.stdout.write(`    sql: ${q.sql.slice(0, 400)}\n`);
  });
  return counter;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => unknown;
async function listen(handler: Handler): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
function stop(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

// ---- baselines -----------------------------------------------------------------------------

async function koaHello(): Promise<void> {
  const app = new Koa();
  app.use((ctx) => {
    ctx.body = { hello: 'world' };
  });
  const { server, url: base } = await listen(app.callback());
  try {
    await measure('—', 'koa-hello', 'Koa hello (JSON)', { url: base, requests: [{ method: 'GET', path: '/' }], repeat: true, okStatuses: [200] });
  } finally {
    await stop(server);
  }
}

/** Koa answering each request with one `SELECT 1`: a plain pg pool on a server, knex on PGlite. */
async function koaSelect1(dbLabel: string, query: () => Promise<unknown>, what: string): Promise<void> {
  const app = new Koa();
  app.use(async (ctx) => {
    await query();
    ctx.body = { ok: true };
  });
  const { server, url: base } = await listen(app.callback());
  try {
    await measure(dbLabel, 'koa-select1', what, { url: base, requests: [{ method: 'GET', path: '/' }], repeat: true, okStatuses: [200] });
  } finally {
    await stop(server);
  }
}

/**
 * pgbench of the statements one completion notification runs in its transaction, in the
 * service's order and shapes (src/payments applyGatewayStatus, src/ledger recordCredit): lock the
 * order and record the event; lock the customer and insert the credit; read the outstanding
 * target invoices; insert the allocation; complete the order, release its invoices and append
 * its history. On the bench schema's own tables and rows, with the extended query protocol the
 * service's driver uses; the values one statement answers feed the next (\gset), as in the service.
 */
async function pgbenchNotification(schema: string, orderCount: number): Promise<void> {
  const bin = await promisify(execFile)('sh', ['-c', 'command -v pgbench']).then((r) => r.stdout.trim(), () => '');
  if (!bin) {
    rows.push({ db: 'PostgreSQL', name: 'pgbench', what: 'pgbench: notification transaction', rate: NaN, p50: NaN, p99: NaN, note: 'skipped: pgbench is not installed (postgresql-contrib)' });
    return;
  }
  const script = path.join(os.tmpdir(), `ibok-bench-${process.pid}.sql`);
  const order = `'9' || lpad(:n::text, 9, '0')`;
  fs.writeFileSync(
    script,
    [
      `\\set n random(1, ${orderCount})`,
      'BEGIN;',
      `WITH o AS (SELECT * FROM payment_orders WHERE id_trans = ${order} FOR UPDATE), e AS (INSERT INTO payment_events (event_id, order_id, id_trans, gateway_status, received_at) SELECT gen_random_uuid()::text, (SELECT id FROM o), ${order}, 2203, now() ON CONFLICT (event_id) DO NOTHING RETURNING event_id) SELECT o.id AS order_id, o.customer_id, o.amount, ARRAY(SELECT invoice_id FROM payment_order_invoices WHERE order_id = o.id ORDER BY invoice_id) AS invoice_ids, (SELECT count(*) FROM e) AS fresh FROM (SELECT 1) AS one LEFT JOIN o ON true \\gset`,
      `WITH locked AS (SELECT id FROM customers WHERE id = :customer_id::bigint FOR UPDATE) INSERT INTO ledger_credits (customer_id, kind, source, source_ref, document_number, amount, received_on, has_invoice_target) SELECT :customer_id::bigint, 'payment', 'pgbench', gen_random_uuid()::text, 'PBN/' || ${order}, :amount::numeric, current_date, true FROM (SELECT count(*) AS n FROM locked) AS l WHERE l.n >= 0 ON CONFLICT (source, source_ref) DO NOTHING RETURNING id AS credit_id \\gset`,
      `SELECT i.id, i.invoice_number, i.kind, i.issue_date, i.due_date, i.amount, i.currency, coalesce(a.paid, 0) AS paid, a.last_paid_on FROM invoices i LEFT JOIN LATERAL (SELECT sum(la.amount) AS paid, max(c.received_on) AS last_paid_on FROM ledger_allocations la JOIN ledger_credits c ON c.id = la.credit_id WHERE la.invoice_id = i.id) a ON true WHERE i.customer_id = :customer_id::bigint AND i.amount > 0 AND i.amount > coalesce(a.paid, 0) AND i.id = ANY(:invoice_ids::bigint[]) ORDER BY i.due_date, i.issue_date, i.id;`,
      `INSERT INTO ledger_allocations (credit_id, invoice_id, amount) SELECT * FROM unnest(ARRAY[:credit_id::bigint], :invoice_ids::bigint[], ARRAY[:amount::numeric]);`,
      `WITH u AS (UPDATE payment_orders SET status = 'completed', gateway_status = 2203, notified_amount = amount, notified_currency = 'PLN', paid_at = now(), settlement_date = current_date, updated_at = now() WHERE id = :order_id RETURNING *), r AS (UPDATE payment_order_invoices SET active = false WHERE order_id = :order_id AND active), h AS (INSERT INTO payment_history (order_id, from_status, to_status, gateway_status, cause, event_id, details, created_at) SELECT u.id, 'pending', 'completed', 2203, 'notification', 'pgbench', jsonb_build_object('credited', true), now() FROM u) SELECT * FROM u;`,
      'COMMIT;',
    ].join('\n') + '\n',
  );
  const seconds = Math.max(2, Math.round(DURATION_MS / 1000));
  const u = new URL(url);
  const env = { ...process.env, PGOPTIONS: `-c search_path=${schema}` };
  try {
    const { stdout } = await promisify(execFile)(
      bin,
      ['-n', '-M', 'extended', '-c', String(CONNECTIONS), '-j', '2', '-T', String(seconds), '-r', '-f', script, '-h', u.hostname, '-p', u.port || '5432', '-U', u.username || 'postgres', u.pathname.slice(1)],
      { env },
    );
    const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
    const avg = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1]);
    rows.push({ db: 'PostgreSQL', name: 'pgbench', what: 'pgbench: notification transaction', rate: tps, p50: avg, p99: NaN, note: 'p50 column: pgbench latency average' });
    process.stdout.write(`  PostgreSQL pgbench: ${fmt(tps)} tps, average ${fmt(avg, 1)} ms\n`);
  } catch (err) {
    rows.push({ db: 'PostgreSQL', name: 'pgbench', what: 'pgbench: notification transaction', rate: NaN, p50: NaN, p99: NaN, note: `failed: ${String((err as Error).message).split('\n').slice(-3).join(' ')}` });
  } finally {
    fs.rmSync(script, { force: true });
  }
}

// ---- the service ---------------------------------------------------------------------------

interface Counts {
  notifications: number;
  feed: number;
  payments: number;
  /** Invoices in the one bulk request. */
  bulk: number;
}

async function insertAll(db: Database, table: string, list: Record<string, unknown>[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < list.length; i += 1000) {
    const out: { id: string | number }[] = await db.knex(table).insert(list.slice(i, i + 1000)).returning('id');
    ids.push(...out.map((r) => String(r.id)));
  }
  return ids;
}

/** Customers, one property each, and per customer `perCustomer` invoices numbered `${prefix}/{c}/{i}`. */
async function seedCustomers(db: Database, prefix: string, customers: number, perCustomer: number) {
  const customerIds = await insertAll(
    db,
    'customers',
    Array.from({ length: customers }, (_, i) => ({ customer_number: `${prefix}${i}`, name: `Bench ${prefix}${i}`, street: 'ul. Testowa 1', postal_code: '32-600', city: 'Oświęcim' })),
  );
  const propertyIds = await insertAll(
    db,
    'properties',
    customerIds.map((id, i) => ({ customer_id: id, property_number: `${prefix}P${i}`, street: 'ul. Testowa 1', postal_code: '32-600', city: 'Oświęcim' })),
  );
  const invoices: Record<string, unknown>[] = [];
  for (let i = 0; i < perCustomer; i++) {
    for (const [c, id] of customerIds.entries()) {
      invoices.push({
        invoice_number: `FV/${prefix}/${c}/${i}`, customer_id: id, property_id: propertyIds[c], kind: 'invoice',
        issue_date: '2026-11-01', due_date: '2026-11-15', amount: '123.45', currency: 'PLN', issued_by: 'office', lines: '[]', content_hash: 'bench',
      });
    }
  }
  const invoiceIds = await insertAll(db, 'invoices', invoices);
  return { customerIds, propertyIds, invoiceIds };
}

async function loginCustomer(deps: Deps, customerId: string, login: string): Promise<string> {
  await deps.auth.ensureCustomerLogin(deps.db.knex, login, 'correct-horse-battery-staple', customerId);
  const { accessToken } = await deps.auth.login(login, 'correct-horse-battery-staple', '127.0.0.1');
  return accessToken;
}

async function serviceRows(dbLabel: string, db: Database, counts: Counts, schema?: string): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibok-bench-'));
  const servers: http.Server[] = [];
  const gateway = createMockGateway({ retryScale: 0.0005, merchantJwksCooldownMs: 0 });
  try {
    const { url: gatewayUrl } = await gateway.listen(0, '127.0.0.1');
    // The service as it runs: access log at info (to /dev/null here), metrics, production code paths.
    const logger = pino({ level: 'info', base: { service: 'ibok-payments' } }, pino.destination({ dest: '/dev/null', sync: false }));
    let handler: Handler = (_q, s) => s.writeHead(503).end();
    const main = await listen((q, s) => handler(q, s));
    servers.push(main.server);
    const env = {
      DATA_DIR: dataDir, GATEWAY_URL: gatewayUrl, BILLING_API_TOKEN: BILLING_TOKEN, DEMO_DATA: 'false', LOG_LEVEL: 'info', PUBLIC_URL: main.url,
      ...(db.kind === 'server' ? { DATABASE_URL: url } : {}),
    };
    const config = loadConfig(env);
    // Logins are set up, not measured: cheap password hashes.
    const deps = await createDeps(config, db, { logger, smtpUrl: 'smtp://127.0.0.1:1', smsApiUrl: 'http://127.0.0.1:1', passwordHashing: { scryptLogN: 10 } });
    handler = createApp(deps).callback();
    const counter = countQueries(deps);
    const base = main.url;
    const billing = { authorization: `Bearer ${BILLING_TOKEN}`, 'content-type': 'application/json' };
    const put = async (p: string, body: unknown) => {
      const res = await fetch(`${base}${p}`, { method: 'PUT', headers: billing, body: JSON.stringify(body) });
      if (res.status !== 201 && res.status !== 200) throw new Error(`set-up PUT ${p}: ${res.status} ${await res.text()}`);
    };
    const address = { street: 'ul. Zamkowa 1', postalCode: '32-600', city: 'Oświęcim' };

    // The reading customer: 20 invoices and 20 payments, a meter; a login and a web session.
    await put('/api/billing/customers/R1', { name: 'Klient R1', address, email: 'r1@example.com', properties: [{ id: 'R1-P', address }] });
    for (let i = 0; i < 20; i++) {
      await put(`/api/billing/invoices/${encodeURIComponent(`FV/R/${i}`)}`, {
        customerNumber: 'R1', propertyId: 'R1-P', kind: 'invoice', issueDate: '2026-10-01', dueDate: `2026-10-${String(10 + i).padStart(2, '0')}`, amount: '100.00', currency: 'PLN', issuedBy: 'office',
      });
    }
    const reader: { id: string | number } | undefined = await db.knex('customers').where({ customer_number: 'R1' }).first('id');
    if (!reader) throw new Error('set-up: customer R1 missing');
    const readerId = String(reader.id);
    for (let i = 0; i < 20; i++) {
      await db.knex.transaction((trx) =>
        deps.ledger.recordCredit(trx, { customerId: readerId, kind: 'payment', source: 'bench', sourceRef: `R-${i}`, documentNumber: `WPL/R/${i}`, amount: '60.00', receivedOn: '2026-10-20', hasInvoiceTarget: false }),
      );
    }
    await put('/api/billing/meters/WM-BENCH-1', {
      customerNumber: 'R1', propertyId: 'R1-P', kind: 'main', status: 'active', owner: 'utility', registeredOn: '2021-03-01', installedOn: '2021-03-10',
      legalisedOn: '2021-03-10', legalisationValidUntil: '2031-03-10', diameterMm: 20, tariff: { code: 'G1', name: 'Gospodarstwa domowe' },
    });
    const readerToken = await loginCustomer(deps, readerId, 'bench-r1');
    const cookie = await webLogin(base, 'bench-r1', 'correct-horse-battery-staple');
    const asReader = { authorization: `Bearer ${readerToken}` };

    // Billing feed, one invoice per request, for customers with a property each.
    if (wanted('feed')) {
      for (let c = 0; c < 8; c++) await put(`/api/billing/customers/F${c}`, { name: `Klient F${c}`, address, properties: [{ id: `F${c}-P`, address }] });
      const requests: LoadRequest[] = Array.from({ length: counts.feed }, (_, i) => ({
        method: 'PUT',
        path: `/api/billing/invoices/${encodeURIComponent(`FV/F/${i}`)}`,
        headers: billing,
        body: JSON.stringify({ customerNumber: `F${i % 8}`, propertyId: `F${i % 8}-P`, kind: 'invoice', issueDate: '2026-11-01', dueDate: '2026-11-30', amount: '87.12', currency: 'PLN', issuedBy: 'office' }),
      }));
      await measure(dbLabel, 'feed', 'billing feed: PUT one invoice', { url: base, requests, repeat: false, okStatuses: [201] }, {}, counter);
    }

    // Billing feed in bulk: one NDJSON request of counts.bulk invoices for 1,000 customers; rate in invoices/s.
    if (wanted('bulk')) {
      const customers = 1000;
      await seedCustomers(db, 'BULK', customers, 0);
      const lines: string[] = [];
      for (let i = 0; i < counts.bulk; i++) {
        const c = i % customers;
        lines.push(JSON.stringify({
          invoiceNumber: `FV/BULK/${i}`, customerNumber: `BULK${c}`, propertyId: `BULKP${c}`, kind: 'invoice', issueDate: '2026-11-01', dueDate: '2026-11-30', amount: '87.12', currency: 'PLN', issuedBy: 'office',
          lines: [{ description: 'Woda zimna', quantity: '12.500', unit: 'm3', unitPrice: '6.97', amount: '87.12' }],
        }));
      }
      const body = `${lines.join('\n')}\n`;
      counter?.reset();
      const started = performance.now();
      const res = await fetch(`${base}/api/billing/invoices:bulk`, { method: 'POST', headers: { authorization: `Bearer ${BILLING_TOKEN}`, 'content-type': 'application/x-ndjson' }, body });
      const answers = await res.text();
      const seconds = (performance.now() - started) / 1000;
      const accepted = Number(res.headers.get('x-bulk-accepted'));
      if (res.status !== 200 || accepted !== counts.bulk) throw new Error(`${dbLabel} bulk: ${res.status}, ${accepted} of ${counts.bulk} accepted: ${answers.slice(0, 300)}`);
      const queries = counter ? `; ${fmt(counter.count)} queries` : '';
      rows.push({ db: dbLabel, name: 'bulk', what: `billing feed: bulk NDJSON (${fmt(counts.bulk)} invoices, 1 request)`, rate: counts.bulk / seconds, p50: NaN, p99: NaN, note: `invoices/s; ${seconds.toFixed(1)} s for the request${queries}; goal ≥ 10,000/s` });
      process.stdout.write(`  ${dbLabel} bulk: ${fmt(counts.bulk / seconds)} invoices/s (${counts.bulk} in ${seconds.toFixed(1)} s)${queries}\n`);
    }

    // Payment creation: 32 customers, each request names one unpaid invoice with its own key.
    if (wanted('payments')) {
      const per = Math.ceil(counts.payments / CONNECTIONS);
      const seeded = await seedCustomers(db, 'PAY', CONNECTIONS, per);
      const tokens: string[] = [];
      for (const [c, id] of seeded.customerIds.entries()) tokens.push(await loginCustomer(deps, id, `bench-pay-${c}`));
      const requests: LoadRequest[] = [];
      for (let i = 0; i < per; i++) {
        for (let c = 0; c < CONNECTIONS; c++) {
          requests.push({
            method: 'POST',
            path: '/api/payments',
            headers: { authorization: `Bearer ${tokens[c]}`, 'content-type': 'application/json', 'idempotency-key': `bench-${c}-${i}` },
            body: JSON.stringify({ invoiceNumbers: [`FV/PAY/${c}/${i}`] }),
          });
        }
      }
      await measure(dbLabel, 'payments', 'POST /api/payments (mock gateway)', { url: base, requests, repeat: false, okStatuses: [201] }, {}, counter);
    }

    // Completion notifications: a stand-in gateway's keys, each completion delivered twice.
    if (wanted('notifications')) await notificationRows(dbLabel, db, deps, counts.notifications, counter, schema);

    // BENCH_ANALYZE=1: fresh planner statistics before the reads (PGlite has no autovacuum).
    if (process.env.BENCH_ANALYZE === '1') await db.knex.raw('ANALYZE');
    const get = (p: string, headers: Record<string, string>) => ({ url: base, requests: [{ method: 'GET', path: p, headers }], repeat: true, okStatuses: [200] });
    const select1 = 'koa-select1';
    if (wanted('settlements')) await measure(dbLabel, 'settlements', 'GET /api/settlements (20 + 20)', get('/api/settlements', asReader), { against: select1 }, counter);
    if (wanted('invoice')) await measure(dbLabel, 'invoice', 'GET /api/invoices/{n}', get(`/api/invoices/${encodeURIComponent('FV/R/7')}`, asReader), { against: select1 }, counter);
    if (wanted('meter')) await measure(dbLabel, 'meter', 'GET /api/meters/{serial}', get('/api/meters/WM-BENCH-1', asReader), { against: select1 }, counter);
    if (wanted('page')) await measure(dbLabel, 'page', 'web page /rozrachunki (session)', get('/rozrachunki', { cookie }), { against: select1 }, counter);
  } finally {
    for (const s of servers) await stop(s);
    await gateway.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Logs in through the web form (CSRF token from the login page) and answers the session cookie. */
async function webLogin(base: string, login: string, password: string): Promise<string> {
  const page = await fetch(`${base}/`);
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  };
  keep(page);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(`${base}/`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader() },
    body: new URLSearchParams({ login, password, _csrf: csrf }).toString(),
  });
  if (res.status !== 303) throw new Error(`web login: ${res.status} ${(await res.text()).slice(0, 200)}`);
  keep(res);
  return cookieHeader();
}

async function notificationRows(dbLabel: string, db: Database, mainDeps: Deps, orders: number, counter: QueryCounter | undefined, schema?: string): Promise<void> {
  // A stand-in gateway whose only job is its JWKS; the notifications are signed here, in advance.
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-gw-1', alg: 'ES256', use: 'sig' };
  const gw = await listen((_q, s) => s.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibok-bench-n-'));
  let app: { server: http.Server; url: string } | undefined;
  try {
    const config = loadConfig({ DATA_DIR: dataDir, GATEWAY_URL: gw.url, DEMO_DATA: 'false', LOG_LEVEL: 'info', ...(db.kind === 'server' ? { DATABASE_URL: url } : {}) });
    const deps = await createDeps(config, db, { logger: mainDeps.logger, smtpUrl: 'smtp://127.0.0.1:1', smsApiUrl: 'http://127.0.0.1:1' });
    app = await listen(createApp(deps).callback());

    const seeded = await seedCustomers(db, 'N', orders, 1);
    const now = new Date();
    // id_trans from 9000000001 up: apart from the service's own sequence.
    const list = seeded.customerIds.map((id, i) => ({
      id: randomUUID(), customer_id: id, id_trans: `9${String(i + 1).padStart(9, '0')}`, amount: '123.45', currency: 'PLN', status: 'pending',
      gateway_payment_id: `PBN-BENCH-${i}`, title: `Zaplata za fakture FV/N/${i}/0`, date_valid: new Date(now.getTime() + 86_400_000),
      idempotency_key: `bench-n-${i}`, request_hash: 'bench', created_at: now, updated_at: now,
    }));
    await insertAll(db, 'payment_orders', list);
    await db.knex('payment_order_invoices').insert(list.map((o, i) => ({ order_id: o.id, invoice_id: seeded.invoiceIds[i], amount: '123.45', active: true })));

    const iat = Math.floor(Date.now() / 1000);
    const requests: LoadRequest[] = [];
    for (const [i, o] of list.entries()) {
      const claims = {
        iss: 'paybynet', aud: config.merchant.id, iat, jti: randomUUID(), event_id: `ev-bench-${i}`, paymentId: o.gateway_payment_id,
        id_trans: o.id_trans, newStatus: 2203, transAmount: '123.45', currency: 'PLN', paid_at: now.toISOString(), settlement_date: '2026-11-20',
      };
      const body = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ alg: 'ES256', kid: 'bench-gw-1', typ: 'pbn-notification+jwt' }).sign(privateKey);
      // Each completion twice, the duplicate close behind (a gateway's retry racing the first).
      const r = { method: 'POST', path: '/api/gateway/paybynet/notify', headers: { 'content-type': 'application/jose' }, body };
      requests.push(r, r);
    }
    await measure(dbLabel, 'notifications', 'completion notifications (2 per order)', { url: app.url, requests, repeat: false, okStatuses: [200] }, { against: db.kind === 'server' ? 'pgbench' : 'koa-select1', perUnit: db.kind === 'server' ? 2 : 1, note: db.kind === 'server' ? 'ratio: completions (half the requests) to pgbench transactions' : '' }, counter);

    // Exactly once: every completed order has exactly one credit, and no credit lacks its order.
    const bad = await db.knex.raw(
      `SELECT count(*) AS n FROM payment_orders o
        WHERE o.idempotency_key LIKE 'bench-n-%'
          AND (o.status = 'completed') <> ((SELECT count(*) FROM ledger_credits c WHERE c.source = 'gateway' AND c.source_ref = o.id_trans) = 1)`,
    );
    const n = Number((bad.rows as { n: string | number }[])[0]!.n);
    if (n !== 0) throw new Error(`${dbLabel}: ${n} orders whose credit count is not exactly one per completion`);
    if (schema) await pgbenchNotification(schema, orders);
  } finally {
    if (app) await stop(app.server);
    await stop(gw.server);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Reconciliation of a signed report (bench/reconcile.ts in a child process: 1,000,000 rows, 100,000
 * with --quick) next to a plain COPY of the same CSV; the rate column is report rows per second.
 */
async function reconcileRow(): Promise<void> {
  const count = QUICK ? 100_000 : 1_000_000;
  const what = `reconciliation of a ${fmt(count)}-row report (rows/s)`;
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(here, 'reconcile.js')], {
      env: { ...process.env, BENCH_ROWS: String(count), DATABASE_URL: url },
      maxBuffer: 1 << 20,
    });
    const secondsOf = (label: string) => Number(new RegExp(`${label}:\\s+([0-9.]+) s`).exec(stdout)?.[1]);
    const total = secondsOf('reconciliation');
    const copy = secondsOf('plain COPY of the CSV');
    rows.push({ db: 'PostgreSQL', name: 'reconcile', what, rate: count / total, p50: NaN, p99: NaN, note: `${total.toFixed(1)} s; plain COPY ${copy.toFixed(2)} s: ${(total / copy).toFixed(1)} × (goal ≤ 5 ×)` });
    process.stdout.write(`  PostgreSQL reconcile: ${total.toFixed(1)} s for ${fmt(count)} rows, ${(total / copy).toFixed(1)} × a plain COPY\n`);
  } catch (err) {
    rows.push({ db: 'PostgreSQL', name: 'reconcile', what, rate: NaN, p50: NaN, p99: NaN, note: `failed: ${String((err as Error).message).split('\n').slice(-3).join(' ')}` });
  }
}

// ---- the table -----------------------------------------------------------------------------

function table(): string {
  const head = '| database | what | rate (/s) | p50 ms | p99 ms | compared with | ratio | note |\n| --- | --- | ---: | ---: | ---: | --- | ---: | --- |';
  const lines = rows.map((r) => {
    const base = r.against ? rows.find((b) => b.name === r.against && (b.db === r.db || b.db === '—')) : undefined;
    const ratio = base && Number.isFinite(base.rate) ? `${fmt((100 * r.rate) / (r.perUnit ?? 1) / base.rate)} %` : '';
    return `| ${r.db} | ${r.what} | ${fmt(r.rate)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${base ? base.what : ''} | ${ratio} | ${r.note ?? ''} |`;
  });
  return [head, ...lines].join('\n');
}

async function main() {
  const started = Date.now();
  process.stdout.write(`bench: ${CONNECTIONS} connections, ${DURATION_MS} ms a row${QUICK ? ' (quick)' : ''}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs\n`);
  if (wanted('koa-hello')) await koaHello();

  if (!flag('embedded-only')) {
    // The pool of `npm start` (createDb's default), so the figures are the service's; BENCH_POOL_MAX to compare sizes.
    const db = await createScratchSchemaDb(url, { prefix: 'bench', poolMax: Number(process.env.BENCH_POOL_MAX ?? DEFAULT_POOL_MAX) });
    try {
      await migrateLatest(db.knex);
      if (wanted('koa-select1')) {
        const pool = new pg.Pool({ connectionString: url, max: 20 });
        try {
          await koaSelect1('PostgreSQL', () => pool.query('SELECT 1'), 'Koa + pg SELECT 1');
        } finally {
          await pool.end();
        }
      }
      await serviceRows('PostgreSQL', db, QUICK ? { notifications: 1500, feed: 3000, payments: 1500, bulk: 20_000 } : { notifications: 4000, feed: 8000, payments: 4000, bulk: 100_000 }, db.schema);
    } finally {
      await db.close();
    }
    if (wanted('reconcile')) await reconcileRow();
  }

  if (!flag('server-only')) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibok-bench-pglite-'));
    const db = await createDb({ dataDir: dir });
    try {
      await migrateLatest(db.knex);
      if (wanted('koa-select1')) await koaSelect1('PGlite', () => db.knex.raw('SELECT 1'), 'Koa + knex SELECT 1 (PGlite)');
      await serviceRows('PGlite', db, QUICK ? { notifications: 500, feed: 1000, payments: 500, bulk: 5_000 } : { notifications: 1500, feed: 3000, payments: 1500, bulk: 20_000 });
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  loader?.disconnect();
  process.stdout.write(`\n${table()}\n\nload average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${((Date.now() - started) / 1000).toFixed(0)} s in all\n`);
}

main().catch((err: unknown) => {
  loader?.kill();
  process.stderr.write(`bench failed: ${((err as Error).stack ?? String(err)).slice(0, 3000)}\n`);
  process.exit(1);
});
