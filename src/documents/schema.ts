import { z } from 'zod';
import { businessNumber } from '../schemas.js';
import { FILE_TYPES } from './fileStore.js';
import { DOCUMENT_CATEGORIES } from './store.js';

export const documentParams = z.strictObject({ documentId: businessNumber });

export const feedQuery = z.strictObject({
  title: z.string().trim().min(1).max(200),
  category: z.enum(DOCUMENT_CATEGORIES),
  customerNumber: businessNumber.optional(),
});

const contentType = z.enum(FILE_TYPES);

export const feedAnswer = z
  .object({
    documentId: z.string(),
    version: z.number().int().min(1),
    title: z.string(),
    category: z.enum(DOCUMENT_CATEGORIES),
    customerNumber: z.string().nullable().meta({ description: 'Null: the document is for every customer.' }),
    contentType,
    size: z.number().int(),
    sha256: z.string(),
    changed: z.boolean().meta({ description: 'False when the same file and details came again.' }),
    updatedAt: z.string(),
  })
  .meta({ id: 'FedDocument' });

/** `?limit=&cursor=`: pages of at most 200, 50 unless said. */
export const pageQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(1).max(200))
    .optional(),
  cursor: z.string().min(1).max(200).optional(),
});

export const documentItem = z
  .object({
    id: z.string(),
    title: z.string(),
    category: z.enum(DOCUMENT_CATEGORIES),
    contentType,
    size: z.number().int(),
    date: z.string().meta({ description: 'The day the current version was published (YYYY-MM-DD, Europe/Warsaw).' }),
    version: z.number().int(),
    forEveryone: z.boolean(),
    downloadUrl: z.string(),
  })
  .meta({ id: 'Document' });

export const documentList = z.object({ items: z.array(documentItem), nextCursor: z.string().nullable() }).meta({ id: 'DocumentList' });

export const conditionalHeaders = z.object({ 'if-none-match': z.string().max(2000).optional() });
