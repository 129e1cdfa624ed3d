import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { addDays, warsawDate, type Clock } from '../clock.js';
import type { CustomersService } from '../customers/index.js';
import { isUniqueViolation } from '../db/errors.js';
import { commonErrors } from '../errors.js';
import type { FileStore, OpenedFile } from '../documents/index.js';
import type { InvoicesService } from '../invoices/index.js';
import type { MeterService } from '../meters/index.js';
import { enqueueEmail, polishDate } from '../notices/index.js';
import { requestErrors } from './errors.js';
import {
  ATTACHMENT_TYPES,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENTS,
  type NewRequestFields,
  type RequestKind,
  type RequestStatus,
} from './schema.js';
import { RequestStore, type AttachmentRecord, type HistoryRecord, type ReplyRecord, type RequestRecord } from './store.js';

/** Days the office has to answer: 14 for a complaint (reklamacja), 30 for the rest. */
export const DUE_DAYS: Record<RequestKind, number> = { complaint: 14, inquiry: 30, application: 30 };

/**
 * Where the office may move a request by hand. `answered` comes only with a reply, and a request
 * never goes back to `submitted`; a closed one may be reopened when the customer comes back.
 */
export const STATUS_TRANSITIONS: Record<RequestStatus, readonly RequestStatus[]> = {
  submitted: ['in_progress', 'closed'],
  in_progress: ['closed'],
  answered: ['in_progress', 'closed'],
  closed: ['in_progress'],
};

/** A file a customer sends with a request (a temporary file of the upload). */
export interface AttachmentUpload {
  path: string;
  originalName: string;
  /** What the client claimed: ignored, the bytes decide. */
  declaredType?: string;
}

export interface RequestView extends RequestRecord {
  overdue: boolean;
}

export interface RequestDetail extends RequestView {
  attachments: AttachmentRecord[];
  replies: ReplyRecord[];
  history: HistoryRecord[];
}

export interface RequestPage {
  items: RequestView[];
  nextCursor: string | null;
}

export interface RequestsSettings {
  publicUrl: string;
  /** The utility's name, signing the e-mails. */
  senderName: string;
}

const DEFAULT_LIMIT = 50;

