import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { AppModule } from '../module.js';
import { PasswordHasher, type PasswordHashingOptions } from './passwords.js';
import { authRoutes } from './routes.js';
import { loadJwtSecret } from './secrets.js';
import { AuthService, type CustomerDirectory } from './service.js';
import { DEFAULT_THROTTLE_LIMITS, LoginThrottle, type ThrottleLimits } from './throttle.js';
import { TokenService } from './tokens.js';

export { AuthService } from './service.js';
export type { AuthUser, CustomerDirectory, LoginResult, StaffRole } from './service.js';
export type { Role } from './tokens.js';
export { authErrors } from './errors.js';
export { MIN_PASSWORD_LENGTH, weakPasswordReason, type WeakPasswordReason } from './passwordPolicy.js';
export { PRODUCTION_SCRYPT_LOG_N, type PasswordHashingOptions } from './passwords.js';
export { DEFAULT_THROTTLE_LIMITS, type ThrottleLimits } from './throttle.js';
export { loadOrCreateSecret } from './secrets.js';

export interface AuthModuleDeps {
  db: Knex;
  clock: Clock;
  /** JWT_SECRET, or a secret generated into DATA_DIR/keys. */
  jwtSecret: string | undefined;
  dataDir: string;
  /** The billing module, to find a customer by number. */
  customers: CustomerDirectory;
  /** Hash cost and concurrency (production defaults; tests pass a low cost). */
  passwordHashing?: PasswordHashingOptions;
  throttleLimits?: Partial<ThrottleLimits>;
}

/** Logins, access tokens, passwords and the office's account creation. */
export function createAuthModule(deps: AuthModuleDeps): AppModule<AuthService> {
  const tokens = new TokenService(loadJwtSecret(deps.jwtSecret, deps.dataDir), deps.clock);
  const hasher = new PasswordHasher(deps.passwordHashing);
  const throttle = new LoginThrottle(deps.clock, { ...DEFAULT_THROTTLE_LIMITS, ...deps.throttleLimits });
  const service = new AuthService(deps.db, tokens, deps.clock, deps.customers, hasher, throttle);
  return { name: 'auth', service, routes: authRoutes(service), jobs: [] };
}
