/**
 * The other side's public keys, fetched from its JWKS URL and cached. A JWS with a kid we do not
 * know makes us refetch once (the other side may have rotated its key), at most once per
 * `unknownKidRefetchMs` whatever the kid, so that junk kids cannot make us hammer the URL.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import axios, { type AxiosInstance } from 'axios';
import { systemClock, type Clock } from '../clock.js';
import { GatewayTimeoutError, GatewayUnavailableError, JwsVerificationError } from './errors.js';
import { JWS_ALG, verifyCompactJws, type KeyResolver } from './jws.js';

export interface RemoteJwksOptions {
  url: string;
  clock?: Clock;
  timeoutMs?: number;
  /** Keys are refetched after this age even when every kid is known (default 10 minutes). */
  cacheMaxAgeMs?: number;
  /**
   * Minimum interval between refetches caused by unknown kids, whatever the kid (default 60 s):
   * one cooldown for all, so a flood of made-up kids costs the other side one request a minute.
   */
  unknownKidRefetchMs?: number;
  http?: AxiosInstance;
}

interface CachedSet {
  keys: Map<string, KeyObject>;
  fetchedAt: number;
}

const MAX_JWKS_BYTES = 256 * 1024;

/** Keeps the ES256 P-256 signing keys of a JWKS; every other key is ignored. */
export function importEs256Jwks(body: unknown): Map<string, KeyObject> {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { keys?: unknown }).keys)) {
    throw new Error('not a JWKS: no keys array');
  }
  const keys = new Map<string, KeyObject>();
  for (const jwk of (body as { keys: unknown[] }).keys) {
    if (typeof jwk !== 'object' || jwk === null) continue;
    const k = jwk as Record<string, unknown>;
    if (k.kty !== 'EC' || k.crv !== 'P-256' || typeof k.kid !== 'string' || k.kid === '') continue;
    if (k.alg !== undefined && k.alg !== JWS_ALG) continue;
    if (k.use !== undefined && k.use !== 'sig') continue;
    if (typeof k.x !== 'string' || typeof k.y !== 'string' || k.d !== undefined) continue;
    try {
      keys.set(k.kid, createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: k.x, y: k.y }, format: 'jwk' }));
    } catch {
      // An unusable key is as good as absent.
    }
  }
  return keys;
}

export class RemoteJwks {
  readonly url: string;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly cacheMaxAgeMs: number;
  private readonly unknownKidRefetchMs: number;
  private readonly http: AxiosInstance;
  private cache: CachedSet | undefined;
  private inFlight: Promise<CachedSet> | undefined;
  /** When an unknown kid last made us refetch (one cooldown shared by every kid). */
  private lastUnknownKidRefetch: number | undefined;
  /** How many times the JWKS was fetched (observability and tests). */
  fetchCount = 0;

  constructor(options: RemoteJwksOptions) {
    this.url = options.url;
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.cacheMaxAgeMs = options.cacheMaxAgeMs ?? 10 * 60_000;
    this.unknownKidRefetchMs = options.unknownKidRefetchMs ?? 60_000;
    this.http = options.http ?? axios.create();
  }

  /** The key for kid; refetches once on an unknown kid. Throws JwsVerificationError('unknown_kid'). */
  async getKey(kid: string): Promise<KeyObject> {
    const now = this.clock.now().getTime();
    let set = this.cache;
    if (!set) {
      set = await this.refresh();
    } else if (now - set.fetchedAt > this.cacheMaxAgeMs) {
      try {
        set = await this.refresh();
      } catch {
        // A stale set is better than none while the other side's JWKS is briefly unreachable.
      }
    }
    const known = set.keys.get(kid);
    if (known) return known;

    const last = this.lastUnknownKidRefetch;
    if (last === undefined || now - last >= this.unknownKidRefetchMs || now < last) {
      this.lastUnknownKidRefetch = now;
      set = await this.refresh();
      const found = set.keys.get(kid);
      if (found) return found;
    }
    throw new JwsVerificationError('unknown_kid', 'no ES256 key with this kid in the JWKS');
  }

  /** A KeyResolver for verifyCompactJws. */
  readonly resolver: KeyResolver = (kid) => this.getKey(kid);

  /** Verifies a compact JWS of the given typ with these keys. */
  verify(token: string, expectedTyp: string): ReturnType<typeof verifyCompactJws> {
    return verifyCompactJws(token, this.resolver, expectedTyp);
  }

  /** Fetches the JWKS now; concurrent callers share one request. */
  refresh(): Promise<CachedSet> {
    if (!this.inFlight) {
      this.inFlight = this.fetch().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  private async fetch(): Promise<CachedSet> {
    this.fetchCount += 1;
    let response;
    try {
      response = await this.http.get<string>(this.url, {
        timeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
        responseType: 'text',
        transformResponse: (data: unknown) => data,
        maxContentLength: MAX_JWKS_BYTES,
        maxRedirects: 0,
        validateStatus: () => true,
        headers: { Accept: 'application/json' },
      });
    } catch (err) {
      if (axios.isAxiosError(err) && (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT' || err.code === 'ERR_CANCELED')) {
        throw new GatewayTimeoutError(`JWKS ${this.url} did not answer within ${this.timeoutMs} ms`, this.timeoutMs);
      }
      throw new GatewayUnavailableError(`JWKS ${this.url} unreachable`, undefined, { cause: err });
    }
    if (response.status !== 200) {
      throw new GatewayUnavailableError(`JWKS ${this.url} answered HTTP ${response.status}`, response.status);
    }
    let keys: Map<string, KeyObject>;
    try {
      keys = importEs256Jwks(JSON.parse(response.data));
    } catch (err) {
      throw new GatewayUnavailableError(`JWKS ${this.url} is not a valid JWKS`, response.status, { cause: err });
    }
    const set = { keys, fetchedAt: this.clock.now().getTime() };
    this.cache = set;
    return set;
  }
}