/** Requests to the customer office: filed by customers with attachments, answered by the office. */
export class RequestService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly deps: {
      files: FileStore;
      customers: CustomersService;
      invoices: InvoicesService;
      meters: MeterService;
      logger: Logger;
      settings: RequestsSettings;
    },
  ) {}

  private today(): string {
    return warsawDate(this.clock.now());
  }

  private view(r: RequestRecord, today = this.today()): RequestView {
    return { ...r, overdue: (r.status === 'submitted' || r.status === 'in_progress') && r.dueBy < today };
  }

  private async detail(r: RequestRecord): Promise<RequestDetail> {
    const store = new RequestStore(this.db);
    const [attachments, replies, history] = await Promise.all([store.attachments(r.id), store.replies(r.id), store.history(r.id)]);
    return { ...this.view(r), attachments, replies, history };
  }

  // ---- the customer's side ----

  /** The customer's requests, newest first. */
  async listForCustomer(customerId: string, page: { limit?: number | undefined; cursor?: string | undefined } = {}): Promise<RequestPage> {
    return this.page({ customerId }, page);
  }

  /** One of the customer's requests with its attachments and the office's replies; undefined when not theirs. */
  async getForCustomer(customerId: string, id: string): Promise<RequestDetail | undefined> {
    const r = await new RequestStore(this.db).byId(id, { customerId });
    return r ? this.detail(r) : undefined;
  }

  /**
   * Files a request. With an idempotency key, the same key and body again answer the request
   * already filed (`created: false`), another body with the key is refused. The attachments are
   * stored with the request in one transaction: a refused file leaves nothing behind.
   */
  async submit(
    user: { customerId: string; login: string },
    fields: NewRequestFields,
    files: readonly AttachmentUpload[],
    idempotencyKey?: string,
  ): Promise<{ created: boolean; request: RequestDetail }> {
    if (files.length > MAX_ATTACHMENTS) {
      throw commonErrors.create('payload_too_large', `At most ${MAX_ATTACHMENTS} attachments of ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB each.`, [
        { field: 'attachments', message: `at most ${MAX_ATTACHMENTS} files` },
      ]);
    }
    const bodyHash = await hashSubmission(fields, files);
    if (idempotencyKey) {
      const replay = await this.replay(user.customerId, idempotencyKey, bodyHash);
      if (replay) return { created: false, request: replay };
    }
    await this.checkReferences(user.customerId, fields);

    const now = this.clock.now();
    const today = warsawDate(now);
    const id = randomUUID();
    try {
      await this.db.transaction(async (trx) => {
        // Files first: the year's counter row is locked only for the few statements after them.
        const stored = [];
        for (const [i, f] of files.entries()) {
          const saved = await this.deps.files.save(trx, {
            source: { path: f.path },
            maxBytes: MAX_ATTACHMENT_BYTES,
            allowedTypes: ATTACHMENT_TYPES,
            // The browser's type comes from the file's name (a phone photo named .jpg may be a PNG):
            // the bytes alone decide, and the type stored is theirs.
            field: `attachments[${i}]`,
          });
          stored.push({ fileId: saved.fileId, name: cleanName(f.originalName) });
        }
        const store = new RequestStore(trx);
        const year = Number(today.slice(0, 4));
        const seq = await store.nextNumber(year);
        await store.insert({
          id,
          number: `ZG/${year}/${String(seq).padStart(6, '0')}`,
          customerId: user.customerId,
          kind: fields.kind,
          subject: fields.subject,
          message: fields.message,
          invoiceNumber: fields.invoiceNumber ?? null,
          meterSerial: fields.meterSerial ?? null,
          dueBy: addDays(today, DUE_DAYS[fields.kind]),
          idempotencyKey: idempotencyKey ?? null,
          bodyHash,
          now,
        });
        for (const [i, s] of stored.entries()) await store.addAttachment(id, i + 1, s.fileId, s.name);
        await store.setStatus(id, null, 'submitted', user.login, now);
      });
    } catch (err) {
      // The same key sent twice at once: the second waits for the first and then answers like a replay.
      if (idempotencyKey && isUniqueViolation(err, 'customer_requests_idempotency_unique')) {
        const replay = await this.replay(user.customerId, idempotencyKey, bodyHash);
        if (replay) return { created: false, request: replay };
      }
      throw err;
    }
    const created = await this.getForCustomer(user.customerId, id);
    return { created: true, request: created! };
  }

  private async replay(customerId: string, key: string, bodyHash: string): Promise<RequestDetail | undefined> {
    const existing = await new RequestStore(this.db).byIdempotencyKey(customerId, key);
    if (!existing) return undefined;
    if (existing.bodyHash !== bodyHash) {
      throw requestErrors.create(
        'idempotency_key_reused',
        `The Idempotency-Key was used for request ${existing.number} with another body; use a new key for a new request.`,
        [{ field: 'Idempotency-Key', message: 'used before with another body' }],
      );
    }
    return this.detail(existing);
  }

  private async checkReferences(customerId: string, fields: NewRequestFields): Promise<void> {
    if (fields.invoiceNumber) {
      const found = await this.deps.invoices.invoicesByNumbers(this.db, customerId, [fields.invoiceNumber]);
      if (found.length === 0) {
        throw requestErrors.create('request_invoice_unknown', `There is no invoice ${fields.invoiceNumber} on your account.`, [
          { field: 'invoiceNumber', message: 'is not an invoice of yours' },
        ]);
      }
    }
    if (fields.meterSerial) {
      const meters = await this.deps.meters.metersOfCustomer(customerId, { serial: fields.meterSerial });
      if (!meters.some((m) => m.serialNumber === fields.meterSerial)) {
        throw requestErrors.create('request_meter_unknown', `There is no meter ${fields.meterSerial} on your account.`, [
          { field: 'meterSerial', message: 'is not a meter of yours' },
        ]);
      }
    }
  }

  /** One attachment of the customer's request, to stream; undefined when not theirs or no such file. */
  async attachmentForCustomer(customerId: string, id: string, n: number) {
    const r = await new RequestStore(this.db).byId(id, { customerId });
    return r ? this.attachment(r, n) : undefined;
  }

  private async attachment(r: RequestRecord, n: number): Promise<{ file: OpenedFile; fileName: string } | undefined> {
    const a = (await new RequestStore(this.db).attachments(r.id)).find((x) => x.position === n);
    if (!a) return undefined;
    const file = await this.deps.files.open(a.fileId);
    return file ? { file, fileName: a.fileName } : undefined;
  }

  // ---- the office's side ----

  /** The office's queue, newest first: by status, kind, and overdue (still waiting past `dueBy`). */
  async listForOffice(
    filter: { status?: RequestStatus | undefined; kind?: RequestKind | undefined; overdue?: boolean | undefined },
    page: { limit?: number | undefined; cursor?: string | undefined } = {},
  ): Promise<RequestPage> {
    return this.page(
      {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.kind ? { kind: filter.kind } : {}),
        ...(filter.overdue ? { overdueBefore: this.today() } : {}),
      },
      page,
    );
  }

  async getForOffice(id: string): Promise<RequestDetail | undefined> {
    const r = await new RequestStore(this.db).byId(id);
    return r ? this.detail(r) : undefined;
  }

  async attachmentForOffice(id: string, n: number) {
    const r = await new RequestStore(this.db).byId(id);
    return r ? this.attachment(r, n) : undefined;
  }

  /**
   * The office answers: the reply is stored, the request becomes `answered`, and the customer is
   * told by e-mail in the same transaction (the e-mail names the request and asks them to log in:
   * the reply itself stays behind the login).
   */
  async reply(staff: { login: string }, id: string, message: string): Promise<{ request: RequestDetail; emailed: boolean }> {
    const found = await new RequestStore(this.db).byId(id);
    if (!found) throw requestErrors.create('request_not_found', 'No request with this id.');
    const customer = await this.deps.customers.customerById(found.customerId);
    const email = customer?.email ?? null;
    const now = this.clock.now();
    await this.db.transaction(async (trx) => {
      const store = new RequestStore(trx);
      const r = await store.byId(id, { forUpdate: true });
      if (!r) throw requestErrors.create('request_not_found', 'No request with this id.');
      if (r.status === 'closed') {
        throw requestErrors.create('request_closed', `Request ${r.number} is closed; reopen it (status in_progress) to reply.`);
      }
      await store.addReply(id, staff.login, message, now);
      if (r.status === 'answered') await store.touch(id, now);
      else await store.setStatus(id, r.status, 'answered', staff.login, now);
      if (email) {
        await enqueueEmail(trx, {
          to: email,
          template: 'request_answered',
          subject: `Odpowiedź na zgłoszenie ${r.number}`,
          body: replyEmail(r, this.deps.settings),
        });
      }
    });
    if (!email) this.deps.logger.warn({ request: found.number }, 'request answered; the customer has no e-mail address to tell');
    return { request: (await this.getForOffice(id))!, emailed: !!email };
  }

  /** The office moves a request by hand (STATUS_TRANSITIONS); anything else is refused with 409. */
  async changeStatus(staff: { login: string }, id: string, status: RequestStatus): Promise<RequestDetail> {
    await this.db.transaction(async (trx) => {
      const store = new RequestStore(trx);
      const r = await store.byId(id, { forUpdate: true });
      if (!r) throw requestErrors.create('request_not_found', 'No request with this id.');
      const allowed = STATUS_TRANSITIONS[r.status];
      if (!allowed.includes(status)) {
        const why = status === 'answered' ? ' A request becomes answered when the office replies.' : '';
        throw requestErrors.create('request_status_transition', `Request ${r.number} cannot go from ${r.status} to ${status}.${why}`, {
          from: r.status,
          to: status,
          allowed,
        });
      }
      await store.setStatus(id, r.status, status, staff.login, this.clock.now());
    });
    return (await this.getForOffice(id))!;
  }

  private async page(
    filter: { customerId?: string; status?: RequestStatus; kind?: RequestKind; overdueBefore?: string },
    page: { limit?: number | undefined; cursor?: string | undefined },
  ): Promise<RequestPage> {
    const limit = page.limit ?? DEFAULT_LIMIT;
    const beforeSeq = page.cursor && /^\d{1,18}$/.test(page.cursor) ? page.cursor : undefined;
    if (page.cursor && !beforeSeq) return { items: [], nextCursor: null };
    const rows = await new RequestStore(this.db).list({ ...filter, ...(beforeSeq ? { beforeSeq } : {}) }, limit + 1);
    const today = this.today();
    const items = rows.slice(0, limit).map((r) => this.view(r, today));
    return { items, nextCursor: rows.length > limit ? items.at(-1)!.seq : null };
  }
}

