/**
 * Runs the demo mail (and SMS) inbox alone: `npm run mock:smtp`.
 * Environment: SMTP_PORT (4025), INBOX_PORT (4026: the web inbox, /messages, and the SMS API under /sms), HOST (127.0.0.1).
 */
import { createMockSms } from '../sms/server.js';
import { createMockSmtp } from './server.js';

const host = process.env.HOST ?? '127.0.0.1';
const sms = createMockSms();
const mock = createMockSmtp({ sms });
const { smtpUrl, inboxUrl } = await mock.listen({ smtpPort: Number(process.env.SMTP_PORT ?? 4025), httpPort: Number(process.env.INBOX_PORT ?? 4026), host });
console.log(`Mock SMTP: ${smtpUrl}\nWeb inbox: ${inboxUrl}/\nSMS API: ${inboxUrl}/sms (SMS_API_URL)`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void mock.close().then(() => process.exit(0)));
