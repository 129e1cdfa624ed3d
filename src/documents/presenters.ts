import { warsawDate } from '../clock.js';
import type { z } from 'zod';
import type { documentItem, feedAnswer } from './schema.js';
import type { DocumentRecord } from './store.js';

export function presentFed(d: DocumentRecord, changed: boolean): z.output<typeof feedAnswer> {
  return {
    documentId: d.documentNumber,
    version: d.version,
    title: d.title,
    category: d.category,
    customerNumber: d.customerNumber,
    contentType: d.contentType,
    size: d.size,
    sha256: d.sha256,
    changed,
    updatedAt: d.updatedAt.toISOString(),
  };
}

export function presentDocument(d: DocumentRecord): z.output<typeof documentItem> {
  return {
    id: d.documentNumber,
    title: d.title,
    category: d.category,
    contentType: d.contentType,
    size: d.size,
    date: warsawDate(d.updatedAt),
    version: d.version,
    forEveryone: d.customerId === null,
    downloadUrl: `/api/documents/${encodeURIComponent(d.documentNumber)}/download`,
  };
}
