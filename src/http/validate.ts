import type { Context } from 'koa';
import { z } from 'zod';
import { AMOUNT_PATTERN } from '../money.js';
import { AppError } from '../errors.js';

export interface FieldProblem {
  field: string;
  message: string;
}

function describe(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
    }
    return { field: issue.path.map(String).join('.') || '(body)', message };
  });
}

/** Throws the 400 that names the first bad field (all of them in details). */
export function failValidation(where: string, error: z.ZodError): never {
  const problems = describe(error);
  const first = problems[0]!;
  const message =
    first.field === '(body)' ? `Invalid ${where}: ${first.message}.` : `Invalid ${where}: ${first.field} ${first.message}.`;
  throw new AppError(400, 'validation_failed', message, problems);
}

export function validateBody<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const body = (ctx.request as unknown as { body?: unknown }).body;
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) failValidation('request body', parsed.error);
  return parsed.data;
}

export function validateQuery<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse({ ...ctx.query });
  if (!parsed.success) failValidation('query', parsed.error);
  return parsed.data;
}

export function validateParam<S extends z.ZodType>(name: string, value: unknown, schema: S): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new AppError(400, 'validation_failed', `Invalid ${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}.`);
  }
  return parsed.data;
}

// Building blocks shared by the schemas of every module.

export const amountString = z
  .string({ message: 'must be a string with two decimals such as "123.45" (JSON numbers are refused)' })
  .regex(AMOUNT_PATTERN, { message: 'must be a string with two decimals such as "123.45"' });

export const positiveAmountString = amountString.refine((v) => !v.startsWith('-') && !/^0\.00$/.test(v), {
  message: 'must be greater than 0.00',
});

function isCalendarDate(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && y >= 1900;
}

export const dateString = z
  .string({ message: 'must be a date written YYYY-MM-DD' })
  .refine(isCalendarDate, { message: 'must be a real calendar date written YYYY-MM-DD' });

export const businessNumber = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9/._-]*$/, { message: 'may hold letters, digits and / . _ - only' });

export const address = z.strictObject({
  street: z.string().trim().min(1).max(200),
  postalCode: z.string().regex(/^\d{2}-\d{3}$/, { message: 'must be a Polish postal code such as "32-600"' }),
  city: z.string().trim().min(1).max(100),
});
