import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { MessageLog } from '../messageLog.js';
import type { AddressInfo } from 'node:net';

/**
 * An SMSAPI.pl-style SMS API as a real HTTP server: `POST /sms.do` (bearer token, JSON or form
 * body: to, message, from, format=json, idx, check_idx), answering `{count, list: [...]}`, with
 * faults for tests (down, slow, 5xx, refused numbers) and what it "sent" at `GET /messages`.
 */

/** Compares digests, so the check takes the same time whatever the caller sent. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(header ?? ''), digest(`Bearer ${token}`));
}

export interface MockSmsMessage {
  id: string;
  to: string;
  from: string;
  message: string;
  parts: number;
  encoding: 'gsm' | 'ucs2';
  idx: string | null;
  receivedAt: string;
}

export interface SmsFaults {
  /** Connections are cut without an answer. */
  down: boolean;
  /** Every answer waits this long. */
  delayMs: number;
  /** The next N requests answer 503. */
  failNext: number;
  /** Numbers (digits, with country code) the provider refuses: error 13. */
  refuse: Set<string>;
}

export interface MockSms {
  messages: MockSmsMessage[];
  faults: SmsFaults;
  /** Handles the API's paths under `prefix` ('' standalone, '/sms' inside the demo inbox); false when not ours. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, prefix?: string): boolean;
  listen(port?: number, host?: string): Promise<{ url: string }>;
  url: string | undefined;
  close(): Promise<void>;
  reset(): void;
  /** Resolves once `count` messages have arrived (tests). */
  waitFor(count: number, timeoutMs?: number): Promise<MockSmsMessage[]>;
}

const GSM = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€\f]*$/;
const GSM_EXT = /[\^{}\\[~\]|€\f]/g;

function countParts(text: string): { parts: number; encoding: 'gsm' | 'ucs2' } {
  if (GSM.test(text)) {
    const septets = text.length + (text.match(GSM_EXT)?.length ?? 0);
    return { encoding: 'gsm', parts: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  }
  return { encoding: 'ucs2', parts: text.length <= 70 ? 1 : Math.ceil(text.length / 67) };
}

/** A field of the request as text (numbers allowed, anything else empty). */
const text = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

async function readBody(req: http.IncomingMessage, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createMockSms(options: { token?: string } = {}): MockSms {
  const log = new MessageLog<MockSmsMessage>('mock SMS');
  const messages = log.messages;
  const faults: SmsFaults = { down: false, delayMs: 0, failNext: 0, refuse: new Set() };
  const usedIdx = new Set<string>();
  let seq = 0;
  let server: http.Server | undefined;

  async function sms(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
    if (faults.failNext > 0) {
      faults.failNext -= 1;
      send(res, 503, { error: 8, message: 'Error in request (temporarily unavailable)' });
      return;
    }
    if (options.token && !tokenMatches(req.headers.authorization, options.token)) {
      send(res, 401, { error: 101, message: 'Authorization failed' });
      return;
    }
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      send(res, 413, { error: 11, message: 'Message too long' });
      return;
    }
    let p: Record<string, unknown>;
    try {
      p = (req.headers['content-type'] ?? '').includes('application/json')
        ? (JSON.parse(raw) as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(raw));
    } catch {
      send(res, 400, { error: 8, message: 'Error in request' });
      return;
    }
    const to = text(p.to).replace(/^\+/, '');
    const message = typeof p.message === 'string' ? p.message : '';
    if (!message) {
      send(res, 400, { error: 11, message: 'Message empty' });
      return;
    }
    if (!/^\d{9,15}$/.test(to) || faults.refuse.has(to)) {
      send(res, 400, {
        error: 13,
        message: 'No correct phone numbers',
        invalid_numbers: [{ number: to, submitted_number: text(p.to), message: 'Invalid phone number' }],
      });
      return;
    }
    const idx = p.idx === undefined ? null : text(p.idx);
    const checkIdx = p.check_idx === true || p.check_idx === '1' || p.check_idx === 'true';
    if (idx && checkIdx && usedIdx.has(idx)) {
      send(res, 400, { error: 53, message: 'Not unique idx' });
      return;
    }
    if (idx) usedIdx.add(idx);
    const { parts, encoding } = countParts(message);
    const id = `${Date.now().toString(16).toUpperCase()}${(++seq).toString(16).padStart(6, '0').toUpperCase()}`;
    const at = new Date();
    log.push({ id, to, from: text(p.from) || 'Test', message, parts, encoding, idx, receivedAt: at.toISOString() });
    send(res, 200, {
      count: 1,
      list: [{ id, points: Number((0.16 * parts).toFixed(2)), number: to, date_sent: Math.floor(at.getTime() / 1000), submitted_number: text(p.to), status: 'QUEUE', error: null, idx, parts }],
    });
  }

  const mock: MockSms = {
    messages,
    faults,
    url: undefined,
    handle(req, res, prefix = '') {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (!path.startsWith(prefix)) return false;
      const rest = path.slice(prefix.length) || '/';
      if (faults.down && rest === '/sms.do') {
        req.socket.destroy();
        return true;
      }
      if (req.method === 'POST' && rest === '/sms.do') {
        sms(req, res).catch(() => send(res, 500, { error: 8, message: 'Error in request' }));
        return true;
      }
      if (req.method === 'GET' && rest === '/messages') {
        send(res, 200, { messages });
        return true;
      }
      if (req.method === 'DELETE' && rest === '/messages') {
        log.clear();
        send(res, 200, { messages });
        return true;
      }
      return false;
    },
    async listen(port = 0, host = '127.0.0.1') {
      server = http.createServer((req, res) => {
        if (!mock.handle(req, res)) send(res, 404, { error: 404, message: 'Not found' });
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, resolve);
      });
      mock.url = `http://${host}:${(server.address() as AddressInfo).port}`;
      return { url: mock.url };
    },
    async close() {
      if (!server) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
    reset() {
      messages.length = 0;
      usedIdx.clear();
      Object.assign(faults, { down: false, delayMs: 0, failNext: 0 });
      faults.refuse.clear();
    },
    waitFor: (count, timeoutMs) => log.waitFor(count, timeoutMs),
  };
  return mock;
}
