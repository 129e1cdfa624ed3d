import type { Queryable } from '../db/createDb.js';
import { toInt } from '../db/createDb.js';
import type { RequestKind, RequestStatus } from './schema.js';

export interface RequestRecord {
  id: string;
  seq: string;
  number: string;
  customerId: string;
  customerNumber: string;
  customerName: string;
  kind: RequestKind;
  subject: string;
  message: string;
  invoiceNumber: string | null;
  meterSerial: string | null;
  status: RequestStatus;
  dueBy: string;
  idempotencyKey: string | null;
  bodyHash: string | null;
  createdAt: Date;
  updatedAt: Date;
  attachmentCount: number;
  replyCount: number;
}

export interface AttachmentRecord {
  position: number;
  fileId: string;
  fileName: string;
  contentType: string;
  size: number;
}

export interface ReplyRecord {
  authorLogin: string;
  message: string;
  createdAt: Date;
}

export interface HistoryRecord {
  fromStatus: RequestStatus | null;
  toStatus: RequestStatus;
  changedBy: string;
  changedAt: Date;
}

interface RequestRow {
  id: string;
  seq: string | number;
  number: string;
  customer_id: string | number;
  customer_number: string;
  customer_name: string;
  kind: RequestKind;
  subject: string;
  message: string;
  invoice_number: string | null;
  meter_serial: string | null;
  status: RequestStatus;
  due_by: string | Date;
  idempotency_key: string | null;
  body_hash: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  attachment_count: string | number;
  reply_count: string | number;
}

