import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/createDb.js';
import { enqueueEmail } from '../notices/index.js';
import { authErrors } from './errors.js';
import { weakPasswordReason } from './passwordPolicy.js';
import { generateOneTimePassword, HashingBusyError, type PasswordHasher } from './passwords.js';
import { LoginStore, type Login } from './store.js';
import type { AttemptOutcome, LoginThrottle } from './throttle.js';
import type { Role, TokenService } from './tokens.js';

/** Who is calling: what routes, guards and web pages know of a logged-in user. */
export interface AuthUser {
  loginId: string;
  login: string;
  role: Role;
  customerId: string | null;
  mustChangePassword: boolean;
  /** The login's password version: a web session stores it and ends when it changes. */
  passwordVersion: number;
}

/** What auth needs to know of a customer; the billing module answers it. */
export interface CustomerDirectory {
  findByNumber(db: Queryable, customerNumber: string): Promise<{ id: string; name: string } | undefined>;
}

export interface LoginResult {
  user: AuthUser;
  accessToken: string;
  mustChangePassword: boolean;
}

export type StaffRole = 'admin' | 'accounting';

const INVALID = 'The login or password is incorrect.';

/**
 * How long a checked token or session user is answered from memory. Every authenticated request
 * used to read its login row; logins change only by a password change, which clears this
 * instance's entries at once. Another instance may accept a token of the old password for at most
 * this long after the change.
 */
export const USER_CACHE_MS = 5_000;
const USER_CACHE_MAX = 10_000;

interface CachedUser {
  user: AuthUser;
  /** performance.now() after which the entry is read again from the database. */
  until: number;
}

/** Adds an entry, dropping the oldest ones when full (Map keeps insertion order). */
function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  cache.delete(key);
  cache.set(key, value);
  while (cache.size > USER_CACHE_MAX) cache.delete(cache.keys().next().value!);
}

/** One call of `run` per key at a time: callers of a key already under way get its promise. */
function shared<V>(pending: Map<string, Promise<V>>, key: string, run: () => Promise<V>): Promise<V> {
  const running = pending.get(key);
  if (running) return running;
  const started = run().finally(() => {
    if (pending.get(key) === started) pending.delete(key);
  });
  pending.set(key, started);
  return started;
}

export class AuthService {
  /** Password checks (lookup and hash) under way, bounded by the hasher's capacity. */
  private checksInFlight = 0;
  /** Bearer tokens checked recently (their expiry kept in seconds since the epoch). */
  private readonly recentTokens = new Map<string, CachedUser & { expiresAt: number }>();
  /** Session users by `loginId:passwordVersion`. */
  private readonly recentUsers = new Map<string, CachedUser>();
  /**
   * Checks under way, by token and by `loginId:passwordVersion`: concurrent requests of one user
   * (a burst when the cached entry runs out) share one signature check and one lookup.
   */
  private readonly pendingTokens = new Map<string, Promise<AuthUser | undefined>>();
  private readonly pendingUsers = new Map<string, Promise<AuthUser | undefined>>();
  /** Counts password changes here: a check that began before one is not remembered. */
  private forgotten = 0;

  constructor(
    private readonly db: Knex,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
    private readonly customers: CustomerDirectory,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
  ) {}

  private get logins() {
    return new LoginStore(this.db);
  }

  /**
   * Checks a login and password from a client address. Failures are throttled per login and
   * address, per address and overall (429); an unknown login gets the same answer, the same
   * hashing work and the same throttling as a known one; successes are never held back.
   */
  async login(login: string, password: string, clientAddress: string): Promise<LoginResult> {
    const found = await this.checkPassword(login, password, clientAddress, INVALID);
    const accessToken = await this.issueToken(found);
    return { user: toUser(found), accessToken, mustChangePassword: found.mustChangePassword };
  }

  /**
   * The user behind a bearer token, or undefined when the token is not valid any more. A token
   * seen in the last few seconds is answered from memory (no signature check, no lookup); its
   * expiry is still checked against the clock, and a password change on this instance drops it.
   */
  async authenticate(token: string): Promise<AuthUser | undefined> {
    const hit = this.recentTokens.get(token);
    if (hit && hit.until > performance.now() && this.clock.now().getTime() < hit.expiresAt * 1000) return hit.user;
    return shared(this.pendingTokens, token, () => this.checkToken(token));
  }

