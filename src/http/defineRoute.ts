import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { koaBody } from 'koa-body';
import { z } from 'zod';
import type { AuthUser, Role } from '../auth/index.js';
import { AppError, allErrorCodes, commonErrors } from '../errors.js';
import { jsonBody } from './middleware/body.js';
import { markRouter } from './routers.js';
import { refuseUnsafeText } from './text.js';
import { failValidation } from './validate.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route:
 * - `public`: anyone (the route may still check a signature of its own, like gateway notifications);
 * - `billing`: the billing system's bearer token (`BILLING_API_TOKEN`);
 * - a list of roles: a logged-in user with one of them, past the one-time-password gate unless
 *   `allowPendingPasswordChange` is set.
 */
export type Access = 'public' | 'billing' | readonly Role[];

/** One declared answer: what a client can rely on for this status. */
export interface ResponseSpec {
  description: string;
  /** The JSON body's schema (checked in tests), or omitted for bodies that are not JSON. */
  schema?: z.ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
}

/** A body that is not JSON: the handler reads it (raw bytes, a signed JWS, a file). */
export interface RawBodySpec {
  kind: 'raw';
  contentTypes: readonly string[];
  description: string;
}

/** A multipart/form-data body: text fields validated by `fields`, files collected from `files.field`. */
export interface MultipartBodySpec<F extends z.ZodType = z.ZodType> {
  kind: 'multipart';
  fields: F;
  files: { field: string; maxCount: number; maxBytes: number; description: string };
}

export interface UploadedFile {
  /** The path of the temporary file (removed after the request). */
  path: string;
  /** The name the client gave, for display only. */
  originalName: string;
  size: number;
  /** What the client claimed; never trusted: check the bytes. */
  declaredType: string;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
type BodyOut<B> = B extends z.ZodType ? z.output<B> : B extends MultipartBodySpec<infer F> ? z.output<F> : undefined;
type UserOf<A> = A extends readonly Role[] ? AuthUser : AuthUser | undefined;

export interface RouteInput<P, Q, H, B, A> {
  params: Out<P>;
  query: Out<Q>;
  headers: Out<H>;
  body: BodyOut<B>;
  /** Files of a multipart body (empty otherwise). */
  files: UploadedFile[];
  user: UserOf<A>;
}

export interface RouteDefinition<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  H extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | RawBodySpec | MultipartBodySpec | undefined = z.ZodType | RawBodySpec | MultipartBodySpec | undefined,
  A extends Access = Access,
> {
  method: HttpMethod;
  /** Koa-router syntax: `/api/invoices/:number`. */
  path: string;
  /** One line for the API description. */
  summary: string;
  description?: string;
  /** Groups routes in the API description (usually the module's name). */
  tag: string;
  access: A;
  allowPendingPasswordChange?: boolean;
  params?: P;
  query?: Q;
  headers?: H;
  body?: B;
  /** The largest body accepted (JSON and multipart); 1 MiB unless said. */
  bodyLimit?: number;
  /** Success answers by status; the first is used when the handler returns a value. */
  responses: Record<number, ResponseSpec>;
  /** Error codes (from module catalogues) this route may answer besides the common ones. */
  errors?: readonly string[];
  handler: (ctx: Context, input: RouteInput<P, Q, H, B, A>) => unknown;
}

/** Declares a route; the same object serves validation, the handler and the OpenAPI description. */
export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  H extends z.ZodType | undefined = undefined,
  B extends z.ZodType | RawBodySpec | MultipartBodySpec | undefined = undefined,
  const A extends Access = Access,
>(route: RouteDefinition<P, Q, H, B, A>): RouteDefinition {
  return route;
}

/** How routes learn who is calling; provided by the wiring (auth module, billing token). */
export interface Guards {
  /** The user of a valid access token, or throws 401. */
  user(ctx: Context): Promise<AuthUser>;
  /** Throws unless the billing system's token is sent. */
  billing(ctx: Context): void;
}

export interface MountOptions {
  guards: Guards;
  /** Check every answer against the route's declared responses and errors (tests turn this on). */
  checkResponses?: boolean;
}

function isRoleList(access: Access): access is readonly Role[] {
  return Array.isArray(access);
}

function parseWith(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) failValidation(where, parsed.error);
  return parsed.data;
}

