/**
 * What the mock gateway knows: transactions, the merchants' JWKS URLs and its own keys. With a
 * state file it survives a restart: every change is written to a temporary file and renamed over
 * the old one, so a crash leaves the previous state or the new one, never half of either.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../../src/clock.js';
import { GATEWAY_ISSUER } from '../../src/gateway/protocol.js';
import { GatewayStatus, isCompletedStatus, isFinalStatus, type GatewayStatusCode } from '../../src/gateway/status.js';
import { MockHttpError } from './http.js';
import { GatewayKeyRing, type KeyRingSnapshot } from './keyRing.js';
import type { CompleteOptions, MockTransaction } from './types.js';

const STATE_VERSION = 1;

interface StateFile {
  version: number;
  keys: KeyRingSnapshot;
  merchants: [string, string][];
  transactions: MockTransaction[];
}

/** Sends a notification of a transaction's status (the notifier), claims overridden. Answers the event id. */
export type NotifyFn = (tx: MockTransaction, overrides?: Record<string, unknown>) => string;

export interface MockStateOptions {
  clock: Clock;
  logger: Logger;
  settlementDateFor: (paidAt: Date) => string;
  /** Where the state is kept; without it everything lives in memory only. */
  stateFile?: string | undefined;
}

/** The content a registration is compared by (200 for the same again, 409 for another). */
export function contentKey(tx: Pick<MockTransaction, 'merchantId' | 'idTrans' | 'amount' | 'currency' | 'dateValid' | 'email' | 'account' | 'accname' | 'title' | 'backpage' | 'backpagereject' | 'notifyUrl'>): string {
  return JSON.stringify([
    tx.merchantId,
    tx.idTrans,
    tx.amount,
    tx.currency,
    tx.dateValid.toISOString(),
    tx.email,
    tx.account,
    tx.accname,
    tx.title,
    tx.backpage,
    tx.backpagereject,
    tx.notifyUrl,
  ]);
}

export function newPaymentId(): string {
  return `PBN${randomBytes(10).toString('hex').toUpperCase()}`;
}

function revive(tx: MockTransaction): MockTransaction {
  const date = (v: unknown) => new Date(v as string);
  return {
    ...tx,
    dateValid: date(tx.dateValid),
    createdAt: date(tx.createdAt),
    updatedAt: date(tx.updatedAt),
    paidAt: tx.paidAt ? date(tx.paidAt) : null,
    history: tx.history.map((h) => ({ status: h.status, at: date(h.at) })),
  };
}

export class MockState {
  readonly keyRing: GatewayKeyRing;
  private readonly transactions = new Map<string, MockTransaction>();
  private readonly byIdTrans = new Map<string, string>();
  /** Merchant id → JWKS URL, learned from registrations (kept across reset()). */
  readonly merchantJwks = new Map<string, string>();
  /** Set once the notifier exists (the notifier needs the keys of this state). */
  notify: NotifyFn = () => '';
  /** Told when a settlement date's report changes. */
  onCompleted: (settlementDate: string) => void = () => undefined;

  constructor(private readonly options: MockStateOptions) {
    const saved = options.stateFile ? this.load(options.stateFile) : undefined;
    this.keyRing = new GatewayKeyRing(saved?.keys);
    if (saved) {
      for (const [id, url] of saved.merchants) this.merchantJwks.set(id, url);
      for (const raw of saved.transactions) this.index(revive(raw));
      options.logger.info({ transactions: this.transactions.size, file: options.stateFile }, 'mock gateway state loaded');
    }
    this.save();
  }

  private load(file: string): StateFile | undefined {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed = JSON.parse(text) as StateFile;
    if (parsed.version !== STATE_VERSION) throw new Error(`${file}: unknown mock gateway state version ${parsed.version}`);
    return parsed;
  }

  /** Writes the whole state atomically (small: a demo's transactions). */
  save(): void {
    const file = this.options.stateFile;
    if (!file) return;
    const state: StateFile = {
      version: STATE_VERSION,
      keys: this.keyRing.snapshot(),
      merchants: [...this.merchantJwks.entries()],
      transactions: [...this.transactions.values()],
    };
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    renameSync(tmp, file);
  }

  private index(tx: MockTransaction): void {
    this.transactions.set(tx.paymentId, tx);
    this.byIdTrans.set(`${tx.merchantId}|${tx.idTrans}`, tx.paymentId);
  }

