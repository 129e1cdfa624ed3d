/**
 * `npm run bench`: notifications handled per second by the service on PostgreSQL, with 32
 * concurrent senders, and the latency percentiles. Each of ORDERS pending orders (one customer,
 * one invoice each) receives its completion notification, signed ES256 by a stand-in gateway,
 * and a duplicate of it (retries are half of a real gateway's traffic); every one must answer OK
 * and every order must be credited exactly once.
 *
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) gets a throw-away schema.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import pino from 'pino';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createScratchSchemaDb } from '../src/db/scratchSchema.js';
import { migrateLatest } from '../src/db/migrate.js';
import { createDeps } from '../src/deps.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 2000);
const SENDERS = Number(process.env.BENCH_SENDERS ?? 32);
const DUPLICATES = 2;
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  const db = await createScratchSchemaDb(url, { prefix: 'bench', poolMax: 20 });
  const schema = db.schema;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibok-bench-'));
  const servers: http.Server[] = [];
  try {
    await migrateLatest(db.knex);

    // A stand-in gateway: only its JWKS is needed, the notifications are signed here.
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-gw-1', alg: 'ES256', use: 'sig' };
    const gw = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    servers.push(gw);
    await new Promise<void>((r) => gw.listen(0, '127.0.0.1', r));
    const gatewayUrl = `http://127.0.0.1:${(gw.address() as AddressInfo).port}`;

    const config = loadConfig({ DATA_DIR: dataDir, GATEWAY_URL: gatewayUrl, DATABASE_URL: url, LOG_LEVEL: 'silent' });
    const deps = await createDeps(config, db, { logger: pino({ level: 'silent' }) });
    const handle = createApp(deps).callback();
    const server = http.createServer((req, res) => void handle(req, res));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const notifyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/gateway/paybynet/notify`;

    // Set-up: ORDERS customers, each with one invoice in one pending order.
    process.stdout.write(`setting up ${ORDERS} pending orders in schema ${schema}...\n`);
    const now = new Date();
    const k = db.knex;
    const insertAll = async (table: string, rows: Record<string, unknown>[]): Promise<string[]> => {
      const ids: string[] = [];
      for (let i = 0; i < rows.length; i += 1000) {
        const out = (await k(table).insert(rows.slice(i, i + 1000)).returning('*')) as { id?: string }[];
        ids.push(...out.map((r) => String(r.id)));
      }
      return ids;
    };
    const customers = await insertAll(
      'customers',
      Array.from({ length: ORDERS }, (_, i) => ({ customer_number: `B${i}`, name: `Bench ${i}`, street: 'ul. Testowa 1', postal_code: '32-600', city: 'Oświęcim' })),
    );
    const properties = await insertAll(
      'properties',
      customers.map((id, i) => ({ customer_id: id, property_number: `BP${i}`, street: 'ul. Testowa 1', postal_code: '32-600', city: 'Oświęcim' })),
    );
    const invoices = await insertAll(
      'invoices',
      customers.map((id, i) => ({
        invoice_number: `FV/B/${i}`, customer_id: id, property_id: properties[i], kind: 'invoice',
        issue_date: '2026-11-01', due_date: '2026-11-15', amount: '123.45', currency: 'PLN', issued_by: 'office', lines: '[]', content_hash: 'bench',
      })),
    );
    const orders = customers.map((id, i) => ({
      id: randomUUID(), customer_id: id, id_trans: String(i + 1).padStart(10, '0'), amount: '123.45', currency: 'PLN', status: 'pending',
      gateway_payment_id: `PBN-BENCH-${i}`, title: `Zaplata za fakture FV/B/${i}`, date_valid: new Date(now.getTime() + 86_400_000),
      idempotency_key: `bench-${i}`, request_hash: 'bench', created_at: now, updated_at: now,
    }));
    await insertAll('payment_orders', orders);
    await insertAll('payment_order_invoices', orders.map((o, i) => ({ order_id: o.id, invoice_id: invoices[i], amount: '123.45', active: true })));

    // Every notification is signed before the clock starts: the bench measures the service.
    const iat = Math.floor(Date.now() / 1000);
    const bodies: string[] = [];
    for (const [i, o] of orders.entries()) {
      const eventId = `ev-bench-${i}`;
      for (let d = 0; d < DUPLICATES; d++) {
        const claims = {
          iss: 'paybynet', aud: config.merchant.id, iat, jti: randomUUID(), event_id: eventId, paymentId: o.gateway_payment_id,
          id_trans: o.id_trans, newStatus: 2203, transAmount: '123.45', currency: 'PLN', paid_at: now.toISOString(), settlement_date: '2026-11-20',
        };
        bodies.push(await new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ alg: 'ES256', kid: 'bench-gw-1', typ: 'pbn-notification+jwt' }).sign(privateKey));
      }
    }
    // Duplicates land close together, as a gateway's concurrent retries would.
    bodies.sort((a, b) => (a.length % 7) - (b.length % 7));

    const agent = new http.Agent({ keepAlive: true, maxSockets: SENDERS });
    const post = (body: string) =>
      new Promise<number>((resolve, reject) => {
        const started = process.hrtime.bigint();
        const req = http.request(notifyUrl, { method: 'POST', agent, headers: { 'content-type': 'application/jose', 'content-length': Buffer.byteLength(body) } }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => (res.statusCode === 200 && text === 'OK' ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`${res.statusCode} ${text}`))));
        });
        req.on('error', reject);
        req.end(body);
      });

    const latencies: number[] = [];
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          latencies.push(await post(body));
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    agent.destroy();

    const [credits] = await k('ledger_credits').where({ source: 'gateway' }).count<{ n: string }[]>('* as n');
    const [completed] = await k('payment_orders').where({ status: 'completed' }).count<{ n: string }[]>('* as n');
    latencies.sort((a, b) => a - b);
    const rss = process.memoryUsage().rss / 1024 / 1024;
    process.stdout.write(
      [
        `database:              PostgreSQL (${new URL(url).host})`,
        `notifications:         ${bodies.length} (${ORDERS} completions, each delivered ${DUPLICATES} times), ${SENDERS} concurrent senders`,
        `throughput:            ${(bodies.length / seconds).toFixed(0)} notifications/s (${seconds.toFixed(2)} s)`,
        `latency p50/p95/p99:   ${percentile(latencies, 50).toFixed(1)} / ${percentile(latencies, 95).toFixed(1)} / ${percentile(latencies, 99).toFixed(1)} ms (max ${latencies.at(-1)!.toFixed(1)} ms)`,
        `orders completed:      ${completed!.n} of ${ORDERS}; ledger credits: ${credits!.n} (must equal)`,
        `process RSS:           ${rss.toFixed(0)} MB`,
      ].join('\n') + '\n',
    );
    if (Number(credits!.n) !== ORDERS || Number(completed!.n) !== ORDERS) throw new Error('credit count does not match the orders');
  } finally {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    await db.close(); // drops the schema
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