const UPLOAD_ORDER = Symbol('uploadOrder');
let uploadSeq = 0;

function multipartParser(spec: MultipartBodySpec, limit: number): Middleware {
  return koaBody({
    multipart: true,
    json: false,
    text: false,
    urlencoded: false,
    formLimit: limit,
    parsedMethods: ['POST', 'PUT', 'PATCH'] as never,
    formidable: {
      maxFiles: spec.files.maxCount,
      maxFileSize: spec.files.maxBytes,
      maxTotalFileSize: spec.files.maxBytes * spec.files.maxCount,
      maxFieldsSize: limit,
      allowEmptyFiles: false,
      minFileSize: 1,
      // formidable lists files as each finishes writing: stamp the order they came in.
      onFileBegin: (_name, file) => {
        (file as unknown as Record<symbol, number>)[UPLOAD_ORDER] = ++uploadSeq;
      },
    },
    onError: (err: Error & { httpCode?: number; code?: number }) => {
      // formidable's own errors: too many or too large files.
      const message = err.message || 'The upload could not be read.';
      if (err.httpCode === 413 || /maxFileSize|maxTotalFileSize|maxFiles|exceeded/i.test(message)) {
        throw commonErrors.create(
          'payload_too_large',
          `Attachments: at most ${spec.files.maxCount} files of ${Math.round(spec.files.maxBytes / 1024 / 1024)} MiB each.`,
        );
      }
      throw commonErrors.create('bad_request', 'The multipart body could not be read.');
    },
  });
}

function collectFiles(ctx: Context, field: string): UploadedFile[] {
  const files = (ctx.request as unknown as { files?: Record<string, unknown> }).files ?? {};
  const out: UploadedFile[] = [];
  for (const [name, value] of Object.entries(files)) {
    if (name !== field) {
      throw commonErrors.create('validation_failed', `Unexpected file field ${name}; files go in ${field}.`, [
        { field: name, message: `files go in ${field}` },
      ]);
    }
    // In the order the client sent them (formidable lists them as they finish).
    type Part = { filepath: string; originalFilename?: string | null; size: number; mimetype?: string | null; [UPLOAD_ORDER]?: number };
    const list = (Array.isArray(value) ? (value as Part[]) : [value as Part]).slice();
    list.sort((x, y) => (x[UPLOAD_ORDER] ?? 0) - (y[UPLOAD_ORDER] ?? 0));
    for (const f of list) {
      out.push({ path: f.filepath, originalName: f.originalFilename ?? 'plik', size: f.size, declaredType: f.mimetype ?? '' });
    }
  }
  return out;
}

function checkAnswer(route: RouteDefinition, ctx: Context): void {
  const spec = route.responses[ctx.status];
  if (!spec) {
    if (ctx.status >= 400) return; // errors are checked where they are thrown
    throw new AppError(500, 'response_schema_mismatch', `${route.method.toUpperCase()} ${route.path} answered ${ctx.status}, which it does not declare.`);
  }
  const body: unknown = ctx.body;
  const isJson = body !== null && typeof body === 'object' && !Buffer.isBuffer(body) && typeof (body as { pipe?: unknown }).pipe !== 'function';
  if (!spec.schema || !isJson) return;
  const parsed = spec.schema.safeParse(body);
  if (!parsed.success) {
    throw new AppError(500, 'response_schema_mismatch', `${route.method.toUpperCase()} ${route.path} answered a body that does not match its ${ctx.status} schema.`, z.treeifyError(parsed.error));
  }
}

