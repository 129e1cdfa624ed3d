/**
 * JWS helpers of the pbn-jws protocol: ES256 only, compact serialisation, and detached
 * signatures computed or checked over a stream (settlement reports can be a million rows).
 */
import { createVerify, randomUUID, type KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, errors as joseErrors } from 'jose';
import { JwsVerificationError } from './errors.js';

export const JWS_ALG = 'ES256';

export const JwsType = {
  transaction: 'pbn-transaction+jwt',
  notification: 'pbn-notification+jwt',
  status: 'pbn-status+jwt',
  settlement: 'pbn-settlement',
  /** The Bearer token of status queries and settlement downloads; SPEC 3.4 leaves its typ open. */
  auth: 'pbn-auth+jwt',
} as const;

export interface JwsHeader {
  alg: string;
  kid?: string;
  typ?: string;
  crit?: unknown;
  b64?: unknown;
  [name: string]: unknown;
}

/** Finds the verification key for a kid; throws JwsVerificationError('unknown_kid') when there is none. */
export type KeyResolver = (kid: string) => Promise<KeyObject>;

/**
 * Encodes a byte stream to base64url piecewise: each call encodes the longest prefix whose
 * length is a multiple of 3 and carries the rest, so the concatenation of the outputs equals
 * base64url of the whole stream.
 */
export class Base64UrlStreamEncoder {
  private carry: Buffer = Buffer.alloc(0);

  update(chunk: Buffer): string {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const usable = data.length - (data.length % 3);
    this.carry = Buffer.from(data.subarray(usable));
    return usable > 0 ? data.subarray(0, usable).toString('base64url') : '';
  }

  final(): string {
    const rest = this.carry.length > 0 ? this.carry.toString('base64url') : '';
    this.carry = Buffer.alloc(0);
    return rest;
  }
}

/** Signs a JSON payload as an ES256 compact JWS. */
export async function signCompactJws(
  payload: Record<string, unknown>,
  key: KeyObject,
  header: { kid: string; typ: string },
): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(payload), 'utf8'))
    .setProtectedHeader({ alg: JWS_ALG, kid: header.kid, typ: header.typ })
    .sign(key);
}

/** Standard claims of a protocol JWT; `ttlSeconds` is how far ahead `exp` is. */
export function freshClaims(now: Date, ttlSeconds: number): { iat: number; exp: number; jti: string } {
  const iat = Math.floor(now.getTime() / 1000);
  return { iat, exp: iat + ttlSeconds, jti: randomUUID() };
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/** Decodes and checks a protected header against the ES256-only policy. */
export function parseProtectedHeader(encoded: string): JwsHeader & { kid: string } {
  if (!B64URL.test(encoded) || encoded.length === 0) {
    throw new JwsVerificationError('malformed', 'protected header is not base64url');
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw new JwsVerificationError('malformed', 'protected header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new JwsVerificationError('malformed', 'protected header is not a JSON object');
  }
  const h = header as JwsHeader;
  if (h.alg !== JWS_ALG) {
    throw new JwsVerificationError('unsupported_alg', `alg ${JSON.stringify(h.alg ?? null)} is not accepted, only ES256`);
  }
  // Nothing in the protocol needs crit or unencoded payloads; refusing them keeps verification simple.
  if (h.crit !== undefined || h.b64 !== undefined) {
    throw new JwsVerificationError('malformed', 'crit/b64 header parameters are not accepted');
  }
  if (typeof h.kid !== 'string' || h.kid.length === 0) {
    throw new JwsVerificationError('unknown_kid', 'JWS header has no kid');
  }
  return h as JwsHeader & { kid: string };
}

/**
 * Verifies an ES256 compact JWS whose header must carry `typ: expectedTyp`; returns the header and
 * the payload parsed as a JSON object. Claims are the caller's business.
 */
export async function verifyCompactJws(
  token: string,
  resolveKey: KeyResolver,
  expectedTyp: string,
): Promise<{ header: JwsHeader & { kid: string }; payload: Record<string, unknown> }> {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) {
    throw new JwsVerificationError('malformed', 'not a JWS in compact serialisation');
  }
  const header = parseProtectedHeader(parts[0]!);
  if (header.typ !== expectedTyp) {
    throw new JwsVerificationError('wrong_type', `typ must be ${expectedTyp}`);
  }
  const key = await resolveKey(header.kid);
  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(parts.join('.'), key, { algorithms: [JWS_ALG] }));
  } catch (err) {
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw new JwsVerificationError('bad_signature', 'signature does not verify');
    }
    if (err instanceof joseErrors.JOSEAlgNotAllowed) {
      throw new JwsVerificationError('unsupported_alg', 'only ES256 is accepted');
    }
    // Structural problems (bad signature length, bad encoding) end up here.
    throw new JwsVerificationError('bad_signature', 'JWS could not be verified');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadBytes).toString('utf8'));
  } catch {
    throw new JwsVerificationError('malformed', 'payload is not JSON');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new JwsVerificationError('malformed', 'payload is not a JSON object');
  }
  return { header, payload: payload as Record<string, unknown> };
}

/** Parses a detached JWS (`header..signature`, RFC 7515 appendix F). */
export function parseDetachedJws(value: string): {
  protectedHeaderB64: string;
  header: JwsHeader & { kid: string };
  signature: Buffer;
} {
  const parts = value.trim().split('.');
  if (parts.length !== 3 || parts[1] !== '' || !B64URL.test(parts[0]!) || !B64URL.test(parts[2]!)) {
    throw new JwsVerificationError('malformed', 'not a detached JWS (header..signature)');
  }
  const header = parseProtectedHeader(parts[0]!);
  const signature = Buffer.from(parts[2]!, 'base64url');
  if (signature.length !== 64) {
    throw new JwsVerificationError('bad_signature', 'an ES256 signature is 64 bytes');
  }
  return { protectedHeaderB64: parts[0]!, header, signature };
}

/**
 * Checks a detached ES256 JWS over a body fed chunk by chunk: the signing input is
 * `protectedHeaderB64 + '.' + base64url(body)`, hashed with SHA-256 as it streams.
 */
export class DetachedJwsVerifier {
  private readonly verifier = createVerify('sha256');
  private readonly encoder = new Base64UrlStreamEncoder();

  constructor(protectedHeaderB64: string) {
    this.verifier.update(`${protectedHeaderB64}.`, 'ascii');
  }

  update(chunk: Buffer): void {
    const encoded = this.encoder.update(chunk);
    if (encoded.length > 0) this.verifier.update(encoded, 'ascii');
  }

  /** True when the signature (64 bytes, r||s) matches. Call once, after the last chunk. */
  verify(key: KeyObject, signature: Buffer): boolean {
    const rest = this.encoder.final();
    if (rest.length > 0) this.verifier.update(rest, 'ascii');
    try {
      return this.verifier.verify({ key, dsaEncoding: 'ieee-p1363' }, signature);
    } catch {
      return false;
    }
  }
}
