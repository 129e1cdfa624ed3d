/** Faults on demand: a down or slow gateway, lost, repeated, reordered or tampered notifications. */
import { Transform } from 'node:stream';
import type Koa from 'koa';
import { z } from 'zod';
import { MockHttpError, sleep } from './http.js';
import { NO_FAULTS, type MockFaults } from './types.js';

const faultsSchema = z
  .object({
    dropNotifications: z.number().int().min(0),
    dropForever: z.boolean(),
    duplicateNotifications: z.number().int().min(0).max(100),
    notificationDelayMs: z.number().int().min(0),
    reorderNotifications: z.boolean(),
    tamperNotifications: z.number().int().min(0),
    tamperMode: z.enum(['signature', 'amount']),
    down: z.union([z.literal(false), z.enum(['unavailable', 'close'])]),
    slowMs: z.number().int().min(0),
  })
  .partial()
  .strict();

export function zodDetails(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

/** The faults in force. Switching reordering off releases what it held. */
export class FaultBox {
  private current: MockFaults = { ...NO_FAULTS };

  constructor(private readonly releaseHeld: () => Promise<void>) {}

  get(): MockFaults {
    return this.current;
  }

  /** Used by the notifier to count down its fault counters. */
  patch(patch: Partial<MockFaults>): void {
    this.current = { ...this.current, ...patch };
  }

  set(patch: unknown): MockFaults {
    const parsed = faultsSchema.safeParse(patch);
    if (!parsed.success) throw new MockHttpError(400, 'invalid_request', 'invalid faults', zodDetails(parsed.error));
    const wasHolding = this.current.reorderNotifications;
    this.current = { ...this.current, ...(parsed.data as Partial<MockFaults>) };
    if (wasHolding && !this.current.reorderNotifications) void this.releaseHeld();
    return { ...this.current };
  }

  clear(): MockFaults {
    const wasHolding = this.current.reorderNotifications;
    this.current = { ...NO_FAULTS };
    if (wasHolding) void this.releaseHeld();
    return { ...this.current };
  }
}

export interface TrafficStats {
  jwksRequests: number;
  apiRequests: number;
}

/** Counts traffic and applies `down`/`slowMs` to every path but the control API. */
export function faultMiddleware(faults: FaultBox, stats: TrafficStats, closing: AbortSignal): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.path.startsWith('/__control')) {
      await next();
      return;
    }
    if (ctx.path === '/.well-known/jwks.json') stats.jwksRequests += 1;
    if (ctx.path.startsWith('/api/')) stats.apiRequests += 1;
    const f = faults.get();
    if (f.slowMs > 0) await sleep(f.slowMs, closing);
    if (closing.aborted) {
      ctx.status = 503;
      ctx.body = { error: { code: 'closing', message: 'the gateway is shutting down' } };
      return;
    }
    if (f.down === 'close') {
      ctx.respond = false;
      ctx.req.socket.destroy();
      return;
    }
    if (f.down === 'unavailable') {
      ctx.status = 503;
      ctx.set('Retry-After', '30');
      ctx.body = { error: { code: 'unavailable', message: 'the gateway is down (simulated)' } };
      return;
    }
    await next();
  };
}

/** Flips one byte near the end of a body (the last data character) after it was signed. */
export function tamperStream(size: number): Transform {
  const target = Math.max(0, size - 2);
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
      if (target >= offset && target < offset + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[target - offset] = copy[target - offset]! ^ 0x01;
        chunk = copy;
      }
      offset += chunk.length;
      callback(null, chunk);
    },
  });
}
