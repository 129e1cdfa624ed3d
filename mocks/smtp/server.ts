import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { MessageLog } from '../messageLog.js';
import type { MockSms } from '../sms/server.js';

/**
 * A real SMTP server (smtp-server + mailparser) that keeps every message it accepts, with an HTTP
 * side: `GET /messages` (JSON) and a small web inbox at `/` (Polish). With an SMS mock attached,
 * the same HTTP port also serves its API under `/sms` and shows its messages in the inbox.
 */

export interface MockEmail {
  id: number;
  messageId: string | null;
  from: string;
  to: string[];
  subject: string;
  text: string;
  receivedAt: string;
}

export interface SmtpFaults {
  /** New connections are refused with 421 (the server is "down"). */
  down: boolean;
  /** The next N messages are refused at DATA with 451 (try again later). */
  tempFailNext: number;
  /** Recipients refused with 550 (no such mailbox). */
  rejectRecipients: Set<string>;
}

export interface MockSmtp {
  messages: MockEmail[];
  faults: SmtpFaults;
  smtpUrl: string | undefined;
  inboxUrl: string | undefined;
  listen(options?: { smtpPort?: number; httpPort?: number; host?: string }): Promise<{ smtpUrl: string; inboxUrl: string }>;
  close(): Promise<void>;
  reset(): void;
  waitFor(count: number, timeoutMs?: number): Promise<MockEmail[]>;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const when = (iso: string) =>
  new Intl.DateTimeFormat('pl-PL', { timeZone: 'Europe/Warsaw', dateStyle: 'long', timeStyle: 'medium' }).format(new Date(iso));

function inboxPage(emails: MockEmail[], sms: MockSms | undefined): string {
  const mails = [...emails]
    .reverse()
    .map(
      (m) => `<li><details><summary><strong>${escapeHtml(m.subject || '(bez tematu)')}</strong> — do ${escapeHtml(m.to.join(', '))}, ${escapeHtml(when(m.receivedAt))}</summary>
<p>Od: ${escapeHtml(m.from)}</p><pre>${escapeHtml(m.text)}</pre></details></li>`,
    )
    .join('\n');
  const texts = sms
    ? [...sms.messages]
        .reverse()
        .map((s) => `<li>do +${escapeHtml(s.to)}, ${escapeHtml(when(s.receivedAt))} (części: ${s.parts}): <q>${escapeHtml(s.message)}</q></li>`)
        .join('\n')
    : '';
  return `<!doctype html>
<html lang="pl"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Skrzynka demonstracyjna IBOK</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#111}pre{white-space:pre-wrap;background:#f4f4f4;padding:.5rem}li{margin:.4rem 0}</style>
</head><body><main>
<h1>Skrzynka demonstracyjna IBOK</h1>
<p>Wiadomości wysłane przez serwis w trybie demonstracyjnym. Nic tu nie trafia do prawdziwych adresatów. <a href="/">Odśwież</a></p>
<h2>E-maile (${emails.length})</h2>
${emails.length ? `<ul>${mails}</ul>` : '<p>Brak wiadomości.</p>'}
${sms ? `<h2>SMS (${sms.messages.length})</h2>${sms.messages.length ? `<ul>${texts}</ul>` : '<p>Brak wiadomości.</p>'}` : ''}
</main></body></html>`;
}

export function createMockSmtp(options: { sms?: MockSms } = {}): MockSmtp {
  const log = new MessageLog<MockEmail>('mock SMTP');
  const messages = log.messages;
  const faults: SmtpFaults = { down: false, tempFailNext: 0, rejectRecipients: new Set() };
  let seq = 0;
  let smtp: SMTPServer | undefined;
  let web: http.Server | undefined;

  const server = () =>
    new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      banner: 'IBOK mock SMTP',
      size: 10 * 1024 * 1024,
      logger: false,
      onAuth(_auth, _session, callback) {
        callback(null, { user: 'demo' });
      },
      onConnect(_session, callback) {
        if (faults.down) {
          const err = Object.assign(new Error('Service not available, try again later'), { responseCode: 421 });
          callback(err);
          return;
        }
        callback();
      },
      onRcptTo(address, _session, callback) {
        if (faults.rejectRecipients.has(address.address.toLowerCase())) {
          callback(Object.assign(new Error('No such mailbox'), { responseCode: 550 }));
          return;
        }
        callback();
      },
      onData(stream, session, callback) {
        if (faults.tempFailNext > 0) {
          faults.tempFailNext -= 1;
          stream.resume();
          stream.on('end', () => callback(Object.assign(new Error('Temporary failure, try again'), { responseCode: 451 })));
          return;
        }
        // mailparser (about 0.4 s to load) comes with the first message, not at start.
        import('mailparser')
          .then(({ simpleParser }) => simpleParser(stream))
          .then((mail) => {
            log.push({
              id: ++seq,
              messageId: mail.messageId ?? null,
              from: mail.from?.text ?? (session.envelope.mailFrom ? session.envelope.mailFrom.address : ''),
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              receivedAt: new Date().toISOString(),
            });
                    callback();
          })
          .catch((err: Error) => callback(err));
      },
    });

  function handleHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (options.sms?.handle(req, res, '/sms')) return;
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/messages') {
      const to = url.searchParams.get('to');
      const list = to ? messages.filter((m) => m.to.includes(to.toLowerCase())) : messages;
      const body = JSON.stringify({ messages: list });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/') {
      res
        .writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
          'x-frame-options': 'DENY',
          'cache-control': 'no-store',
        })
        .end(inboxPage(messages, options.sms));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Nie znaleziono');
  }

  const mock: MockSmtp = {
    messages,
    faults,
    smtpUrl: undefined,
    inboxUrl: undefined,
    async listen({ smtpPort = 0, httpPort = 0, host = '127.0.0.1' } = {}) {
      smtp = server();
      smtp.on('error', () => {}); // a client that hangs up mid-command is not the server's failure
      await new Promise<void>((resolve, reject) => {
        smtp!.server.once('error', reject);
        smtp!.listen(smtpPort, host, () => resolve());
      });
      mock.smtpUrl = `smtp://${host}:${(smtp.server.address() as AddressInfo).port}`;
      web = http.createServer(handleHttp);
      await new Promise<void>((resolve, reject) => {
        web!.once('error', reject);
        web!.listen(httpPort, host, resolve);
      });
      mock.inboxUrl = `http://${host}:${(web.address() as AddressInfo).port}`;
      return { smtpUrl: mock.smtpUrl, inboxUrl: mock.inboxUrl };
    },
    async close() {
      if (web) {
        web.closeAllConnections();
        await new Promise<void>((resolve) => web!.close(() => resolve()));
      }
      if (smtp) await new Promise<void>((resolve) => smtp!.close(() => resolve()));
    },
    reset() {
      log.clear();
      Object.assign(faults, { down: false, tempFailNext: 0 });
      faults.rejectRecipients.clear();
    },
    waitFor: (count, timeoutMs) => log.waitFor(count, timeoutMs),
  };
  return mock;
}
