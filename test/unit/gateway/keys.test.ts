import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { calculateJwkThumbprint, compactVerify, importJWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signCompactJws } from '../../../src/gateway/jws.js';
import { loadMerchantKeys, rotateMerchantKey } from '../../../src/gateway/keys.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'ibok-keys-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('merchant keys', () => {
  it('are generated on first start into DATA_DIR/keys (0600) and reused on the next start', async () => {
    const first = await loadMerchantKeys({ dataDir });
    const file = path.join(dataDir, 'keys', `merchant-${first.current.kid}.pem`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toContain('BEGIN PRIVATE KEY');

    const second = await loadMerchantKeys({ dataDir });
    expect(second.current.kid).toBe(first.current.kid);
    expect(second.publicJwks().keys).toHaveLength(1);
  });

  it('publish the public part only, with kid = RFC 7638 thumbprint, alg ES256, use sig', async () => {
    const keys = await loadMerchantKeys({ dataDir });
    const [jwk] = keys.publicJwks().keys;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: keys.current.kid });
    expect(jwk).not.toHaveProperty('d');
    expect(await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: jwk!.x, y: jwk!.y })).toBe(keys.current.kid);

    // What the private key signs, the published key verifies.
    const token = await signCompactJws({ a: 1 }, keys.current.privateKey, { kid: keys.current.kid, typ: 'x' });
    await expect(compactVerify(token, await importJWK(jwk!, 'ES256'))).resolves.toBeTruthy();
  });

  it('rotate: a new current key, the previous one still published as retired, across restarts', async () => {
    const original = await loadMerchantKeys({ dataDir });
    const rotated = await rotateMerchantKey(dataDir);
    expect(rotated.current.kid).not.toBe(original.current.kid);
    expect(rotated.publicJwks().keys.map((k) => k.kid)).toEqual([rotated.current.kid, original.current.kid]);

    const twice = await rotateMerchantKey(dataDir);
    const reloaded = await loadMerchantKeys({ dataDir });
    expect(reloaded.current.kid).toBe(twice.current.kid);
    expect(reloaded.publicJwks().keys.map((k) => k.kid)).toEqual([twice.current.kid, rotated.current.kid, original.current.kid]);
    const manifest = JSON.parse(await readFile(path.join(dataDir, 'keys', 'manifest.json'), 'utf8')) as { current: string; retired: { kid: string }[] };
    expect(manifest.current).toBe(twice.current.kid);
    expect(manifest.retired.map((r) => r.kid)).toEqual([rotated.current.kid, original.current.kid]);
  });

  it('with a key file: that key is current, generated keys of the manifest are listed as retired, nothing is written', async () => {
    const generated = await loadMerchantKeys({ dataDir });
    const keyFile = path.join(dataDir, 'operator.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await writeFile(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    const before = await readdir(path.join(dataDir, 'keys'));

    const keys = await loadMerchantKeys({ dataDir, keyFile });
    expect(keys.current.kid).not.toBe(generated.current.kid);
    expect(keys.publicJwks().keys.map((k) => k.kid)).toEqual([keys.current.kid, generated.current.kid]);
    expect(await readdir(path.join(dataDir, 'keys'))).toEqual(before);

    const fresh = await mkdtemp(path.join(os.tmpdir(), 'ibok-keys-'));
    try {
      const alone = await loadMerchantKeys({ dataDir: fresh, keyFile });
      expect(alone.publicJwks().keys.map((k) => k.kid)).toEqual([keys.current.kid]);
      await expect(readdir(path.join(fresh, 'keys'))).rejects.toThrow();
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it('refuse a key file that is not an ES256 key', async () => {
    const keyFile = path.join(dataDir, 'rsa.pem');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    await expect(loadMerchantKeys({ dataDir, keyFile })).rejects.toThrow(/P-256/);
    await writeFile(keyFile, 'not a key');
    await expect(loadMerchantKeys({ dataDir, keyFile })).rejects.toThrow(/PEM/);
  });
});
