import type Router from '@koa/router';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { PageDeps } from '../index.js';
import { render } from '../render.js';
import { WebError, type WebUser } from '../state.js';
import { fieldErrors, formBody } from './auth.js';

const paymentId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

const RETURN_TEXT: Record<string, { heading: string; body: string; tone: 'ok' | 'wait' | 'bad' }> = {
  completed: { heading: 'Płatność zakończona', body: 'Dziękujemy. Wpłata została zaksięgowana na Twoim koncie.', tone: 'ok' },
  pending: {
    heading: 'Płatność w toku',
    body: 'Bank jeszcze nie potwierdził wpłaty. Sprawdź status ponownie za chwilę albo wróć tu później.',
    tone: 'wait',
  },
  rejected: { heading: 'Płatność odrzucona', body: 'Bank odrzucił płatność. Żadne środki nie zostały pobrane. Możesz spróbować ponownie.', tone: 'bad' },
  expired: { heading: 'Płatność wygasła', body: 'Czas na dokonanie płatności minął. Możesz zlecić nową płatność.', tone: 'bad' },
  failed: { heading: 'Płatność nieudana', body: 'Nie udało się połączyć z systemem płatności. Żadne środki nie zostały pobrane.', tone: 'bad' },
  cancelled: { heading: 'Płatność anulowana', body: 'Płatność została anulowana. Żadne środki nie zostały pobrane.', tone: 'bad' },
  amount_mismatch: {
    heading: 'Płatność do wyjaśnienia',
    body: 'Kwota wpłaty różni się od kwoty zlecenia. Dział księgowości skontaktuje się z Tobą.',
    tone: 'wait',
  },
};

const applicationForm = z.object({
  customerNumber: z.string().trim().min(1, 'Podaj numer klienta.').max(64, 'Numer klienta jest za długi.'),
  name: z.string().trim().min(1, 'Podaj imię i nazwisko albo nazwę firmy.').max(200, 'Nazwa jest za długa.'),
  email: z.string().trim().email('Podaj poprawny adres e-mail.').max(254, 'Adres jest za długi.'),
  phone: z.string().trim().max(32, 'Numer telefonu jest za długi.').optional(),
  invoiceNumber: z.string().trim().min(1, 'Podaj numer jednej ze swoich faktur.').max(64, 'Numer faktury jest za długi.'),
  invoiceAmount: z
    .string()
    .trim()
    .regex(/^\d{1,12}([.,]\d{1,2})?$/, 'Podaj kwotę tej faktury, np. 123,45.'),
  acceptTerms: z.literal('tak', { message: 'Zaakceptuj regulamin, aby złożyć wniosek.' }),
});

export function registerPublicPages(router: Router, { services, deps }: PageDeps): void {
  // The gateway sends the browser back here. Status only without the customer's session; the
  // amount, invoices and transaction number only for the customer whose order it is.
  router.get('/payments/:id/return', async (ctx) => {
    const id = paymentId.safeParse(ctx.params.id);
    const user = ctx.state.webUser as WebUser | undefined;
    const customerId = user && !user.mustChangePassword && user.customerId ? user.customerId : undefined;
    const found = id.success ? await services.paymentForReturn(id.data, customerId) : undefined;
    if (!found) throw new WebError(404, 'Nie znaleziono płatności. Sprawdź odnośnik albo zaloguj się do IBOK.');
    const text = RETURN_TEXT[found.status] ?? RETURN_TEXT.pending!;
    render(ctx, 'return', { title: text.heading, text, status: found.status, view: found.details, loggedIn: !!user });
  });

  router.get('/wniosek', (ctx) => {
    render(ctx, 'application', { title: 'Wniosek o dostęp do IBOK', errors: {}, form: {}, available: true });
  });

  router.post('/wniosek', async (ctx) => {
    const raw = formBody(ctx);
    const form = Object.fromEntries(Object.entries(raw).filter(([k, v]) => k !== '_csrf' && typeof v === 'string')) as Record<string, string>;
    const parsed = applicationForm.safeParse({ ...form, phone: form.phone || undefined });
    const available = true;
    if (!parsed.success) {
      return render(ctx, 'application', { title: 'Wniosek o dostęp do IBOK', errors: fieldErrors(parsed.error), form, available }, 400);
    }
    try {
      await submitApplication(deps, parsed.data, ctx.ip);
    } catch (err) {
      if (err instanceof AppError && err.status === 429) {
        if (err.headers?.['Retry-After']) ctx.set('Retry-After', err.headers['Retry-After']);
        throw new WebError(429, 'Z tego adresu wysłano w ostatniej godzinie zbyt wiele wniosków. Spróbuj ponownie później.');
      }
      if (err instanceof AppError && err.status === 400) {
        return render(ctx, 'application', { title: 'Wniosek o dostęp do IBOK', errors: { customerNumber: 'Sprawdź dane we wniosku.' }, form, available }, 400);
      }
      throw err;
    }
    render(ctx, 'application-sent', { title: 'Wniosek wysłany' }, 202);
  });
}

async function submitApplication(deps: PageDeps['deps'], data: z.output<typeof applicationForm>, ip: string): Promise<void> {
  await deps.applications.submit(
    {
      customerNumber: data.customerNumber,
      name: data.name,
      email: data.email,
      ...(data.phone ? { phone: data.phone } : {}),
      invoiceNumber: data.invoiceNumber,
      invoiceAmount: normaliseAmount(data.invoiceAmount),
      acceptTerms: true,
    },
    ip,
  );
}

/** `123,4` → `123.40`: the form takes a Polish comma; the service takes a decimal string. */
function normaliseAmount(value: string): string {
  const [int, frac = ''] = value.replace(',', '.').split('.');
  return `${int}.${frac.padEnd(2, '0')}`;
}
