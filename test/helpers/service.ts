import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Database } from '../../src/db/createDb.js';
import type { PasswordHashingOptions } from '../../src/auth/index.js';
import { createDeps, type Deps } from '../../src/deps.js';
import { createMockGateway, type MockGateway } from '../../mocks/paybynet/app.js';
import { createMockSms, type MockSms } from '../../mocks/sms/server.js';
import { createMockSmtp, type MockSmtp } from '../../mocks/smtp/server.js';
import { createTestDb } from './db.js';

export const BILLING_TOKEN = 'test-billing-token-0123456789';
/** Cheap password hashes in tests (about 2 ms instead of 90 ms); production keeps 2^15. */
export const TEST_SCRYPT_LOG_N = 10;

export interface TestService {
  deps: Deps;
  gateway: MockGateway;
  db: Database;
  url: string;
  clock: ManualClock;
  /** The SMTP mock e-mails go to (its `messages`, `faults`) and the SMS API mock. */
  smtp: MockSmtp;
  sms: MockSms;
  request(method: string, urlPath: string, options?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** The service as a real HTTP server on a free port, on a fresh database, with a hand-moved clock. */
export async function startTestService(
  env: Record<string, string> = {},
  options: {
    db?: Database;
    clock?: ManualClock;
    gateway?: MockGateway;
    gatewayTimeoutMs?: number;
    dataDir?: string;
    /** Mail and SMS mocks shared by several instances (else each starts its own). */
    mail?: { smtp: MockSmtp; sms: MockSms };
    /** Password hashing (cost, concurrency); tests hash cheaply (scrypt N=2^10) unless they say. */
    passwordHashing?: PasswordHashingOptions;
  } = {},
): Promise<TestService> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ibok-test-'));
  const clock = options.clock ?? new ManualClock(new Date('2026-11-20T10:00:00Z'));
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const gateway =
    options.gateway ??
    createMockGateway({ clock, retryScale: 0.0005, merchantJwksCooldownMs: 0, notifyTimeoutMs: 10_000, logger });
  const gatewayUrl = gateway.url ?? (await gateway.listen(0, '127.0.0.1')).url;
  const sms = options.mail?.sms ?? createMockSms();
  const smtp = options.mail?.smtp ?? createMockSmtp({ sms });
  if (!smtp.smtpUrl) await smtp.listen();

  // Listen first: the public URL (for notify_url and return pages) is the port the OS gives.
  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const config: Config = loadConfig({
    DATA_DIR: dataDir,
    BILLING_API_TOKEN: BILLING_TOKEN,
    DEMO_DATA: 'false',
    LOG_LEVEL: 'silent',
    PUBLIC_URL: url,
    ...env,
  });
  const db = options.db ?? (await createTestDb());
  const deps = await createDeps(config, db, {
    clock,
    logger,
    gatewayUrl,
    smtpUrl: smtp.smtpUrl!,
    smsApiUrl: `${smtp.inboxUrl!}/sms`,
    ...(options.gatewayTimeoutMs ? { gatewayTimeoutMs: options.gatewayTimeoutMs } : {}),
    passwordHashing: { scryptLogN: TEST_SCRYPT_LOG_N, ...options.passwordHashing },
  });
  handler = createApp(deps, { checkResponses: true }).callback();

  async function request(method: string, urlPath: string, opts: RequestOptions = {}): Promise<TestResponse> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | Buffer | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${url}${urlPath}`, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
  }

  return {
    deps,
    gateway,
    db,
    url,
    clock,
    smtp,
    sms,
    request,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.gateway) await gateway.close();
      if (!options.mail) await smtp.close();
      if (!options.db) await db.close();
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
