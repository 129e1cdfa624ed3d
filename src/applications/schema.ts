import { z } from 'zod';
import { amountString, businessNumber, dateString, pageQuery } from '../schemas.js';

export const APPLICATION_STATUSES = ['pending', 'approved', 'rejected', 'unmatched'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

/** At most this many applications an hour from one client address. */
export const APPLICATIONS_PER_HOUR = 5;
/** Days the office has to decide. */
export const APPLICATION_DUE_DAYS = 14;

export const applicationBody = z
  .strictObject({
    customerNumber: businessNumber,
    name: z.string({ message: 'is required' }).trim().min(1, { message: 'must not be empty' }).max(200, { message: 'must be at most 200 characters' }),
    email: z
      .string({ message: 'is required' })
      .trim()
      .max(254, { message: 'must be at most 254 characters' })
      .pipe(z.email({ message: 'must be an e-mail address' })),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9][0-9 ()-]{7,19}$/, { message: 'must be a phone number such as "+48 600 100 200"' })
      .optional(),
    invoiceNumber: businessNumber,
    invoiceAmount: amountString,
    acceptTerms: z.literal(true, { message: 'must be true: the terms of the service must be accepted' }),
  })
  .meta({ id: 'AccountApplication' });
export type ApplicationInput = z.output<typeof applicationBody>;

export const receivedAnswer = z.object({ message: z.string() });

export const applicationIdParam = z.strictObject({ id: z.uuid({ message: 'must be an application id' }) });
export const applicationListQuery = z.strictObject({
  ...pageQuery,
  status: z.enum(APPLICATION_STATUSES, { message: 'must be pending, approved, rejected or unmatched' }).optional(),
});
export const rejectBody = z.strictObject({
  reason: z.string({ message: 'is required' }).trim().min(1, { message: 'must not be empty' }).max(2000, { message: 'must be at most 2000 characters' }),
});

export const applicationAnswer = z
  .object({
    id: z.string(),
    status: z.enum(APPLICATION_STATUSES),
    customerNumber: z.string(),
    customerName: z.string().nullable(),
    name: z.string(),
    email: z.string(),
    phone: z.string().nullable(),
    invoiceNumber: z.string(),
    invoiceAmount: z.string(),
    createdAt: z.string(),
    dueBy: dateString,
    overdue: z.boolean(),
    decidedAt: z.string().nullable(),
    decidedBy: z.string().nullable(),
    rejectReason: z.string().nullable(),
    login: z.string().nullable(),
  })
  .meta({ id: 'AccountApplicationView' });
export const applicationPage = z.object({ items: z.array(applicationAnswer), nextCursor: z.string().nullable() });
