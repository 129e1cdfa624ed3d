import { z } from 'zod';

const phone = z
  .string()
  .trim()
  .max(32)
  .transform((v) => v.replace(/[\s-]/g, ''))
  .refine((v) => /^(\+?48)?\d{9}$/.test(v) || /^\+\d{8,15}$/.test(v), { message: 'must be a phone number, e.g. +48 600 100 200' })
  .transform((v) => {
    const digits = v.replace(/^\+/, '');
    return digits.length === 9 ? `48${digits}` : digits;
  });

export const subscriptionInput = z
  .object({
    email: z
      .strictObject({
        address: z.string().trim().toLowerCase().max(254).pipe(z.email({ message: 'must be an e-mail address' })),
        invoiceIssued: z.boolean(),
        reminders: z.boolean(),
      })
      .optional(),
    sms: z.strictObject({ phone, invoiceIssued: z.boolean(), reminders: z.boolean() }).optional(),
    acceptTerms: z.literal(true, { message: 'the terms of the notice service must be accepted' }),
  })
  .strict()
  .meta({ id: 'NoticeSubscriptionInput' });
export type SubscriptionInput = z.output<typeof subscriptionInput>;

const channelState = {
  invoiceIssued: z.boolean(),
  reminders: z.boolean(),
  confirmed: z.boolean().meta({ description: 'Nothing is sent to the address until it is confirmed with the code sent there.' }),
  confirmationPending: z.boolean(),
};

export const subscriptionView = z
  .object({
    email: z.object({ address: z.string(), ...channelState }).nullable(),
    sms: z.object({ phone: z.string(), ...channelState }).nullable(),
    termsAcceptedAt: z.string().nullable(),
  })
  .meta({ id: 'NoticeSubscription' });
export type SubscriptionView = z.output<typeof subscriptionView>;

export const confirmInput = z
  .strictObject({
    channel: z.enum(['email', 'sms']),
    code: z.string().regex(/^\d{6}$/, { message: 'must be the 6-digit code' }),
  })
  .meta({ id: 'NoticeConfirmInput' });

export const outboxQuery = z.strictObject({
  status: z.enum(['failed', 'pending', 'sent']).default('failed'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().regex(/^\d{1,18}$/, { message: 'must be a cursor from an earlier page' }).optional(),
});

export const outboxItem = z
  .object({
    id: z.string(),
    channel: z.enum(['email', 'sms']),
    recipient: z.string(),
    subject: z.string().nullable(),
    template: z.string(),
    status: z.enum(['pending', 'sent', 'failed']),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
    failedAt: z.string().nullable(),
  })
  .meta({ id: 'OutboxMessage' });

export const outboxPage = z.object({ items: z.array(outboxItem), nextCursor: z.string().nullable() }).meta({ id: 'OutboxPage' });

export const outboxIdParams = z.strictObject({ id: z.string().regex(/^\d{1,18}$/, { message: 'must be a message id' }) });
