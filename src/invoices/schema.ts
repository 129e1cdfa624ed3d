import { z } from 'zod';
import { amountString, businessNumber, dateString, pageQuery } from '../schemas.js';

const quantityString = z
  .string({ message: 'must be a decimal string such as "12.500"' })
  .regex(/^-?\d{1,10}(\.\d{1,4})?$/, { message: 'must be a decimal string such as "12.500"' });

export const invoiceLine = z
  .strictObject({
    description: z.string().min(1).max(500),
    quantity: quantityString,
    unit: z.string().min(1).max(20),
    unitPrice: amountString,
    amount: amountString,
  })
  .meta({ id: 'InvoiceLine' });
export type InvoiceLine = z.output<typeof invoiceLine>;

/** KSeF's number of an invoice: the seller's NIP, the date, a 12-hex id and a 2-hex checksum. */
export const ksefNumber = z
  .string()
  .regex(/^\d{10}-\d{8}-[0-9A-Fa-f]{12}-[0-9A-Fa-f]{2}$/, {
    message: 'must be a KSeF number such as "5492345678-20261101-8A1B2C3D4E5F-7C"',
  })
  .meta({ description: 'The number the national e-invoice system KSeF gave the invoice.', example: '5492345678-20261101-8A1B2C3D4E5F-7C' });

/** `PUT /api/billing/invoices/{invoiceNumber}` (SPEC 4.1). */
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
    ksefNumber: ksefNumber.optional(),
    correctedInvoiceNumber: businessNumber.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.dueDate < v.issueDate) {
      ctx.addIssue({ code: 'custom', path: ['dueDate'], message: 'must not be before issueDate' });
    }
    if (v.kind === 'invoice' && (v.amount.startsWith('-') || v.amount === '0.00')) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'of an invoice must be greater than 0.00 (use kind "correction" to reduce)' });
    }
    if (v.kind === 'correction' && /^-?0\.00$/.test(v.amount)) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'of a correction must not be 0.00' });
    }
    if (v.kind === 'invoice' && v.correctedInvoiceNumber !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['correctedInvoiceNumber'], message: 'is for a correction only (kind "correction")' });
    }
  });
export type InvoiceBody = z.output<typeof invoiceBody>;

export const invoiceNumberParams = z.strictObject({ invoiceNumber: businessNumber });
export const numberParams = z.strictObject({ number: businessNumber });

export const invoiceListQuery = z.strictObject(pageQuery);

const invoiceFields = {
  number: z.string(),
  kind: z.enum(['invoice', 'correction']),
  customerNumber: z.string(),
  propertyId: z.string(),
  issueDate: dateString,
  dueDate: dateString,
  amount: amountString,
  currency: z.literal('PLN'),
  issuedBy: z.enum(['office', 'reader']),
  ksefNumber: z.string().nullable(),
  correctedInvoiceNumber: z.string().nullable(),
  pdfAvailable: z.boolean().meta({ description: 'False for invoices issued before 2014-06-01, whose PDF cannot be made.' }),
};

/** The billing feed's answer: the document as stored. */
export const issuedInvoiceAnswer = z.object({ ...invoiceFields, lines: z.array(invoiceLine) }).meta({ id: 'IssuedInvoice' });

const accountFields = {
  paid: amountString,
  outstanding: amountString,
  status: z.enum(['paid', 'unpaid', 'overdue', 'partially_paid', 'credit']),
  paymentDate: dateString.nullable().meta({ description: 'When the last payment towards it came.' }),
  pendingPaymentId: z.string().nullable().meta({ description: 'The pending payment order that covers it, if any.' }),
};

export const invoiceSummary = z.object({ ...invoiceFields, ...accountFields }).meta({ id: 'InvoiceSummary' });
export const invoiceDetail = z.object({ ...invoiceFields, ...accountFields, lines: z.array(invoiceLine) }).meta({ id: 'Invoice' });
export const invoiceListAnswer = z
  .object({
    items: z.array(invoiceSummary).meta({ description: 'Newest first (by issue date).' }),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ id: 'InvoiceList' });