/** A `date` column as YYYY-MM-DD whatever the driver's parser made of it. */
function ymd(value: string | Date): string {
  if (typeof value === 'string') return value.slice(0, 10);
  // A driver that turns dates into Date objects does so at local midnight.
  const y = value.getFullYear();
  const m = String(value.getMonth() + 1).padStart(2, '0');
  const d = String(value.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

function mapRow(r: RequestRow): RequestRecord {
  return {
    id: r.id,
    seq: String(r.seq),
    number: r.number,
    customerId: String(r.customer_id),
    customerNumber: r.customer_number,
    customerName: r.customer_name,
    kind: r.kind,
    subject: r.subject,
    message: r.message,
    invoiceNumber: r.invoice_number,
    meterSerial: r.meter_serial,
    status: r.status,
    dueBy: ymd(r.due_by),
    idempotencyKey: r.idempotency_key,
    bodyHash: r.body_hash,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    attachmentCount: toInt(r.attachment_count),
    replyCount: toInt(r.reply_count),
  };
}

export interface RequestFilter {
  customerId?: string;
  status?: RequestStatus;
  kind?: RequestKind;
  /** Requests still waiting for the office (submitted, in progress) whose due date is before this day. */
  overdueBefore?: string;
  /** Only requests older than this position (the page cursor). */
  beforeSeq?: string;
}

export interface NewRequestRow {
  id: string;
  number: string;
  customerId: string;
  kind: RequestKind;
  subject: string;
  message: string;
  invoiceNumber: string | null;
  meterSerial: string | null;
  dueBy: string;
  idempotencyKey: string | null;
  bodyHash: string | null;
  now: Date;
}

/** SQL of the requests module's own tables; joins `customers` only for the number and name shown. */
export class RequestStore {
  constructor(private readonly db: Queryable) {}

  private base() {
    return this.db('customer_requests as r')
      .join('customers as c', 'c.id', 'r.customer_id')
      .select(
        'r.*',
        'c.customer_number',
        'c.name as customer_name',
        this.db.raw('(SELECT count(*) FROM request_attachments a WHERE a.request_id = r.id) AS attachment_count'),
        this.db.raw('(SELECT count(*) FROM request_replies p WHERE p.request_id = r.id) AS reply_count'),
      );
  }

  /** The next number of the year: the counter row's lock serialises concurrent requests until commit. */
  async nextNumber(year: number): Promise<number> {
    const result = await this.db.raw<{ rows: Array<{ last_number: number | string }> }>(
      `INSERT INTO request_counters (year, last_number) VALUES (?, 1)
       ON CONFLICT (year) DO UPDATE SET last_number = request_counters.last_number + 1
       RETURNING last_number`,
      [year],
    );
    return toInt(result.rows[0]!.last_number);
  }

  async insert(row: NewRequestRow): Promise<void> {
    await this.db('customer_requests').insert({
      id: row.id,
      number: row.number,
      customer_id: row.customerId,
      kind: row.kind,
      subject: row.subject,
      message: row.message,
      invoice_number: row.invoiceNumber,
      meter_serial: row.meterSerial,
      status: 'submitted',
      due_by: row.dueBy,
      idempotency_key: row.idempotencyKey,
      body_hash: row.bodyHash,
      created_at: row.now,
      updated_at: row.now,
    });
  }

  async addAttachment(requestId: string, position: number, fileId: string, fileName: string): Promise<void> {
    await this.db('request_attachments').insert({ request_id: requestId, position, file_id: fileId, file_name: fileName });
  }

  async byId(id: string, options: { customerId?: string; forUpdate?: boolean } = {}): Promise<RequestRecord | undefined> {
    const q = this.base().where('r.id', id);
    if (options.customerId !== undefined) q.andWhere('r.customer_id', options.customerId);
    if (options.forUpdate) {
      // Lock the request row only (the join's customers row stays free for others).
      await this.db('customer_requests').where({ id }).forUpdate().first('id');
    }
    const row = (await q.first()) as RequestRow | undefined;
    return row ? mapRow(row) : undefined;
  }

  async byIdempotencyKey(customerId: string, key: string): Promise<RequestRecord | undefined> {
    const row = (await this.base().where({ 'r.customer_id': customerId, 'r.idempotency_key': key }).first()) as RequestRow | undefined;
    return row ? mapRow(row) : undefined;
  }

  async list(filter: RequestFilter, limit: number): Promise<RequestRecord[]> {
    const q = this.base().orderBy('r.seq', 'desc').limit(limit);
    if (filter.customerId !== undefined) q.where('r.customer_id', filter.customerId);
    if (filter.status) q.where('r.status', filter.status);
    if (filter.kind) q.where('r.kind', filter.kind);
    if (filter.overdueBefore) q.whereIn('r.status', ['submitted', 'in_progress']).andWhere('r.due_by', '<', filter.overdueBefore);
    if (filter.beforeSeq) q.where('r.seq', '<', filter.beforeSeq);
    return ((await q) as RequestRow[]).map(mapRow);
  }

  async attachments(requestId: string): Promise<AttachmentRecord[]> {
    const rows: Array<{ position: number; file_id: string; file_name: string; content_type: string; size: string | number }> = await this.db(
      'request_attachments as a',
    )
      .join('files as f', 'f.id', 'a.file_id')
      .where('a.request_id', requestId)
      .orderBy('a.position')
      .select('a.position', 'a.file_id', 'a.file_name', 'f.content_type', 'f.size');
    return rows.map((r) => ({ position: toInt(r.position), fileId: r.file_id, fileName: r.file_name, contentType: r.content_type, size: toInt(r.size) }));
  }

  async replies(requestId: string): Promise<ReplyRecord[]> {
    const rows = (await this.db('request_replies').where({ request_id: requestId }).orderBy('id')) as Array<{
      author_login: string;
      message: string;
      created_at: Date | string;
    }>;
    return rows.map((r) => ({ authorLogin: r.author_login, message: r.message, createdAt: new Date(r.created_at) }));
  }

  async history(requestId: string): Promise<HistoryRecord[]> {
    const rows = (await this.db('request_history').where({ request_id: requestId }).orderBy('id')) as Array<{
      from_status: RequestStatus | null;
      to_status: RequestStatus;
      changed_by: string;
      changed_at: Date | string;
    }>;
    return rows.map((r) => ({ fromStatus: r.from_status, toStatus: r.to_status, changedBy: r.changed_by, changedAt: new Date(r.changed_at) }));
  }

  async addReply(requestId: string, authorLogin: string, message: string, now: Date): Promise<void> {
    await this.db('request_replies').insert({ request_id: requestId, author_login: authorLogin, message, created_at: now });
  }

  async setStatus(requestId: string, from: RequestStatus | null, to: RequestStatus, by: string, now: Date): Promise<void> {
    await this.db('customer_requests').where({ id: requestId }).update({ status: to, updated_at: now });
    await this.db('request_history').insert({ request_id: requestId, from_status: from, to_status: to, changed_by: by, changed_at: now });
  }

  async touch(requestId: string, now: Date): Promise<void> {
    await this.db('customer_requests').where({ id: requestId }).update({ updated_at: now });
  }
}