  private async checkToken(token: string): Promise<AuthUser | undefined> {
    const generation = this.forgotten;
    const claims = await this.tokens.verify(token);
    if (!claims) return undefined;
    const found = await this.sessionUser(claims.loginId, claims.passwordVersion);
    const user = found && found.role === claims.role ? found : undefined;
    if (user && generation === this.forgotten) {
      remember(this.recentTokens, token, { user, until: performance.now() + USER_CACHE_MS, expiresAt: claims.expiresAt });
    }
    return user;
  }

  /**
   * The user of a stored web session, or undefined when the login is gone or its password was
   * changed since the session began (every session of the old password ends with it). Answers
   * from memory for a few seconds per login and password version (see USER_CACHE_MS).
   */
  async sessionUser(loginId: string, passwordVersion: number): Promise<AuthUser | undefined> {
    const key = `${loginId}:${passwordVersion}`;
    const hit = this.recentUsers.get(key);
    if (hit && hit.until > performance.now()) return hit.user;
    return shared(this.pendingUsers, key, async () => {
      const generation = this.forgotten;
      const found = await this.logins.findById(loginId);
      if (!found || found.passwordVersion !== passwordVersion) return undefined;
      const user = toUser(found);
      if (generation === this.forgotten) remember(this.recentUsers, key, { user, until: performance.now() + USER_CACHE_MS });
      return user;
    });
  }

  /** A login's password changed (here): its cached tokens and sessions end at once. */
  private forget(loginId: string): void {
    this.forgotten += 1;
    this.pendingTokens.clear();
    this.pendingUsers.clear();
    for (const [key, entry] of this.recentTokens) if (entry.user.loginId === loginId) this.recentTokens.delete(key);
    for (const [key, entry] of this.recentUsers) if (entry.user.loginId === loginId) this.recentUsers.delete(key);
  }

  /**
   * Changes the user's password: the current one is checked like a login (and throttled with it),
   * the new one must not be weak. Older tokens and sessions end; a new token is returned.
   */
  async changePassword(user: AuthUser, currentPassword: string, newPassword: string, clientAddress: string): Promise<LoginResult> {
    const found = await this.checkPassword(user.login, currentPassword, clientAddress, 'The current password is incorrect.');
    if (found.id !== user.loginId) throw authErrors.create('invalid_credentials', 'The current password is incorrect.');
    if (currentPassword === newPassword) {
      throw authErrors.create('password_unchanged', 'The new password must differ from the current one.', { field: 'newPassword' });
    }
    this.assertStrong(newPassword, found.login);
    const changed = await this.logins.changePassword(found.id, found.passwordHash, await this.hash(newPassword), this.clock.now());
    this.forget(found.id);
    if (!changed) throw authErrors.create('password_changed_concurrently', 'The password was changed meanwhile; log in again.');
    const accessToken = await this.issueToken(changed);
    return { user: toUser(changed), accessToken, mustChangePassword: false };
  }

  /** Refuses (422 weak_password) a new password that is blank, repetitive, common or login-derived. */
  assertStrong(password: string, login: string): void {
    const reason = weakPasswordReason(password, login);
    if (!reason) return;
    const why: Record<typeof reason, string> = {
      blank: 'is blank',
      repetitive: 'repeats characters or a simple sequence',
      login_derived: 'is derived from the login',
      common: 'is a common password or word',
      guessable: 'is too easy to guess',
    };
    throw authErrors.create('weak_password', `The new password ${why[reason]}; choose a longer phrase of unrelated words.`, {
      field: 'newPassword',
      reason,
    });
  }

  /**
   * A customer's login (their customer number) with a one-time password, and the e-mail that
   * carries it written to the outbox in the same transaction. With `trx` it joins the caller's
   * transaction (an approved account application); otherwise it opens its own.
   */
  async createCustomerLogin(
    trx: Knex.Transaction | undefined,
    input: { customerNumber: string; email: string },
  ): Promise<{ login: string; oneTimePassword: string }> {
    const oneTimePassword = generateOneTimePassword();
    // Hashed before the transaction when we open it, so the one connection of PGlite is not held.
    const passwordHash = await this.hash(oneTimePassword);
    const work = async (tx: Knex.Transaction) => {
      const customer = await this.customers.findByNumber(tx, input.customerNumber);
      if (!customer) {
        throw authErrors.create('customer_not_found', `No customer with number ${input.customerNumber}.`, { field: 'customerNumber' });
      }
      const logins = new LoginStore(tx);
      if (await logins.findByCustomerId(customer.id)) {
        throw authErrors.create('account_exists', `Customer ${input.customerNumber} already has a login.`);
      }
      const inserted = await logins.insert({
        login: input.customerNumber,
        role: 'customer',
        customerId: customer.id,
        email: input.email,
        passwordHash,
        mustChangePassword: true,
      });
      if (!inserted) throw authErrors.create('login_taken', `The login ${input.customerNumber} is already taken.`);
      await enqueueEmail(tx, {
        to: input.email,
        template: 'account_created',
        subject: 'Dostęp do Internetowego Biura Obsługi Klienta',
        body:
          `Dzień dobry,\n\nutworzyliśmy dostęp do IBOK dla klienta ${customer.name}.\n` +
          `Login: ${input.customerNumber}\nHasło jednorazowe: ${oneTimePassword}\n\n` +
          'Przy pierwszym logowaniu prosimy ustawić własne hasło.\n',
      });
      return { login: input.customerNumber, oneTimePassword };
    };
    return trx ? work(trx) : this.db.transaction(work);
  }

