/**
 * The gateway's side of the pbn-jws protocol (SPEC 3): its JWKS, registrations, status queries,
 * cancellations and signed settlement reports. Protocol constants come from src/gateway, so the
 * mock and the merchant cannot drift apart; the checks themselves are the mock's own.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type Koa from 'koa';
import type { Router } from '@koa/router';
import { z } from 'zod';
import type { Clock } from '../../src/clock.js';
import { JwsType, signCompactJws } from '../../src/gateway/jws.js';
import {
  BEARER_JWS_TTL_SECONDS,
  DATE_VALID_MAX_SECONDS,
  DATE_VALID_MIN_SECONDS,
  GATEWAY_AUDIENCE,
  IAT_TOLERANCE_SECONDS,
  ID_TRANS_PATTERN,
  NRB_PATTERN,
  PROTOCOL_AMOUNT_PATTERN,
  TITLE_MAX_LENGTH,
  TRANSACTION_JWS_TTL_SECONDS,
  isValidCalendarDate,
  isValidInstant,
} from '../../src/gateway/protocol.js';
import { GatewayStatus } from '../../src/gateway/status.js';
import { tamperStream, zodDetails } from './faults.js';
import { MockHttpError, pathParam, readBody } from './http.js';
import { MerchantKeyDirectory, peekClaims } from './merchantAuth.js';
import type { SettlementReports } from './reports.js';
import { contentKey, newPaymentId, type MockState } from './state.js';
import type { MockTransaction } from './types.js';

const MAX_JOSE_BODY = 64 * 1024;
/** date_valid bounds are checked with this much grace for network and clock latency. */
const DATE_VALID_GRACE_MS = 60_000;

export const httpUrl = z.string().max(2048).refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an http(s) URL');

/** The registration claims of SPEC 3.1 (iat, exp, jti and aud are checked before). */
const registrationSchema = z.object({
  iss: z.string().min(1).max(64),
  id_trans: z.string().regex(ID_TRANS_PATTERN, 'id_trans must be 10 digits'),
  amount: z.string().regex(PROTOCOL_AMOUNT_PATTERN, 'amount must look like "123.45"').refine((a) => a !== '0.00', 'amount must be greater than 0'),
  currency: z.literal('PLN', { error: 'currency must be PLN' }),
  date_valid: z.string().refine(isValidInstant, 'date_valid must be an ISO instant'),
  email: z.email().max(254).optional(),
  account: z.string().regex(NRB_PATTERN, 'account must be a 26-digit NRB'),
  accname: z.string().min(1).max(512),
  title: z.string().min(1).max(TITLE_MAX_LENGTH, `title must be at most ${TITLE_MAX_LENGTH} characters`),
  backpage: httpUrl,
  backpagereject: httpUrl,
  notify_url: httpUrl,
});

export interface ProtocolDeps {
  state: MockState;
  reports: SettlementReports;
  clock: Clock;
  merchantKeys: MerchantKeyDirectory;
  /** Fixed merchant JWKS (else derived from notify_url). */
  merchantJwksUrl: string | undefined;
  /** Base of redirectUrl: the configured public URL, the listen URL, or the request's origin. */
  redirectBase: (ctx: Koa.Context) => string;
}

/** Signs claims with the gateway's current key. */
export function signAsGateway(state: MockState, claims: Record<string, unknown>, typ: string): Promise<string> {
  const key = state.keyRing.signing;
  return signCompactJws(claims, key.privateKey, { kid: key.kid, typ });
}

