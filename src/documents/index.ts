import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { CustomersService } from '../customers/index.js';
import type { AppModule } from '../module.js';
import { documentRoutes } from './routes.js';
import { DocumentService } from './service.js';

export { FileStore, CHUNK_SIZE, FILE_TYPES, formatLimit } from './fileStore.js';
export type { FileType, StoredFile, OpenedFile, SaveFileInput, SpooledFile } from './fileStore.js';
export { documentErrors, FILE_ERROR_CODES } from './errors.js';
export { DocumentService, MAX_DOCUMENT_BYTES } from './service.js';
export type { DocumentRecord, DocumentCategory } from './store.js';
export { sendStoredFile, safeFileName, contentDisposition } from './download.js';

/** Documents fed by the billing system, the customers' downloads, and the file store every module uses. */
export function createDocumentsModule(deps: { db: Knex; clock: Clock; customers: CustomersService }): AppModule<DocumentService> {
  const service = new DocumentService(deps.db, deps.clock, deps.customers);
  return { name: 'documents', service, routes: documentRoutes(service), jobs: [] };
}
export { renderSimplePdf, seedDemoDocuments } from './demo.js';
