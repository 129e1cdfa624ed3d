import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { customerOnly, type PageDeps } from '../index.js';
import { render } from '../render.js';
import { setFlash } from '../session.js';
import { fieldErrors, formBody } from './auth.js';

const checked = (v: unknown) => v === 'tak';

const phone = z
  .string()
  .trim()
  .max(32, 'Numer telefonu jest za długi.')
  .transform((v) => v.replace(/[\s-]/g, ''))
  .refine((v) => /^(\+?48)?\d{9}$/.test(v) || /^\+\d{8,15}$/.test(v), 'Podaj numer telefonu, np. +48 600 100 200.')
  .transform((v) => {
    const digits = v.replace(/^\+/, '');
    return digits.length === 9 ? `48${digits}` : digits;
  });

const subscriptionForm = z
  .object({
    emailOn: z.boolean(),
    emailAddress: z.string().trim().toLowerCase().max(254, 'Adres jest za długi.'),
    emailInvoiceIssued: z.boolean(),
    emailReminders: z.boolean(),
    smsOn: z.boolean(),
    smsPhone: z.string(),
    smsInvoiceIssued: z.boolean(),
    smsReminders: z.boolean(),
    acceptTerms: z.literal(true, { message: 'Zaakceptuj regulamin usługi informacyjnej.' }),
  })
  .superRefine((f, ctx) => {
    if (f.emailOn && !z.email().safeParse(f.emailAddress).success) ctx.addIssue({ code: 'custom', path: ['emailAddress'], message: 'Podaj poprawny adres e-mail.' });
    if (f.smsOn) {
      const p = phone.safeParse(f.smsPhone);
      if (!p.success) ctx.addIssue({ code: 'custom', path: ['smsPhone'], message: p.error.issues[0]?.message ?? 'Podaj numer telefonu.' });
    }
  });

const confirmForm = z.object({
  channel: z.enum(['email', 'sms']),
  code: z.string().trim().regex(/^\d{6}$/, 'Kod ma 6 cyfr.'),
});

const CONFIRM_ERRORS: Record<string, string> = {
  confirmation_code_invalid: 'Kod się nie zgadza. Sprawdź go i spróbuj ponownie.',
  confirmation_code_expired: 'Kod wygasł albo wpisano go zbyt wiele razy. Zapisz ustawienia ponownie, aby otrzymać nowy kod.',
  nothing_to_confirm: 'Nie ma adresu czekającego na potwierdzenie.',
};

export function registerNoticePages(router: Router, { deps }: PageDeps): void {
  const notices = deps.notices;

  async function show(ctx: Context, customerId: string, extra: { errors?: Record<string, string>; form?: Record<string, unknown>; confirmErrors?: Record<string, string> } = {}, status = 200) {
    const subscription = await notices.getSubscription(customerId);
    const form = extra.form ?? {
      emailOn: !!subscription.email,
      emailAddress: subscription.email?.address ?? '',
      emailInvoiceIssued: subscription.email?.invoiceIssued ?? true,
      emailReminders: subscription.email?.reminders ?? true,
      smsOn: !!subscription.sms,
      smsPhone: subscription.sms?.phone ? `+${subscription.sms.phone}` : '',
      smsInvoiceIssued: subscription.sms?.invoiceIssued ?? true,
      smsReminders: subscription.sms?.reminders ?? true,
      acceptTerms: !!subscription.termsAcceptedAt,
    };
    render(ctx, 'notices', { title: 'Powiadomienia SMS i e-mail', subscription, form, errors: extra.errors ?? {}, confirmErrors: extra.confirmErrors ?? {} }, status);
  }

  router.get('/powiadomienia', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    await show(ctx, who.customerId);
  });

  router.post('/powiadomienia', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const raw = formBody(ctx);
    const form = {
      emailOn: checked(raw.emailOn),
      emailAddress: typeof raw.emailAddress === 'string' ? raw.emailAddress : '',
      emailInvoiceIssued: checked(raw.emailInvoiceIssued),
      emailReminders: checked(raw.emailReminders),
      smsOn: checked(raw.smsOn),
      smsPhone: typeof raw.smsPhone === 'string' ? raw.smsPhone : '',
      smsInvoiceIssued: checked(raw.smsInvoiceIssued),
      smsReminders: checked(raw.smsReminders),
      acceptTerms: checked(raw.acceptTerms),
    };
    const parsed = subscriptionForm.safeParse(form);
    if (!parsed.success) return show(ctx, who.customerId, { errors: fieldErrors(parsed.error), form }, 400);
    const f = parsed.data;
    await notices.putSubscription(who.customerId, {
      ...(f.emailOn ? { email: { address: f.emailAddress, invoiceIssued: f.emailInvoiceIssued, reminders: f.emailReminders } } : {}),
      ...(f.smsOn ? { sms: { phone: phone.parse(f.smsPhone), invoiceIssued: f.smsInvoiceIssued, reminders: f.smsReminders } } : {}),
      acceptTerms: true,
    });
    const view = await notices.getSubscription(who.customerId);
    const waiting = [view.email?.confirmationPending ? 'adres e-mail' : '', view.sms?.confirmationPending ? 'numer telefonu' : ''].filter(Boolean);
    setFlash(ctx, 'ok', waiting.length ? `Zapisano. Wysłaliśmy kod potwierdzający na ${waiting.join(' i ')}: wpisz go poniżej.` : 'Zapisano ustawienia powiadomień.');
    ctx.status = 303;
    ctx.redirect('/powiadomienia');
  });

  router.post('/powiadomienia/potwierdz', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const raw = formBody(ctx);
    const parsed = confirmForm.safeParse({ channel: raw.channel, code: typeof raw.code === 'string' ? raw.code : '' });
    const channel = raw.channel === 'sms' ? 'sms' : 'email';
    if (!parsed.success) return show(ctx, who.customerId, { confirmErrors: { [channel]: fieldErrors(parsed.error).code ?? 'Kod ma 6 cyfr.' } }, 400);
    try {
      await notices.confirm(who.customerId, parsed.data.channel, parsed.data.code);
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        return show(ctx, who.customerId, { confirmErrors: { [channel]: CONFIRM_ERRORS[err.code] ?? 'Nie udało się potwierdzić kodu.' } }, err.status);
      }
      throw err;
    }
    setFlash(ctx, 'ok', parsed.data.channel === 'email' ? 'Adres e-mail został potwierdzony.' : 'Numer telefonu został potwierdzony.');
    ctx.status = 303;
    ctx.redirect('/powiadomienia');
  });
}
