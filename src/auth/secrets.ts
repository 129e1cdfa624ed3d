import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A secret generated once into DATA_DIR/keys/{name} (mode 0600, the folder 0700) and reused on
 * every start; a second process racing the first reads the one that won.
 */
export function loadOrCreateSecret(dataDir: string, name: string): string {
  const dir = path.join(dataDir, 'keys');
  const file = path.join(dir, name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (secret.length < 32) throw new Error(`${file} holds a secret shorter than 32 characters`);
  return secret;
}

/**
 * The secret that signs access tokens: JWT_SECRET when configured (several instances must share
 * it), otherwise generated once into DATA_DIR/keys/jwt-secret.
 */
export function loadJwtSecret(configured: string | undefined, dataDir: string): Uint8Array {
  return new TextEncoder().encode(configured ?? loadOrCreateSecret(dataDir, 'jwt-secret'));
}
