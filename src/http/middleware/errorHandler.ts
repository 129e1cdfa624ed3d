import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { AppError, commonErrors } from '../../errors.js';

interface HttpishError extends Error {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
}

/** Maps body-parser (co-body / raw-body) failures to stable codes and plain sentences. */
function fromHttpError(err: HttpishError): AppError | undefined {
  const status = err.status ?? err.statusCode;
  if (!status || status < 400 || status >= 500) return undefined;
  switch (err.type) {
    case 'entity.too.large':
      return commonErrors.create('payload_too_large', 'The request body is larger than this endpoint accepts.');
    case 'entity.parse.failed':
      return commonErrors.create('malformed_json', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return commonErrors.create('unsupported_encoding', 'The request body encoding is not supported.');
    case 'request.aborted':
      return commonErrors.create('request_aborted', 'The request was aborted by the client.');
    default:
      break;
  }
  if (err instanceof SyntaxError) return commonErrors.create('malformed_json', 'The request body is not valid JSON.');
  if (status === 404) return commonErrors.create('not_found', 'Not found.');
  if (status === 405) return commonErrors.create('method_not_allowed', 'This method is not allowed here.');
  return new AppError(status, 'bad_request', err.expose ? err.message : 'The request could not be processed.');
}

/**
 * The one place an error becomes a response. 4xx messages are shown; a 5xx is logged with its
 * stack and answered with a generic sentence and the request id, never internals.
 */
export function errorHandler(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new AppError(404, 'not_found', `No route for ${ctx.method} ${ctx.path}.`);
      }
    } catch (caught) {
      const err = caught as HttpishError;
      const appError = err instanceof AppError ? err : fromHttpError(err);
      if (appError) {
        ctx.status = appError.status;
        if (appError.headers) ctx.set(appError.headers);
        ctx.body = {
          error: {
            code: appError.code,
            message: appError.message,
            ...(appError.details !== undefined ? { details: appError.details } : {}),
          },
        };
        if (appError.status >= 500) (ctx.state.log as Logger | undefined)?.warn({ code: appError.code }, appError.message);
        return;
      }
      (ctx.state.log as Logger | undefined)?.error({ err }, 'unhandled error');
      ctx.status = 500;
      ctx.body = {
        error: {
          code: 'internal_error',
          message: 'Something went wrong on our side. Please try again later.',
          details: { requestId: ctx.state.requestId as string },
        },
      };
    }
  };
}
