import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JwsVerificationError } from '../../../src/gateway/errors.js';
import {
  Base64UrlStreamEncoder,
  DetachedJwsVerifier,
  parseDetachedJws,
  parseProtectedHeader,
  signCompactJws,
  verifyCompactJws,
} from '../../../src/gateway/jws.js';
import { DetachedJwsSigner } from '../../../mocks/paybynet/signing.js';

/** Splits bytes at the given cut points. */
function chunked(bytes: Uint8Array, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(Buffer.from(bytes.subarray(from, p)));
    from = p;
  }
  return chunks;
}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

describe('streaming base64url', () => {
  it('equals base64url of the whole body however the body is cut into chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        const encoder = new Base64UrlStreamEncoder();
        const encoded = chunked(bytes, cuts).map((c) => encoder.update(c)).join('') + encoder.final();
        expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
      }),
    );
  });
});

describe('detached JWS over a stream', () => {
  it('verifies whatever the chunking on either side, and fails when one byte differs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.array(fc.nat(), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, signCuts, verifyCuts) => {
        const signer = new DetachedJwsSigner({ kid: 'k1', typ: 'pbn-settlement' });
        for (const c of chunked(bytes, signCuts)) signer.update(c);
        const detached = parseDetachedJws(signer.sign(privateKey));

        const verifier = new DetachedJwsVerifier(detached.protectedHeaderB64);
        for (const c of chunked(bytes, verifyCuts)) verifier.update(c);
        expect(verifier.verify(publicKey, detached.signature)).toBe(true);

        const changed = Buffer.from(bytes);
        changed[changed.length - 1] = changed[changed.length - 1]! ^ 0x01;
        const other = new DetachedJwsVerifier(detached.protectedHeaderB64);
        other.update(changed);
        expect(other.verify(publicKey, detached.signature)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it('agrees with the RFC 7515 signing input: header, a dot, base64url(body)', async () => {
    const body = Buffer.from('paymentId,id_trans\nPBN1,0000000001\n');
    const signer = new DetachedJwsSigner({ kid: 'k1', typ: 'pbn-settlement' });
    signer.update(body);
    const [header, empty, signature] = signer.sign(privateKey).split('.');
    expect(empty).toBe('');
    // Re-attach the payload: a standard compact verifier must accept it.
    const { compactVerify } = await import('jose');
    const { payload } = await compactVerify(`${header}.${body.toString('base64url')}.${signature}`, publicKey);
    expect(Buffer.from(payload).equals(body)).toBe(true);
  });

  it('refuses a detached value that is not header..signature', () => {
    expect(() => parseDetachedJws('abc.def.ghi')).toThrow(JwsVerificationError);
    expect(() => parseDetachedJws('nonsense')).toThrow(JwsVerificationError);
  });
});

describe('ES256-only header policy', () => {
  const enc = (h: unknown) => Buffer.from(JSON.stringify(h)).toString('base64url');

  it.each([
    [{ alg: 'none', kid: 'k' }, 'unsupported_alg'],
    [{ alg: 'HS256', kid: 'k' }, 'unsupported_alg'],
    [{ alg: 'RS256', kid: 'k' }, 'unsupported_alg'],
    [{ alg: 'ES384', kid: 'k' }, 'unsupported_alg'],
    [{ kid: 'k' }, 'unsupported_alg'],
    [{ alg: 'ES256' }, 'unknown_kid'],
    [{ alg: 'ES256', kid: '' }, 'unknown_kid'],
    [{ alg: 'ES256', kid: 'k', crit: ['exp'] }, 'malformed'],
    [{ alg: 'ES256', kid: 'k', b64: false }, 'malformed'],
  ])('%j → %s', (header, reason) => {
    const error = (() => {
      try {
        parseProtectedHeader(enc(header));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(JwsVerificationError);
    expect((error as JwsVerificationError).reason).toBe(reason);
  });

  it('verifies a compact JWS with the key the resolver gives for its kid, and checks typ', async () => {
    const token = await signCompactJws({ hello: 'world' }, privateKey, { kid: 'k1', typ: 'pbn-status+jwt' });
    const resolver = (kid: string) =>
      kid === 'k1' ? Promise.resolve(publicKey) : Promise.reject(new JwsVerificationError('unknown_kid', 'no'));
    await expect(verifyCompactJws(token, resolver, 'pbn-status+jwt')).resolves.toMatchObject({ payload: { hello: 'world' } });
    await expect(verifyCompactJws(token, resolver, 'pbn-notification+jwt')).rejects.toMatchObject({ reason: 'wrong_type' });
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    await expect(verifyCompactJws(token, () => Promise.resolve(other), 'pbn-status+jwt')).rejects.toMatchObject({ reason: 'bad_signature' });
  });
});