function checkError(route: RouteDefinition, err: unknown): void {
  if (!(err instanceof AppError) || err.code === 'response_schema_mismatch') return;
  if (err.code in commonErrors.catalogue) return;
  if (!route.errors?.includes(err.code)) {
    throw new AppError(500, 'response_schema_mismatch', `${route.method.toUpperCase()} ${route.path} answered error ${err.code}, which it does not declare.`);
  }
  const known = allErrorCodes().get(err.code);
  if (known && known.spec.status !== err.status) {
    throw new AppError(500, 'response_schema_mismatch', `error ${err.code} answered with ${err.status}; its catalogue says ${known.spec.status}.`);
  }
}

/** The Koa middleware chain of one route: access, body parsing, validation, handler. */
function routeMiddleware(route: RouteDefinition, options: MountOptions): Middleware[] {
  const chain: Middleware[] = [];
  const access = route.access;
  if (access === 'billing') {
    chain.push(async (ctx, next) => {
      options.guards.billing(ctx);
      await next();
    });
  } else if (isRoleList(access)) {
    chain.push(async (ctx, next) => {
      const user = await options.guards.user(ctx);
      if (!access.includes(user.role)) throw commonErrors.create('forbidden', `This endpoint is for the role ${access.join(' or ')}.`);
      if (user.mustChangePassword && !route.allowPendingPasswordChange) {
        throw commonErrors.create('password_change_required', 'Change the one-time password first: POST /api/auth/password.');
      }
      ctx.state.user = user;
      await next();
    });
  }
  const limit = route.bodyLimit ?? 1024 * 1024;
  const body = route.body;
  if (body && 'kind' in body && body.kind === 'multipart') {
    // A multipart route takes its fields as JSON too (a request without files).
    const multipart = multipartParser(body, limit);
    const json = jsonBody(limit);
    chain.push(async (ctx, next) => {
      if (ctx.is('application/json')) await json(ctx, next);
      else await multipart(ctx, next);
    });
  } else if (body && !('kind' in body)) chain.push(jsonBody(limit));

  // Worked out once per route, not per request.
  const success = Object.keys(route.responses).map(Number).filter((s) => s < 400).sort((a, b) => a - b)[0] ?? 200;
  chain.push(async (ctx) => {
    // Text with NUL or lone surrogates never reaches a schema (JSON bodies are checked as parsed).
    refuseUnsafeText(ctx.params, 'path parameter');
    refuseUnsafeText(ctx.query, 'query');
    const input: RouteInput<unknown, unknown, unknown, unknown, Access> = {
      params: route.params ? (parseWith(route.params, { ...ctx.params }, 'path parameter') as never) : undefined,
      query: route.query ? (parseWith(route.query, { ...ctx.query }, 'query') as never) : undefined,
      headers: route.headers ? (parseWith(route.headers, { ...ctx.headers }, 'header') as never) : undefined,
      body: undefined,
      files: [],
      user: ctx.state.user as never,
    };
    if (body && 'kind' in body && body.kind === 'multipart') {
      input.files = collectFiles(ctx, body.files.field);
      refuseUnsafeText((ctx.request as unknown as { body?: unknown }).body, 'form field');
      input.body = parseWith(body.fields, (ctx.request as unknown as { body?: unknown }).body ?? {}, 'form field') as never;
    } else if (body && !('kind' in body)) {
      input.body = parseWith(body, (ctx.request as unknown as { body?: unknown }).body ?? {}, 'request body') as never;
    }
    try {
      const result = await route.handler(ctx, input);
      if (result !== undefined) {
        if (ctx.status === 404) ctx.status = success; // not set by the handler
        ctx.body = result;
      }
    } catch (err) {
      if (options.checkResponses) checkError(route, err);
      throw err;
    }
    if (options.checkResponses) checkAnswer(route, ctx);
  });
  return chain;
}

/** A router holding the routes, each validated, authorised and (in tests) checked. */
export function mountRoutes(routes: readonly RouteDefinition[], options: MountOptions): Router {
  const router = markRouter(new Router(), 'api');
  for (const route of routes) {
    router[route.method](route.path, ...routeMiddleware(route, options));
  }
  return router;
}
