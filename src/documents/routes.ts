import { commonErrors } from '../errors.js';
import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import { customerIdOf } from '../http/guards.js';
import { sendStoredFile } from './download.js';
import { FILE_ERROR_CODES } from './errors.js';
import { FILE_TYPES, formatLimit } from './fileStore.js';
import { presentDocument, presentFed } from './presenters.js';
import { conditionalHeaders, documentList, documentParams, feedAnswer, feedQuery, pageQuery } from './schema.js';
import { MAX_DOCUMENT_BYTES, type DocumentService } from './service.js';

const BODY_TYPES = [...FILE_TYPES, 'application/octet-stream'] as const;

export function documentRoutes(service: DocumentService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'put',
      path: '/api/billing/documents/:documentId',
      tag: 'billing feed',
      summary: 'Store or replace a document (the file is the body)',
      description:
        'The file is the raw body, at most 20 MiB; its type is checked against its bytes. Without customerNumber the ' +
        'document is for every customer. A new file or new details make a new version; the old versions are kept.',
      access: 'billing',
      params: documentParams,
      query: feedQuery,
      body: { kind: 'raw', contentTypes: BODY_TYPES, description: 'The file: PDF, PNG, JPEG or UTF-8 text.' },
      responses: {
        201: { description: 'A new document.', schema: feedAnswer },
        200: { description: 'A new version, or the same again (changed: false).', schema: feedAnswer },
      },
      errors: ['unknown_customer', ...FILE_ERROR_CODES],
      handler: async (ctx, { params, query }) => {
        const declared = ctx.request.type; // without parameters
        if (!(BODY_TYPES as readonly string[]).includes(declared)) {
          throw commonErrors.create(
            'unsupported_media_type',
            `Send the file with Content-Type ${FILE_TYPES.join(', ')} (or application/octet-stream).`,
          );
        }
        const length = ctx.request.length;
        if (length !== undefined && length > MAX_DOCUMENT_BYTES) {
          throw commonErrors.create('payload_too_large', `A document is at most ${formatLimit(MAX_DOCUMENT_BYTES)}.`, {
            limitBytes: MAX_DOCUMENT_BYTES,
          });
        }
        const result = await service.feed(params.documentId, query, ctx.req, declared);
        ctx.status = result.created ? 201 : 200;
        return presentFed(result.document, result.changed);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/documents',
      tag: 'documents',
      summary: "Documents for every customer and the customer's own, newest first",
      access: ['customer'],
      query: pageQuery,
      responses: { 200: { description: 'A page of documents.', schema: documentList } },
      handler: async (_ctx, { query, user }) => {
        if (query.cursor !== undefined && !service.isValidCursor(query.cursor)) {
          throw commonErrors.create('validation_failed', 'Invalid query: cursor is not one this service gave.', [
            { field: 'cursor', message: 'unknown cursor' },
          ]);
        }
        const page = await service.listForCustomer(customerIdOf(user), { limit: query.limit ?? 50, cursor: query.cursor });
        return { items: page.items.map(presentDocument), nextCursor: page.nextCursor };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/documents/:documentId/download',
      tag: 'documents',
      summary: 'Download a document',
      description: 'Streams the file with Content-Type, Content-Disposition, Content-Length and ETag; If-None-Match answers 304.',
      access: ['customer'],
      params: documentParams,
      headers: conditionalHeaders,
      responses: {
        200: { description: 'The file.', contentType: 'application/octet-stream' },
        304: { description: 'The copy the client holds (If-None-Match) is current.' },
      },
      errors: ['document_not_found'],
      handler: async (ctx, { params, headers, user }) => {
        const { document, file } = await service.openForCustomer(customerIdOf(user), params.documentId);
        sendStoredFile(ctx, file, document.title, headers['if-none-match']);
      },
    }),
  ];
}

