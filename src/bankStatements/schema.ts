import { z } from 'zod';

export const CLASSIFICATIONS = ['gateway_payout', 'invoice_payment', 'unmatched', 'duplicate', 'conflict'] as const;

// eslint-disable-next-line no-control-regex -- NUL is exactly what is refused here
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** A business number as the billing system writes it, refusing text PostgreSQL cannot store. */
const numberText = z
  .string({ message: 'must be a string' })
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(64, { message: 'must be at most 64 characters' })
  .refine((v) => !UNSTORABLE.test(v), { message: 'must not contain NUL bytes or unpaired surrogates' });

const wholeNumber = (max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, { message: 'must be a whole number' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, { message: `must be between 1 and ${max}` });

export const statementParams = z.strictObject({
  statementId: z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be the 64 hex digits of a statementId' }),
});

export const noQuery = z.strictObject({});

export const lineParams = z.strictObject({
  id: z.string().regex(/^[1-9]\d{0,15}$/, { message: 'must be a positive whole number' }),
});

export const assignBody = z.strictObject({
  customerNumber: numberText,
  invoiceNumbers: z.array(numberText).max(100, { message: 'must hold at most 100 invoice numbers' }).optional(),
});

export const pageQuery = z.strictObject({
  limit: wholeNumber(10_000).optional(),
  cursor: z.string().regex(/^\d{1,9}$/, { message: 'must be the nextCursor of the previous page' }).transform(Number).optional(),
});

export const linesQuery = z.strictObject({
  classification: z.enum(CLASSIFICATIONS, { message: `must be ${CLASSIFICATIONS.join(', ')}` }).optional(),
  limit: wholeNumber(10_000).optional(),
});

// ---- answers

const money = z.string().regex(/^-?\d+\.\d{2}$/);

export const lineSchema = z
  .object({
    id: z.string(),
    reference: z.string(),
    account: z.string(),
    valueDate: z.string(),
    entryDate: z.string().nullable(),
    amount: money,
    currency: z.string(),
    title: z.string(),
    counterpartyName: z.string().nullable(),
    counterpartyAccount: z.string().nullable(),
    classification: z.enum(CLASSIFICATIONS),
    settlementDate: z.string().optional(),
    gatewayTotal: money.nullable().optional(),
    matchesGatewayTotal: z.boolean().nullable().optional(),
    invoiceNumbers: z.array(z.string()).optional(),
    customerNumber: z.string().nullable().optional(),
    creditId: z.string().nullable().optional(),
    firstImportedIn: z.string().nullable().optional(),
    assignment: z
      .object({
        customerNumber: z.string().nullable(),
        invoiceNumbers: z.array(z.string()),
        creditId: z.string().nullable(),
        assignedBy: z.string(),
        assignedAt: z.string(),
      })
      .optional(),
    note: z.string().nullable(),
  })
  .meta({ id: 'BankStatementLine' });

const balance = z.object({ date: z.string(), amount: money });

export const importSchema = z
  .object({
    statementId: z.string(),
    status: z.enum(['importing', 'complete', 'failed']),
    error: z.string().nullable(),
    importedAt: z.string(),
    importedBy: z.string(),
    charset: z.string(),
    statements: z.array(
      z.object({
        reference: z.string(),
        account: z.string(),
        number: z.string(),
        currency: z.string(),
        openingBalance: balance,
        closingBalance: balance.nullable(),
        creditLines: z.number().int(),
        debitLines: z.number().int(),
      }),
    ),
    lineCount: z.number().int().nullable(),
    lines: z.array(lineSchema),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'BankStatementImport' });

export const acceptedSchema = z
  .object({ statementId: z.string(), status: z.literal('importing'), url: z.string() })
  .meta({ id: 'BankStatementAccepted' });

export const assignedLineSchema = lineSchema.extend({ statementId: z.string() });

export const importListSchema = z.object({
  items: z.array(
    z.object({
      statementId: z.string(),
      importedAt: z.string(),
      importedBy: z.string(),
      status: z.enum(['importing', 'complete', 'failed']),
      accounts: z.array(z.string()),
      statements: z.number().int(),
      creditLines: z.number().int(),
    }),
  ),
});

export const lineListSchema = z.object({ items: z.array(lineSchema.extend({ statementId: z.string() })) });
