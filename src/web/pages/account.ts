import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { contentDisposition } from '../../documents/index.js';
import { AppError } from '../../errors.js';
import { customerOnly, type PageDeps } from '../index.js';
import { render } from '../render.js';
import type { WebServices } from '../services.js';
import { WebError } from '../state.js';
import { fieldErrors, formBody } from './auth.js';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Podaj datę w formacie RRRR-MM-DD.')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'Taka data nie istnieje.');

const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);

const settlementsQuery = z
  .object({
    status: z.preprocess(emptyToUndefined, z.enum(['paid', 'unpaid'], { message: 'Wybierz status z listy.' }).optional()),
    kind: z.preprocess(
      emptyToUndefined,
      z.enum(['invoice', 'correction', 'payment', 'prepayment', 'overpayment'], { message: 'Wybierz rodzaj z listy.' }).optional(),
    ),
    from: z.preprocess(emptyToUndefined, isoDate.optional()),
    to: z.preprocess(emptyToUndefined, isoDate.optional()),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'Data „od” nie może być późniejsza niż „do”.', path: ['from'] });

const payForm = z.object({
  idempotencyKey: z.string().regex(/^[\x21-\x7e]{1,255}$/, 'Odśwież stronę i spróbuj ponownie.'),
  invoiceNumbers: z.preprocess(
    (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? (v as unknown[]) : [v]),
    z
      .array(z.string().min(1).max(64))
      .min(1, 'Zaznacz co najmniej jedną fakturę do zapłaty.')
      .max(100, 'Zaznacz najwyżej 100 faktur naraz.'),
  ),
});

const invoiceNumberParam = z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/);

type SettlementItem = Awaited<ReturnType<WebServices['settlements']>>['items'][number];

const isCharge = (i: SettlementItem) => i.kind === 'invoice' || i.kind === 'correction';
const owes = (i: SettlementItem) => isCharge(i) && new Decimal(i.outstanding).gt(0);

function newestFirst(items: SettlementItem[]): SettlementItem[] {
  return [...items].sort((a, b) => (a.issueDate === b.issueDate ? b.documentNumber.localeCompare(a.documentNumber) : a.issueDate < b.issueDate ? 1 : -1));
}

export async function renderDashboard(ctx: Context, services: WebServices, customerId: string): Promise<void> {
  const [customer, ledger, pending, meters] = await Promise.all([
    services.customer(customerId),
    services.settlements(customerId, {}),
    services.pendingByInvoice(customerId),
    services.metersNeedingLegalisation(customerId),
  ]);
  const today = services.today();
  const unpaid = ledger.items.filter(owes);
  const overdue = unpaid.filter((i) => i.dueDate && i.dueDate < today).sort((a, b) => (a.dueDate! < b.dueDate! ? -1 : 1));
  const dueNext = unpaid
    .filter((i) => !i.dueDate || i.dueDate >= today)
    .sort((a, b) => ((a.dueDate ?? '') < (b.dueDate ?? '') ? -1 : 1))
    .slice(0, 5);
  const payments = ledger.items
    .filter((i) => i.kind === 'payment')
    .sort((a, b) => ((a.paymentDate ?? '') < (b.paymentDate ?? '') ? 1 : -1))
    .slice(0, 5);
  render(ctx, 'dashboard', {
    title: 'Pulpit',
    customer,
    balance: ledger,
    overdue,
    dueNext,
    payments,
    pending: Object.fromEntries(pending),
    overdueTotal: overdue.reduce((s, i) => s.plus(i.outstanding), new Decimal(0)).toFixed(2),
    today,
    meters,
  });
}

async function renderSettlements(
  ctx: Context,
  services: WebServices,
  customerId: string,
  extra: { payError?: string; status?: number } = {},
): Promise<void> {
  const raw = { status: ctx.query.status, kind: ctx.query.kind, from: ctx.query.from, to: ctx.query.to };
  const filter = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'string' ? v : ''])) as Record<string, string>;
  const parsed = settlementsQuery.safeParse(filter);
  const errors = parsed.success ? {} : fieldErrors(parsed.error);
  const [ledger, pending] = await Promise.all([
    services.settlements(customerId, parsed.success ? parsed.data : {}),
    services.pendingByInvoice(customerId),
  ]);
  const items = parsed.success ? newestFirst(ledger.items) : [];
  render(
    ctx,
    'settlements',
    {
      title: 'Rozrachunki',
      filter,
      errors,
      items,
      balance: ledger,
      pending: Object.fromEntries(pending),
      payable: items.filter(owes).length,
      idempotencyKey: randomUUID(),
      payError: extra.payError,
      today: services.today(),
    },
    extra.status ?? (parsed.success ? 200 : 400),
  );
}

