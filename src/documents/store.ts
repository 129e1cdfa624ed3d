import type { Queryable } from '../db/createDb.js';
import type { FileType } from './fileStore.js';

export const DOCUMENT_CATEGORIES = ['contract_scan', 'price_list', 'form', 'regulations', 'other'] as const;
export type DocumentCategory = (typeof DOCUMENT_CATEGORIES)[number];

/** A document's current version with its file's facts. */
export interface DocumentRecord {
  id: string;
  documentNumber: string;
  /** Null: for every customer. */
  customerId: string | null;
  customerNumber: string | null;
  title: string;
  category: DocumentCategory;
  version: number;
  fileId: string;
  contentType: FileType;
  size: number;
  sha256: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A row of `documents` joined with its file's facts and its customer's number, as the driver returns it. */
interface DocumentRow {
  id: string | number;
  document_number: string;
  customer_id: string | number | null;
  customer_number: string | null;
  title: string;
  category: DocumentCategory;
  version: number;
  file_id: string;
  content_type: FileType;
  size: string | number;
  sha256: string;
  created_at: Date | string;
  updated_at: Date | string;
}

const mapRow = (r: DocumentRow): DocumentRecord => ({
  id: String(r.id),
  documentNumber: r.document_number,
  customerId: r.customer_id === null ? null : String(r.customer_id),
  customerNumber: r.customer_number ?? null,
  title: r.title,
  category: r.category,
  version: Number(r.version),
  fileId: r.file_id,
  contentType: r.content_type,
  size: Number(r.size),
  sha256: r.sha256,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

const COLUMNS = ['d.*', 'f.content_type', 'f.size', 'f.sha256', 'c.customer_number'];

export interface DocumentWrite {
  customerId: string | null;
  title: string;
  category: DocumentCategory;
  fileId: string;
}

export class DocumentStore {
  constructor(private readonly db: Queryable) {}

  private base(db: Queryable = this.db) {
    return db('documents as d')
      .join('files as f', 'f.id', 'd.file_id')
      // Read model: the customer number shown with a customer's own document.
      .leftJoin('customers as c', 'c.id', 'd.customer_id')
      .select(COLUMNS);
  }

  async byNumber(documentNumber: string, forUpdate = false): Promise<DocumentRecord | undefined> {
    const q = this.base().where('d.document_number', documentNumber).first();
    const row = (await (forUpdate ? q.forUpdate('d') : q)) as DocumentRow | undefined;
    return row ? mapRow(row) : undefined;
  }

  async insert(documentNumber: string, values: DocumentWrite, at: Date): Promise<string> {
    const [row] = await this.db('documents')
      .insert({
        document_number: documentNumber,
        customer_id: values.customerId,
        title: values.title,
        category: values.category,
        file_id: values.fileId,
        version: 1,
        created_at: at,
        updated_at: at,
      })
      .returning<Array<{ id: string | number }>>('id');
    const id = String(row!.id);
    await this.insertVersion(id, 1, values, at);
    return id;
  }

  async update(id: string, version: number, values: DocumentWrite, at: Date): Promise<void> {
    await this.db('documents').where({ id }).update({
      customer_id: values.customerId,
      title: values.title,
      category: values.category,
      file_id: values.fileId,
      version,
      updated_at: at,
    });
    await this.insertVersion(id, version, values, at);
  }

  private async insertVersion(documentId: string, version: number, values: DocumentWrite, at: Date): Promise<void> {
    await this.db('document_versions').insert({
      document_id: documentId,
      version,
      file_id: values.fileId,
      customer_id: values.customerId,
      title: values.title,
      category: values.category,
      created_at: at,
    });
  }

  async versionCount(documentId: string): Promise<number> {
    const [row] = await this.db('document_versions').where({ document_id: documentId }).count<Array<{ n: string | number }>>('* as n');
    return Number(row?.n ?? 0);
  }

  /** The customer's own documents and those for everyone, newest first, after a (updatedAt, id) cursor. */
  async visibleTo(customerId: string, limit: number, after?: { updatedAt: Date; id: string }): Promise<DocumentRecord[]> {
    const q = this.base()
      .where((w) => void w.whereNull('d.customer_id').orWhere('d.customer_id', customerId))
      .orderBy([
        { column: 'd.updated_at', order: 'desc' },
        { column: 'd.id', order: 'desc' },
      ])
      .limit(limit);
    if (after) q.whereRaw('(d.updated_at, d.id) < (?, ?)', [after.updatedAt, after.id]);
    return ((await q) as DocumentRow[]).map(mapRow);
  }

  async visibleByNumber(customerId: string, documentNumber: string): Promise<DocumentRecord | undefined> {
    const row = (await this.base()
      .where('d.document_number', documentNumber)
      .where((w) => void w.whereNull('d.customer_id').orWhere('d.customer_id', customerId))
      .first()) as DocumentRow | undefined;
    return row ? mapRow(row) : undefined;
  }
}