  add(tx: MockTransaction): void {
    this.index(tx);
    this.save();
  }

  get(paymentId: string): MockTransaction | undefined {
    return this.transactions.get(paymentId);
  }

  byMerchantIdTrans(merchantId: string, idTrans: string): MockTransaction | undefined {
    const id = this.byIdTrans.get(`${merchantId}|${idTrans}`);
    return id ? this.transactions.get(id) : undefined;
  }

  mustFind(paymentId: string): MockTransaction {
    const tx = this.transactions.get(paymentId);
    if (!tx) throw new MockHttpError(404, 'not_found', `no transaction ${paymentId}`);
    return tx;
  }

  all(): IterableIterator<MockTransaction> {
    return this.transactions.values();
  }

  learnMerchant(merchantId: string, jwksUrl: string): void {
    if (this.merchantJwks.get(merchantId) === jwksUrl) return;
    this.merchantJwks.set(merchantId, jwksUrl);
    this.save();
  }

  rotateKey(): string {
    const kid = this.keyRing.rotate();
    this.save();
    return kid;
  }

  /** Forgets transactions (keys and merchants stay). */
  reset(): void {
    this.transactions.clear();
    this.byIdTrans.clear();
    this.save();
  }

  /** The claims of a notification or status answer about `tx` (SPEC 3.3, 3.4). */
  statusClaims(tx: MockTransaction): Record<string, unknown> {
    return {
      iss: GATEWAY_ISSUER,
      aud: tx.merchantId,
      paymentId: tx.paymentId,
      id_trans: tx.idTrans,
      newStatus: tx.status,
      transAmount: tx.amount,
      currency: tx.currency,
      ...(isCompletedStatus(tx.status) && tx.paidAt ? { paid_at: tx.paidAt.toISOString(), settlement_date: tx.settlementDate } : {}),
    };
  }

  changeStatus(
    tx: MockTransaction,
    status: GatewayStatusCode,
    opts: { notify?: boolean; overrides?: Record<string, unknown>; completion?: { paidAt: Date; settlementDate: string } } = {},
  ): MockTransaction {
    if (isFinalStatus(tx.status)) {
      throw new MockHttpError(409, 'already_final', `transaction ${tx.paymentId} already has the final status ${tx.status}`);
    }
    const now = this.options.clock.now();
    tx.status = status;
    tx.updatedAt = now;
    tx.history.push({ status, at: now });
    if (opts.completion) {
      tx.paidAt = opts.completion.paidAt;
      tx.settlementDate = opts.completion.settlementDate;
      this.onCompleted(tx.settlementDate);
    }
    this.save();
    this.options.logger.info({ paymentId: tx.paymentId, status }, 'transaction status changed');
    if (opts.notify !== false) this.notify(tx, opts.overrides);
    return structuredClone(tx);
  }

  complete(tx: MockTransaction, opts: CompleteOptions = {}): MockTransaction {
    const paidAt = opts.paidAt ?? this.options.clock.now();
    const overrides: Record<string, unknown> = {};
    if (opts.transAmount !== undefined) overrides.transAmount = opts.transAmount;
    if (opts.currency !== undefined) overrides.currency = opts.currency;
    return this.changeStatus(tx, opts.status ?? GatewayStatus.COMPLETED, {
      ...(opts.notify !== undefined ? { notify: opts.notify } : {}),
      overrides,
      completion: { paidAt, settlementDate: opts.settlementDate ?? this.options.settlementDateFor(paidAt) },
    });
  }

  /**
   * The merchant's cancel (SPEC 3.6): a transaction not yet paid becomes final 2202 (no
   * notification: the merchant gets the status as the answer); a final one stays as it is.
   */
  cancel(tx: MockTransaction): MockTransaction {
    this.refreshExpiry(tx);
    if (!isFinalStatus(tx.status)) this.changeStatus(tx, GatewayStatus.REJECTED, { notify: false });
    return tx;
  }

  /** A pending transaction past date_valid becomes expired (2201) when anyone looks at it. */
  refreshExpiry(tx: MockTransaction): void {
    if (!isFinalStatus(tx.status) && this.options.clock.now().getTime() > tx.dateValid.getTime()) {
      this.changeStatus(tx, GatewayStatus.EXPIRED);
    }
  }
}
