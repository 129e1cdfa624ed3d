import type { Logger } from 'pino';
import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import { itemsCsv } from './presenters.js';
import {
  csvQuery,
  dateParams,
  itemParams,
  itemSchema,
  listQuery,
  reportQuery,
  reportSchema,
  resolveBody,
  runBody,
  runListSchema,
} from './schema.js';
import { DEFAULT_ITEM_LIMIT, type ReconciliationService } from './service.js';

const ACCOUNTING = ['accounting'] as const;
const TAG = 'accounting';
const RUN_ERRORS = ['date_in_future', 'reconciliation_running', 'settlement_report_invalid', 'gateway_timeout', 'gateway_refused', 'gateway_unavailable', 'not_reconciled'] as const;

/** Accounting (role `accounting`): reconciliation of settlement dates (SPEC 4.5). */
export function reconciliationRoutes(reconciliation: ReconciliationService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/reconciliation',
      tag: TAG,
      summary: 'The current reconciliation of each reconciled date in a range, newest first',
      access: ACCOUNTING,
      query: listQuery,
      responses: { 200: { description: 'The runs.', schema: runListSchema } },
      handler: async (_ctx, { query }) => ({ items: await reconciliation.list(query.from, query.to, query.limit ?? 62) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/reconciliation/:date',
      tag: TAG,
      summary: "Reconciles a settlement date (again) against the gateway's signed report",
      description: 'Payments the report lists that are unknown or not completed here are asked of the gateway and credited once when completed.',
      access: ACCOUNTING,
      params: dateParams,
      body: runBody,
      responses: { 200: { description: 'The new current result with its first page of items.', schema: reportSchema } },
      errors: RUN_ERRORS,
      handler: async (_ctx, { params, user }) => reconciliation.run(params.date, { trigger: 'manual', by: user.login }),
    }),
    // Before /:date, which would otherwise take "2026-11-10.csv" as a date.
    defineRoute({
      method: 'get',
      path: '/api/reconciliation/:date.csv',
      tag: TAG,
      summary: 'The current result of a date as CSV (UTF-8 with BOM; formulas neutralised)',
      access: ACCOUNTING,
      params: dateParams,
      query: csvQuery,
      responses: { 200: { description: 'Every item of the current result.', contentType: 'text/csv' } },
      errors: ['not_reconciled'],
      handler: async (ctx, { params, query }) => {
        await reconciliation.ensureReconciled(params.date);
        const csv = itemsCsv(
          reconciliation.allItems(params.date, query.category),
          { separator: query.separator ?? ',', decimalComma: query.decimal === 'comma' },
          (err) => (ctx.state as { log?: Logger }).log?.error({ err }, 'reconciliation CSV export failed mid-stream'),
        );
        ctx.type = 'text/csv; charset=utf-8';
        ctx.set('Content-Disposition', `attachment; filename="reconciliation-${params.date}.csv"`);
        ctx.body = csv;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/reconciliation/:date',
      tag: TAG,
      summary: 'The current result of a date with a page of its items',
      access: ACCOUNTING,
      params: dateParams,
      query: reportQuery,
      responses: { 200: { description: 'The result; `nextAfter` pages the items.', schema: reportSchema } },
      errors: ['not_reconciled'],
      handler: async (_ctx, { params, query }) =>
        reconciliation.report(params.date, { categories: query.category, after: query.after, limit: query.limit ?? DEFAULT_ITEM_LIMIT }),
    }),
    defineRoute({
      method: 'patch',
      path: '/api/reconciliation/:date/items/:itemId',
      tag: TAG,
      summary: "Records accounting's resolution of an item, with who and when",
      access: ACCOUNTING,
      params: itemParams,
      body: resolveBody,
      responses: { 200: { description: 'The item.', schema: itemSchema } },
      errors: ['reconciliation_item_not_found', 'run_superseded'],
      handler: async (_ctx, { params, body, user }) => reconciliation.resolveItem(params.date, params.itemId, body.resolution, user.login),
    }),
  ];
}

