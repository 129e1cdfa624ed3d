import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { koaBody } from 'koa-body';
import { z } from 'zod';
import { sendStoredFile } from '../../documents/index.js';
import { AppError } from '../../errors.js';
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS } from '../../requests/index.js';
import { customerOnly, requireCsrf, type PageDeps } from '../index.js';
import { formatDate } from '../format.js';
import { render } from '../render.js';
import { setFlash } from '../session.js';
import { WebError } from '../state.js';
import { fieldErrors } from './auth.js';

const idParam = z.uuid();
const optional = (v: unknown) => (v === '' ? undefined : v);

const requestForm = z.object({
  kind: z.enum(['complaint', 'inquiry', 'application'], { message: 'Wybierz rodzaj zgłoszenia.' }),
  subject: z.string().trim().min(1, 'Podaj temat.').max(200, 'Temat może mieć najwyżej 200 znaków.'),
  message: z.string().trim().min(1, 'Napisz treść zgłoszenia.').max(10_000, 'Treść może mieć najwyżej 10 000 znaków.'),
  invoiceNumber: z.preprocess(optional, z.string().max(64).optional()),
  meterSerial: z.preprocess(optional, z.string().max(64).optional()),
  idempotencyKey: z.string().regex(/^[\x21-\x7e]{1,255}$/, 'Odśwież stronę i wyślij formularz ponownie.'),
});

const SUBMIT_ERRORS: Record<string, { field: string; text: string }> = {
  request_invoice_unknown: { field: 'invoiceNumber', text: 'Nie znaleziono takiej faktury na Twoim koncie.' },
  request_meter_unknown: { field: 'meterSerial', text: 'Nie znaleziono takiego wodomierza na Twoim koncie.' },
  idempotency_key_reused: { field: 'message', text: 'Ten formularz został już wysłany z inną treścią. Odśwież stronę.' },
  payload_too_large: { field: 'attachments', text: `Załącz najwyżej ${MAX_ATTACHMENTS} plików po ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB.` },
};

const attachmentUpload = koaBody({
  multipart: true,
  json: false,
  text: false,
  urlencoded: false,
  formLimit: '64kb',
  formidable: {
    maxFiles: MAX_ATTACHMENTS,
    maxFileSize: MAX_ATTACHMENT_BYTES,
    maxTotalFileSize: MAX_ATTACHMENT_BYTES * MAX_ATTACHMENTS,
    maxFieldsSize: 64 * 1024,
    allowEmptyFiles: true,
    minFileSize: 0,
  },
  onError: () => {
    throw new WebError(413, `Załącz najwyżej ${MAX_ATTACHMENTS} plików po ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB (PDF, PNG albo JPEG).`);
  },
});

interface Upload {
  filepath: string;
  originalFilename?: string | null;
  mimetype?: string | null;
  size: number;
}

