import { z } from 'zod';
import { amountString, dateString, pageQuery } from '../schemas.js';

const kinds = ['invoice', 'correction', 'payment', 'prepayment', 'overpayment'] as const;

/** `GET /api/settlements?status=&kind=&from=&to=` (SPEC 4.3). */
export const settlementsQuery = z
  .strictObject({
    status: z.enum(['paid', 'unpaid'], { message: 'must be paid or unpaid' }).optional(),
    kind: z.enum(kinds, { message: 'must be one of invoice, correction, payment, prepayment, overpayment' }).optional(),
    from: dateString.optional(),
    to: dateString.optional(),
    ...pageQuery,
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] });

export const settlementItem = z
  .object({
    documentNumber: z.string(),
    kind: z.enum(kinds),
    issueDate: dateString,
    dueDate: dateString.nullable(),
    amount: amountString,
    paid: amountString,
    outstanding: amountString,
    paymentDate: dateString.nullable(),
    currency: z.literal('PLN'),
  })
  .meta({ id: 'SettlementItem' });

export const settlementsAnswer = z
  .object({
    items: z.array(settlementItem).meta({ description: 'Newest first (by issue date).' }),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
    totalOutstanding: amountString.meta({ description: 'What is still owed on invoices and corrections.' }),
    availableCredit: amountString.meta({ description: 'Money received and not yet used (overpayments, prepayments).' }),
    balance: amountString.meta({ description: 'totalOutstanding − availableCredit: positive is owed, negative is a credit.' }),
  })
  .meta({ id: 'Settlements' });
