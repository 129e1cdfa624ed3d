import path from 'node:path';
import { z } from 'zod';

/**
 * The service's configuration: SPEC section 5, read once from the environment through one schema.
 * Nothing else in the service touches process.env.
 */

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const httpUrl = z
  .string()
  .url({ message: 'must be an http(s) URL' })
  .refine((v) => /^https?:\/\//.test(v), { message: 'must be an http(s) URL' })
  .transform((v) => v.replace(/\/+$/, ''));

const nrb = z
  .string()
  .transform((v) => v.replace(/\s+/g, '').replace(/^PL/i, ''))
  .refine((v) => /^\d{26}$/.test(v), { message: 'must be a 26-digit NRB account number' });

const postgresUrl = z
  .string()
  .refine(
    (v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
      } catch {
        return false;
      }
    },
    { message: 'must be a postgres:// URL with a host, e.g. postgres://user@127.0.0.1:5432/db' },
  );

const positiveInt = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .refine((n) => n > 0 && n <= max, { message: `must be between 1 and ${max}` });

/** Comma-separated NRB accounts (BANK_ACCOUNTS, GATEWAY_PAYOUT_ACCOUNTS). */
const nrbList = z
  .string()
  .default('')
  .transform((v, ctx) => {
    const out: string[] = [];
    for (const raw of v.split(',').map((s) => s.trim()).filter(Boolean)) {
      const parsed = nrb.safeParse(raw);
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: `"${raw}" is not a 26-digit NRB account number` });
        return z.NEVER;
      }
      out.push(parsed.data);
    }
    return out;
  });

const envSchema = z.object({
  PORT: positiveInt(65535).default(3000),
  PUBLIC_URL: httpUrl.optional(),
  DATABASE_URL: postgresUrl.optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  GATEWAY_URL: httpUrl.optional(),
  MERCHANT_ID: z.string().regex(/^\d{10}$/, { message: 'must be the 10-digit NIP' }).default('5490012345'),
  MERCHANT_ACCOUNT: nrb.default('61109010140000071219812874'),
  MERCHANT_NAME: z.string().min(1).max(200).default('PWiK Sp. z o.o. w Oświęcimiu'),
  MERCHANT_POSTCODE: z.string().default('32-600'),
  MERCHANT_CITY: z.string().default('Oświęcim'),
  MERCHANT_STREET: z.string().default('ul. Ks. Jana Skarbka 1'),
  BANK_ACCOUNTS: nrbList,
  GATEWAY_PAYOUT_ACCOUNTS: nrbList,
  MERCHANT_KEY_FILE: z.string().min(1).optional(),
  BILLING_API_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  ADMIN_LOGIN: z.string().min(3).max(64).optional(),
  ADMIN_PASSWORD: z.string().min(10, { message: 'must be at least 10 characters' }).optional(),
  HOST: z
    .string()
    .max(255)
    .regex(/^[A-Za-z0-9.:%-]+$/, { message: 'must be an address to listen on, e.g. 0.0.0.0, 127.0.0.1 or ::' })
    .optional(),
  METRICS_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  DEMO_DATA: booleanString.optional(),
  JWT_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // The gateway accepts date_valid from 15 minutes to 7 days ahead.
  PAYMENT_VALID_MINUTES: positiveInt(7 * 24 * 60)
    .refine((n) => n >= 15, { message: 'must be between 15 and 10080 (15 minutes to 7 days)' })
    .default(24 * 60),
  PAYMENT_SWEEP_SECONDS: positiveInt(86_400).default(60),
  PAYMENT_SWEEP_GRACE_MINUTES: positiveInt(24 * 60).default(15),
  // The bundled mock gateway (GATEWAY_URL unset): a stable port, so pending orders' bank pages survive a restart.
  MOCK_GATEWAY_PORT: z
    .string()
    .regex(/^\d+$/, { message: 'must be a port number (0 = any free port)' })
    .transform(Number)
    .refine((n) => n <= 65535, { message: 'must be a port number (0 = any free port)' })
    .optional(),
  // Notices (SPEC 4.7): unset SMTP_URL / SMS_API_URL mean the bundled mocks, started by main.
  SMTP_URL: z
    .string()
    .refine((v) => /^smtps?:\/\/[^/]+/.test(v), { message: 'must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example.pl:587' })
    .optional(),
  MAIL_FROM: z.string().min(3).max(200).default('PWiK Oświęcim IBOK <ibok@pwik.oswiecim.example>'),
  SMS_API_URL: httpUrl.optional(),
  SMS_API_TOKEN: z.string().min(1).optional(),
  SMS_FROM: z.string().min(1).max(11).default('PWiK'),
  NOTICE_SEND_HOUR: z
    .string()
    .regex(/^\d{1,2}$/, { message: 'must be a whole hour' })
    .transform(Number)
    .refine((n) => n >= 8 && n <= 20, { message: 'must be an hour between 8 and 20' })
    .default(9),
  // Where the bundled mail and SMS mocks listen when SMTP_URL / SMS_API_URL are unset (stable, so the demo inbox has one address).
  MOCK_SMTP_PORT: positiveInt(65535).default(4025),
  MOCK_INBOX_PORT: positiveInt(65535).default(4026),
});

