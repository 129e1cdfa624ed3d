/**
 * The merchant side of the pbn-jws protocol (SPEC 3): registers transactions, asks for their
 * status, verifies notifications and downloads settlement reports. No database here: callers
 * record what it returns.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import axios, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import {
  GatewayError,
  GatewayRejectedError,
  GatewayTimeoutError,
  GatewayUnavailableError,
  InvalidNotificationError,
  JwsVerificationError,
  SettlementReportSignatureError,
} from './errors.js';
import { RemoteJwks } from './jwks.js';
import { DetachedJwsVerifier, JwsType, freshClaims, parseDetachedJws, signCompactJws } from './jws.js';
import type { MerchantKeys } from './keys.js';
import {
  BEARER_JWS_TTL_SECONDS,
  GATEWAY_AUDIENCE,
  GATEWAY_ISSUER,
  IAT_TOLERANCE_SECONDS,
  ID_TRANS_PATTERN,
  PROTOCOL_AMOUNT_PATTERN,
  TRANSACTION_JWS_TTL_SECONDS,
  describeZodError,
  isValidCalendarDate,
  notificationClaimsSchema,
  statusClaimsSchema,
  toTransactionStatus,
  type GatewayNotification,
  type GatewayTransactionStatus,
} from './protocol.js';
import { VerifyingPassThrough } from './settlement.js';
import { isGatewayStatusCode, type GatewayStatusCode } from './status.js';

export interface GatewayClientOptions {
  /** e.g. https://gateway.example (no trailing /api). */
  baseUrl: string;
  /** id_client: the utility's NIP. */
  merchantId: string;
  merchantKeys: MerchantKeys;
  clock: Clock;
  /** Per request; the gateway counts as down past it (SPEC 4.4: > 5 s → 504). */
  timeoutMs?: number;
  /** Defaults to `${baseUrl}/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** Minimum interval between JWKS refetches caused by unknown kids, whatever the kid (default 60 s). */
  unknownKidRefetchMs?: number;
  logger?: Logger;
}

export interface RegisterTransactionInput {
  /** 10 digits, zero-padded. */
  idTrans: string;
  /** "123.45", > 0. */
  amount: string;
  currency: 'PLN';
  dateValid: Date;
  email?: string;
  /** 26-digit NRB. */
  account: string;
  /** Name^NM^PostCode^ZP^City^CI^Street^ST^Country^CT^ */
  accname: string;
  title: string;
  backpage: string;
  backpagereject: string;
  notifyUrl: string;
}

export interface RegisteredTransaction {
  paymentId: string;
  idTrans: string;
  status: GatewayStatusCode;
  redirectUrl: string;
  /** 201: new; 200: the same id_trans was registered before with identical content. */
  httpStatus: 200 | 201;
}

export interface SettlementReportDownload {
  /** Data rows (lines after the header). */
  rows: number;
  bytes: number;
  /** The gateway key that signed the report. */
  kid: string;
}

