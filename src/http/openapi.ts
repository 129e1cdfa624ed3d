import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { z } from 'zod';
import { allErrorCodes, commonErrors } from '../errors.js';
import type { RouteDefinition } from './defineRoute.js';

const errorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'A stable snake_case code (see the description of each answer).' }),
      message: z.string().meta({ description: 'A sentence for people.' }),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });

export function openApiPath(path: string): string {
  // A colon after a backslash is a literal colon (`invoices\\:bulk` is `invoices:bulk`), not a parameter.
  return path.replace(/(?<!\\):([A-Za-z0-9_]+)/g, '{$1}').replace(/\\:/g, ':');
}

function operationOf(route: RouteDefinition): ZodOpenApiOperationObject {
  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    responses[status] = {
      description: spec.description,
      ...(spec.schema
        ? { content: { [spec.contentType ?? 'application/json']: { schema: spec.schema } } }
        : spec.contentType
          ? { content: { [spec.contentType]: { schema: z.string().meta({ format: 'binary' }) } } }
          : {}),
    };
  }
  // Errors grouped by status, each code with its sentence.
  const codes = [...(route.errors ?? [])];
  if (Array.isArray(route.access)) codes.push('unauthorized', 'forbidden', 'password_change_required');
  if (route.access === 'billing') codes.push('unauthorized', 'billing_feed_disabled');
  if (route.params || route.query || route.headers || route.body) codes.push('validation_failed', 'invalid_text');
  const byStatus = new Map<number, string[]>();
  const catalogue = allErrorCodes();
  for (const code of new Set(codes)) {
    const entry = catalogue.get(code);
    const status = entry?.spec.status ?? commonErrors.catalogue[code as keyof typeof commonErrors.catalogue]?.status;
    if (!status) throw new Error(`${route.method.toUpperCase()} ${route.path}: error code ${code} is in no catalogue`);
    byStatus.set(status, [...(byStatus.get(status) ?? []), `\`${code}\`: ${entry?.spec.description ?? ''}`]);
  }
  for (const [status, lines] of [...byStatus.entries()].sort((a, b) => a[0] - b[0])) {
    responses[String(status)] = { description: lines.join('\n\n'), content: { 'application/json': { schema: errorBody } } };
  }

  const operation: ZodOpenApiOperationObject = {
    summary: route.summary,
    tags: [route.tag],
    ...(route.description ? { description: route.description } : {}),
    responses: responses as ZodOpenApiOperationObject['responses'],
  };
  if (Array.isArray(route.access)) operation.security = [{ bearer: [] }];
  if (route.access === 'billing') operation.security = [{ billingToken: [] }];
  const requestParams: NonNullable<ZodOpenApiOperationObject['requestParams']> = {};
  if (route.params) requestParams.path = route.params as never;
  if (route.query) requestParams.query = route.query as never;
  if (route.headers) requestParams.header = route.headers as never;
  if (Object.keys(requestParams).length) operation.requestParams = requestParams;

  const body = route.body;
  if (body && 'kind' in body && body.kind === 'raw') {
    operation.requestBody = {
      description: body.description,
      content: Object.fromEntries(body.contentTypes.map((t) => [t, { schema: z.string().meta({ format: 'binary' }) }])),
    };
  } else if (body && 'kind' in body && body.kind === 'multipart') {
    const fields = body.fields as z.ZodObject;
    operation.requestBody = {
      content: {
        'multipart/form-data': {
          schema: fields.extend({
            [body.files.field]: z
              .array(z.string().meta({ format: 'binary' }))
              .max(body.files.maxCount)
              .optional()
              .meta({ description: body.files.description }),
          }),
        },
      },
    };
  } else if (body) {
    operation.requestBody = { content: { 'application/json': { schema: body } } };
  }
  return operation;
}

/** The OpenAPI 3.1 description of every route, from the schemas that validate them. */
export function buildOpenApi(routes: readonly RouteDefinition[], info: { title: string; version: string; description?: string }) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    (paths[path] as Record<string, ZodOpenApiOperationObject>)[route.method] = operationOf(route);
  }
  return createDocument({
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The accessToken of POST /api/auth/login.' },
        billingToken: { type: 'http', scheme: 'bearer', description: 'BILLING_API_TOKEN, for the billing system.' },
      },
    },
  });
}
