import type { Context } from 'koa';
import { z } from 'zod';
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

// The shared building blocks moved to src/schemas.ts (services may use them); re-exported here for
// routes that still import them from the HTTP layer.
export { address, amountString, businessNumber, dateString, positiveAmountString } from '../schemas.js';
