/** The mock gateway's own ES256 keys: all published, one signing; exportable to survive a restart. */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { JWS_ALG } from '../../src/gateway/jws.js';

interface GatewayKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JWK;
}

/** What the state file keeps of the keys: private JWKs and which one signs. */
export interface KeyRingSnapshot {
  keys: JWK[];
  signingIndex: number;
}

function describe(privateKey: KeyObject): GatewayKey {
  const { x, y } = createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string; y: string };
  // RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order, no whitespace.
  const kid = createHash('sha256').update(JSON.stringify({ crv: 'P-256', kty: 'EC', x, y })).digest('base64url');
  return { kid, privateKey, publicJwk: { kty: 'EC', crv: 'P-256', x, y, kid, alg: JWS_ALG, use: 'sig' } };
}

function generateKey(): GatewayKey {
  return describe(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
}

export class GatewayKeyRing {
  private readonly keys: GatewayKey[];
  /** Two keys are published from the start; the first signs. */
  private signingIndex = 0;

  constructor(snapshot?: KeyRingSnapshot) {
    if (snapshot && snapshot.keys.length > 0) {
      this.keys = snapshot.keys.map((jwk) => describe(createPrivateKey({ key: jwk as never, format: 'jwk' })));
      this.signingIndex = Math.min(Math.max(0, snapshot.signingIndex), this.keys.length - 1);
    } else {
      this.keys = [generateKey(), generateKey()];
    }
  }

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

  snapshot(): KeyRingSnapshot {
    return { keys: this.keys.map((k) => k.privateKey.export({ format: 'jwk' }) as JWK), signingIndex: this.signingIndex };
  }
}
