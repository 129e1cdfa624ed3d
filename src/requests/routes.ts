import type { Context } from 'koa';
import { commonErrors } from '../errors.js';
import { FILE_ERROR_CODES, sendStoredFile } from '../documents/index.js';
import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import { requestErrors } from './errors.js';
import { presentOfficeRequest, presentOfficeRequestPage, presentRequest, presentRequestPage } from './presenters.js';
import {
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENTS,
  adminListQuery,
  adminRequestDetail,
  adminRequestPage,
  attachmentParam,
  customerListQuery,
  idempotencyHeaders,
  newRequestFields,
  replyBody,
  requestDetail,
  requestIdParam,
  requestPage,
  statusBody,
} from './schema.js';
import type { RequestService } from './service.js';

const TAG = 'requests';
const OFFICE_TAG = 'office: requests';

function customerIdOf(user: { customerId: string | null }): string {
  // A customer login always has a customer; guard anyway so a broken account never sees others' data.
  if (!user.customerId) throw commonErrors.create('forbidden', 'This login has no customer account.');
  return user.customerId;
}

const notFound = () => requestErrors.create('request_not_found', 'No such request on your account.');

function sendAttachment(ctx: Context, found: Awaited<ReturnType<RequestService['attachmentForCustomer']>>) {
  if (!found) throw requestErrors.create('attachment_not_found', 'No such attachment of this request.');
  sendStoredFile(ctx, found.file, found.fileName, ctx.get('if-none-match') || undefined);
}

const fileResponses = {
  200: { description: 'The file, streamed (Content-Type from its bytes, Content-Disposition, Content-Length, ETag).', contentType: 'application/octet-stream' },
  304: { description: 'Not modified (If-None-Match matched the ETag).' },
};

/** Customers' requests to the office and the office's queue. */
export function requestRoutes(requests: RequestService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/requests',
      tag: TAG,
      summary: 'The customer\'s requests, newest first',
      access: ['customer'],
      query: customerListQuery,
      responses: { 200: { description: 'A page of requests.', schema: requestPage } },
      handler: async (_ctx, { user, query }) => presentRequestPage(await requests.listForCustomer(customerIdOf(user), query)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/requests',
      tag: TAG,
      summary: 'File a complaint, inquiry or application, with attachments',
      description:
        `A JSON body, or multipart/form-data with the same fields and up to ${MAX_ATTACHMENTS} files in \`attachments\` ` +
        `(PDF, PNG or JPEG judged by their bytes, ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB each). dueBy is 14 days ahead for a complaint, ` +
        '30 for the rest. With Idempotency-Key, the same key and body again answer the request already filed; another body with the key → 422.',
      access: ['customer'],
      headers: idempotencyHeaders,
      body: {
        kind: 'multipart',
        fields: newRequestFields,
        files: { field: 'attachments', maxCount: MAX_ATTACHMENTS, maxBytes: MAX_ATTACHMENT_BYTES, description: 'PDF, PNG or JPEG files.' },
      },
      bodyLimit: 128 * 1024,
      responses: { 201: { description: 'Filed (or the request already filed with this Idempotency-Key).', schema: requestDetail } },
      errors: ['request_invoice_unknown', 'request_meter_unknown', 'idempotency_key_reused', ...FILE_ERROR_CODES],
      handler: async (ctx, { user, body, files, headers }) => {
        const { request } = await requests.submit(
          { customerId: customerIdOf(user), login: user.login },
          body,
          files.map((f) => ({ path: f.path, originalName: f.originalName, declaredType: f.declaredType })),
          headers['idempotency-key'],
        );
        ctx.status = 201;
        ctx.set('Location', `/api/requests/${request.id}`);
        return presentRequest(request);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/requests/:id',
      tag: TAG,
      summary: 'One request with its attachments and the office\'s replies',
      access: ['customer'],
      params: requestIdParam,
      responses: { 200: { description: 'The request.', schema: requestDetail } },
      errors: ['request_not_found'],
      handler: async (_ctx, { user, params }) => {
        const r = await requests.getForCustomer(customerIdOf(user), params.id);
        if (!r) throw notFound();
        return presentRequest(r);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/requests/:id/attachments/:n',
      tag: TAG,
      summary: 'Download an attachment of the customer\'s request (n from 1)',
      access: ['customer'],
      params: attachmentParam,
      responses: fileResponses,
      errors: ['attachment_not_found'],
      handler: async (ctx, { user, params }) => {
        sendAttachment(ctx, await requests.attachmentForCustomer(customerIdOf(user), params.id, params.n));
      },
    }),

    defineRoute({
      method: 'get',
      path: '/api/admin/requests',
      tag: OFFICE_TAG,
      summary: 'The office\'s queue of requests, newest first',
      description: 'overdue=true: requests still submitted or in progress whose dueBy has passed.',
      access: ['admin'],
      query: adminListQuery,
      responses: { 200: { description: 'A page of requests.', schema: adminRequestPage } },
      handler: async (_ctx, { query }) =>
        presentOfficeRequestPage(
          await requests.listForOffice({ status: query.status, kind: query.kind, overdue: query.overdue === 'true' }, query),
        ),
    }),
    defineRoute({
      method: 'get',
      path: '/api/admin/requests/:id',
      tag: OFFICE_TAG,
      summary: 'One request with the customer, replies and status history',
      access: ['admin'],
      params: requestIdParam,
      responses: { 200: { description: 'The request.', schema: adminRequestDetail } },
      errors: ['request_not_found'],
      handler: async (_ctx, { params }) => {
        const r = await requests.getForOffice(params.id);
        if (!r) throw requestErrors.create('request_not_found', 'No request with this id.');
        return presentOfficeRequest(r);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/admin/requests/:id/attachments/:n',
      tag: OFFICE_TAG,
      summary: 'Download an attachment of a request (n from 1)',
      access: ['admin'],
      params: attachmentParam,
      responses: fileResponses,
      errors: ['attachment_not_found'],
      handler: async (ctx, { params }) => {
        sendAttachment(ctx, await requests.attachmentForOffice(params.id, params.n));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/admin/requests/:id/replies',
      tag: OFFICE_TAG,
      summary: 'Reply to a request: it becomes answered and the customer is told by e-mail',
      description: 'The e-mail (Polish) names the request and asks the customer to log in to read the reply.',
      access: ['admin'],
      params: requestIdParam,
      body: replyBody,
      bodyLimit: 128 * 1024,
      responses: { 201: { description: 'The reply is stored; the request as it is now.', schema: adminRequestDetail } },
      errors: ['request_not_found', 'request_closed'],
      handler: async (ctx, { user, params, body }) => {
        const { request } = await requests.reply(user, params.id, body.message);
        ctx.status = 201;
        return presentOfficeRequest(request);
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/api/admin/requests/:id',
      tag: OFFICE_TAG,
      summary: 'Change a request\'s status',
      description:
        'Allowed: submitted → in_progress or closed; in_progress → closed; answered → in_progress or closed; closed → in_progress (reopened). ' +
        'answered comes only with a reply. Anything else → 409 request_status_transition.',
      access: ['admin'],
      params: requestIdParam,
      body: statusBody,
      responses: { 200: { description: 'The request as it is now.', schema: adminRequestDetail } },
      errors: ['request_not_found', 'request_status_transition'],
      handler: async (_ctx, { user, params, body }) => presentOfficeRequest(await requests.changeStatus(user, params.id, body.status)),
    }),
  ];
}