const registrationAnswerSchema = z.object({
  paymentId: z.string().min(1).max(128),
  id_trans: z.string(),
  status: z.number().refine(isGatewayStatusCode),
  redirectUrl: z.string().regex(/^https?:\/\//, 'redirectUrl must be an http(s) URL'),
});

const MAX_ANSWER_BYTES = 1024 * 1024;

export class GatewayClient {
  readonly baseUrl: string;
  readonly merchantId: string;
  readonly timeoutMs: number;
  /** The gateway's keys (exposed for observability and tests). */
  readonly gatewayJwks: RemoteJwks;
  private merchantKeys: MerchantKeys;
  private readonly clock: Clock;
  private readonly http: AxiosInstance;
  private readonly logger: Logger | undefined;

  constructor(options: GatewayClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.merchantId = options.merchantId;
    this.merchantKeys = options.merchantKeys;
    this.clock = options.clock;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.logger = options.logger;
    // No redirects and no automatic JSON: every answer is checked here.
    this.http = axios.create({ maxRedirects: 0, validateStatus: () => true });
    this.gatewayJwks = new RemoteJwks({
      url: options.jwksUrl ?? `${this.baseUrl}/.well-known/jwks.json`,
      clock: options.clock,
      timeoutMs: this.timeoutMs,
      http: this.http,
      ...(options.unknownKidRefetchMs !== undefined ? { unknownKidRefetchMs: options.unknownKidRefetchMs } : {}),
    });
  }

  /** Switches to rotated merchant keys without restarting (see rotateMerchantKey). */
  useMerchantKeys(keys: MerchantKeys): void {
    this.merchantKeys = keys;
  }

  /** SPEC 3.1. Throws GatewayRejectedError (4xx, e.g. 409), GatewayUnavailableError or GatewayTimeoutError. */
  async registerTransaction(input: RegisterTransactionInput): Promise<RegisteredTransaction> {
    if (!ID_TRANS_PATTERN.test(input.idTrans)) throw new TypeError('idTrans must be 10 digits');
    if (!PROTOCOL_AMOUNT_PATTERN.test(input.amount) || /^0\.00$/.test(input.amount)) {
      throw new TypeError('amount must be a positive "123.45" string');
    }
    const claims: Record<string, unknown> = {
      iss: this.merchantId,
      aud: GATEWAY_AUDIENCE,
      ...freshClaims(this.clock.now(), TRANSACTION_JWS_TTL_SECONDS),
      id_trans: input.idTrans,
      amount: input.amount,
      currency: input.currency,
      date_valid: input.dateValid.toISOString(),
      ...(input.email !== undefined ? { email: input.email } : {}),
      account: input.account,
      accname: input.accname,
      title: input.title,
      backpage: input.backpage,
      backpagereject: input.backpagereject,
      notify_url: input.notifyUrl,
    };
    const key = this.merchantKeys.current;
    const jws = await signCompactJws(claims, key.privateKey, { kid: key.kid, typ: JwsType.transaction });

    const response = await this.send({
      method: 'POST',
      url: `${this.baseUrl}/api/v1/transactions`,
      data: jws,
      headers: { 'Content-Type': 'application/jose', Accept: 'application/json' },
    });
    if (response.status !== 200 && response.status !== 201) {
      throw new GatewayUnavailableError(`gateway answered HTTP ${response.status} to a registration`, response.status);
    }
    const answer = registrationAnswerSchema.safeParse(parseJson(response.data));
    if (!answer.success || answer.data.id_trans !== input.idTrans) {
      throw new GatewayUnavailableError('gateway answered a registration with an unexpected body', response.status);
    }
    this.logger?.info({ idTrans: input.idTrans, paymentId: answer.data.paymentId, httpStatus: response.status }, 'gateway transaction registered');
    return {
      paymentId: answer.data.paymentId,
      idTrans: answer.data.id_trans,
      status: answer.data.status,
      redirectUrl: answer.data.redirectUrl,
      httpStatus: response.status,
    };
  }

  /** SPEC 3.4. The answer's signature is checked; a bad one is GatewayUnavailableError. */
  getTransactionStatus(paymentId: string): Promise<GatewayTransactionStatus> {
    return this.statusExchange('GET', `/api/v1/transactions/${encodeURIComponent(paymentId)}`, paymentId, 'a status query');
  }

  /**
   * SPEC 3.6: asks the gateway to cancel a transaction the customer has not paid. The answer is
   * the final status: 2202 when cancelled, 2203 when the money had already come.
   */
  cancelTransaction(paymentId: string): Promise<GatewayTransactionStatus> {
    return this.statusExchange('POST', `/api/v1/transactions/${encodeURIComponent(paymentId)}/cancel`, paymentId, 'a cancellation');
  }

  /** A Bearer-authorised call answered by a signed status JWS about `paymentId`. */
  private async statusExchange(method: 'GET' | 'POST', path: string, paymentId: string, what: string): Promise<GatewayTransactionStatus> {
    const response = await this.send({
      method,
      url: `${this.baseUrl}${path}`,
      headers: { Authorization: `Bearer ${await this.bearerToken()}`, Accept: 'application/jose' },
    });
    if (response.status !== 200) {
      throw new GatewayUnavailableError(`gateway answered HTTP ${response.status} to ${what}`, response.status);
    }
    let status: GatewayTransactionStatus;
    try {
      const { payload } = await this.gatewayJwks.verify(response.data.trim(), JwsType.status);
      this.checkGatewayClaims(payload);
      const claims = statusClaimsSchema.safeParse(payload);
      if (!claims.success) throw new JwsVerificationError('malformed', describeZodError(claims.error));
      status = toTransactionStatus(claims.data, payload.iat as number);
    } catch (err) {
      if (err instanceof JwsVerificationError) {
        throw new GatewayUnavailableError(`gateway answer to ${what} refused (${err.reason}): ${err.message}`, response.status, { cause: err });
      }
      throw err;
    }
    if (status.paymentId !== paymentId) {
      throw new GatewayUnavailableError(`gateway answer to ${what} is about another paymentId`, response.status);
    }
    return status;
  }

  /**
   * SPEC 3.3: verifies a notification body. Throws InvalidNotificationError for everything the
   * merchant must refuse with 401. When the gateway's JWKS cannot be fetched it throws
   * GatewayUnavailableError/GatewayTimeoutError instead: answer 5xx so the gateway retries.
   */
  async verifyNotification(body: string | Buffer): Promise<GatewayNotification> {
    const token = (typeof body === 'string' ? body : body.toString('utf8')).trim();
    try {
      const { payload } = await this.gatewayJwks.verify(token, JwsType.notification);
      this.checkGatewayClaims(payload);
      const claims = notificationClaimsSchema.safeParse(payload);
      if (!claims.success) throw new JwsVerificationError('malformed', describeZodError(claims.error));
      return {
        ...toTransactionStatus(claims.data, payload.iat as number),
        eventId: claims.data.event_id,
        jti: claims.data.jti,
      };
    } catch (err) {
      if (err instanceof JwsVerificationError) throw new InvalidNotificationError(err.reason, err.message);
      throw err;
    }
  }

  /**
   * SPEC 3.5: streams the report for `date` into destFile while checking its detached signature.
   * destFile appears only once the signature has verified (the body goes to a temporary file
   * beside it first); on a bad signature nothing is left behind and SettlementReportSignatureError
   * is thrown. Memory use does not depend on the report's size.
   */
  async fetchSettlementReport(date: string, destFile: string): Promise<SettlementReportDownload> {
    if (!isValidCalendarDate(date)) throw new TypeError('date must be YYYY-MM-DD');
    const url = `${this.baseUrl}/api/v1/settlements/${date}`;
    // Until the headers arrive, a hard deadline; while the body streams, axios's idle timeout.
    const headersDeadline = new AbortController();
    const timer = setTimeout(() => headersDeadline.abort(), this.timeoutMs);
    let response: AxiosResponse<Readable>;
    try {
      response = await this.http.request<Readable>({
        method: 'GET',
        url,
        headers: { Authorization: `Bearer ${await this.bearerToken()}`, Accept: 'text/csv' },
        responseType: 'stream',
        timeout: this.timeoutMs,
        signal: headersDeadline.signal,
      });
    } catch (err) {
      throw this.transportError(err, url);
    } finally {
      clearTimeout(timer);
    }
    const body = response.data;

    if (response.status !== 200) {
      const text = await readLimited(body, 64 * 1024).catch(() => '');
      throw this.statusError(response.status, text, 'settlement report');
    }

    let detached: ReturnType<typeof parseDetachedJws>;
    let key: KeyObject;
    try {
      const signatureHeader: unknown = response.headers['x-pbn-signature'];
      if (typeof signatureHeader !== 'string' || signatureHeader.length === 0) {
        throw new SettlementReportSignatureError('missing_signature', 'the report has no X-PBN-Signature header');
      }
      detached = parseDetachedJws(signatureHeader);
      if (detached.header.typ !== JwsType.settlement) {
        throw new SettlementReportSignatureError('wrong_type', `typ must be ${JwsType.settlement}`);
      }
      key = await this.gatewayJwks.getKey(detached.header.kid);
    } catch (err) {
      body.destroy();
      if (err instanceof JwsVerificationError) throw new SettlementReportSignatureError(err.reason, err.message);
      throw err;
    }

    const tmpFile = `${destFile}.${randomBytes(6).toString('hex')}.part`;
    const verifying = new VerifyingPassThrough(new DetachedJwsVerifier(detached.protectedHeaderB64));
    try {
      await pipeline(body, verifying, createWriteStream(tmpFile, { mode: 0o600 }));
    } catch (err) {
      await unlink(tmpFile).catch(() => undefined);
      throw this.transportError(err, url);
    }
    if (!verifying.verify(key, detached.signature)) {
      await unlink(tmpFile).catch(() => undefined);
      this.logger?.warn({ date, kid: detached.header.kid }, 'settlement report signature does not verify');
      throw new SettlementReportSignatureError('bad_signature', `the settlement report of ${date} does not match its signature`);
    }
    await rename(tmpFile, destFile);
    return { rows: verifying.dataRows, bytes: verifying.bytes, kid: detached.header.kid };
  }

  /** iss, aud and iat checks shared by notifications and status answers. */
  private checkGatewayClaims(payload: Record<string, unknown>): void {
    if (payload.iss !== GATEWAY_ISSUER) throw new JwsVerificationError('wrong_issuer', `iss must be ${GATEWAY_ISSUER}`);
    const aud = payload.aud;
    const audOk = aud === this.merchantId || (Array.isArray(aud) && aud.includes(this.merchantId));
    if (!audOk) throw new JwsVerificationError('wrong_audience', 'aud is not this merchant');
    if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) throw new JwsVerificationError('malformed', 'iat is missing');
    const nowSeconds = this.clock.now().getTime() / 1000;
    if (Math.abs(nowSeconds - payload.iat) > IAT_TOLERANCE_SECONDS) {
      throw new JwsVerificationError('stale_iat', `iat is more than ${IAT_TOLERANCE_SECONDS} s from our clock`);
    }
    if (payload.exp !== undefined && (typeof payload.exp !== 'number' || payload.exp < nowSeconds)) {
      throw new JwsVerificationError('expired', 'exp has passed');
    }
  }

  private bearerToken(): Promise<string> {
    const key = this.merchantKeys.current;
    return signCompactJws(
      { iss: this.merchantId, aud: GATEWAY_AUDIENCE, ...freshClaims(this.clock.now(), BEARER_JWS_TTL_SECONDS) },
      key.privateKey,
      { kid: key.kid, typ: JwsType.auth },
    );
  }

  /** One request/answer exchange with a text body; maps transport failures and 4xx/5xx. */
  private async send(config: AxiosRequestConfig): Promise<AxiosResponse<string> & { status: number }> {
    let response: AxiosResponse<string>;
    try {
      response = await this.http.request<string>({
        ...config,
        timeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
        responseType: 'text',
        transformResponse: (data: unknown) => data,
        maxContentLength: MAX_ANSWER_BYTES,
      });
    } catch (err) {
      throw this.transportError(err, config.url ?? '');
    }
    if (response.status >= 400) throw this.statusError(response.status, response.data, `${config.method} ${pathOf(config.url)}`);
    if (typeof response.data !== 'string') response.data = '';
    return response;
  }

  private statusError(status: number, text: string, what: string): GatewayError {
    if (status >= 400 && status < 500) {
      const parsed = parseJson(text) as { error?: unknown; message?: unknown } | undefined;
      let code: string | undefined;
      let message: string | undefined;
      if (parsed && typeof parsed.error === 'object' && parsed.error !== null) {
        const e = parsed.error as { code?: unknown; message?: unknown };
        code = typeof e.code === 'string' ? e.code : undefined;
        message = typeof e.message === 'string' ? e.message : undefined;
      } else if (parsed) {
        code = typeof parsed.error === 'string' ? parsed.error : undefined;
        message = typeof parsed.message === 'string' ? parsed.message : undefined;
      }
      this.logger?.warn({ httpStatus: status, code, what }, 'gateway refused the request');
      return new GatewayRejectedError(status, code, message?.slice(0, 500));
    }
    this.logger?.warn({ httpStatus: status, what }, 'gateway answered with an error');
    return new GatewayUnavailableError(`gateway answered HTTP ${status} to ${what}`, status);
  }

  private transportError(err: unknown, url: string): GatewayError {
    if (err instanceof GatewayError) return err;
    if (axios.isAxiosError(err) || isAbortError(err)) {
      const code = (err as { code?: string }).code;
      if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED' || isAbortError(err)) {
        this.logger?.warn({ url: pathOf(url), timeoutMs: this.timeoutMs }, 'gateway timed out');
        return new GatewayTimeoutError(`gateway did not answer within ${this.timeoutMs} ms`, this.timeoutMs);
      }
      this.logger?.warn({ url: pathOf(url), code }, 'gateway unreachable');
      return new GatewayUnavailableError(`gateway unreachable (${code ?? 'network error'})`, undefined, { cause: err });
    }
    return new GatewayUnavailableError('gateway exchange failed', undefined, { cause: err });
  }
}

function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'CanceledError' || err.name === 'TimeoutError');
}

function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '').pathname;
  } catch {
    return '';
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function readLimited(stream: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    chunks.push(b);
    size += b.length;
    if (size >= limit) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}
