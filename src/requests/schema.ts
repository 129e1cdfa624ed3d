import { z } from 'zod';
import { businessNumber, dateString, pageQuery } from '../schemas.js';

export const REQUEST_KINDS = ['complaint', 'inquiry', 'application'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];
export const REQUEST_STATUSES = ['submitted', 'in_progress', 'answered', 'closed'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const MAX_ATTACHMENTS = 5;
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
export const ATTACHMENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg'] as const;

/** Trimmed text that is not blank after trimming. */
const text = (max: number) =>
  z
    .string({ message: 'is required' })
    .trim()
    .min(1, { message: 'must not be empty' })
    .max(max, { message: `must be at most ${max} characters` });

/** An empty form field means "not given" (a browser sends every field of the form). */
const optionalNumber = z.preprocess((v) => (v === '' ? undefined : v), businessNumber.optional());

/**
 * The fields of a new request: a JSON body or the text fields of a multipart/form-data body
 * (its files come in `attachments`).
 */
export const newRequestFields = z
  .strictObject({
    kind: z.enum(REQUEST_KINDS, { message: 'must be complaint, inquiry or application' }),
    subject: text(200),
    message: text(10_000),
    invoiceNumber: optionalNumber,
    meterSerial: optionalNumber,
  })
  .meta({ id: 'NewRequest' });
export type NewRequestFields = z.output<typeof newRequestFields>;

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1, { message: 'must not be empty' })
    .max(255, { message: 'must be at most 255 characters' })
    .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' })
    .optional(),
});

export const requestIdParam = z.strictObject({ id: z.uuid({ message: 'must be a request id' }) });
export const attachmentParam = z.strictObject({
  id: z.uuid({ message: 'must be a request id' }),
  n: z.coerce
    .number({ message: `must be an attachment number from 1 to ${MAX_ATTACHMENTS}` })
    .int({ message: `must be an attachment number from 1 to ${MAX_ATTACHMENTS}` })
    .min(1, { message: `must be an attachment number from 1 to ${MAX_ATTACHMENTS}` })
    .max(MAX_ATTACHMENTS, { message: `must be an attachment number from 1 to ${MAX_ATTACHMENTS}` }),
});

export const customerListQuery = z.strictObject({ ...pageQuery });
export const adminListQuery = z.strictObject({
  ...pageQuery,
  status: z.enum(REQUEST_STATUSES, { message: 'must be submitted, in_progress, answered or closed' }).optional(),
  kind: z.enum(REQUEST_KINDS, { message: 'must be complaint, inquiry or application' }).optional(),
  overdue: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
});

export const replyBody = z.strictObject({ message: text(10_000) });
export const statusBody = z.strictObject({
  status: z.enum(REQUEST_STATUSES, { message: 'must be submitted, in_progress, answered or closed' }),
});

const attachmentAnswer = z.object({
  n: z.number().int(),
  fileName: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  url: z.string(),
});
const replyAnswer = z.object({ message: z.string(), createdAt: z.string() });

const summaryFields = {
  id: z.string(),
  number: z.string().meta({ example: 'ZG/2026/000123' }),
  kind: z.enum(REQUEST_KINDS),
  subject: z.string(),
  status: z.enum(REQUEST_STATUSES),
  dueBy: dateString,
  overdue: z.boolean(),
  invoiceNumber: z.string().nullable(),
  meterSerial: z.string().nullable(),
  attachmentCount: z.number().int(),
  replyCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
};

export const requestSummary = z.object(summaryFields).meta({ id: 'RequestSummary' });
export const requestDetail = z
  .object({ ...summaryFields, message: z.string(), attachments: z.array(attachmentAnswer), replies: z.array(replyAnswer) })
  .meta({ id: 'Request' });
export const requestPage = z.object({ items: z.array(requestSummary), nextCursor: z.string().nullable() });

const customerRef = { customerNumber: z.string(), customerName: z.string() };
export const adminRequestSummary = z.object({ ...summaryFields, ...customerRef }).meta({ id: 'OfficeRequestSummary' });
export const adminRequestDetail = z
  .object({
    ...summaryFields,
    ...customerRef,
    message: z.string(),
    attachments: z.array(attachmentAnswer),
    replies: z.array(replyAnswer.extend({ author: z.string() })),
    history: z.array(z.object({ from: z.string().nullable(), to: z.string(), by: z.string(), at: z.string() })),
  })
  .meta({ id: 'OfficeRequest' });
export const adminRequestPage = z.object({ items: z.array(adminRequestSummary), nextCursor: z.string().nullable() });