  async createStaff(input: { login: string; role: StaffRole }): Promise<{ login: string; oneTimePassword: string }> {
    const oneTimePassword = generateOneTimePassword();
    const inserted = await this.logins.insert({
      login: input.login,
      role: input.role,
      customerId: null,
      email: null,
      passwordHash: await this.hash(oneTimePassword),
      mustChangePassword: true,
    });
    if (!inserted) throw authErrors.create('login_taken', `The login ${input.login} is already taken.`);
    return { login: input.login, oneTimePassword };
  }

  /** Start-up and demo: a staff login with a known password, created when absent (never overwritten). */
  async ensureStaff(login: string, password: string, role: StaffRole): Promise<boolean> {
    if (await this.logins.findByLogin(login)) return false;
    return this.logins.insert({
      login,
      role,
      customerId: null,
      email: null,
      passwordHash: await this.hash(password),
      mustChangePassword: false,
    });
  }

  /** Demo data and tests: a customer login with a known password. */
  async ensureCustomerLogin(db: Queryable, login: string, password: string, customerId: string): Promise<boolean> {
    return new LoginStore(db).insert({
      login,
      role: 'customer',
      customerId,
      email: null,
      passwordHash: await this.hash(password),
      mustChangePassword: false,
    });
  }

  /** The throttled password check shared by login and password change; answers the login or throws. */
  private async checkPassword(login: string, password: string, clientAddress: string, failure: string): Promise<Login> {
    const verdict = this.throttle.begin(login, clientAddress);
    if (!verdict.allowed) {
      throw authErrors.create(
        'too_many_attempts',
        `Too many failed attempts; try again in ${Math.ceil(verdict.retryAfterSeconds / 60)} minute(s).`,
        { retryAfterSeconds: verdict.retryAfterSeconds },
        { 'Retry-After': String(verdict.retryAfterSeconds) },
      );
    }
    // Admission before the database: in a flood, a login that could not be hashed soon is
    // refused at once instead of queueing a lookup on the database's connections.
    if (this.checksInFlight >= this.hasher.capacity) {
      verdict.release('aborted');
      throw busy();
    }
    this.checksInFlight += 1;
    let outcome: AttemptOutcome = 'aborted';
    try {
      const found = await this.logins.findByLogin(login);
      // An unknown login does the same hashing work, so neither the answer nor its time tells.
      const ok = found ? await this.hasher.verify(password, found.passwordHash) : await this.hasher.verifyAgainstDummy(password);
      outcome = found && ok ? 'success' : 'failure';
      if (!found || !ok) throw authErrors.create('invalid_credentials', failure);
      return found;
    } catch (err) {
      if (err instanceof HashingBusyError) throw busy();
      throw err;
    } finally {
      // Busy or a database failure is no verdict on the password: it leaves the counts alone.
      this.checksInFlight -= 1;
      verdict.release(outcome);
    }
  }

  private async hash(password: string): Promise<string> {
    try {
      return await this.hasher.hash(password);
    } catch (err) {
      if (err instanceof HashingBusyError) throw busy();
      throw err;
    }
  }

  private issueToken(found: Login): Promise<string> {
    return this.tokens.issue({ loginId: found.id, role: found.role, passwordVersion: found.passwordVersion });
  }
}

function busy() {
  return authErrors.create('login_busy', 'Too many logins are being checked right now; try again in a moment.', undefined, {
    'Retry-After': '1',
  });
}

function toUser(login: Login): AuthUser {
  return {
    loginId: login.id,
    login: login.login,
    role: login.role,
    customerId: login.customerId,
    mustChangePassword: login.mustChangePassword,
    passwordVersion: login.passwordVersion,
  };
}