/** Requests to the customer office: the list, a new one with attachments, and the office's replies. */
export function registerRequestPages(router: Router, { deps }: PageDeps): void {
  const requests = deps.requests;

  async function showForm(ctx: Context, customerId: string, form: Record<string, string>, errors: Record<string, string>, status = 200) {
    const [invoices, meters] = await Promise.all([deps.invoices.invoicesOf(customerId), deps.meters.metersOfCustomer(customerId)]);
    render(
      ctx,
      'request-new',
      { title: 'Nowe zgłoszenie', form: { idempotencyKey: randomUUID(), ...form }, errors, invoices: invoices.slice(0, 50), meters, maxFiles: MAX_ATTACHMENTS },
      status,
    );
  }

  router.get('/zgloszenia', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const page = await requests.listForCustomer(who.customerId, { limit: 100 });
    render(ctx, 'requests', { title: 'Zgłoszenia', items: page.items });
  });

  router.get('/zgloszenia/nowe', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const preset: Record<string, string> = {};
    if (typeof ctx.query.faktura === 'string') preset.invoiceNumber = ctx.query.faktura;
    if (typeof ctx.query.wodomierz === 'string') preset.meterSerial = ctx.query.wodomierz;
    await showForm(ctx, who.customerId, { kind: 'inquiry', ...preset }, {});
  });

  const customerFirst = async (ctx: Context, next: () => Promise<unknown>) => {
    if (customerOnly(ctx)) await next();
  };

  // A multipart form: its CSRF token is checked once the body is read; the files go to the service.
  router.post('/zgloszenia/nowe', customerFirst, attachmentUpload, async (ctx) => {
    const who = customerOnly(ctx)!;
    const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {};
    const rawFiles = (ctx.request as unknown as { files?: Record<string, Upload | Upload[]> }).files ?? {};
    const uploads = Object.entries(rawFiles).flatMap(([field, v]) => (field === 'attachments' ? (Array.isArray(v) ? v : [v]) : []));
    const cleanup = () => Promise.all(Object.values(rawFiles).flat().map((f) => fs.rm(f.filepath, { force: true })));
    try {
      requireCsrf(ctx, body._csrf);
      const form = Object.fromEntries(Object.entries(body).filter(([k, v]) => k !== '_csrf' && typeof v === 'string')) as Record<string, string>;
      const parsed = requestForm.safeParse(form);
      if (!parsed.success) return await showForm(ctx, who.customerId, form, fieldErrors(parsed.error), 400);
      // A file input left empty still sends one empty part: it is no attachment.
      const files = uploads.filter((f) => f.size > 0).map((f) => ({ path: f.filepath, originalName: f.originalFilename ?? 'załącznik', declaredType: f.mimetype ?? '' }));
      try {
        const { request } = await requests.submit(
          { customerId: who.customerId, login: who.user.login },
          {
            kind: parsed.data.kind,
            subject: parsed.data.subject,
            message: parsed.data.message,
            ...(parsed.data.invoiceNumber ? { invoiceNumber: parsed.data.invoiceNumber } : {}),
            ...(parsed.data.meterSerial ? { meterSerial: parsed.data.meterSerial } : {}),
          },
          files,
          parsed.data.idempotencyKey,
        );
        setFlash(ctx, 'ok', `Zgłoszenie ${request.number} zostało wysłane. Odpowiemy do ${formatDueBy(request.dueBy)}.`);
        ctx.status = 303;
        ctx.redirect(`/zgloszenia/${request.id}`);
      } catch (err) {
        if (err instanceof AppError && err.status < 500) {
          const known = SUBMIT_ERRORS[err.code] ?? (err.status === 413 || err.status === 415 || err.status === 422
            ? { field: 'attachments', text: 'Załączniki muszą być plikami PDF, PNG albo JPEG (najwyżej 10 MiB każdy).' }
            : { field: 'message', text: 'Nie udało się wysłać zgłoszenia.' });
          return await showForm(ctx, who.customerId, form, { [known.field]: known.text }, err.status);
        }
        throw err;
      }
    } finally {
      await cleanup();
    }
  });

  router.get('/zgloszenia/:id', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const id = idParam.safeParse(ctx.params.id);
    const request = id.success ? await requests.getForCustomer(who.customerId, id.data) : undefined;
    if (!request) throw new WebError(404, 'Nie znaleziono takiego zgłoszenia.');
    render(ctx, 'request', { title: `Zgłoszenie ${request.number}`, request });
  });

  router.get('/zgloszenia/:id/zalaczniki/:n', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const id = idParam.safeParse(ctx.params.id);
    const n = z.coerce.number().int().min(1).max(MAX_ATTACHMENTS).safeParse(ctx.params.n);
    const found = id.success && n.success ? await requests.attachmentForCustomer(who.customerId, id.data, n.data) : undefined;
    if (!found) throw new WebError(404, 'Nie znaleziono takiego załącznika.');
    sendStoredFile(ctx, found.file, found.fileName, ctx.get('if-none-match') || undefined);
  });
}

const formatDueBy = (date: string) => formatDate(date);
