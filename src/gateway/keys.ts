/**
 * The merchant's ES256 signing keys.
 *
 * Layout of `${dataDir}/keys/` (directory mode 0700, files 0600):
 *   merchant-<kid>.pem   PKCS8 private key, kid = RFC 7638 thumbprint of its public JWK
 *   manifest.json        {"version":1,"current":"<kid>","retired":[{"kid","retiredAt"}]}
 *
 * Without a key file, the first start generates a key and the manifest; later starts reuse
 * them. `rotateMerchantKey` makes a new current key and moves the previous one to `retired`,
 * so notifications and tokens signed just before the rotation still verify at the gateway.
 * Retired keys stay published until an operator removes them from the manifest.
 *
 * With `keyFile` (MERCHANT_KEY_FILE) the current key is that file; the manifest is only read,
 * never written: its current and retired kids (other than the file's) are published as retired
 * when their PEM files exist. Rotation then means replacing the file; `rotateMerchantKey`
 * only manages generated keys in dataDir.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { z } from 'zod';
import { JWS_ALG } from './jws.js';

export interface PublicJwk extends JWK {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

export interface MerchantKeys {
  current: { kid: string; privateKey: KeyObject };
  /** Public parts of the current key first, then the retired ones. */
  publicJwks(): { keys: PublicJwk[] };
}

export interface LoadMerchantKeysOptions {
  /** PEM (PKCS8, or SEC1) file with an ES256 private key; when absent, keys live in dataDir. */
  keyFile?: string;
  dataDir: string;
}

const manifestSchema = z.object({
  version: z.literal(1),
  current: z.string().min(1),
  retired: z.array(z.object({ kid: z.string().min(1), retiredAt: z.string() })),
});
type Manifest = z.infer<typeof manifestSchema>;

const KID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function keysDir(dataDir: string): string {
  return path.join(dataDir, 'keys');
}

function manifestPath(dataDir: string): string {
  return path.join(keysDir(dataDir), 'manifest.json');
}

function keyPath(dataDir: string, kid: string): string {
  if (!KID_PATTERN.test(kid)) throw new Error(`invalid key id in manifest: ${kid}`);
  return path.join(keysDir(dataDir), `merchant-${kid}.pem`);
}

/** Checks that a private key is ECDSA P-256 and derives its public JWK with the RFC 7638 kid. */
export async function describeEs256Key(privateKey: KeyObject): Promise<PublicJwk> {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the merchant key must be an ECDSA P-256 (ES256) private key');
  }
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as { kty: string; crv: string; x: string; y: string };
  const kid = await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, 'sha256');
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid, alg: JWS_ALG, use: 'sig' };
}

async function readPrivateKey(file: string): Promise<KeyObject> {
  const pem = await readFile(file, 'utf8');
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error(`cannot read a PEM private key from ${file}`);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Writes a file atomically (temp file + rename) with the given mode. */
async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data, { mode, flag: 'wx' });
  await rename(tmp, file);
}

async function readManifest(dataDir: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(manifestPath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = manifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${manifestPath(dataDir)} is not a valid key manifest`);
  return parsed.data;
}

async function writeManifest(dataDir: string, manifest: Manifest): Promise<void> {
  await writeFileAtomic(manifestPath(dataDir), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
}

/** Generates a P-256 key and stores it as merchant-<kid>.pem (0600). */
async function generateStoredKey(dataDir: string): Promise<{ kid: string; privateKey: KeyObject; jwk: PublicJwk }> {
  await mkdir(keysDir(dataDir), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = await describeEs256Key(privateKey);
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  await writeFileAtomic(keyPath(dataDir, jwk.kid), pem, 0o600);
  return { kid: jwk.kid, privateKey, jwk };
}

function buildKeys(current: { kid: string; privateKey: KeyObject; jwk: PublicJwk }, retired: PublicJwk[]): MerchantKeys {
  const published = [current.jwk, ...retired.filter((k) => k.kid !== current.kid)];
  return {
    current: { kid: current.kid, privateKey: current.privateKey },
    publicJwks: () => ({ keys: published.map((k) => ({ ...k })) }),
  };
}

async function loadStoredPublic(dataDir: string, kid: string): Promise<PublicJwk | undefined> {
  const file = keyPath(dataDir, kid);
  if (!(await exists(file))) return undefined;
  const jwk = await describeEs256Key(await readPrivateKey(file));
  if (jwk.kid !== kid) throw new Error(`${file} does not hold the key ${kid}`);
  return jwk;
}

/** Loads (or on first start generates) the merchant's keys. */
export async function loadMerchantKeys(options: LoadMerchantKeysOptions): Promise<MerchantKeys> {
  const manifest = await readManifest(options.dataDir);

  if (options.keyFile) {
    const privateKey = await readPrivateKey(options.keyFile);
    const jwk = await describeEs256Key(privateKey);
    const retired: PublicJwk[] = [];
    if (manifest) {
      for (const kid of [manifest.current, ...manifest.retired.map((r) => r.kid)]) {
        if (kid === jwk.kid) continue;
        const stored = await loadStoredPublic(options.dataDir, kid);
        if (stored) retired.push(stored);
      }
    }
    return buildKeys({ kid: jwk.kid, privateKey, jwk }, retired);
  }

  if (!manifest) {
    const created = await generateStoredKey(options.dataDir);
    await writeManifest(options.dataDir, { version: 1, current: created.kid, retired: [] });
    return buildKeys(created, []);
  }

  const currentFile = keyPath(options.dataDir, manifest.current);
  const privateKey = await readPrivateKey(currentFile);
  const jwk = await describeEs256Key(privateKey);
  if (jwk.kid !== manifest.current) throw new Error(`${currentFile} does not hold the key ${manifest.current}`);
  const retired: PublicJwk[] = [];
  for (const { kid } of manifest.retired) {
    const stored = await loadStoredPublic(options.dataDir, kid);
    if (stored) retired.push(stored);
  }
  return buildKeys({ kid: jwk.kid, privateKey, jwk }, retired);
}

/**
 * Generates a new current key in dataDir and retires the previous current key (it stays
 * published). Returns the keys as a restarted process would load them.
 */
export async function rotateMerchantKey(dataDir: string, now: Date = new Date()): Promise<MerchantKeys> {
  const manifest = await readManifest(dataDir);
  const created = await generateStoredKey(dataDir);
  const retired = manifest ? [{ kid: manifest.current, retiredAt: now.toISOString() }, ...manifest.retired] : [];
  await writeManifest(dataDir, { version: 1, current: created.kid, retired });
  return loadMerchantKeys({ dataDir });
}
