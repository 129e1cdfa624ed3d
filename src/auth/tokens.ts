import { webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';
import type { Clock } from '../clock.js';

export type Role = 'customer' | 'admin' | 'accounting';

export interface AccessClaims {
  loginId: string;
  role: Role;
  /** The login's password version when the token was issued: a password change ends old tokens. */
  passwordVersion: number;
}

/** Verified claims and when the token expires (seconds since the epoch). */
export interface VerifiedClaims extends AccessClaims {
  expiresAt: number;
}

const ISSUER = 'ibok-payments';
const AUDIENCE = 'ibok-api';
export const ACCESS_TOKEN_TTL_SECONDS = 60 * 60;

/** Access tokens: HS256 JWTs signed with the service's secret (JWT_SECRET or DATA_DIR/keys). */
export class TokenService {
  /**
   * The HMAC key imported once: handing jose the raw bytes made it import a WebCrypto key for
   * every request (importKey showed in the CPU profile of authenticated reads).
   */
  private readonly key: Promise<webcrypto.CryptoKey>;
  constructor(
    secret: Uint8Array,
    private readonly clock: Clock,
  ) {
    this.key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  }

  async issue(claims: AccessClaims): Promise<string> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return new SignJWT({ role: claims.role, pwv: claims.passwordVersion })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.loginId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + ACCESS_TOKEN_TTL_SECONDS)
      .sign(await this.key);
  }

  /** Returns the claims, or undefined for any token that is not ours, expired or malformed. */
  async verify(token: string): Promise<VerifiedClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, await this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: this.clock.now(),
      });
      const role = payload.role;
      if (typeof payload.sub !== 'string' || typeof payload.pwv !== 'number' || typeof payload.exp !== 'number') return undefined;
      if (role !== 'customer' && role !== 'admin' && role !== 'accounting') return undefined;
      return { loginId: payload.sub, role, passwordVersion: payload.pwv, expiresAt: payload.exp };
    } catch (err) {
      if (err instanceof errors.JOSEError) return undefined;
      throw err;
    }
  }
}
