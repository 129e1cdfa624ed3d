import { z } from 'zod';
import { businessNumber } from '../schemas.js';
import { PAYMENT_STATUSES } from './store.js';

export const createPaymentBody = z
  .strictObject({
    invoiceNumbers: z.array(businessNumber).max(100).optional().meta({ description: 'The invoices to pay; none (or empty) = every outstanding invoice.' }),
  })
  .meta({ id: 'CreatePayment' });

export const createPaymentHeaders = z.object({
  // Optional here so that a missing key answers its own code (idempotency_key_required).
  'idempotency-key': z
    .string()
    .max(255, { message: 'must be at most 255 characters' })
    .regex(/^[\x21-\x7e]+$/, { message: 'must be 1 to 255 visible ASCII characters' })
    .optional()
    .meta({ description: 'Required: any unique string up to 255 visible ASCII characters. The same key and body again answer the same order.' }),
});

export const paymentIdParams = z.object({
  id: z.uuid({ message: 'must be a payment id (UUID)' }),
});

const paymentStatus = z.enum(PAYMENT_STATUSES as [string, ...string[]]);
const instant = z.string().meta({ description: 'ISO 8601 instant' });

export const paymentSchema = z
  .object({
    id: z.uuid(),
    idTrans: z.string().regex(/^\d{10}$/),
    amount: z.string().meta({ example: '123.45' }),
    currency: z.literal('PLN'),
    status: paymentStatus,
    redirectUrl: z.string().nullable().meta({ description: "The gateway's bank page to send the browser to." }),
    invoiceNumbers: z.array(z.string()),
    createdAt: instant,
    dateValid: instant.meta({ description: 'Until when the customer can pay at the bank page.' }),
    paidAt: instant.nullable(),
    settlementDate: z.string().nullable(),
  })
  .strict()
  .meta({ id: 'Payment' });

export const paymentHistoryEntry = z
  .object({
    fromStatus: paymentStatus.nullable(),
    toStatus: paymentStatus,
    gatewayStatus: z.number().int().nullable(),
    cause: z.string(),
    eventId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    at: instant,
  })
  .strict();

export const paymentWithHistorySchema = paymentSchema.extend({ history: z.array(paymentHistoryEntry) }).meta({ id: 'PaymentWithHistory' });

export const jwksSchema = z
  .object({
    keys: z.array(
      z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), kid: z.string(), alg: z.literal('ES256'), use: z.literal('sig') }),
    ),
  })
  .meta({ id: 'MerchantJwks' });

export const flaggedQuery = z.strictObject({
  status: z.enum(['amount_mismatch', 'failed', 'pending'], { message: 'must be amount_mismatch, failed or pending' }).default('amount_mismatch'),
});

export const flaggedSchema = z
  .object({
    items: z.array(
      z
        .object({
          id: z.uuid(),
          idTrans: z.string(),
          status: paymentStatus,
          amount: z.string(),
          notifiedAmount: z.string().nullable(),
          notifiedCurrency: z.string().nullable(),
          paidAt: instant.nullable(),
          settlementDate: z.string().nullable(),
          gatewayPaymentId: z.string().nullable(),
        })
        .strict(),
    ),
  })
  .meta({ id: 'FlaggedPayments' });