/** A digest of what makes two submissions the same: the fields and each file's bytes and name. */
async function hashSubmission(fields: NewRequestFields, files: readonly AttachmentUpload[]): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([fields.kind, fields.subject, fields.message, fields.invoiceNumber ?? null, fields.meterSerial ?? null]));
  for (const f of files) {
    const fileHash = createHash('sha256');
    for await (const piece of fs.createReadStream(f.path)) fileHash.update(piece as Buffer);
    hash.update(`\n${f.originalName}\n${fileHash.digest('hex')}`);
  }
  return hash.digest('hex');
}

/** The name shown for an attachment: the client's, without any path, kept short. */
function cleanName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  return base.normalize('NFC').slice(0, 150) || 'załącznik';
}

function replyEmail(r: RequestRecord, settings: RequestsSettings): string {
  return (
    'Dzień dobry,\n\n' +
    `Biuro Obsługi Klienta odpowiedziało na Pani/Pana zgłoszenie nr ${r.number} („${r.subject}”) ` +
    `z dnia ${polishDate(warsawDate(r.createdAt))}.\n\n` +
    'Odpowiedź można przeczytać po zalogowaniu do Internetowego Biura Obsługi Klienta:\n' +
    `${settings.publicUrl.replace(/\/$/, '')}/zgloszenia\n\n` +
    'Ze względu na ochronę danych treści odpowiedzi nie wysyłamy pocztą elektroniczną.\n\n' +
    `Z poważaniem\n${settings.senderName}\n`
  );
}
