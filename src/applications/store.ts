import type { Queryable } from '../db/createDb.js';
import type { ApplicationStatus } from './schema.js';

export interface ApplicationRecord {
  id: string;
  seq: string;
  status: ApplicationStatus;
  customerNumber: string;
  customerId: string | null;
  customerName: string | null;
  name: string;
  email: string;
  phone: string | null;
  invoiceNumber: string;
  invoiceAmount: string;
  clientAddress: string;
  createdAt: Date;
  dueBy: string;
  decidedAt: Date | null;
  decidedBy: string | null;
  rejectReason: string | null;
  login: string | null;
}

interface ApplicationRow {
  id: string;
  seq: string | number;
  status: ApplicationStatus;
  customer_number: string;
  customer_id: string | number | null;
  customer_name: string | null;
  name: string;
  email: string;
  phone: string | null;
  invoice_number: string;
  invoice_amount: string;
  client_address: string;
  created_at: Date | string;
  due_by: string;
  decided_at: Date | string | null;
  decided_by: string | null;
  reject_reason: string | null;
  login: string | null;
}

function mapRow(r: ApplicationRow): ApplicationRecord {
  return {
    id: r.id,
    seq: String(r.seq),
    status: r.status,
    customerNumber: r.customer_number,
    customerId: r.customer_id === null ? null : String(r.customer_id),
    customerName: r.customer_name,
    name: r.name,
    email: r.email,
    phone: r.phone,
    invoiceNumber: r.invoice_number,
    invoiceAmount: r.invoice_amount,
    clientAddress: r.client_address,
    createdAt: new Date(r.created_at),
    dueBy: String(r.due_by).slice(0, 10),
    decidedAt: r.decided_at === null ? null : new Date(r.decided_at),
    decidedBy: r.decided_by,
    rejectReason: r.reject_reason,
    login: r.login,
  };
}

export interface NewApplication {
  id: string;
  status: 'pending' | 'unmatched';
  customerNumber: string;
  customerId: string | null;
  name: string;
  email: string;
  phone: string | null;
  invoiceNumber: string;
  invoiceAmount: string;
  clientAddress: string;
  now: Date;
  dueBy: string;
}

/** SQL of `account_applications`; joins `customers` only for the name shown to the office. */
export class ApplicationStore {
  constructor(private readonly db: Queryable) {}

  private base() {
    return this.db('account_applications as a').leftJoin('customers as c', 'c.id', 'a.customer_id').select('a.*', 'c.name as customer_name');
  }

  /** Serialises the applications of one client address until the transaction ends (the hourly limit). */
  async lockAddress(address: string): Promise<void> {
    await this.db.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`account-applications:${address}`]);
  }

  /** How many applications came from `address` since `since`, and when the oldest of them came. */
  async recentFrom(address: string, since: Date): Promise<{ count: number; oldest: Date | null }> {
    const row: { n: string | number; oldest: Date | string | null } | undefined = await this.db('account_applications')
      .where('client_address', address)
      .andWhere('created_at', '>', since)
      .first(this.db.raw('count(*) AS n'), this.db.raw('min(created_at) AS oldest'));
    return { count: Number(row?.n ?? 0), oldest: row?.oldest ? new Date(row.oldest) : null };
  }

  async insert(a: NewApplication): Promise<void> {
    await this.db('account_applications').insert({
      id: a.id,
      status: a.status,
      customer_number: a.customerNumber,
      customer_id: a.customerId,
      name: a.name,
      email: a.email,
      phone: a.phone,
      invoice_number: a.invoiceNumber,
      invoice_amount: a.invoiceAmount,
      client_address: a.clientAddress,
      terms_accepted_at: a.now,
      due_by: a.dueBy,
      created_at: a.now,
    });
  }

  async byId(id: string, forUpdate = false): Promise<ApplicationRecord | undefined> {
    if (forUpdate) await this.db('account_applications').where({ id }).forUpdate().first('id');
    const row = (await this.base().where('a.id', id).first()) as ApplicationRow | undefined;
    return row ? mapRow(row) : undefined;
  }

  async list(filter: { status?: ApplicationStatus; beforeSeq?: string }, limit: number): Promise<ApplicationRecord[]> {
    const q = this.base().orderBy('a.seq', 'desc').limit(limit);
    if (filter.status) q.where('a.status', filter.status);
    if (filter.beforeSeq) q.where('a.seq', '<', filter.beforeSeq);
    return ((await q) as ApplicationRow[]).map(mapRow);
  }

  async decide(id: string, d: { status: 'approved' | 'rejected'; by: string; at: Date; reason?: string; login?: string }): Promise<void> {
    await this.db('account_applications')
      .where({ id })
      .update({ status: d.status, decided_by: d.by, decided_at: d.at, reject_reason: d.reason ?? null, login: d.login ?? null });
  }
}
