import { Readable } from 'node:stream';
import Router from '@koa/router';
import { stringify } from 'csv-stringify';
import { z } from 'zod';
import type { AuthService } from '../auth/authService.js';
import { AppError } from '../errors.js';
import { authenticate, currentUser, requireRole } from '../http/middleware/auth.js';
import { jsonBody, readRawBody } from '../http/middleware/body.js';
import { dateString, validateBody, validateParam, validateQuery } from '../http/validate.js';
import type { BankStatementService } from './bankStatementService.js';
import { CATEGORIES, type Category } from './reconciliationStore.js';
import { DEFAULT_ITEM_LIMIT, type ItemView, type ReconciliationService } from './reconciliationService.js';

/** A bank statement file may be this large (a month of a busy account is well under 1 MiB). */
export const STATEMENT_LIMIT = 10 * 1024 * 1024;

const categoryList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every((c) => (CATEGORIES as readonly string[]).includes(c)), {
    message: `must be one or more of ${CATEGORIES.join(', ')} (comma-separated)`,
  })
  .transform((list) => [...new Set(list)] as Category[]);

const wholeNumber = (max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, { message: 'must be a whole number' })
    .transform(Number)
    .refine((n) => n <= max, { message: `must be at most ${max}` });

const reportQuery = z.strictObject({
  category: categoryList.optional(),
  limit: wholeNumber(10_000).optional(),
  after: wholeNumber(Number.MAX_SAFE_INTEGER).optional(),
});

const csvQuery = z.strictObject({
  category: categoryList.optional(),
  separator: z
    .enum(['comma', 'semicolon', ',', ';'], { message: 'must be comma or semicolon' })
    .transform((v) => (v === 'semicolon' || v === ';' ? ';' : ','))
    .optional(),
  decimal: z.enum(['dot', 'comma'], { message: 'must be dot or comma' }).optional(),
});

const listQuery = z
  .strictObject({
    from: dateString.optional(),
    to: dateString.optional(),
    limit: wholeNumber(366).optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] });

const resolveBody = z.strictObject({
  resolution: z
    .string({ message: 'must be a string' })
    .trim()
    .min(1, { message: 'must not be empty' })
    .max(2000, { message: 'must be at most 2000 characters' }),
});

const runBody = z.strictObject({});

const itemId = z.string().regex(/^[1-9]\d{0,15}$/, { message: 'must be a positive whole number' }).transform(Number);
const statementId = z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be the 64 hex digits of a statementId' });
const linesQuery = z.strictObject({
  classification: z
    .enum(['gateway_payout', 'invoice_payment', 'unmatched', 'duplicate'], {
      message: 'must be gateway_payout, invoice_payment, unmatched or duplicate',
    })
    .optional(),
  limit: wholeNumber(10_000).optional(),
});

const CSV_COLUMNS: (keyof ItemView)[] = [
  'id',
  'category',
  'paymentId',
  'idTrans',
  'gatewayAmount',
  'localAmount',
  'resolution',
  'resolvedBy',
  'resolvedAt',
  'detail',
  'orderId',
  'reportLine',
];

/** Accounting (role `accounting`): reconciliation of settlement dates and bank statement import. */
export function reconciliationRoutes(deps: {
  auth: AuthService;
  reconciliation: ReconciliationService;
  bankStatements: BankStatementService;
}): Router {
  const router = new Router();
  const accounting = [authenticate(deps.auth), requireRole('accounting')];
  const { reconciliation, bankStatements } = deps;

  router.get('/api/reconciliation', ...accounting, async (ctx) => {
    const q = validateQuery(ctx, listQuery);
    ctx.body = { items: await reconciliation.list(q.from, q.to, q.limit ?? 62) };
  });

  router.post('/api/reconciliation/:date', ...accounting, jsonBody(), async (ctx) => {
    const date = validateParam('date', ctx.params.date, dateString);
    validateBody(ctx, runBody);
    ctx.body = await reconciliation.run(date, { trigger: 'manual', by: currentUser(ctx).login });
  });

  // GET /api/reconciliation/{date} (JSON) and /api/reconciliation/{date}.csv
  router.get('/api/reconciliation/:date', ...accounting, async (ctx) => {
    const raw = ctx.params.date ?? '';
    const csv = raw.endsWith('.csv');
    const date = validateParam('date', csv ? raw.slice(0, -4) : raw, dateString);
    if (!csv) {
      const q = validateQuery(ctx, reportQuery);
      ctx.body = await reconciliation.report(date, { categories: q.category, after: q.after, limit: q.limit ?? DEFAULT_ITEM_LIMIT });
      return;
    }
    const q = validateQuery(ctx, csvQuery);
    await reconciliation.ensureReconciled(date);
    const decimalComma = q.decimal === 'comma';
    const amount = (v: string | null) => (v !== null && decimalComma ? v.replace('.', ',') : v);
    const records = Readable.from(
      (async function* () {
        for await (const item of reconciliation.allItems(date, q.category)) {
          yield { ...item, gatewayAmount: amount(item.gatewayAmount), localAmount: amount(item.localAmount) };
        }
      })(),
    );
    // UTF-8 with a BOM, so spreadsheets open Polish letters right; `;` for Polish locales.
    const out = stringify({ bom: true, header: true, columns: CSV_COLUMNS as string[], delimiter: q.separator ?? ',' });
    records.on('error', (err) => {
      ctx.state.log?.error({ err }, 'reconciliation CSV export failed mid-stream');
      out.destroy(err);
    });
    records.pipe(out);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="reconciliation-${date}.csv"`);
    ctx.body = out;
  });

  router.patch('/api/reconciliation/:date/items/:itemId', ...accounting, jsonBody(), async (ctx) => {
    const date = validateParam('date', ctx.params.date, dateString);
    const id = validateParam('item id', ctx.params.itemId, itemId);
    const body = validateBody(ctx, resolveBody);
    ctx.body = await reconciliation.resolveItem(date, id, body.resolution, currentUser(ctx).login);
  });

  router.post('/api/bank-statements', ...accounting, async (ctx) => {
    if (!ctx.is('text/plain', 'application/octet-stream')) {
      throw new AppError(
        415,
        'unsupported_media_type',
        'Send the MT940 file as the body with Content-Type text/plain (with its charset when known) or application/octet-stream.',
      );
    }
    const bytes = await readRawBody(ctx, STATEMENT_LIMIT);
    const charset = ctx.request.charset || undefined;
    const { created, view } = await bankStatements.import(bytes, charset, currentUser(ctx).login);
    ctx.status = created ? 201 : 200;
    ctx.body = view;
  });

  router.get('/api/bank-statements', ...accounting, async (ctx) => {
    validateQuery(ctx, z.strictObject({}));
    ctx.body = { items: await bankStatements.list(100) };
  });

  router.get('/api/bank-statements/lines', ...accounting, async (ctx) => {
    const q = validateQuery(ctx, linesQuery);
    ctx.body = { items: await bankStatements.lines(q.classification, q.limit ?? 1000) };
  });

  router.get('/api/bank-statements/:statementId', ...accounting, async (ctx) => {
    const id = validateParam('statement id', ctx.params.statementId, statementId);
    ctx.body = await bankStatements.view(id);
  });

  return router;
}
