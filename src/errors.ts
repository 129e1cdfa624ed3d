/**
 * Errors the HTTP layer turns into `{"error": {"code", "message", "details"}}`.
 * A 4xx exposes its message; anything else becomes a generic 500 and is logged.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (message: string, details?: unknown) => new AppError(400, 'bad_request', message, details);
export const validationFailed = (message: string, details?: unknown) =>
  new AppError(400, 'validation_failed', message, details);
export const unauthorized = (message = 'Authentication required.') => new AppError(401, 'unauthorized', message);
export const forbidden = (message = 'You are not allowed to do this.') => new AppError(403, 'forbidden', message);
export const notFound = (message = 'Not found.') => new AppError(404, 'not_found', message);
export const conflict = (code: string, message: string, details?: unknown) => new AppError(409, code, message, details);
export const unprocessable = (code: string, message: string, details?: unknown) =>
  new AppError(422, code, message, details);

/** One entry of a module's error catalogue: a stable code always answered with one status. */
export interface ErrorSpec {
  status: number;
  /** When the error happens, in a sentence (goes into the OpenAPI description). */
  description: string;
}

export type ErrorCatalogue<Codes extends string = string> = Readonly<Record<Codes, ErrorSpec>>;

/** Every module's catalogue, for the OpenAPI description and the test that one code has one status. */
const registered = new Map<string, { module: string; spec: ErrorSpec }>();

export function allErrorCodes(): ReadonlyMap<string, { module: string; spec: ErrorSpec }> {
  return registered;
}

/**
 * A module's errors (its `errors.ts`): `const errors = defineErrors('invoices', {...})`, then
 * `throw errors.create('invoice_not_found', 'No invoice 123 on your account.')`. A code claimed
 * by two modules with different statuses is a programming error caught at start.
 */
export function defineErrors<const C extends Record<string, ErrorSpec>>(module: string, catalogue: C) {
  for (const [code, spec] of Object.entries(catalogue)) {
    const existing = registered.get(code);
    if (existing && existing.spec.status !== spec.status) {
      throw new Error(`error code ${code}: ${module} says ${spec.status}, ${existing.module} says ${existing.spec.status}`);
    }
    if (!existing) registered.set(code, { module, spec });
  }
  return {
    catalogue: catalogue as ErrorCatalogue<Extract<keyof C, string>>,
    create(code: Extract<keyof C, string>, message: string, details?: unknown, headers?: Record<string, string>): AppError {
      return new AppError(catalogue[code]!.status, code, message, details, headers);
    },
  };
}

/** Errors any route can answer: authentication, roles, validation, limits. */
export const commonErrors = defineErrors('http', {
  validation_failed: { status: 400, description: 'A parameter, header or body field is missing or invalid; details name it.' },
  malformed_json: { status: 400, description: 'The body is not valid JSON.' },
  invalid_text: { status: 400, description: 'A body field, query or path parameter holds a NUL character or a lone surrogate.' },
  bad_request: { status: 400, description: 'The request cannot be understood.' },
  unauthorized: { status: 401, description: 'No valid access token or billing token.' },
  forbidden: { status: 403, description: 'The caller is authenticated but has another role.' },
  billing_feed_disabled: { status: 403, description: 'The billing feed is off: BILLING_API_TOKEN is not configured.' },
  password_change_required: { status: 403, description: 'A one-time password must be changed first (POST /api/auth/password).' },
  not_found: { status: 404, description: 'No such thing, or not yours.' },
  method_not_allowed: { status: 405, description: 'The path exists but not with this method.' },
  payload_too_large: { status: 413, description: 'The body is larger than this endpoint accepts.' },
  unsupported_media_type: { status: 415, description: 'The body has a Content-Type this endpoint does not take.' },
  unsupported_encoding: { status: 415, description: 'The body is in a content encoding or charset this service does not read.' },
  request_aborted: { status: 400, description: 'The client closed the connection before the body arrived.' },
  too_many_requests: { status: 429, description: 'Too many attempts; Retry-After says when to try again.' },
  internal_error: { status: 500, description: 'Something failed on the server; the request id is in details.' },
});
