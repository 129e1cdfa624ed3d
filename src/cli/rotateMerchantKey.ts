import { ConfigError, loadConfig } from '../config.js';
import { rotateMerchantKey } from '../gateway/index.js';

/**
 * `npm run rotate-merchant-key`: a new merchant signing key in DATA_DIR/keys; the previous one is
 * retired but stays in /.well-known/jwks.json, so the gateway can still verify what it signed.
 * A running service picks the new key up on its next start.
 */
async function run(): Promise<void> {
  const config = loadConfig();
  if (config.merchant.keyFile) {
    throw new ConfigError('MERCHANT_KEY_FILE', 'is set: the key comes from that file; replace the file to rotate');
  }
  const keys = await rotateMerchantKey(config.dataDir);
  const kids = keys.publicJwks().keys.map((k) => k.kid);
  process.stdout.write(`new current key: ${keys.current.kid}\npublished keys: ${kids.join(', ')}\nrestart the service to sign with it\n`);
}

run().catch((err: unknown) => {
  process.stderr.write(`ibok-payments rotate-merchant-key: ${(err as Error).message}\n`);
  process.exit(1);
});
