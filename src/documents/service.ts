import type { Readable } from 'node:stream';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { CustomersService } from '../customers/index.js';
import type { Queryable } from '../db/createDb.js';
import { documentErrors } from './errors.js';
import { FILE_TYPES, FileStore, type OpenedFile } from './fileStore.js';
import { DocumentStore, type DocumentCategory, type DocumentRecord } from './store.js';

/** SPEC 4.1: a document's file is at most 20 MiB. */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

export interface DocumentMeta {
  title: string;
  category: DocumentCategory;
  customerNumber?: string | undefined;
}

export interface FeedResult {
  created: boolean;
  /** False when the same file and details came again (nothing stored). */
  changed: boolean;
  document: DocumentRecord;
}

export interface DocumentPage {
  items: DocumentRecord[];
  nextCursor: string | null;
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}

function encodeCursor(d: DocumentRecord): string {
  return Buffer.from(`${d.updatedAt.toISOString()}|${d.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { updatedAt: Date; id: string } | undefined {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const updatedAt = new Date(at ?? '');
  // Years outside 1..9999 are valid JavaScript dates but out of the database's range (a forged cursor).
  const year = updatedAt.getUTCFullYear();
  if (!id || !/^\d{1,18}$/.test(id) || Number.isNaN(year) || year < 1 || year > 9999) return undefined;
  return { updatedAt, id };
}

/** Documents fed by the billing system and read by customers; holds the file store others use. */
export class DocumentService {
  readonly files: FileStore;

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly customers: CustomersService,
  ) {
    this.files = new FileStore(db);
  }

  /**
   * Stores a document from the billing feed. The body is spooled to disk first (limit checked on
   * the way) so that the transaction never waits for the network; the same file and details again
   * change nothing; a new file or new details make a new version and keep the old one.
   */
  async feed(documentNumber: string, meta: DocumentMeta, body: Readable, declaredType: string | undefined): Promise<FeedResult> {
    const spooled = await this.files.spool(body, MAX_DOCUMENT_BYTES);
    try {
      const attempt = () =>
        this.db.transaction(async (trx) => {
          const store = new DocumentStore(trx);
          let customerId: string | null = null;
          if (meta.customerNumber !== undefined) {
            customerId = (await this.customers.requireCustomer(trx, meta.customerNumber, { field: 'customerNumber' })).id;
          }
          const existing = await store.byNumber(documentNumber, true);
          const sameBytes = existing !== undefined && existing.sha256 === spooled.sha256 && existing.size === spooled.size;
          if (
            existing &&
            sameBytes &&
            existing.title === meta.title &&
            existing.category === meta.category &&
            existing.customerId === customerId
          ) {
            return { created: false, changed: false, document: existing };
          }
          const fileId = sameBytes
            ? existing.fileId
            : (
                await this.files.save(trx, {
                  source: { path: spooled.path },
                  maxBytes: MAX_DOCUMENT_BYTES,
                  allowedTypes: FILE_TYPES,
                  ...(declaredType !== undefined ? { declaredType } : {}),
                  field: 'body',
                })
              ).fileId;
          const values = { customerId, title: meta.title, category: meta.category, fileId };
          const now = this.clock.now();
          if (existing) await store.update(existing.id, existing.version + 1, values, now);
          else await store.insert(documentNumber, values, now);
          const document = (await store.byNumber(documentNumber))!;
          return { created: existing === undefined, changed: true, document };
        });
      try {
        return await attempt();
      } catch (err) {
        // Two first deliveries of one document at once: the loser sees the winner's row on retry.
        if (isUniqueViolation(err)) return await attempt();
        throw err;
      }
    } finally {
      await spooled.dispose();
    }
  }

  async versionCount(documentNumber: string): Promise<number> {
    const store = new DocumentStore(this.db);
    const doc = await store.byNumber(documentNumber);
    return doc ? store.versionCount(doc.id) : 0;
  }

  /** The customer's own documents and those for everyone, newest first. */
  async listForCustomer(customerId: string, options: { limit: number; cursor?: string | undefined }): Promise<DocumentPage> {
    const after = options.cursor ? decodeCursor(options.cursor) : undefined;
    const rows = await new DocumentStore(this.db).visibleTo(customerId, options.limit + 1, after);
    const items = rows.slice(0, options.limit);
    return { items, nextCursor: rows.length > options.limit ? encodeCursor(items[items.length - 1]!) : null };
  }

  isValidCursor(cursor: string): boolean {
    return decodeCursor(cursor) !== undefined;
  }

  /** A document this customer may see, ready to stream; another customer's answers 404 like a missing one. */
  async openForCustomer(customerId: string, documentNumber: string): Promise<{ document: DocumentRecord; file: OpenedFile }> {
    const document = await new DocumentStore(this.db).visibleByNumber(customerId, documentNumber);
    const file = document ? await this.files.open(document.fileId) : undefined;
    if (!document || !file) throw documentErrors.create('document_not_found', `No document ${documentNumber} for you.`);
    return { document, file };
  }

  /** For other modules (a contract's scan): the document by its number, in their transaction. */
  async findByNumber(db: Queryable, documentNumber: string): Promise<DocumentRecord | undefined> {
    return new DocumentStore(db).byNumber(documentNumber);
  }

  /** For other modules that have checked access themselves: the current file of a document. */
  async openByNumber(documentNumber: string): Promise<{ document: DocumentRecord; file: OpenedFile } | undefined> {
    const document = await new DocumentStore(this.db).byNumber(documentNumber);
    const file = document ? await this.files.open(document.fileId) : undefined;
    return document && file ? { document, file } : undefined;
  }
}
