import type { Clock } from '../clock.js';

/**
 * Failed-login throttling, kept in this process's memory (several instances each keep their own
 * counts: the limits below are per instance; docs/architecture.md says so).
 *
 * Three counters, each a fixed window that starts with its first failure:
 * - per login and client address: a stranger elsewhere cannot lock a customer out, and the
 *   owner guessing wrong is stopped after a few tries (also with the right password then);
 * - per client address: one address trying many logins (password spraying);
 * - overall: many addresses at once.
 * Only failures count: successful logins never add to a counter. A login that does not exist is
 * counted exactly like one that does (its name is the key, not its id).
 */
export interface ThrottleLimits {
  perLogin: { failures: number; windowSeconds: number };
  perAddress: { failures: number; windowSeconds: number };
  overall: { failures: number; windowSeconds: number };
  /** Counters kept at most (oldest dropped first), so a flood of names cannot fill the memory. */
  maxEntries: number;
}

export const DEFAULT_THROTTLE_LIMITS: ThrottleLimits = {
  perLogin: { failures: 5, windowSeconds: 15 * 60 },
  perAddress: { failures: 50, windowSeconds: 15 * 60 },
  overall: { failures: 1000, windowSeconds: 5 * 60 },
  maxEntries: 100_000,
};

interface Counter {
  failures: number;
  /** Attempts of this login and address being checked right now (only the per-login counter). */
  pending: number;
  /** The window opens with the first failure; null while there is none. */
  windowEndsAt: number | null;
}

/** `aborted`: no verdict on the password (busy, database error): only the attempt is let go. */
export type AttemptOutcome = 'success' | 'failure' | 'aborted';

export type ThrottleVerdict =
  | { allowed: true; release(outcome: AttemptOutcome): void }
  | { allowed: false; retryAfterSeconds: number };

export class LoginThrottle {
  private readonly counters = new Map<string, Counter>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: ThrottleLimits = DEFAULT_THROTTLE_LIMITS,
  ) {}

  /**
   * Asks to check a password for `login` from `address`. When allowed, the caller must call
   * `release` with the outcome. Attempts of one login and address still in flight count against
   * its limit, so a burst of parallel guesses cannot slip past it.
   */
  begin(login: string, address: string): ThrottleVerdict {
    const now = this.clock.now().getTime();
    const keys = this.keys(login, address);
    let waitMs = 0;
    for (const { key, limit, countPending } of keys) {
      const c = this.live(key, now);
      if (!c) continue;
      if (c.failures >= limit.failures && c.windowEndsAt !== null) waitMs = Math.max(waitMs, c.windowEndsAt - now);
      else if (countPending && c.failures + c.pending >= limit.failures) waitMs = Math.max(waitMs, 1000);
    }
    if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };

    const pairKey = keys[0].key;
    this.entry(pairKey, now).pending += 1;
    let released = false;
    return {
      allowed: true,
      release: (outcome) => {
        if (released) return;
        released = true;
        const at = this.clock.now().getTime();
        const pair = this.entry(pairKey, at);
        pair.pending = Math.max(0, pair.pending - 1);
        if (outcome === 'success') {
          // The owner got in: their own earlier slips are forgotten (not the address's).
          pair.failures = 0;
          pair.windowEndsAt = null;
        } else if (outcome === 'failure') {
          for (const { key, limit } of keys) {
            const c = this.entry(key, at);
            c.windowEndsAt ??= at + limit.windowSeconds * 1000;
            c.failures += 1;
          }
        }
        if (pair.failures === 0 && pair.pending === 0) this.counters.delete(pairKey);
      },
    };
  }

  /** Failures counted now for one login and address. */
  failuresOf(login: string, address: string): number {
    return this.live(this.keys(login, address)[0].key, this.clock.now().getTime())?.failures ?? 0;
  }

  private keys(login: string, address: string) {
    return [
      { key: `l\u0000${address}\u0000${login}`, limit: this.limits.perLogin, countPending: true },
      { key: `a\u0000${address}`, limit: this.limits.perAddress, countPending: false },
      { key: 'all', limit: this.limits.overall, countPending: false },
    ] as const;
  }

  /** The counter with an expired window reset; undefined when there is nothing to remember. */
  private live(key: string, now: number): Counter | undefined {
    const c = this.counters.get(key);
    if (!c) return undefined;
    if (c.windowEndsAt !== null && c.windowEndsAt <= now) {
      c.failures = 0;
      c.windowEndsAt = null;
    }
    if (c.failures === 0 && c.pending === 0) {
      this.counters.delete(key);
      return undefined;
    }
    return c;
  }

  /** The counter to change (created when absent, an expired window reset, never dropped here). */
  private entry(key: string, now: number): Counter {
    const existing = this.counters.get(key);
    if (existing) {
      if (existing.windowEndsAt !== null && existing.windowEndsAt <= now) {
        existing.failures = 0;
        existing.windowEndsAt = null;
      }
      return existing;
    }
    if (this.counters.size >= this.limits.maxEntries) this.evict(now);
    const c: Counter = { failures: 0, pending: 0, windowEndsAt: null };
    this.counters.set(key, c);
    return c;
  }

  private evict(now: number): void {
    for (const key of [...this.counters.keys()]) this.live(key, now);
    // Still full: drop the oldest (a Map keeps insertion order).
    while (this.counters.size >= this.limits.maxEntries) {
      const oldest = this.counters.keys().next().value;
      if (oldest === undefined) break;
      this.counters.delete(oldest);
    }
  }
}
