/** Signing helpers only the gateway side needs (the merchant verifies; see src/gateway/jws.ts). */
import { createSign, type KeyObject } from 'node:crypto';
import { Base64UrlStreamEncoder, JWS_ALG, type JwsHeader } from '../../src/gateway/jws.js';

function encodeProtectedHeader(header: JwsHeader): string {
  return Buffer.from(JSON.stringify(header), 'utf8').toString('base64url');
}

/** The signing twin of the merchant's DetachedJwsVerifier: signs a settlement report as it streams. */
export class DetachedJwsSigner {
  private readonly signer = createSign('sha256');
  private readonly encoder = new Base64UrlStreamEncoder();
  private readonly protectedHeaderB64: string;

  constructor(header: { kid: string; typ: string }) {
    this.protectedHeaderB64 = encodeProtectedHeader({ alg: JWS_ALG, kid: header.kid, typ: header.typ });
    this.signer.update(`${this.protectedHeaderB64}.`, 'ascii');
  }

  update(chunk: Buffer): void {
    const encoded = this.encoder.update(chunk);
    if (encoded.length > 0) this.signer.update(encoded, 'ascii');
  }

  /** Returns the detached JWS `header..signature`. */
  sign(privateKey: KeyObject): string {
    const rest = this.encoder.final();
    if (rest.length > 0) this.signer.update(rest, 'ascii');
    const signature = this.signer.sign({ key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${this.protectedHeaderB64}..${signature.toString('base64url')}`;
  }
}
