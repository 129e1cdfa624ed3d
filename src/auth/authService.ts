import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { AppError, conflict, unauthorized } from '../errors.js';
import { enqueueEmail } from '../notifications/outbox.js';
import { LoginStore, type Login } from './loginStore.js';
import { dummyPasswordHash, generateOneTimePassword, hashPassword, verifyPassword } from './passwords.js';
import { TokenService, type Role } from './tokens.js';

export const LOCKOUT_MINUTES = 15;

export interface AuthUser {
  loginId: string;
  login: string;
  role: Role;
  customerId: string | null;
  mustChangePassword: boolean;
}

/** What auth needs to know of a customer; the billing module answers it. */
export interface CustomerDirectory {
  findByNumber(db: Knex | Knex.Transaction, customerNumber: string): Promise<{ id: string; name: string } | undefined>;
}

export class AuthService {
  constructor(
    private readonly db: Knex,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
    private readonly customers: CustomerDirectory,
  ) {}

  private get logins() {
    return new LoginStore(this.db);
  }

  async login(login: string, password: string): Promise<{ accessToken: string; mustChangePassword: boolean }> {
    const found = await this.logins.findByLogin(login);
    const now = this.clock.now();
    if (!found) {
      // Same work as for a real login, so timing does not tell which logins exist.
      await verifyPassword(password, await dummyPasswordHash());
      throw new AppError(401, 'invalid_credentials', 'The login or password is incorrect.');
    }
    if (found.lockedUntil && found.lockedUntil > now) throw lockedError(found.lockedUntil, now);
    if (!(await verifyPassword(password, found.passwordHash))) {
      await this.logins.recordFailure(found.id, new Date(now.getTime() + LOCKOUT_MINUTES * 60_000));
      const after = await this.logins.findById(found.id);
      if (after?.lockedUntil && after.lockedUntil > now) throw lockedError(after.lockedUntil, now);
      throw new AppError(401, 'invalid_credentials', 'The login or password is incorrect.');
    }
    if (found.failedAttempts > 0 || found.lockedUntil) await this.logins.recordSuccess(found.id);
    const accessToken = await this.tokens.issue({
      loginId: found.id,
      role: found.role,
      passwordVersion: found.passwordVersion,
    });
    return { accessToken, mustChangePassword: found.mustChangePassword };
  }

  /** The user behind a bearer token, or undefined when the token is not valid any more. */
  async authenticate(token: string): Promise<AuthUser | undefined> {
    const claims = await this.tokens.verify(token);
    if (!claims) return undefined;
    const found = await this.logins.findById(claims.loginId);
    if (!found || found.passwordVersion !== claims.passwordVersion || found.role !== claims.role) return undefined;
    return toUser(found);
  }

  async changePassword(
    user: AuthUser,
    currentPassword: string,
    newPassword: string,
  ): Promise<{ accessToken: string; mustChangePassword: false }> {
    const found = await this.logins.findById(user.loginId);
    if (!found) throw unauthorized();
    const now = this.clock.now();
    if (found.lockedUntil && found.lockedUntil > now) throw lockedError(found.lockedUntil, now);
    if (!(await verifyPassword(currentPassword, found.passwordHash))) {
      await this.logins.recordFailure(found.id, new Date(now.getTime() + LOCKOUT_MINUTES * 60_000));
      throw new AppError(401, 'invalid_credentials', 'The current password is incorrect.');
    }
    if (currentPassword === newPassword) {
      throw new AppError(400, 'password_unchanged', 'The new password must differ from the current one.');
    }
    const changed = await this.logins.changePassword(found.id, found.passwordHash, await hashPassword(newPassword), now);
    if (!changed) throw conflict('password_changed_concurrently', 'The password was changed meanwhile; log in again.');
    const accessToken = await this.tokens.issue({
      loginId: found.id,
      role: found.role,
      passwordVersion: found.passwordVersion + 1,
    });
    return { accessToken, mustChangePassword: false };
  }

  /** The office turns an application into a login: the customer number, a one-time password by e-mail. */
  async createCustomerAccount(input: { customerNumber: string; email: string }): Promise<{ login: string; oneTimePassword: string }> {
    const oneTimePassword = generateOneTimePassword();
    const passwordHash = await hashPassword(oneTimePassword);
    return this.db.transaction(async (trx) => {
      const customer = await this.customers.findByNumber(trx, input.customerNumber);
      if (!customer) {
        throw new AppError(404, 'unknown_customer', `No customer with number ${input.customerNumber}.`, {
          field: 'customerNumber',
        });
      }
      const logins = new LoginStore(trx);
      if (await logins.findByCustomerId(customer.id)) {
        throw conflict('account_exists', `Customer ${input.customerNumber} already has a login.`);
      }
      const inserted = await logins.insert({
        login: input.customerNumber,
        role: 'customer',
        customerId: customer.id,
        email: input.email,
        passwordHash,
        mustChangePassword: true,
      });
      if (!inserted) throw conflict('login_taken', `The login ${input.customerNumber} is already taken.`);
      await enqueueEmail(trx, {
        to: input.email,
        template: 'account_created',
        subject: 'Dostęp do Internetowego Biura Obsługi Klienta',
        body:
          `Dzień dobry,\n\nutworzyliśmy dostęp do IBOK dla klienta ${customer.name}.\n` +
          `Login: ${input.customerNumber}\nHasło jednorazowe: ${oneTimePassword}\n\n` +
          'Przy pierwszym logowaniu prosimy ustawić własne hasło.\n',
      });
      return { login: input.customerNumber, oneTimePassword };
    });
  }

  async createStaff(input: { login: string; role: 'admin' | 'accounting' }): Promise<{ login: string; oneTimePassword: string }> {
    const oneTimePassword = generateOneTimePassword();
    const inserted = await this.logins.insert({
      login: input.login,
      role: input.role,
      customerId: null,
      email: null,
      passwordHash: await hashPassword(oneTimePassword),
      mustChangePassword: true,
    });
    if (!inserted) throw conflict('login_taken', `The login ${input.login} is already taken.`);
    return { login: input.login, oneTimePassword };
  }

  /** Start-up: a staff login with a known password, created when absent (never overwritten). */
  async ensureStaff(login: string, password: string, role: 'admin' | 'accounting'): Promise<boolean> {
    return this.logins.insert({
      login,
      role,
      customerId: null,
      email: null,
      passwordHash: await hashPassword(password),
      mustChangePassword: false,
    });
  }

  /** Demo data: a customer login with a known password. */
  async ensureCustomerLogin(db: Knex | Knex.Transaction, login: string, password: string, customerId: string): Promise<boolean> {
    return new LoginStore(db).insert({
      login,
      role: 'customer',
      customerId,
      email: null,
      passwordHash: await hashPassword(password),
      mustChangePassword: false,
    });
  }
}

function toUser(login: Login): AuthUser {
  return {
    loginId: login.id,
    login: login.login,
    role: login.role,
    customerId: login.customerId,
    mustChangePassword: login.mustChangePassword,
  };
}

function lockedError(until: Date, now: Date): AppError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  return new AppError(
    429,
    'login_locked',
    `Too many failed attempts: this login is locked for ${Math.ceil(seconds / 60)} more minute(s).`,
    { retryAfterSeconds: seconds },
    { 'Retry-After': String(seconds) },
  );
}
