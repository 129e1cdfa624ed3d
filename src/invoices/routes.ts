import { z } from 'zod';
import { commonErrors, type AppError } from '../errors.js';
import { ndjsonLines } from '../http/ndjson.js';
import { unsafeTextError } from '../http/text.js';
import { validationError } from '../http/validate.js';
import { invoiceErrors } from './errors.js';
import type { BulkLine, BulkRefusal } from './bulkService.js';
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

const BULK_MAX_LINES = 1_000_000;
const BULK_MAX_LINE_BYTES = 1024 * 1024;
const BULK_MAX_BYTES = 1024 * 1024 * 1024;

const tooLarge = () => commonErrors.create('payload_too_large', 'A bulk upload is at most 1 GiB; split it.');

/** The upload's lines as the service takes them: each parsed and validated like a single PUT's body. */
async function* bulkLines(body: AsyncIterable<Buffer>): AsyncGenerator<BulkLine> {
  const lines = ndjsonLines(body, {
    maxLines: BULK_MAX_LINES,
    maxLineBytes: BULK_MAX_LINE_BYTES,
    maxBytes: BULK_MAX_BYTES,
    tooManyLines: () => invoiceErrors.create('too_many_lines', `A bulk upload holds at most ${BULK_MAX_LINES.toLocaleString('en-US')} lines; nothing was stored. Split it.`),
    tooLarge,
  });
  try {
    for await (const l of lines) {
      if ('tooLong' in l) {
        yield { line: l.line, invoiceNumber: null, refused: refusal(invoiceErrors.create('line_too_long', `Line ${l.line} is longer than 1 MiB.`)) };
      } else if (l.text.trim() !== '') {
        yield bulkLine(l.line, l.text);
      }
    }
  } catch (err) {
    // The client went away mid-upload: nothing was stored (the database is touched only once the body is whole).
    const code = (err as { code?: unknown }).code;
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error).message === 'aborted') {
      throw commonErrors.create('request_aborted', 'The request was aborted by the client; nothing of it was stored.');
    }
    throw err;
  }
}

function refusal(e: AppError): BulkRefusal {
  return e.details === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, details: e.details };
}

function bulkLine(line: number, text: string): BulkLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { line, invoiceNumber: null, refused: refusal(commonErrors.create('malformed_json', `Line ${line} is not valid JSON.`)) };
  }
  const where = `line ${line}`;
  const { invoiceNumber, ...rest } = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { invoiceNumber: undefined };
  const number = invoiceNumberParams.safeParse({ invoiceNumber });
  const numberOrNull = number.success ? number.data.invoiceNumber : null;
  const unsafe = unsafeTextError(value, where);
  if (unsafe) return { line, invoiceNumber: numberOrNull, refused: refusal(unsafe) };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { line, invoiceNumber: null, refused: { code: 'validation_failed', message: `Invalid ${where}: must be a JSON object.`, details: [{ field: '(body)', message: 'must be a JSON object' }] } };
  }
  const parsed = invoiceBody.safeParse(rest);
  if (!number.success || !parsed.success) {
    const issues = [...(number.success ? [] : number.error.issues), ...(parsed.success ? [] : parsed.error.issues)];
    return { line, invoiceNumber: numberOrNull, refused: refusal(validationError(where, new z.ZodError(issues))) };
  }
  return { line, invoiceNumber: number.data.invoiceNumber, body: parsed.data };
}

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
      method: 'post',
      path: '/api/billing/invoices\\:bulk',
      tag: 'billing feed',
      summary: 'Issue many invoices and corrections at once (NDJSON in, NDJSON out)',
      description: [
        'The body is NDJSON (`application/x-ndjson`): one JSON object a line, each the body of `PUT /api/billing/invoices/{invoiceNumber}` with the number in `invoiceNumber`, e.g.',
        '`{"invoiceNumber":"FV/2026/11/0001","customerNumber":"K-001","propertyId":"P-001","issueDate":"2026-11-01","dueDate":"2026-11-15","amount":"123.45","currency":"PLN","issuedBy":"office"}`.',
        'Each line gets exactly the single PUT\'s rules, checks and refusals, as if the lines were sent one by one in order (a later line may correct an earlier one; the same number again is `unchanged`, or refused `document_immutable` when its content differs).',
        'The body is read as a stream: at most 1,000,000 lines (more: 413 `too_many_lines`, nothing stored), 1 MiB a line (a longer line is refused alone with `line_too_long`), 1 GiB in all (413 `payload_too_large`). Blank lines are skipped (they keep their number).',
        'A line that is not JSON is refused alone (`malformed_json`), as is one that fails validation (`validation_failed`, `invalid_text`).',
        'The body is received whole (validated and spooled to a temporary file) before the database is touched, so a slow upload holds no connection; then everything is stored in one transaction, and the answer comes after the commit: `200` with NDJSON, one line per non-blank input line, in order: `{"line", "invoiceNumber", "status": "accepted" | "unchanged" | "refused", "error": {"code", "message", "details"}}` (error only when refused, with the single PUT\'s code and message).',
        'The counts are in the headers `X-Bulk-Accepted`, `X-Bulk-Unchanged`, `X-Bulk-Refused`. Sending the same file again is safe: what was stored answers `unchanged`.',
        'Uploads merge one at a time; a merge the database rolls back as a deadlock is tried again (3 tries), then answered 503 `bulk_conflict` with nothing stored. A client that goes away before the body ends: 400 `request_aborted`, nothing stored.',
      ].join(' '),
      access: 'billing',
      body: { kind: 'raw', contentTypes: ['application/x-ndjson'], description: 'One invoice a line (the single PUT\'s body plus `invoiceNumber`).' },
      responses: { 200: { description: 'One answer line per input line, in order.', contentType: 'application/x-ndjson' } },
      errors: ['too_many_lines', 'line_too_long', 'bulk_conflict'],
      handler: async (ctx) => {
        if (!ctx.is('application/x-ndjson')) {
          throw commonErrors.create('unsupported_media_type', 'The body must be NDJSON (Content-Type: application/x-ndjson), one invoice a line.');
        }
        const encoding = ctx.get('content-encoding').toLowerCase();
        if (encoding !== '' && encoding !== 'identity') {
          throw commonErrors.create('unsupported_encoding', `Content-Encoding ${encoding} is not read here; send the NDJSON as it is.`);
        }
        const length = ctx.request.length;
        if (length !== undefined && length > BULK_MAX_BYTES) throw tooLarge();
        const result = await invoices.issueBulk(bulkLines(ctx.req));
        ctx.status = 200;
        ctx.type = 'application/x-ndjson';
        ctx.set('X-Bulk-Accepted', String(result.accepted));
        ctx.set('X-Bulk-Unchanged', String(result.unchanged));
        ctx.set('X-Bulk-Refused', String(result.refused));
        ctx.body = result.answers;
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
