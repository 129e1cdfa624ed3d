/**
 * Delivers notifications (SPEC 3.3) the way the gateway does: a JWS per delivery with a fresh
 * iat and jti, the same event_id on every retry, success only on 200 + "OK", retries after
 * 1, 5, 15 and 60 minutes then hourly for 72 hours (times `retryScale`), and the faults tests ask for.
 */
import { randomUUID } from 'node:crypto';
import axios from 'axios';
import type { Logger } from 'pino';
import type { Clock } from '../../src/clock.js';
import { sleep } from './http.js';
import type { DeliveryRecord, MockFaults, NotificationEventView } from './types.js';

/** Minutes after a failed attempt before the next one: 1, 5, 15, 60, then hourly. */
const RETRY_MINUTES = [1, 5, 15, 60];
const HOURLY = 60;
const GIVE_UP_AFTER_MINUTES = 72 * 60;

interface NotificationEvent {
  eventId: string;
  paymentId: string;
  idTrans: string;
  newStatus: number;
  notifyUrl: string;
  /** Claims without iat/jti (added per delivery). */
  claims: Record<string, unknown>;
  attempts: number;
  /** Minutes of the retry schedule used so far. */
  scheduledMinutes: number;
  state: NotificationEventView['state'];
  inFlight: boolean;
  timer: NodeJS.Timeout | undefined;
  nextAttemptAt: Date | null;
}

export interface NotifierOptions {
  sign: (claims: Record<string, unknown>) => Promise<string>;
  clock: Clock;
  retryScale: number;
  timeoutMs: number;
  faults: () => MockFaults;
  /** Lets the notifier count down fault counters. */
  updateFaults: (patch: Partial<MockFaults>) => void;
  logger: Logger;
  signal: AbortSignal;
}

export class Notifier {
  private readonly events = new Map<string, NotificationEvent>();
  private readonly log: DeliveryRecord[] = [];
  private held: NotificationEvent[] = [];
  private readonly waiters = new Set<{ match: (d: DeliveryRecord) => boolean; resolve: (d: DeliveryRecord) => void }>();
  private readonly http = axios.create({ maxRedirects: 0, validateStatus: () => true, proxy: false });

  constructor(private readonly options: NotifierOptions) {}

  enqueue(input: { paymentId: string; idTrans: string; newStatus: number; notifyUrl: string; claims: Record<string, unknown>; eventId?: string }): string {
    const event: NotificationEvent = {
      eventId: input.eventId ?? randomUUID(),
      paymentId: input.paymentId,
      idTrans: input.idTrans,
      newStatus: input.newStatus,
      notifyUrl: input.notifyUrl,
      claims: input.claims,
      attempts: 0,
      scheduledMinutes: 0,
      state: 'pending',
      inFlight: false,
      timer: undefined,
      nextAttemptAt: null,
    };
    event.claims = { ...input.claims, event_id: event.eventId };
    this.events.set(event.eventId, event);
    void this.attempt(event);
    return event.eventId;
  }

  deliveries(): DeliveryRecord[] {
    return this.log.map((d) => ({ ...d }));
  }

  views(): NotificationEventView[] {
    return [...this.events.values()].map((e) => ({
      eventId: e.eventId,
      paymentId: e.paymentId,
      newStatus: e.newStatus,
      state: e.state,
      attempts: e.attempts,
      nextAttemptAt: e.nextAttemptAt,
    }));
  }

