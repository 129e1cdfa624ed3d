/** A delivery that failed: `permanent` ones are not retried (a refused number, a rejected mailbox). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface Delivered {
  providerId: string;
  parts?: number;
}

export interface EmailTransport {
  send(message: { outboxId: string; to: string; subject: string; text: string }): Promise<Delivered>;
  close(): void;
}

export interface SmsTransport {
  send(message: { outboxId: string; to: string; text: string }): Promise<Delivered>;
}

/** E-mail through SMTP (nodemailer), one pooled connection per instance. */
export function smtpTransport(options: { url: string; from: string; timeoutMs?: number }): EmailTransport {
  const timeout = options.timeoutMs ?? 15_000;
  // nodemailer (about 0.15 s to load) comes with the first message, not at start.
  const createTransporter = async () => (await import('nodemailer')).default.createTransport(options.url, {
    // A few reused connections: a new SMTP session per message halved the rate through the mock.
    pool: true,
    maxConnections: 4,
    maxMessages: 200,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 2,
  } as never);
  let transporter: ReturnType<typeof createTransporter> | undefined;
  const domain = /@([^>\s]+)>?\s*$/.exec(options.from)?.[1] ?? 'ibok.local';
  return {
    async send(message) {
      try {
        transporter ??= createTransporter();
        const info = await (await transporter).sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          // The same id on every try of one outbox row: a mailbox that sees it twice (the rare
          // crash between the server's OK and our record of it) can tell it is one message.
          messageId: `<outbox-${message.outboxId}@${domain}>`,
        });
        return { providerId: info.messageId };
      } catch (err) {
        const e = err as Error & { responseCode?: number };
        // 5xx from the server: it refuses the message itself (unknown mailbox); 4xx and network: later.
        const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
        throw new DeliveryError(`SMTP: ${e.responseCode ? `${e.responseCode} ` : ''}${e.message}`.slice(0, 500), permanent);
      }
    },
    close() {
      void transporter?.then((t) => t.close());
    },
  };
}

interface SmsApiAnswer {
  count?: number;
  list?: Array<{ id: string; status: string; parts?: number; points?: number; number?: string }>;
  error?: number;
  message?: string;
}

/**
 * SMS through an SMSAPI.pl-style API: `POST {url}/sms.do`, bearer token, JSON body. `idx` with
 * `check_idx` makes the provider refuse a second message for one outbox row (error 53), which
 * means it was sent by an earlier try whose answer we lost.
 */
export function smsApiTransport(options: { url: string; token: string; from: string; timeoutMs?: number }): SmsTransport {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async send(message) {
      let res: Response;
      try {
        res = await fetch(`${options.url}/sms.do`, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({
            to: message.to,
            message: message.text,
            from: options.from,
            format: 'json',
            encoding: 'utf-8',
            idx: `outbox-${message.outboxId}`,
            check_idx: true,
          }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        const e = err as Error;
        throw new DeliveryError(`SMS API unreachable: ${e.name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : e.message}`, false);
      }
      const text = await res.text().catch(() => '');
      let answer: SmsApiAnswer = {};
      try {
        answer = JSON.parse(text) as SmsApiAnswer;
      } catch {
        // not JSON: judged by the status below
      }
      if (answer.error !== undefined) {
        if (answer.error === 53) return { providerId: `idx:outbox-${message.outboxId}` };
        // 11-14: the message or the number is refused as such; sending it again changes nothing.
        const permanent = [11, 12, 13, 14].includes(answer.error);
        throw new DeliveryError(`SMS API error ${answer.error}: ${answer.message ?? ''}`.slice(0, 500), permanent);
      }
      if (!res.ok) throw new DeliveryError(`SMS API answered ${res.status}`, false);
      const first = answer.list?.[0];
      if (!first?.id) throw new DeliveryError('SMS API answered without a message id', false);
      return { providerId: first.id, parts: first.parts ?? 1 };
    },
  };
}
