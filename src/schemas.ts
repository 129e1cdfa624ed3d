import { z } from 'zod';
import { isCalendarDate } from './clock.js';
import { AMOUNT_PATTERN, UNSIGNED_AMOUNT_PATTERN } from './money.js';

// zod building blocks shared by every module's schema.ts. They live outside src/http/ so that a
// service may parse with them too (services never import the HTTP layer).

/** A signed amount such as "123.45" or "-20.00"; fits numeric(14,2). JSON numbers are refused. */
export const amountString = z
  .string({ message: 'must be a string with two decimals such as "123.45" (JSON numbers are refused)' })
  .regex(AMOUNT_PATTERN, { message: 'must be a string with two decimals such as "123.45"' })
  .meta({ description: 'An amount in PLN with exactly two decimals, e.g. "123.45".', example: '123.45' });

/** An amount greater than zero such as "123.45". */
export const positiveAmountString = z
  .string({ message: 'must be a string with two decimals such as "123.45" (JSON numbers are refused)' })
  .regex(UNSIGNED_AMOUNT_PATTERN, { message: 'must be a string with two decimals such as "123.45"' })
  .refine((v) => v !== '0.00', { message: 'must be greater than 0.00' })
  .meta({ description: 'An amount in PLN greater than zero, with exactly two decimals.', example: '123.45' });

/** A real calendar date written YYYY-MM-DD. */
export const dateString = z
  .string({ message: 'must be a date written YYYY-MM-DD' })
  .refine(isCalendarDate, { message: 'must be a real calendar date written YYYY-MM-DD' })
  .meta({ format: 'date', example: '2026-11-15' });

/** A number given by the billing system (customer, invoice, meter, contract): `FV/2026/11/0001`. */
export const businessNumber = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9/._-]*$/, { message: 'may hold letters, digits and / . _ - only' });

export const address = z
  .strictObject({
    street: z.string().trim().min(1).max(200),
    postalCode: z.string().regex(/^\d{2}-\d{3}$/, { message: 'must be a Polish postal code such as "32-600"' }),
    city: z.string().trim().min(1).max(100),
  })
  .meta({ id: 'Address' });
export type Address = z.output<typeof address>;

/** `?limit=&cursor=` of a paged list. */
export const pageQuery = {
  limit: z.coerce
    .number({ message: 'must be a whole number from 1 to 500' })
    .int({ message: 'must be a whole number from 1 to 500' })
    .min(1, { message: 'must be a whole number from 1 to 500' })
    .max(500, { message: 'must be a whole number from 1 to 500' })
    .optional(),
  cursor: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be a cursor from a previous page' })
    .optional(),
};
