import { z } from 'zod';

export const CLASSIFICATIONS = ['gateway_payout', 'invoice_payment', 'unmatched', 'duplicate'] as const;

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
    note: z.string().nullable(),
  })
  .meta({ id: 'BankStatementLine' });

const balance = z.object({ date: z.string(), amount: money });

export const importSchema = z
  .object({
    statementId: z.string(),
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
    lines: z.array(lineSchema),
  })
  .meta({ id: 'BankStatementImport' });

export const importListSchema = z.object({
  items: z.array(
    z.object({
      statementId: z.string(),
      importedAt: z.string(),
      importedBy: z.string(),
      accounts: z.array(z.string()),
      statements: z.number().int(),
      creditLines: z.number().int(),
    }),
  ),
});

export const lineListSchema = z.object({ items: z.array(lineSchema.extend({ statementId: z.string() })) });
