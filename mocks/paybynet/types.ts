import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Clock } from '../../src/clock.js';
import type { GatewayStatusCode } from '../../src/gateway/status.js';

export interface MockGatewayOptions {
  /**
   * Where the merchant's public keys are. When absent, each request's merchant JWKS is derived
   * from the origin of its transaction's `notify_url` + `/.well-known/jwks.json` (demo mode:
   * then anyone who can host a JWKS can register transactions under any id_client).
   */
  merchantJwksUrl?: string;
  /** Base of redirectUrl; defaults to the URL listen() got, else the request's origin. */
  publicUrl?: string;
  clock?: Clock;
  /** Multiplies the notification retry schedule (1, 5, 15, 60 min, then hourly for 72 h): 0.001 turns minutes into 60 ms. */
  retryScale?: number;
  /** Timeout of one notification delivery (default 10 s). */
  notifyTimeoutMs?: number;
  /** Minimum interval between refetches of a merchant JWKS on an unknown kid (default 10 s; 0 in tests). */
  merchantJwksCooldownMs?: number;
  /** settlement_date of a payment made at `paidAt` (default: its date in Europe/Warsaw). */
  settlementDateFor?: (paidAt: Date) => string;
  /**
   * Serve the /__control JSON endpoints (default false: anyone who can reach them can "pay" any
   * transaction; tests and `npm run mock:gateway -- --control` turn them on).
   */
  controlApi?: boolean;
  /**
   * Keep transactions, merchants and keys in this JSON file (written atomically on every change)
   * so the gateway survives a restart; default: in memory only. Notifications still waiting for a
   * retry are not kept: the merchant's sweep and status queries catch up on them.
   */
  stateFile?: string;
  logger?: Logger;
}

export interface MockFaults {
  /** The next N notification deliveries are not sent (logged as `dropped`). */
  dropNotifications: number;
  /** A dropped delivery is never retried (the status change is lost) instead of retried on schedule. */
  dropForever: boolean;
  /** Send each delivery K times concurrently (identical bytes). 0 or 1: once. */
  duplicateNotifications: number;
  /** Wait this long before each delivery. */
  notificationDelayMs: number;
  /** Hold deliveries; releaseHeld() (or switching this off) sends them newest first, one after another. */
  reorderNotifications: boolean;
  /** The next N deliveries are tampered with after signing (see tamperMode). */
  tamperNotifications: number;
  /** `signature`: one byte of the signature flipped; `amount`: transAmount changed after signing. */
  tamperMode: 'signature' | 'amount';
  /** `unavailable`: every API (not /__control) answers 503; `close`: connections are destroyed. */
  down: false | 'unavailable' | 'close';
  /** Delay every API answer (not /__control) by this many ms. */
  slowMs: number;
}

export const NO_FAULTS: MockFaults = {
  dropNotifications: 0,
  dropForever: false,
  duplicateNotifications: 0,
  notificationDelayMs: 0,
  reorderNotifications: false,
  tamperNotifications: 0,
  tamperMode: 'signature',
  down: false,
  slowMs: 0,
};

export interface MockTransaction {
  paymentId: string;
  /** iss of the registration: the merchant's id_client. */
  merchantId: string;
  idTrans: string;
  amount: string;
  currency: string;
  dateValid: Date;
  email: string | null;
  account: string;
  accname: string;
  title: string;
  backpage: string;
  backpagereject: string;
  notifyUrl: string;
  status: GatewayStatusCode;
  createdAt: Date;
  updatedAt: Date;
  paidAt: Date | null;
  settlementDate: string | null;
  /** The bank chosen on the bank page. */
  bank: string | null;
  history: { status: GatewayStatusCode; at: Date }[];
}

export interface CompleteOptions {
  paidAt?: Date;
  settlementDate?: string;
  /** 2203 (default) or 2303. */
  status?: 2203 | 2303;
  /** Notify this transAmount / currency instead of the registered one (mismatch tests). */
  transAmount?: string;
  currency?: string;
  /** Send a notification (default true). */
  notify?: boolean;
}

export interface StatusChangeOptions {
  notify?: boolean;
}

