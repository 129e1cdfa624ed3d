import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import { applicationErrors } from './errors.js';
import { presentApplication, presentApplicationPage } from './presenters.js';
import {
  APPLICATIONS_PER_HOUR,
  applicationAnswer,
  applicationBody,
  applicationIdParam,
  applicationListQuery,
  applicationPage,
  receivedAnswer,
  rejectBody,
} from './schema.js';
import type { ApplicationService } from './service.js';

const TAG = 'account applications';

/** The public application form's endpoint and the office's decisions. */
export function applicationRoutes(applications: ApplicationService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/account-applications',
      tag: TAG,
      summary: 'Apply for an IBOK login (no login needed)',
      description:
        'The number and amount of one of the customer\'s invoices prove the applicant knows the account. The answer is always 202 with ' +
        `the same sentence, whether or not they match. At most ${APPLICATIONS_PER_HOUR} applications an hour from one address (429 with Retry-After).`,
      access: 'public',
      body: applicationBody,
      bodyLimit: 16 * 1024,
      responses: { 202: { description: 'Received.', schema: receivedAnswer } },
      handler: async (ctx, { body }) => {
        const answer = await applications.submit(body, ctx.ip);
        ctx.status = 202;
        return answer;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/admin/account-applications',
      tag: TAG,
      summary: 'The office\'s account applications, newest first',
      description: 'status=pending is the queue (dueBy 14 days after an application came); unmatched ones did not prove the account.',
      access: ['admin'],
      query: applicationListQuery,
      responses: { 200: { description: 'A page of applications.', schema: applicationPage } },
      handler: async (_ctx, { query }) => presentApplicationPage(await applications.list({ status: query.status }, query)),
    }),
    defineRoute({
      method: 'get',
      path: '/api/admin/account-applications/:id',
      tag: TAG,
      summary: 'One account application',
      access: ['admin'],
      params: applicationIdParam,
      responses: { 200: { description: 'The application.', schema: applicationAnswer } },
      errors: ['application_not_found'],
      handler: async (_ctx, { params }) => {
        const a = await applications.get(params.id);
        if (!a) throw applicationErrors.create('application_not_found', 'No account application with this id.');
        return presentApplication(a);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/admin/account-applications/:id/approve',
      tag: TAG,
      summary: 'Approve: creates the customer\'s login and e-mails the one-time password',
      access: ['admin'],
      params: applicationIdParam,
      responses: { 200: { description: 'Approved; the login is created.', schema: applicationAnswer } },
      errors: ['application_not_found', 'application_already_decided', 'application_unmatched', 'account_exists', 'login_taken', 'customer_not_found'],
      handler: async (_ctx, { user, params }) => presentApplication(await applications.approve(user, params.id)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/admin/account-applications/:id/reject',
      tag: TAG,
      summary: 'Reject with a reason, e-mailed to the applicant',
      access: ['admin'],
      params: applicationIdParam,
      body: rejectBody,
      responses: { 200: { description: 'Rejected.', schema: applicationAnswer } },
      errors: ['application_not_found', 'application_already_decided', 'application_unmatched'],
      handler: async (_ctx, { user, params, body }) => presentApplication(await applications.reject(user, params.id, body.reason)),
    }),
  ];
}
