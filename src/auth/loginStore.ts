import type { Queryable } from '../db/createDb.js';
import type { Role } from './tokens.js';

export interface Login {
  id: string;
  login: string;
  role: Role;
  customerId: string | null;
  email: string | null;
  passwordHash: string;
  mustChangePassword: boolean;
  failedAttempts: number;
  lockedUntil: Date | null;
  passwordVersion: number;
}

interface LoginRow {
  id: string;
  login: string;
  role: Role;
  customer_id: string | null;
  email: string | null;
  password_hash: string;
  must_change_password: boolean;
  failed_attempts: number;
  locked_until: Date | null;
  password_version: number;
}

function mapRow(row: LoginRow): Login {
  return {
    id: String(row.id),
    login: row.login,
    role: row.role,
    customerId: row.customer_id === null ? null : String(row.customer_id),
    email: row.email,
    passwordHash: row.password_hash,
    mustChangePassword: row.must_change_password,
    failedAttempts: row.failed_attempts,
    lockedUntil: row.locked_until,
    passwordVersion: row.password_version,
  };
}

export const LOCKOUT_THRESHOLD = 5;

export class LoginStore {
  constructor(private readonly db: Queryable) {}

  async findByLogin(login: string): Promise<Login | undefined> {
    const row = await this.db<LoginRow>('logins').where({ login }).first();
    return row ? mapRow(row) : undefined;
  }

  async findById(id: string): Promise<Login | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const row = await this.db<LoginRow>('logins').where({ id }).first();
    return row ? mapRow(row) : undefined;
  }

  async findByCustomerId(customerId: string): Promise<Login | undefined> {
    const row = await this.db<LoginRow>('logins').where({ customer_id: customerId }).first();
    return row ? mapRow(row) : undefined;
  }

  /** Inserts unless the login exists; answers whether it was inserted. */
  async insert(input: {
    login: string;
    role: Role;
    customerId: string | null;
    email: string | null;
    passwordHash: string;
    mustChangePassword: boolean;
  }): Promise<boolean> {
    const rows = await this.db('logins')
      .insert({
        login: input.login,
        role: input.role,
        customer_id: input.customerId,
        email: input.email,
        password_hash: input.passwordHash,
        must_change_password: input.mustChangePassword,
      })
      .onConflict('login')
      .ignore()
      .returning('id');
    return rows.length > 0;
  }

  /**
   * Counts a failed attempt atomically; the attempt that reaches the threshold locks the login
   * until `lockUntil` and starts the count again.
   */
  async recordFailure(id: string, lockUntil: Date): Promise<void> {
    await this.db.raw(
      `UPDATE logins
          SET failed_attempts = CASE WHEN failed_attempts + 1 >= ? THEN 0 ELSE failed_attempts + 1 END,
              locked_until = CASE WHEN failed_attempts + 1 >= ? THEN ?::timestamptz ELSE locked_until END
        WHERE id = ?`,
      [LOCKOUT_THRESHOLD, LOCKOUT_THRESHOLD, lockUntil.toISOString(), id],
    );
  }

  async recordSuccess(id: string): Promise<void> {
    await this.db('logins').where({ id }).update({ failed_attempts: 0, locked_until: null });
  }

  /** Sets a new password if the stored hash is still the one the caller checked against. */
  async changePassword(id: string, expectedHash: string, newHash: string, at: Date): Promise<boolean> {
    const updated = await this.db('logins')
      .where({ id, password_hash: expectedHash })
      .update({
        password_hash: newHash,
        must_change_password: false,
        password_version: this.db.raw('password_version + 1'),
        password_changed_at: at,
        failed_attempts: 0,
        locked_until: null,
      });
    return updated === 1;
  }

  async count(): Promise<number> {
    const [row] = await this.db('logins').count<{ n: string }[]>('* as n');
    return Number(row?.n ?? 0);
  }
}
