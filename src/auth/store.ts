import type { Queryable } from '../db/createDb.js';
import type { Role } from './tokens.js';

/** A login as the auth module sees it (table `logins`, owned by this module). */
export interface Login {
  id: string;
  login: string;
  role: Role;
  customerId: string | null;
  email: string | null;
  passwordHash: string;
  mustChangePassword: boolean;
  /** Raised by every password change: sessions and tokens of an older version are over. */
  passwordVersion: number;
}

interface LoginRow {
  id: string | number;
  login: string;
  role: Role;
  customer_id: string | number | null;
  email: string | null;
  password_hash: string;
  must_change_password: boolean;
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
    passwordVersion: row.password_version,
  };
}

const COLUMNS = ['id', 'login', 'role', 'customer_id', 'email', 'password_hash', 'must_change_password', 'password_version'];

export interface NewLogin {
  login: string;
  role: Role;
  customerId: string | null;
  email: string | null;
  passwordHash: string;
  mustChangePassword: boolean;
}

export class LoginStore {
  constructor(private readonly db: Queryable) {}

  async findByLogin(login: string): Promise<Login | undefined> {
    const row = await this.db<LoginRow>('logins').where({ login }).select(COLUMNS).first();
    return row ? mapRow(row as unknown as LoginRow) : undefined;
  }

  async findById(id: string): Promise<Login | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const row = await this.db<LoginRow>('logins').where({ id }).select(COLUMNS).first();
    return row ? mapRow(row as unknown as LoginRow) : undefined;
  }

  async findByCustomerId(customerId: string): Promise<Login | undefined> {
    const row = await this.db<LoginRow>('logins').where({ customer_id: customerId }).select(COLUMNS).first();
    return row ? mapRow(row as unknown as LoginRow) : undefined;
  }

  /** Inserts unless the login exists; answers whether it was inserted. */
  async insert(input: NewLogin): Promise<boolean> {
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

  /** Sets a new password if the stored hash is still the one the caller checked against. */
  async changePassword(id: string, expectedHash: string, newHash: string, at: Date): Promise<Login | undefined> {
    const rows = await this.db<LoginRow>('logins')
      .where({ id, password_hash: expectedHash })
      .update({
        password_hash: newHash,
        must_change_password: false,
        password_version: this.db.raw('password_version + 1') as unknown as number,
        password_changed_at: at,
      } as never)
      .returning(COLUMNS);
    const row = (rows as unknown as LoginRow[])[0];
    return row ? mapRow(row) : undefined;
  }
}
