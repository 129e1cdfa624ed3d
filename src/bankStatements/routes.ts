import { commonErrors } from '../errors.js';
import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import { readRawBody } from '../http/middleware/body.js';
import { importListSchema, importSchema, lineListSchema, linesQuery, noQuery, statementParams } from './schema.js';
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
        'Each credit line is classified; invoice payments are credited to the ledger once.',
      access: ACCOUNTING,
      query: noQuery,
      body: { kind: 'raw', contentTypes: ['text/plain', 'application/octet-stream'], description: 'The MT940 file, at most 10 MiB.' },
      responses: {
        201: { description: 'Imported.', schema: importSchema },
        200: { description: 'The identical file was imported before.', schema: importSchema },
      },
      errors: ['empty_statement', 'invalid_statement', 'unsupported_charset', 'foreign_account'],
      handler: async (ctx, { user }) => {
        if (!ctx.is('text/plain', 'application/octet-stream')) {
          throw commonErrors.create(
            'unsupported_media_type',
            'Send the MT940 file as the body with Content-Type text/plain (with its charset when known) or application/octet-stream.',
          );
        }
        const bytes = await readRawBody(ctx, STATEMENT_LIMIT);
        const { created, view } = await bankStatements.import(bytes, ctx.request.charset || undefined, user.login);
        ctx.status = created ? 201 : 200;
        return view;
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
      summary: 'An imported statement with its credit lines',
      access: ACCOUNTING,
      params: statementParams,
      query: noQuery,
      responses: { 200: { description: 'The import.', schema: importSchema } },
      errors: ['statement_not_found'],
      handler: async (_ctx, { params }) => bankStatements.view(params.statementId),
    }),
  ];
}