export interface DeliveryRecord {
  eventId: string;
  paymentId: string;
  idTrans: string;
  newStatus: number;
  /** 1 for the first delivery of the event, 2 for the first retry... */
  attempt: number;
  /** 1..K when duplicated. */
  copy: number;
  at: Date;
  jti: string | null;
  /** ok: 200 + "OK"; rejected: any other answer; error: no answer; dropped: not sent (fault). */
  outcome: 'ok' | 'rejected' | 'error' | 'dropped';
  httpStatus: number | null;
  responseBody: string | null;
  error: string | null;
  tampered: 'signature' | 'amount' | null;
}

export interface NotificationEventView {
  eventId: string;
  paymentId: string;
  newStatus: number;
  state: 'pending' | 'held' | 'delivered' | 'gave_up' | 'lost';
  attempts: number;
  nextAttemptAt: Date | null;
}

/** A settlement report row as the CSV has it. */
export interface ReportRow {
  paymentId: string;
  id_trans: string;
  amount: string;
  currency: string;
  paid_at: string;
  settlement_date: string;
}

/** An injected row: fields missing are taken from the mock's transaction with that paymentId. */
export type ReportRowInput = { paymentId: string } & Partial<Omit<ReportRow, 'paymentId' | 'paid_at'>> & {
    paid_at?: string | Date;
  };

export type ReportRowSource = () => AsyncIterable<ReportRow> | Iterable<ReportRow>;

export interface MockGatewayControls {
  complete(paymentId: string, options?: CompleteOptions): MockTransaction;
  reject(paymentId: string, options?: StatusChangeOptions & { status?: 2202 | 2302 }): MockTransaction;
  expire(paymentId: string, options?: StatusChangeOptions & { status?: 2201 | 2301 }): MockTransaction;
  /** The merchant's cancel (SPEC 3.6): 2202 while unpaid, the final status unchanged otherwise. */
  cancel(paymentId: string): MockTransaction;
  /** 2102: the customer chose a bank, waiting for it. */
  waitForBank(paymentId: string, options?: StatusChangeOptions): MockTransaction;
  /** Sends a new notification of the transaction's current status, claims overridden (new event_id unless given). */
  notify(paymentId: string, overrides?: Record<string, unknown>): string;
  transaction(paymentId: string): MockTransaction | undefined;
  transactions(): MockTransaction[];
  /** A new signing key, published beside the old ones. Returns its kid. */
  rotateKey(): string;
  signingKid(): string;
  faults(): MockFaults;
  setFaults(faults: Partial<MockFaults>): MockFaults;
  clearFaults(): MockFaults;
  releaseHeld(): Promise<void>;
  /** Runs every scheduled retry now. */
  retryNow(): void;
  deliveries(): DeliveryRecord[];
  events(): NotificationEventView[];
  /** Resolves with the first delivery (past or future) matching; rejects after timeoutMs. */
  waitForDelivery(match: (d: DeliveryRecord) => boolean, timeoutMs?: number): Promise<DeliveryRecord>;
  addReportRows(date: string, rows: ReportRowInput[]): void;
  /** Changes the report row generated for a transaction (e.g. another amount). */
  patchReportRow(date: string, paymentId: string, patch: Partial<Omit<ReportRow, 'paymentId'>>): void;
  /** Leaves a completed transaction out of the report of that date. */
  excludeFromReport(date: string, paymentId: string): void;
  /** Serves that date's report with one byte changed after signing. */
  tamperReport(date: string, tampered?: boolean): void;
  /** Extra rows generated on demand (e.g. a million); the factory is called on each report build. */
  setReportSource(date: string, source: ReportRowSource | null): void;
  /** Forgets every report control of that date. */
  clearReport(date: string): void;
  /** Forgets transactions, deliveries, faults and report controls (keys stay). */
  reset(): void;
  stats(): { jwksRequests: number; apiRequests: number };
  /**
   * Tells the mock where a merchant's JWKS is, for settlement downloads before any registration
   * (registrations teach it too). Not needed with the merchantJwksUrl option.
   */
  registerMerchant(merchantId: string, jwksUrl: string): void;
}

export interface MockGateway {
  app: Koa;
  controls: MockGatewayControls;
  listen(port?: number, host?: string): Promise<{ url: string }>;
  /** The URL listen() got, if listening. */
  readonly url: string | undefined;
  close(): Promise<void>;
}