export function mountProtocolRoutes(router: Router, deps: ProtocolDeps): void {
  const { state, clock } = deps;

  function jwksUrlFor(notifyUrl: string | undefined): string {
    if (deps.merchantJwksUrl) return deps.merchantJwksUrl;
    if (!notifyUrl) throw new MockHttpError(401, 'unknown_merchant', 'cannot tell where the merchant keys are');
    try {
      return new URL('/.well-known/jwks.json', notifyUrl).toString();
    } catch {
      throw new MockHttpError(400, 'invalid_request', 'notify_url is not a URL');
    }
  }

  function checkTimeClaims(payload: Record<string, unknown>, maxTtlSeconds: number): void {
    const now = clock.now().getTime() / 1000;
    const { iat, exp } = payload;
    if (typeof iat !== 'number' || typeof exp !== 'number') throw new MockHttpError(401, 'invalid_token', 'iat and exp are required');
    if (exp <= now) throw new MockHttpError(401, 'token_expired', 'exp has passed');
    if (iat > now + IAT_TOLERANCE_SECONDS) throw new MockHttpError(401, 'stale_iat', 'iat is in the future');
    if (exp - iat > maxTtlSeconds || exp > now + maxTtlSeconds + IAT_TOLERANCE_SECONDS) {
      throw new MockHttpError(401, 'exp_too_far', `exp must be at most ${maxTtlSeconds} s after iat`);
    }
    const aud = payload.aud;
    if (!(aud === GATEWAY_AUDIENCE || (Array.isArray(aud) && aud.includes(GATEWAY_AUDIENCE)))) {
      throw new MockHttpError(401, 'wrong_audience', `aud must be ${GATEWAY_AUDIENCE}`);
    }
  }

  /** Checks `Authorization: Bearer <JWS>` (SPEC 3.4); returns the merchant id (iss). */
  async function verifyBearer(ctx: Koa.Context, jwksUrlOf: (iss: string) => string): Promise<string> {
    const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('Authorization'));
    if (!match) throw new MockHttpError(401, 'missing_token', 'Authorization: Bearer <JWS> is required');
    const token = match[1]!;
    const iss = peekClaims(token).iss;
    if (typeof iss !== 'string' || iss === '') throw new MockHttpError(401, 'invalid_token', 'iss is required');
    const { payload } = await deps.merchantKeys.verify(token, jwksUrlOf(iss), (typ) => typ === undefined || typ === 'JWT' || typ === JwsType.auth);
    checkTimeClaims(payload, BEARER_JWS_TTL_SECONDS);
    return iss;
  }

  /** The merchant's own transaction named in the path, or 404 (another merchant's is unknown too). */
  async function ownTransaction(ctx: Koa.Context): Promise<MockTransaction> {
    const tx = state.get(pathParam(ctx, 'paymentId'));
    if (!tx && !deps.merchantJwksUrl) throw new MockHttpError(404, 'not_found', 'no such transaction');
    const iss = await verifyBearer(ctx, () => jwksUrlFor(tx?.notifyUrl));
    if (!tx || tx.merchantId !== iss) throw new MockHttpError(404, 'not_found', 'no such transaction');
    return tx;
  }

  async function answerStatus(ctx: Koa.Context, tx: MockTransaction): Promise<void> {
    const iat = Math.floor(clock.now().getTime() / 1000);
    ctx.type = 'application/jose';
    ctx.body = await signAsGateway(state, { ...state.statusClaims(tx), iat, jti: randomBytes(16).toString('hex') }, JwsType.status);
  }

  const answerRegistration = (ctx: Koa.Context, tx: MockTransaction) => ({
    paymentId: tx.paymentId,
    id_trans: tx.idTrans,
    status: tx.status,
    redirectUrl: `${deps.redirectBase(ctx)}/pay/${tx.paymentId}`,
  });

  router.get('/.well-known/jwks.json', (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = state.keyRing.jwks();
  });

  router.post('/api/v1/transactions', async (ctx) => {
    if (!ctx.request.is('application/jose')) {
      throw new MockHttpError(415, 'unsupported_media_type', 'Content-Type must be application/jose');
    }
    const token = (await readBody(ctx.req, MAX_JOSE_BODY)).trim();
    const peek = peekClaims(token);
    if (!deps.merchantJwksUrl && typeof peek.notify_url !== 'string') {
      throw new MockHttpError(400, 'invalid_request', 'notify_url is required');
    }
    const jwksUrl = jwksUrlFor(peek.notify_url as string | undefined);
    const { payload } = await deps.merchantKeys.verify(token, jwksUrl, (typ) => typ === JwsType.transaction);
    checkTimeClaims(payload, TRANSACTION_JWS_TTL_SECONDS);
    if (typeof payload.jti !== 'string' || payload.jti === '') throw new MockHttpError(401, 'invalid_token', 'jti is required');

    const parsed = registrationSchema.safeParse(payload);
    if (!parsed.success) {
      throw new MockHttpError(400, 'invalid_request', parsed.error.issues[0]?.message ?? 'invalid registration', zodDetails(parsed.error));
    }
    const reg = parsed.data;
    state.learnMerchant(reg.iss, jwksUrl);
    const at = clock.now();
    const tx: MockTransaction = {
      paymentId: newPaymentId(),
      merchantId: reg.iss,
      idTrans: reg.id_trans,
      amount: reg.amount,
      currency: reg.currency,
      dateValid: new Date(reg.date_valid),
      email: reg.email ?? null,
      account: reg.account,
      accname: reg.accname,
      title: reg.title,
      backpage: reg.backpage,
      backpagereject: reg.backpagereject,
      notifyUrl: reg.notify_url,
      status: GatewayStatus.WAITING_FOR_CUSTOMER,
      createdAt: at,
      updatedAt: at,
      paidAt: null,
      settlementDate: null,
      bank: null,
      history: [{ status: GatewayStatus.WAITING_FOR_CUSTOMER, at }],
    };

    const existing = state.byMerchantIdTrans(reg.iss, reg.id_trans);
    if (existing) {
      if (contentKey(existing) !== contentKey(tx)) {
        throw new MockHttpError(409, 'id_trans_conflict', `id_trans ${reg.id_trans} is already registered with different content`);
      }
      state.refreshExpiry(existing);
      ctx.status = 200;
      ctx.body = answerRegistration(ctx, existing);
      return;
    }
    const ahead = tx.dateValid.getTime() - at.getTime();
    if (ahead < DATE_VALID_MIN_SECONDS * 1000 - DATE_VALID_GRACE_MS || ahead > DATE_VALID_MAX_SECONDS * 1000 + DATE_VALID_GRACE_MS) {
      throw new MockHttpError(400, 'date_valid_out_of_range', 'date_valid must be 15 minutes to 7 days ahead');
    }
    state.add(tx);
    ctx.status = 201;
    ctx.body = answerRegistration(ctx, tx);
  });

  router.get('/api/v1/transactions/:paymentId', async (ctx) => {
    const tx = await ownTransaction(ctx);
    state.refreshExpiry(tx);
    await answerStatus(ctx, tx);
  });

  // SPEC 3.6: cancelled while unpaid (2202); otherwise the final status as it is (2203 when paid).
  router.post('/api/v1/transactions/:paymentId/cancel', async (ctx) => {
    const tx = await ownTransaction(ctx);
    state.cancel(tx);
    await answerStatus(ctx, tx);
  });

  router.get('/api/v1/settlements/:date', async (ctx) => {
    const date = ctx.params.date!;
    if (!isValidCalendarDate(date)) throw new MockHttpError(400, 'invalid_date', 'the date must be YYYY-MM-DD');
    const iss = await verifyBearer(ctx, (merchantId) => deps.merchantJwksUrl ?? state.merchantJwks.get(merchantId) ?? jwksUrlFor(undefined));
    const build = await deps.reports.build(date, iss);
    ctx.set('X-PBN-Signature', build.signature);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.length = build.size;
    const file = createReadStream(build.file);
    ctx.body = deps.reports.isTampered(date) ? file.pipe(tamperStream(build.size)) : file;
  });
}
