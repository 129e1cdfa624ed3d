import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';

/**
 * Passwords are hashed with scrypt (memory-hard, in Node's crypto). Production: N=2^15, r=8, p=1,
 * 32 MiB and about 90 ms per hash on this kind of machine. The stored form carries its parameters,
 * so hashes made with another cost (older ones, or tests' cheap ones) still verify.
 */
export const PRODUCTION_SCRYPT_LOG_N = 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

export interface PasswordHashingOptions {
  /** log2 of scrypt's N: 15 in production; tests pass a low value (10: about 2 ms a hash). */
  scryptLogN?: number;
  /**
   * Hashes computed at once. scrypt runs on libuv's thread pool (4 threads by default), which
   * also verifies gateway signatures (WebCrypto) and reads files, and each hash takes a whole
   * core: by default one core less than the machine has (at least 1, at most 2), so the event
   * loop and the pool always have room for the rest.
   */
  concurrency?: number;
  /** Hashes allowed to wait for a slot; beyond it a request is refused at once (HashingBusyError). */
  maxQueue?: number;
}

/** Every slot is taken and the queue is full: the caller answers "busy, retry later". */
export class HashingBusyError extends Error {
  constructor() {
    super('password hashing queue is full');
    this.name = 'HashingBusyError';
  }
}

/** A counting semaphore with a bounded queue of waiters. */
class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(
    private readonly slots: number,
    private readonly maxQueue: number,
  ) {}

  get capacity(): number {
    return this.slots + this.maxQueue;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.slots) {
      if (this.waiting.length >= this.maxQueue) throw new HashingBusyError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active += 1;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (active stays the same) or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}

function defaultConcurrency(): number {
  return Math.max(1, Math.min(2, availableParallelism() - 1));
}

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashing and verifying passwords with an injected cost and bounded concurrency. */
export class PasswordHasher {
  private readonly logN: number;
  private readonly limiter: Limiter;
  private dummy: Promise<string> | undefined;

  constructor(options: PasswordHashingOptions = {}) {
    this.logN = options.scryptLogN ?? PRODUCTION_SCRYPT_LOG_N;
    if (!Number.isInteger(this.logN) || this.logN < 1 || this.logN > 20) throw new Error(`scrypt log2(N) must be 1..20, not ${this.logN}`);
    this.limiter = new Limiter(options.concurrency ?? defaultConcurrency(), options.maxQueue ?? 16);
  }

  /** Hashes running or waiting at most (the busy answer starts beyond it). */
  get capacity(): number {
    return this.limiter.capacity;
  }

  /** Throws HashingBusyError when the queue is full. */
  hash(password: string): Promise<string> {
    return this.limiter.run(() => this.hashNow(password));
  }

  /** Throws HashingBusyError when the queue is full. */
  verify(password: string, stored: string): Promise<boolean> {
    return this.limiter.run(() => this.verifyNow(password, stored));
  }

  /**
   * The same work as verifying a real login, against a hash of a random password, so that an
   * unknown login costs the same time as a known one. Always false.
   */
  async verifyAgainstDummy(password: string): Promise<false> {
    this.dummy ??= this.hashNow(randomBytes(16).toString('hex'));
    const dummy = await this.dummy;
    await this.verify(password, dummy);
    return false;
  }

  private async hashNow(password: string): Promise<string> {
    const N = 1 << this.logN;
    const salt = randomBytes(16);
    const key = await scryptAsync(password, salt, KEY_LENGTH, { N, r: R, p: P, maxmem: 256 * N * R });
    return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  private async verifyNow(password: string, stored: string): Promise<boolean> {
    const parts = stored.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
    const [, n, r, p, saltB64, keyB64] = parts as [string, string, string, string, string, string];
    const expected = Buffer.from(keyB64, 'base64');
    const N = Number(n);
    const key = await scryptAsync(password, Buffer.from(saltB64, 'base64'), expected.length, {
      N,
      r: Number(r),
      p: Number(p),
      maxmem: 256 * N * Number(r),
    });
    return key.length === expected.length && timingSafeEqual(key, expected);
  }
}

// No 0/O, 1/l/I: a one-time password is read from an e-mail and typed by hand.
const OTP_ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function generateOneTimePassword(length = 14): string {
  let out = '';
  for (let i = 0; i < length; i++) out += OTP_ALPHABET[randomInt(OTP_ALPHABET.length)];
  return out;
}