  waitFor(match: (d: DeliveryRecord) => boolean, timeoutMs: number): Promise<DeliveryRecord> {
    const found = this.log.find(match);
    if (found) return Promise.resolve({ ...found });
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (d: DeliveryRecord) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve({ ...d });
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no matching notification delivery within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Runs every scheduled retry at once. */
  retryNow(): void {
    for (const event of this.events.values()) {
      if (event.state === 'pending' && event.timer) {
        clearTimeout(event.timer);
        event.timer = undefined;
        void this.attempt(event);
      }
    }
  }

  /** Sends the held deliveries, newest first, one after another. */
  async releaseHeld(): Promise<void> {
    const batch = this.held.reverse();
    this.held = [];
    for (const event of batch) {
      event.state = 'pending';
      await this.send(event);
    }
  }

  reset(): void {
    this.close();
    this.events.clear();
    this.log.length = 0;
    this.held = [];
  }

  close(): void {
    for (const event of this.events.values()) {
      if (event.timer) clearTimeout(event.timer);
      event.timer = undefined;
    }
  }

  private async attempt(event: NotificationEvent): Promise<void> {
    if (this.options.signal.aborted || event.inFlight || event.state !== 'pending') return;
    event.nextAttemptAt = null;
    if (this.options.faults().reorderNotifications) {
      event.state = 'held';
      this.held.push(event);
      return;
    }
    await this.send(event);
  }

  private async send(event: NotificationEvent): Promise<void> {
    if (this.options.signal.aborted || event.inFlight) return;
    event.inFlight = true;
    try {
      event.attempts += 1;
      const attempt = event.attempts;
      const faults = this.options.faults();

      if (faults.dropNotifications > 0) {
        this.options.updateFaults({ dropNotifications: faults.dropNotifications - 1 });
        this.record(event, { attempt, copy: 1, jti: null, outcome: 'dropped', httpStatus: null, responseBody: null, error: null, tampered: null });
        if (faults.dropForever) {
          event.state = 'lost';
        } else {
          this.scheduleRetry(event);
        }
        return;
      }

      await sleep(faults.notificationDelayMs, this.options.signal);
      if (this.options.signal.aborted) return;

      const iat = Math.floor(this.options.clock.now().getTime() / 1000);
      const jti = randomUUID();
      let body = await this.options.sign({ ...event.claims, iat, jti });
      let tampered: DeliveryRecord['tampered'] = null;
      const current = this.options.faults();
      if (current.tamperNotifications > 0) {
        this.options.updateFaults({ tamperNotifications: current.tamperNotifications - 1 });
        tampered = current.tamperMode;
        body = tamper(body, current.tamperMode);
      }

      const copies = Math.max(1, Math.floor(current.duplicateNotifications));
      const results = await Promise.all(Array.from({ length: copies }, (_, i) => this.post(event, body, attempt, i + 1, jti, tampered)));
      if (!results.some((ok) => ok)) this.scheduleRetry(event);
    } finally {
      event.inFlight = false;
    }
  }

  private async post(
    event: NotificationEvent,
    body: string,
    attempt: number,
    copy: number,
    jti: string,
    tampered: DeliveryRecord['tampered'],
  ): Promise<boolean> {
    try {
      const response = await this.http.post<string>(event.notifyUrl, body, {
        headers: { 'Content-Type': 'application/jose' },
        timeout: this.options.timeoutMs,
        signal: AbortSignal.any([this.options.signal, AbortSignal.timeout(this.options.timeoutMs)]),
        responseType: 'text',
        transformResponse: (data: unknown) => data,
        maxContentLength: 64 * 1024,
      });
      const text = typeof response.data === 'string' ? response.data : '';
      const ok = response.status === 200 && text.trim() === 'OK';
      // Before recording, so whoever waits on the delivery log sees the event delivered.
      if (ok) event.state = 'delivered';
      this.record(event, {
        attempt,
        copy,
        jti,
        outcome: ok ? 'ok' : 'rejected',
        httpStatus: response.status,
        responseBody: text.slice(0, 500),
        error: null,
        tampered,
      });
      return ok;
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).message;
      this.record(event, { attempt, copy, jti, outcome: 'error', httpStatus: null, responseBody: null, error: String(code), tampered });
      return false;
    }
  }

  /** False once reset() forgot the event (a delivery still in flight then leaves no trace). */
  private isCurrent(event: NotificationEvent): boolean {
    return this.events.get(event.eventId) === event;
  }

  private scheduleRetry(event: NotificationEvent): void {
    if (this.options.signal.aborted || !this.isCurrent(event)) return;
    const minutes = RETRY_MINUTES[event.attempts - 1] ?? HOURLY;
    if (event.scheduledMinutes + minutes > GIVE_UP_AFTER_MINUTES) {
      event.state = 'gave_up';
      this.options.logger.warn({ eventId: event.eventId, paymentId: event.paymentId }, 'notification given up after 72 h');
      return;
    }
    event.scheduledMinutes += minutes;
    const delayMs = Math.max(0, Math.round(minutes * 60_000 * this.options.retryScale));
    event.state = 'pending';
    event.nextAttemptAt = new Date(this.options.clock.now().getTime() + delayMs);
    event.timer = setTimeout(() => {
      event.timer = undefined;
      void this.attempt(event);
    }, delayMs);
  }

  private record(event: NotificationEvent, fields: Omit<DeliveryRecord, 'eventId' | 'paymentId' | 'idTrans' | 'newStatus' | 'at'>): void {
    if (!this.isCurrent(event)) return;
    const record: DeliveryRecord = {
      eventId: event.eventId,
      paymentId: event.paymentId,
      idTrans: event.idTrans,
      newStatus: event.newStatus,
      at: this.options.clock.now(),
      ...fields,
    };
    this.log.push(record);
    this.options.logger.info(
      { eventId: record.eventId, paymentId: record.paymentId, attempt: record.attempt, outcome: record.outcome, httpStatus: record.httpStatus },
      'notification delivery',
    );
    for (const waiter of [...this.waiters]) {
      if (waiter.match(record)) waiter.resolve(record);
    }
  }
}

/** Breaks a signed JWS the way the tamper fault asks. */
function tamper(jws: string, mode: 'signature' | 'amount'): string {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  if (mode === 'signature') {
    const sig = Buffer.from(signature, 'base64url');
    sig[0] = sig[0]! ^ 0x01;
    return `${header}.${payload}.${sig.toString('base64url')}`;
  }
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  claims.transAmount = claims.transAmount === '0.01' ? '0.02' : '0.01';
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}