const PAY_ERRORS: Record<string, string> = {
  invoice_in_pending_payment: 'Za co najmniej jedną z zaznaczonych faktur trwa już płatność. Dokończ ją albo poczekaj, aż wygaśnie.',
  invoice_pending_payment: 'Za co najmniej jedną z zaznaczonych faktur trwa już płatność. Dokończ ją albo poczekaj, aż wygaśnie.',
  invoice_already_paid: 'Co najmniej jedna z zaznaczonych faktur jest już zapłacona.',
  nothing_to_pay: 'Zaznaczone faktury nie mają nic do zapłaty.',
  idempotency_key_reused: 'Ten formularz został już wysłany z innym wyborem faktur. Zaznacz faktury ponownie.',
};

function payErrorText(err: AppError): string {
  const known = PAY_ERRORS[err.code];
  if (known) return known;
  if (err.status === 404) return 'Nie znaleziono co najmniej jednej z zaznaczonych faktur na Twoim koncie.';
  if (err.status === 409) return 'Za zaznaczone faktury trwa już płatność albo są one zapłacone. Odśwież listę.';
  if (err.status === 422) return 'Tego formularza nie można wysłać ponownie z innym wyborem. Zaznacz faktury jeszcze raz.';
  if (err.status === 502 || err.status === 504 || err.status === 503) return 'System płatności nie odpowiada. Spróbuj ponownie za kilka minut.';
  return 'Nie udało się rozpocząć płatności.';
}

export function registerAccountPages(router: Router, { services }: PageDeps): void {
  router.get('/rozrachunki', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    await renderSettlements(ctx, services, who.customerId);
  });

  // Zapłać: the order is created by the payments service (idempotent per form), then the browser goes to the bank.
  router.post('/rozrachunki', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const parsed = payForm.safeParse(formBody(ctx));
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      return renderSettlements(ctx, services, who.customerId, { payError: errors.invoiceNumbers ?? errors.idempotencyKey ?? 'Nieprawidłowy formularz.', status: 400 });
    }
    try {
      const order = await services.createPayment(who.customerId, parsed.data.idempotencyKey, [...new Set(parsed.data.invoiceNumbers)]);
      if (!order.redirectUrl) {
        return renderSettlements(ctx, services, who.customerId, { payError: 'System płatności nie przyjął zlecenia. Spróbuj ponownie za kilka minut.', status: 502 });
      }
      ctx.status = 303;
      ctx.redirect(order.redirectUrl);
    } catch (err) {
      if (err instanceof AppError && err.status !== 500) {
        return renderSettlements(ctx, services, who.customerId, { payError: payErrorText(err), status: err.status });
      }
      throw err;
    }
  });

  router.get('/faktury/:number', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const number = invoiceNumberParam.safeParse(ctx.params.number);
    const found = number.success ? await services.invoice(who.customerId, number.data) : undefined;
    if (!found) throw new WebError(404, 'Nie znaleziono takiej faktury na Twoim koncie.');
    render(ctx, 'invoice', {
      title: `${found.kind === 'correction' ? 'Korekta' : 'Faktura'} ${found.invoiceNumber}`,
      invoice: found,
      paid: found.paid,
      outstanding: found.outstanding,
      status: found.status,
      paymentDate: found.paymentDate,
      pendingPaymentId: found.pendingPaymentId,
      pdfUrl: services.pdfAvailable(found) ? `/faktury/${encodeURIComponent(found.invoiceNumber)}/pdf` : null,
      idempotencyKey: randomUUID(),
    });
  });

  router.get('/faktury/:number/pdf', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const number = invoiceNumberParam.safeParse(ctx.params.number);
    if (!number.success) throw new WebError(404, 'Nie znaleziono takiej faktury na Twoim koncie.');
    try {
      const { fileName, pdf } = await services.invoicePdf(who.customerId, number.data);
      ctx.type = 'application/pdf';
      ctx.set('Content-Disposition', contentDisposition(fileName));
      ctx.body = pdf;
    } catch (err) {
      if (err instanceof AppError && err.code === 'pdf_not_available') {
        throw new WebError(404, 'Faktury wystawione przed 1 czerwca 2014 r. nie są dostępne w formacie PDF. O kopię poproś biuro obsługi klienta.');
      }
      if (err instanceof AppError && err.status === 404) throw new WebError(404, 'Nie znaleziono takiej faktury na Twoim koncie.');
      throw err;
    }
  });

  router.get('/ustawienia', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const customer = await services.customer(who.customerId);
    render(ctx, 'settings', { title: 'Ustawienia', customer });
  });
}
