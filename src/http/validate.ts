import { z } from 'zod';
import { commonErrors, type AppError } from '../errors.js';

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

/** The 400 that names the first bad field (all of them in details). */
export function validationError(where: string, error: z.ZodError): AppError {
  const problems = describe(error);
  const first = problems[0]!;
  const message =
    first.field === '(body)' ? `Invalid ${where}: ${first.message}.` : `Invalid ${where}: ${first.field} ${first.message}.`;
  return commonErrors.create('validation_failed', message, problems);
}

/** Throws the 400 that names the first bad field (all of them in details). */
export function failValidation(where: string, error: z.ZodError): never {
  throw validationError(where, error);
}

// The shared building blocks moved to src/schemas.ts (services may use them); re-exported here for
// routes that still import them from the HTTP layer.
export { address, amountString, businessNumber, dateString, positiveAmountString } from '../schemas.js';
