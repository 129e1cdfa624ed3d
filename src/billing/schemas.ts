import { z } from 'zod';
import { address, amountString, dateString } from '../http/validate.js';

export const customerBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  address,
  email: z.string().email({ message: 'must be an e-mail address' }).max(254).optional(),
  phone: z
    .string()
    .regex(/^\+?[0-9 ]{9,20}$/, { message: 'must be a phone number such as "+48 600 100 200"' })
    .optional(),
  properties: z
    .array(
      z.strictObject({
        id: z.string().min(1).max(64).regex(/^[A-Za-z0-9/._-]+$/, { message: 'may hold letters, digits and / . _ - only' }),
        address,
      }),
    )
    .max(1000),
});
export type CustomerBody = z.output<typeof customerBody>;

const quantityString = z
  .string({ message: 'must be a decimal string such as "12.500"' })
  .regex(/^-?\d{1,10}(\.\d{1,4})?$/, { message: 'must be a decimal string such as "12.500"' });

export const invoiceLine = z.strictObject({
  description: z.string().min(1).max(500),
  quantity: quantityString,
  unit: z.string().min(1).max(20),
  unitPrice: amountString,
  amount: amountString,
});

export const invoiceBody = z
  .strictObject({
    customerNumber: z.string().min(1).max(64),
    propertyId: z.string().min(1).max(64),
    kind: z.enum(['invoice', 'correction'], { message: 'must be invoice or correction' }).default('invoice'),
    issueDate: dateString,
    dueDate: dateString,
    amount: amountString,
    currency: z.literal('PLN', { message: 'must be "PLN"' }),
    issuedBy: z.enum(['office', 'reader'], { message: 'must be office or reader' }),
    lines: z.array(invoiceLine).max(500).default([]),
  })
  .superRefine((v, ctx) => {
    if (v.dueDate < v.issueDate) {
      ctx.addIssue({ code: 'custom', path: ['dueDate'], message: 'must not be before issueDate' });
    }
    if (v.kind === 'invoice' && (v.amount.startsWith('-') || /^0\.00$/.test(v.amount))) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'of an invoice must be greater than 0.00 (use kind "correction" to reduce)' });
    }
    if (v.kind === 'correction' && /^-?0\.00$/.test(v.amount)) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'of a correction must not be 0.00' });
    }
  });
export type InvoiceBody = z.output<typeof invoiceBody>;
