import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { sendStoredFile } from '../../documents/index.js';
import { AppError } from '../../errors.js';
import { MAX_ATTACHMENTS, STATUS_TRANSITIONS } from '../../requests/index.js';
import { staffOnly, type PageDeps } from '../index.js';
import { render } from '../render.js';
import { setFlash } from '../session.js';
import { WebError } from '../state.js';
import { formBody } from './auth.js';

const idParam = z.uuid();
const queueFilter = z.object({
  status: z.enum(['', 'submitted', 'in_progress', 'answered', 'closed']).catch(''),
  kind: z.enum(['', 'complaint', 'inquiry', 'application']).catch(''),
  overdue: z.enum(['', 'tak']).catch(''),
});

/** The customer office's queues: requests (reply, status) and account applications (approve, reject). */
export function registerOfficePages(router: Router, { deps }: PageDeps): void {
  const requests = deps.requests;
  const applications = deps.applications;

  router.get('/biuro/zgloszenia', async (ctx) => {
    if (!staffOnly(ctx, 'admin')) return;
    const filter = queueFilter.parse({ status: ctx.query.status ?? '', kind: ctx.query.kind ?? '', overdue: ctx.query.overdue ?? '' });
    const page = await requests.listForOffice(
      { status: filter.status || undefined, kind: filter.kind || undefined, overdue: filter.overdue === 'tak' || undefined },
      { limit: 200 },
    );
    render(ctx, 'office-requests', { title: 'Zgłoszenia klientów', items: page.items, filter });
  });

  async function officeRequest(ctx: Context) {
    const id = idParam.safeParse((ctx.params as Record<string, unknown>).id);
    const request = id.success ? await requests.getForOffice(id.data) : undefined;
    if (!request) throw new WebError(404, 'Nie znaleziono takiego zgłoszenia.');
    return request;
  }

  router.get('/biuro/zgloszenia/:id', async (ctx) => {
    if (!staffOnly(ctx, 'admin')) return;
    const request = await officeRequest(ctx);
    render(ctx, 'office-request', { title: `Zgłoszenie ${request.number}`, request, next: STATUS_TRANSITIONS[request.status] });
  });

  router.post('/biuro/zgloszenia/:id/odpowiedz', async (ctx) => {
    const user = staffOnly(ctx, 'admin');
    if (!user) return;
    const request = await officeRequest(ctx);
    const message = z.string().trim().min(1).max(10_000).safeParse(formBody(ctx).message);
    if (!message.success) setFlash(ctx, 'error', 'Wpisz treść odpowiedzi (najwyżej 10 000 znaków).');
    else {
      try {
        const { emailed } = await requests.reply({ login: user.login }, request.id, message.data);
        setFlash(ctx, 'ok', emailed ? 'Odpowiedź zapisana i wysłana klientowi e-mailem.' : 'Odpowiedź zapisana (klient nie ma adresu e-mail).');
      } catch (err) {
        if (err instanceof AppError && err.status < 500) setFlash(ctx, 'error', 'Zgłoszenie jest zamknięte i nie przyjmuje odpowiedzi.');
        else throw err;
      }
    }
    ctx.status = 303;
    ctx.redirect(`/biuro/zgloszenia/${request.id}`);
  });

  router.post('/biuro/zgloszenia/:id/status', async (ctx) => {
    const user = staffOnly(ctx, 'admin');
    if (!user) return;
    const request = await officeRequest(ctx);
    const status = z.enum(['submitted', 'in_progress', 'answered', 'closed']).safeParse(formBody(ctx).status);
    if (!status.success) throw new WebError(400, 'Wybierz status z listy.');
    try {
      await requests.changeStatus({ login: user.login }, request.id, status.data);
      setFlash(ctx, 'ok', 'Zmieniono status zgłoszenia.');
    } catch (err) {
      if (err instanceof AppError && err.status < 500) setFlash(ctx, 'error', 'Takiej zmiany statusu nie można wykonać.');
      else throw err;
    }
    ctx.status = 303;
    ctx.redirect(`/biuro/zgloszenia/${request.id}`);
  });

  router.get('/biuro/zgloszenia/:id/zalaczniki/:n', async (ctx) => {
    if (!staffOnly(ctx, 'admin')) return;
    const id = idParam.safeParse(ctx.params.id);
    const n = z.coerce.number().int().min(1).max(MAX_ATTACHMENTS).safeParse(ctx.params.n);
    const found = id.success && n.success ? await requests.attachmentForOffice(id.data, n.data) : undefined;
    if (!found) throw new WebError(404, 'Nie znaleziono takiego załącznika.');
    sendStoredFile(ctx, found.file, found.fileName, ctx.get('if-none-match') || undefined);
  });

  router.get('/biuro/wnioski', async (ctx) => {
    if (!staffOnly(ctx, 'admin')) return;
    const status = z.enum(['pending', 'approved', 'rejected', 'unmatched']).catch('pending').parse(ctx.query.status);
    const page = await applications.list({ status }, { limit: 200 });
    render(ctx, 'office-applications', { title: 'Wnioski o dostęp', items: page.items, status });
  });

  router.post('/biuro/wnioski/:id', async (ctx) => {
    const user = staffOnly(ctx, 'admin');
    if (!user) return;
    const id = idParam.safeParse(ctx.params.id);
    if (!id.success) throw new WebError(404, 'Nie znaleziono takiego wniosku.');
    const body = formBody(ctx);
    try {
      if (body.decision === 'approve') {
        const decided = await applications.approve({ login: user.login }, id.data);
        setFlash(ctx, 'ok', `Utworzono konto ${decided.login ?? ''}; hasło jednorazowe wysłano e-mailem na ${decided.email}.`);
      } else if (body.decision === 'reject') {
        const reason = z.string().trim().min(1).max(1000).safeParse(body.reason);
        if (!reason.success) throw new WebError(400, 'Podaj powód odrzucenia wniosku.');
        await applications.reject({ login: user.login }, id.data, reason.data);
        setFlash(ctx, 'ok', 'Wniosek odrzucony; klient dostanie e-mail z powodem.');
      } else throw new WebError(400, 'Wybierz decyzję.');
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        setFlash(ctx, 'error', err.status === 404 ? 'Nie znaleziono takiego wniosku.' : 'O tym wniosku już zdecydowano albo nie można go rozpatrzyć.');
      } else throw err;
    }
    ctx.status = 303;
    ctx.redirect('/biuro/wnioski');
  });
}
