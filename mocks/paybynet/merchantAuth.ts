/**
 * Verifies the merchant's JWS (registrations and Bearer tokens) against the merchant's JWKS:
 * ES256 only, kid required, the JWKS cached and refetched on an unknown kid.
 * Uses jose's remote JWKS set, independent of the merchant-side code in src/gateway.
 */
import { compactVerify, createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { JWS_ALG } from '../../src/gateway/jws.js';
import { MockHttpError } from './http.js';

export interface VerifiedMerchantJws {
  header: { alg: string; kid: string; typ?: string };
  payload: Record<string, unknown>;
}

/** Reads the claims without checking anything: only to find which JWKS to check them with. */
export function peekClaims(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new MockHttpError(401, 'malformed_jws', 'not a JWS in compact serialisation');
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) return payload as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new MockHttpError(401, 'malformed_jws', 'the JWS payload is not a JSON object');
}

export class MerchantKeyDirectory {
  private readonly sets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  /** How many JWKS URLs were resolved (not fetches: jose fetches lazily). */
  constructor(private readonly options: { cooldownMs: number; timeoutMs: number }) {}

  private setFor(url: string): ReturnType<typeof createRemoteJWKSet> {
    let set = this.sets.get(url);
    if (!set) {
      set = createRemoteJWKSet(new URL(url), {
        cooldownDuration: this.options.cooldownMs,
        timeoutDuration: this.options.timeoutMs,
        cacheMaxAge: 10 * 60_000,
      });
      this.sets.set(url, set);
    }
    return set;
  }

  /**
   * Checks alg, kid, typ (`acceptTyp` says which are fine) and the signature.
   * Every refusal is a 401 MockHttpError with a snake_case code.
   */
  async verify(token: string, jwksUrl: string, acceptTyp: (typ: string | undefined) => boolean): Promise<VerifiedMerchantJws> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new MockHttpError(401, 'malformed_jws', 'not a JWS in compact serialisation');
    }
    if (header.alg !== JWS_ALG) throw new MockHttpError(401, 'unsupported_alg', 'only ES256 is accepted');
    if (typeof header.kid !== 'string' || header.kid === '') throw new MockHttpError(401, 'missing_kid', 'the JWS header has no kid');
    if (header.crit !== undefined || header.b64 !== undefined) throw new MockHttpError(401, 'malformed_jws', 'crit/b64 are not accepted');
    if (!acceptTyp(header.typ)) throw new MockHttpError(401, 'wrong_type', `typ ${String(header.typ)} is not accepted here`);

    let payloadBytes: Uint8Array;
    try {
      ({ payload: payloadBytes } = await compactVerify(token, this.setFor(jwksUrl), { algorithms: [JWS_ALG] }));
    } catch (err) {
      if (err instanceof joseErrors.JWKSNoMatchingKey) throw new MockHttpError(401, 'unknown_kid', 'no merchant key with this kid');
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new MockHttpError(401, 'bad_signature', 'the signature does not verify');
      if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid || !(err instanceof joseErrors.JOSEError)) {
        throw new MockHttpError(401, 'merchant_jwks_unavailable', 'the merchant JWKS could not be fetched');
      }
      throw new MockHttpError(401, 'bad_signature', 'the JWS could not be verified');
    }
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(payloadBytes).toString('utf8'));
    } catch {
      throw new MockHttpError(401, 'malformed_jws', 'the JWS payload is not JSON');
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new MockHttpError(401, 'malformed_jws', 'the JWS payload is not a JSON object');
    }
    return { header: { alg: header.alg, kid: header.kid, ...(header.typ ? { typ: header.typ } : {}) }, payload: payload as Record<string, unknown> };
  }
}
