import { commonErrors } from '../errors.js';
import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import { customerIdOf } from '../http/guards.js';
import { presentInvoice, presentInvoiceSummary, presentIssuedInvoice } from './presenters.js';
import {
  invoiceBody,
  invoiceDetail,
  invoiceListAnswer,
  invoiceListQuery,
  invoiceNumberParams,
  issuedInvoiceAnswer,
  numberParams,
} from './schema.js';
import type { InvoicesService } from './service.js';
import { contentDisposition } from '../documents/index.js';
import type { InvoicePdf } from './pdf.js';

export function invoiceRoutes(invoices: InvoicesService, pdf: InvoicePdf): RouteDefinition[] {
  return [
    defineRoute({
      method: 'put',
      path: '/api/billing/invoices/:invoiceNumber',
      tag: 'billing feed',
      summary: 'Issue an invoice or a correction',
      description:
        'An issued document is immutable: the same body again answers 200, a different one 409. A negative amount is allowed for a correction only.',
      access: 'billing',
      params: invoiceNumberParams,
      body: invoiceBody,
      responses: {
        200: { description: 'Already stored with this content.', schema: issuedInvoiceAnswer },
        201: { description: 'Stored.', schema: issuedInvoiceAnswer },
      },
      errors: ['unknown_customer', 'unknown_property', 'unknown_invoice', 'document_immutable', 'ksef_number_taken'],
      handler: async (ctx, { params, body }) => {
        const { created, invoice } = await invoices.issueInvoice(params.invoiceNumber, body);
        ctx.status = created ? 201 : 200;
        return presentIssuedInvoice(invoice);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/invoices',
      tag: 'customer portal',
      summary: "The customer's invoices and corrections, newest first, with paid and outstanding amounts",
      access: ['customer'],
      query: invoiceListQuery,
      responses: { 200: { description: 'A page of invoices.', schema: invoiceListAnswer } },
      handler: async (_ctx, { user, query }) => {
        const page = await invoices.listForCustomer(customerIdOf(user), query);
        return { items: page.items.map(presentInvoiceSummary), nextCursor: page.nextCursor };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/invoices/:number',
      tag: 'customer portal',
      summary: 'One invoice with its lines, paid and outstanding amounts',
      access: ['customer'],
      params: numberParams,
      responses: { 200: { description: 'The invoice.', schema: invoiceDetail } },
      handler: async (_ctx, { user, params }) => {
        const view = await invoices.forCustomer(customerIdOf(user), params.number);
        // Another customer's invoice answers exactly like a missing one.
        if (!view) throw commonErrors.create('not_found', `No invoice ${params.number} on your account.`);
        return presentInvoice(view);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/invoices/:number/pdf',
      tag: 'customer portal',
      summary: 'The invoice as a PDF to print (Polish, generated from the stored invoice)',
      description: 'Seller, buyer, property, lines, totals, due date, the account and transfer title, KSeF number, paid and outstanding. Invoices issued before 2014-06-01 answer 404 pdf_not_available.',
      access: ['customer'],
      params: numberParams,
      responses: { 200: { description: 'The PDF.', contentType: 'application/pdf' } },
      errors: ['pdf_not_available'],
      handler: async (ctx, { user, params }) => {
        const { fileName, pdf: bytes } = await pdf.forCustomer(customerIdOf(user), params.number);
        ctx.body = bytes;
        ctx.type = 'application/pdf';
        ctx.set('Content-Disposition', contentDisposition(fileName));
      },
    }),
  ];
}
