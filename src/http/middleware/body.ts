import type { Middleware } from 'koa';
import { koaBody } from 'koa-body';
import getRawBody from 'raw-body';
import { AppError } from '../../errors.js';
import { refuseUnsafeText } from '../text.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** JSON bodies up to 1 MiB; strict (an object or array at the top). */
export function jsonBody(limit = DEFAULT_BODY_LIMIT): Middleware {
  const parse = koaBody({
    json: true,
    text: false,
    urlencoded: false,
    multipart: false,
    jsonStrict: true,
    jsonLimit: limit,
    parsedMethods: ['POST', 'PUT', 'PATCH'] as never,
  });
  return async (ctx, next) => {
    const hasBody = ctx.request.length !== undefined ? ctx.request.length > 0 : ctx.get('transfer-encoding') !== '';
    if (hasBody && !ctx.is('application/json')) {
      throw new AppError(415, 'unsupported_media_type', 'The request body must be JSON (Content-Type: application/json).');
    }
    await parse(ctx, async () => {
      refuseUnsafeText((ctx.request as unknown as { body?: unknown }).body, 'request body');
      await next();
    });
  };
}

/** The raw bytes of a body, for signed payloads and bank files; refuses bodies over `limit`. */
export async function readRawBody(ctx: Parameters<Middleware>[0], limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const length = ctx.request.length;
  return getRawBody(ctx.req, { limit, ...(length !== undefined ? { length } : {}) });
}
