import { commonErrors } from '../errors.js';
import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import { readRawBody } from '../http/middleware/body.js';
import {
  acceptedSchema,
  assignBody,
  assignedLineSchema,
  importListSchema,
  importSchema,
  lineListSchema,
  lineParams,
  linesQuery,
  noQuery,
  pageQuery,
  statementParams,
} from './schema.js';
import type { BankStatementService } from './service.js';

/** A bank statement file may be this large (a month of a busy account is well under 1 MiB). */
export const STATEMENT_LIMIT = 10 * 1024 * 1024;

const ACCOUNTING = ['accounting'] as const;
const TAG = 'accounting';

/** Accounting (role `accounting`): MT940 bank statement import (SPEC 4.5). */
export function bankStatementRoutes(bankStatements: BankStatementService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/bank-statements',
      tag: TAG,
      summary: "Imports the utility's MT940 bank statement",
      description:
        'The file as the body, as the bank exported it (ISO-8859-2, Windows-1250 or UTF-8; a charset in the Content-Type decides). ' +
        'Each credit line is classified; invoice payments are credited to the ledger once. At most 10 MiB and 100,000 lines; ' +
        'a file of more than 2,000 credit lines is imported in the background (202 with the URL that shows its progress and its lines, page by page).',
      access: ACCOUNTING,
      query: pageQuery,
      body: { kind: 'raw', contentTypes: ['text/plain', 'application/octet-stream'], description: 'The MT940 file, at most 10 MiB.' },
      responses: {
        201: { description: 'Imported: the statement with the first page of its lines.', schema: importSchema },
        200: { description: 'The identical file was imported before.', schema: importSchema },
        202: { description: 'A large file, being imported in the background: `url` shows it.', schema: acceptedSchema },
      },
      errors: ['empty_statement', 'invalid_statement', 'unsupported_charset', 'foreign_account', 'statement_truncated', 'statement_too_large'],
      handler: async (ctx, { user, query }) => {
        if (!ctx.is('text/plain', 'application/octet-stream')) {
          throw commonErrors.create(
            'unsupported_media_type',
            'Send the MT940 file as the body with Content-Type text/plain (with its charset when known) or application/octet-stream.',
          );
        }
        const bytes = await readRawBody(ctx, STATEMENT_LIMIT);
        const result = await bankStatements.import(bytes, ctx.request.charset || undefined, user.login, { limit: query.limit ?? 1000, cursor: query.cursor });
        if (result.outcome === 'accepted') {
          ctx.status = 202;
          ctx.set('Location', result.url);
          return { statementId: result.statementId, status: 'importing', url: result.url };
        }
        ctx.status = result.outcome === 'created' ? 201 : 200;
        return result.view;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/bank-statements',
      tag: TAG,
      summary: 'The imported statements, newest first',
      access: ACCOUNTING,
      query: noQuery,
      responses: { 200: { description: 'The imports.', schema: importListSchema } },
      handler: async () => ({ items: await bankStatements.list(100) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/bank-statements/lines',
      tag: TAG,
      summary: 'Credit lines of every import, newest first (e.g. the unmatched ones)',
      access: ACCOUNTING,
      query: linesQuery,
      responses: { 200: { description: 'The lines.', schema: lineListSchema } },
      handler: async (_ctx, { query }) => ({ items: await bankStatements.lines(query.classification, query.limit ?? 1000) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/bank-statements/:statementId',
      tag: TAG,
      summary: 'An imported statement (or one being imported) with a page of its credit lines',
      access: ACCOUNTING,
      params: statementParams,
      query: pageQuery,
      responses: { 200: { description: 'The import; `nextCursor` pages the lines.', schema: importSchema } },
      errors: ['statement_not_found'],
      handler: async (_ctx, { params, query }) => bankStatements.view(params.statementId, { limit: query.limit ?? 1000, cursor: query.cursor }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/bank-statements/lines/:id/assign',
      tag: TAG,
      summary: 'Assigns an unmatched or conflict line to a customer (and invoices) by hand',
      description: 'Credits the line to the customer once, to the named invoices first, recording who and when. A second assignment answers 409.',
      access: ACCOUNTING,
      params: lineParams,
      body: assignBody,
      responses: { 200: { description: 'The line with its assignment.', schema: assignedLineSchema } },
      errors: ['bank_line_not_found', 'line_not_assignable', 'line_already_assigned', 'unknown_assignee'],
      handler: async (_ctx, { params, body, user }) => bankStatements.assign(params.id, body, user.login),
    }),
  ];
}
