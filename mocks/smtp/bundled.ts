import type { Logger } from 'pino';
import { createMockSms } from '../sms/server.js';
import { createMockSmtp, type MockSmtp } from './server.js';

export interface BundledMailMocks {
  smtpUrl: string;
  smsApiUrl: string;
  inboxUrl: string;
  smtp: MockSmtp;
  close(): Promise<void>;
}

/**
 * The demo's mail and SMS: the SMTP mock on `smtpPort` and one HTTP port for the web inbox and
 * the SMS API (`/sms`). A port already taken (a second demo) falls back to a free one.
 */
export async function startBundledMailMocks(options: { smtpPort: number; inboxPort: number; logger: Logger }): Promise<BundledMailMocks> {
  const sms = createMockSms();
  let smtp = createMockSmtp({ sms });
  let urls: { smtpUrl: string; inboxUrl: string };
  try {
    urls = await smtp.listen({ smtpPort: options.smtpPort, httpPort: options.inboxPort });
  } catch (err) {
    options.logger.warn({ err: { message: (err as Error).message } }, `ports ${options.smtpPort}/${options.inboxPort} are taken: the demo inbox takes free ones`);
    await smtp.close();
    smtp = createMockSmtp({ sms });
    urls = await smtp.listen();
  }
  return { ...urls, smsApiUrl: `${urls.inboxUrl}/sms`, smtp, close: () => smtp.close() };
}
