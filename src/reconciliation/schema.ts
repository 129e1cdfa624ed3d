import { z } from 'zod';
import { dateString } from '../http/validate.js';
import { CATEGORIES, type Category } from './store.js';

// eslint-disable-next-line no-control-regex -- NUL is exactly what is refused here
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text a person typed: no NUL bytes (PostgreSQL cannot store them) and no lone UTF-16 surrogates
 * (they are not characters; stored, they would come back as something else). SPEC 4.6.
 */
export const plainText = z.string({ message: 'must be a string' }).refine((v) => !UNSTORABLE.test(v), {
  message: 'must not contain NUL bytes or unpaired surrogates',
});

const categoryList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every((c) => (CATEGORIES as readonly string[]).includes(c)), {
    message: `must be one or more of ${CATEGORIES.join(', ')} (comma-separated)`,
  })
  .transform((list) => [...new Set(list)] as Category[]);

export const wholeNumber = (max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, { message: 'must be a whole number' })
    .transform(Number)
    .refine((n) => n <= max, { message: `must be at most ${max}` });

export const dateParams = z.strictObject({ date: dateString });
export const itemParams = z.strictObject({
  date: dateString,
  itemId: z.string().regex(/^[1-9]\d{0,15}$/, { message: 'must be a positive whole number' }).transform(Number),
});

export const reportQuery = z.strictObject({
  category: categoryList.optional(),
  limit: wholeNumber(10_000).optional(),
  after: wholeNumber(Number.MAX_SAFE_INTEGER).optional(),
});

export const csvQuery = z.strictObject({
  category: categoryList.optional(),
  separator: z
    .enum(['comma', 'semicolon', ',', ';'], { message: 'must be comma or semicolon' })
    .transform((v) => (v === 'semicolon' || v === ';' ? ';' : ','))
    .optional(),
  decimal: z.enum(['dot', 'comma'], { message: 'must be dot or comma' }).optional(),
});

export const listQuery = z
  .strictObject({
    from: dateString.optional(),
    to: dateString.optional(),
    limit: wholeNumber(366).optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] });

export const resolveBody = z.strictObject({
  resolution: plainText
    .trim()
    .min(1, { message: 'must not be empty' })
    .max(2000, { message: 'must be at most 2000 characters' }),
});

export const runBody = z.strictObject({});

// ---- answers

const money = z.string().regex(/^-?\d+\.\d{2}$/);
const countsSchema = z.object(Object.fromEntries(CATEGORIES.map((c) => [c, z.number().int()])) as Record<Category, z.ZodNumber>);

export const itemSchema = z
  .object({
    id: z.number().int(),
    category: z.enum(CATEGORIES),
    paymentId: z.string().nullable(),
    idTrans: z.string(),
    gatewayAmount: money.nullable(),
    localAmount: money.nullable(),
    resolution: z.string().nullable(),
    resolvedBy: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    detail: z.string().nullable(),
    orderId: z.string().nullable(),
    reportLine: z.number().int().nullable(),
  })
  .meta({ id: 'ReconciliationItem' });

export const runSummarySchema = z
  .object({
    runId: z.number().int(),
    date: z.string(),
    status: z.enum(['running', 'completed', 'failed']),
    current: z.boolean(),
    trigger: z.enum(['manual', 'daily']),
    startedBy: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    gatewayTotal: money.nullable(),
    localTotal: money.nullable(),
    counts: countsSchema.nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: 'ReconciliationRun' });

export const reportSchema = runSummarySchema
  .extend({
    currency: z.literal('PLN'),
    difference: money,
    report: z.object({ rows: z.number().int().nullable(), bytes: z.number().int().nullable(), kid: z.string().nullable() }),
    timingsMs: z.record(z.string(), z.number()).nullable(),
    bankPayouts: z.array(
      z.object({
        statementId: z.string(),
        reference: z.string(),
        account: z.string(),
        amount: money,
        valueDate: z.string(),
        matchesGatewayTotal: z.boolean(),
      }),
    ),
    items: z.array(itemSchema),
    itemsTotal: z.number().int(),
    nextAfter: z.number().int().nullable(),
    runs: z.array(runSummarySchema),
  })
  .meta({ id: 'ReconciliationReport' });

export const runListSchema = z.object({ items: z.array(runSummarySchema) });