export type Env = z.input<typeof envSchema>;

export interface Config {
  port: number;
  publicUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  gatewayUrl: string | undefined;
  merchant: {
    id: string;
    account: string;
    name: string;
    postCode: string;
    city: string;
    street: string;
    keyFile: string | undefined;
  };
  bankAccounts: string[];
  /** GATEWAY_PAYOUT_ACCOUNTS: the gateway's settlement accounts (empty: a payout is recognised from its title alone). */
  gatewayPayoutAccounts: string[];
  billingApiToken: string | undefined;
  admin: { login: string; password: string } | undefined;
  demoData: boolean;
  /** The address to listen on: HOST, else loopback with demo data (its passwords are public), else every interface. */
  host: string;
  /** Bearer token for /metrics from elsewhere; unset: /metrics answers loopback only. */
  metricsToken: string | undefined;
  jwtSecret: string | undefined;
  logLevel: string;
  payments: { validMinutes: number; sweepSeconds: number; sweepGraceMinutes: number };
  /** Port of the in-process mock gateway; undefined: 4010, or a free port when 4010 is taken. */
  mockGatewayPort: number | undefined;
  /** E-mail and SMS; undefined URLs mean the bundled mocks (main starts them). */
  notices: {
    smtpUrl: string | undefined;
    mailFrom: string;
    smsApiUrl: string | undefined;
    smsApiToken: string | undefined;
    smsFrom: string;
    sendHour: number;
    mockSmtpPort: number;
    mockInboxPort: number;
  };
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable is treated as unset, as shells and .env files commonly leave them.
  const present = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k in envSchema.shape && v !== undefined && v !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    throw new ConfigError(variable, `is invalid: ${issue.message}`);
  }
  const e = parsed.data;
  if ((e.ADMIN_LOGIN === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError(
      e.ADMIN_LOGIN === undefined ? 'ADMIN_LOGIN' : 'ADMIN_PASSWORD',
      'is invalid: ADMIN_LOGIN and ADMIN_PASSWORD must be set together',
    );
  }
  return {
    port: e.PORT,
    publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.DATA_DIR),
    gatewayUrl: e.GATEWAY_URL,
    merchant: {
      id: e.MERCHANT_ID,
      account: e.MERCHANT_ACCOUNT,
      name: e.MERCHANT_NAME,
      postCode: e.MERCHANT_POSTCODE,
      city: e.MERCHANT_CITY,
      street: e.MERCHANT_STREET,
      keyFile: e.MERCHANT_KEY_FILE,
    },
    bankAccounts: e.BANK_ACCOUNTS,
    gatewayPayoutAccounts: e.GATEWAY_PAYOUT_ACCOUNTS,
    billingApiToken: e.BILLING_API_TOKEN,
    admin: e.ADMIN_LOGIN && e.ADMIN_PASSWORD ? { login: e.ADMIN_LOGIN, password: e.ADMIN_PASSWORD } : undefined,
    demoData: e.DEMO_DATA ?? e.DATABASE_URL === undefined,
    host: e.HOST ?? ((e.DEMO_DATA ?? e.DATABASE_URL === undefined) ? '127.0.0.1' : '0.0.0.0'),
    metricsToken: e.METRICS_TOKEN,
    jwtSecret: e.JWT_SECRET,
    logLevel: e.LOG_LEVEL,
    payments: {
      validMinutes: e.PAYMENT_VALID_MINUTES,
      sweepSeconds: e.PAYMENT_SWEEP_SECONDS,
      sweepGraceMinutes: e.PAYMENT_SWEEP_GRACE_MINUTES,
    },
    mockGatewayPort: e.MOCK_GATEWAY_PORT,
    notices: {
      smtpUrl: e.SMTP_URL,
      mailFrom: e.MAIL_FROM,
      smsApiUrl: e.SMS_API_URL,
      smsApiToken: e.SMS_API_TOKEN,
      smsFrom: e.SMS_FROM,
      sendHour: e.NOTICE_SEND_HOUR,
      mockSmtpPort: e.MOCK_SMTP_PORT,
      mockInboxPort: e.MOCK_INBOX_PORT,
    },
  };
}
