/** Runs the SMS API mock alone: `npm run mock:sms`. Environment: PORT (4027), HOST (127.0.0.1), SMS_API_TOKEN (optional). */
import { createMockSms } from './server.js';

const sms = createMockSms(process.env.SMS_API_TOKEN ? { token: process.env.SMS_API_TOKEN } : {});
const { url } = await sms.listen(Number(process.env.PORT ?? 4027), process.env.HOST ?? '127.0.0.1');
console.log(`Mock SMS API: ${url} (POST /sms.do, GET /messages)`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void sms.close().then(() => process.exit(0)));
