/** The mock gateway's own ES256 keys: all published, one signing. */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

interface GatewayKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JWK;
}

function generateKey(): GatewayKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const { x, y } = createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string; y: string };
  // RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order, no whitespace.
  const kid = createHash('sha256').update(JSON.stringify({ crv: 'P-256', kty: 'EC', x, y })).digest('base64url');
  return { kid, privateKey, publicJwk: { kty: 'EC', crv: 'P-256', x, y, kid, alg: 'ES256', use: 'sig' } };
}

export class GatewayKeyRing {
  private readonly keys: GatewayKey[] = [generateKey(), generateKey()];
  /** Two keys are published from the start; the first signs. */
  private signingIndex = 0;

  get signing(): { kid: string; privateKey: KeyObject } {
    const key = this.keys[this.signingIndex]!;
    return { kid: key.kid, privateKey: key.privateKey };
  }

  /** Signs with a brand-new key from now on; the earlier keys stay published. */
  rotate(): string {
    this.keys.push(generateKey());
    this.signingIndex = this.keys.length - 1;
    return this.signing.kid;
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => ({ ...k.publicJwk })) };
  }
}
