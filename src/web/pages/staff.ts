import fs from 'node:fs/promises';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { koaBody } from 'koa-body';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { itemsCsv } from '../../reconciliation/index.js';
import { requireCsrf, staffOnly, type PageDeps } from '../index.js';
import { render } from '../render.js';
import { setFlash } from '../session.js';
import { WebError } from '../state.js';
import { formBody } from './auth.js';

const dateParam = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const STATEMENT_LIMIT = 10 * 1024 * 1024;

const CATEGORY_WORDS: Record<string, string> = {
  matched: 'zgodne',
  missing_locally: 'brak w serwisie',
  missing_in_gateway: 'brak w raporcie bramki',
  amount_mismatch: 'różna kwota',
  duplicate: 'duplikat',
};

const LINE_WORDS: Record<string, string> = {
  gateway_payout: 'wypłata PayByNet',
  invoice_payment: 'wpłata za fakturę',
  unmatched: 'nierozpoznana',
  duplicate: 'duplikat',
  conflict: 'konflikt',
};

const RUN_ERRORS: Record<string, string> = {
  date_in_future: 'Nie można uzgodnić dnia z przyszłości.',
  reconciliation_running: 'Uzgodnienie tego dnia właśnie trwa. Odśwież stronę za chwilę.',
  settlement_report_invalid: 'Raport rozliczeniowy bramki ma nieprawidłowy podpis; nic nie zostało zmienione.',
  gateway_timeout: 'Bramka płatności nie odpowiedziała na czas. Spróbuj ponownie.',
  gateway_refused: 'Bramka płatności odmówiła wydania raportu.',
  gateway_unavailable: 'Bramka płatności jest niedostępna. Spróbuj ponownie później.',
};

const STATEMENT_ERRORS: Record<string, string> = {
  empty_statement: 'Plik jest pusty.',
  invalid_statement: 'To nie jest poprawny wyciąg MT940.',
  unsupported_charset: 'Nieobsługiwane kodowanie znaków pliku.',
  foreign_account: 'Wyciąg dotyczy rachunku, który nie należy do Spółki; nic nie zostało zaimportowane.',
  statement_truncated: 'Wyciąg jest niekompletny (ucięty); nic nie zostało zaimportowane.',
  statement_too_large: 'Wyciąg jest zbyt duży (najwyżej 10 MiB i 100 000 linii).',
};

const statementUpload = koaBody({
  multipart: true,
  json: false,
  text: false,
  urlencoded: false,
  formLimit: '16kb',
  formidable: { maxFiles: 1, maxFileSize: STATEMENT_LIMIT, maxTotalFileSize: STATEMENT_LIMIT, allowEmptyFiles: true, minFileSize: 0 },
  onError: () => {
    throw new WebError(413, 'Plik wyciągu jest zbyt duży (najwyżej 10 MiB).');
  },
});

/** Staff pages: accounting's reconciliation and statements, the office's failed e-mails and SMS. */
export function registerStaffPages(router: Router, { deps }: PageDeps): void {
  const reconciliation = deps.reconciliation;

  async function showReconciliations(ctx: Context, extra: { error?: string; date?: string } = {}, status = 200) {
    const runs = await reconciliation.list(undefined, undefined, 31);
    const statements = await deps.bankStatements.list(10);
    render(ctx, 'staff-reconciliations', { title: 'Uzgodnienia płatności', runs, statements, error: extra.error, date: extra.date ?? deps.ledger.today(), words: CATEGORY_WORDS }, status);
  }

  router.get('/ksiegowosc/uzgodnienia', async (ctx) => {
    if (!staffOnly(ctx, 'accounting')) return;
    await showReconciliations(ctx);
  });

  router.post('/ksiegowosc/uzgodnienia', async (ctx) => {
    const user = staffOnly(ctx, 'accounting');
    if (!user) return;
    const date = dateParam.safeParse(formBody(ctx).date);
    if (!date.success) return showReconciliations(ctx, { error: 'Podaj datę w formacie RRRR-MM-DD.' }, 400);
    try {
      await reconciliation.run(date.data, { trigger: 'manual', by: user.login });
    } catch (err) {
      if (err instanceof AppError && err.status !== 500) {
        return showReconciliations(ctx, { error: RUN_ERRORS[err.code] ?? 'Nie udało się uzgodnić tego dnia.', date: date.data }, err.status);
      }
      throw err;
    }
    setFlash(ctx, 'ok', 'Dzień został uzgodniony.');
    ctx.status = 303;
    ctx.redirect(`/ksiegowosc/uzgodnienia/${date.data}`);
  });

  async function reportOf(date: string) {
    try {
      return await reconciliation.report(date, { limit: 500 });
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw new WebError(404, 'Ten dzień nie był jeszcze uzgadniany.');
      throw err;
    }
  }

  router.get('/ksiegowosc/uzgodnienia/:date', async (ctx) => {
    if (!staffOnly(ctx, 'accounting')) return;
    const raw = ctx.params.date ?? '';
    const csv = raw.endsWith('.csv');
    const date = dateParam.safeParse(csv ? raw.slice(0, -4) : raw);
    if (!date.success) throw new WebError(404, 'Nie znaleziono takiego dnia.');
    if (csv) {
      await reportOf(date.data);
      ctx.type = 'text/csv; charset=utf-8';
      ctx.set('Content-Disposition', `attachment; filename="uzgodnienie-${date.data}.csv"`);
      ctx.body = itemsCsv(reconciliation.allItems(date.data), { separator: ';', decimalComma: true }, (err) =>
        deps.logger.error({ err }, 'reconciliation CSV failed mid-stream'),
      );
      return;
    }
    const report = await reportOf(date.data);
    render(ctx, 'staff-reconciliation', { title: `Uzgodnienie ${date.data}`, report, words: CATEGORY_WORDS });
  });

  router.post('/ksiegowosc/uzgodnienia/:date/pozycje/:id', async (ctx) => {
    const user = staffOnly(ctx, 'accounting');
    if (!user) return;
    const date = dateParam.safeParse(ctx.params.date);
    const id = z.coerce.number().int().positive().safeParse(ctx.params.id);
    const resolution = z.string().trim().min(1).max(2000).safeParse(formBody(ctx).resolution);
    if (!date.success || !id.success) throw new WebError(404, 'Nie znaleziono takiej pozycji.');
    if (!resolution.success) {
      setFlash(ctx, 'error', 'Wpisz, jak wyjaśniono pozycję (najwyżej 2000 znaków).');
    } else {
      try {
        await reconciliation.resolveItem(date.data, id.data, resolution.data, user.login);
        setFlash(ctx, 'ok', 'Zapisano wyjaśnienie pozycji.');
      } catch (err) {
        if (err instanceof AppError && err.status < 500) setFlash(ctx, 'error', 'Tej pozycji nie można już wyjaśnić (uzgodnienie zostało powtórzone).');
        else throw err;
      }
    }
    ctx.status = 303;
    ctx.redirect(`/ksiegowosc/uzgodnienia/${date.data}#pozycja-${id.data}`);
  });

  // The statement comes as a file of a multipart form: its CSRF token is checked once the form is read.
  const accountingFirst = async (ctx: Context, next: () => Promise<unknown>) => {
    if (staffOnly(ctx, 'accounting')) await next();
  };
  router.post('/ksiegowosc/wyciagi', accountingFirst, statementUpload, async (ctx) => {
    const user = staffOnly(ctx, 'accounting')!;
    const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {};
    requireCsrf(ctx, body._csrf);
    const files = (ctx.request as unknown as { files?: Record<string, unknown> }).files ?? {};
    const file = files.statement as { filepath: string } | undefined;
    if (!file || Array.isArray(file)) return showReconciliations(ctx, { error: 'Wybierz plik wyciągu MT940.' }, 400);
    const bytes = await fs.readFile(file.filepath);
    await fs.rm(file.filepath, { force: true });
    try {
      const result = await deps.bankStatements.import(bytes, undefined, user.login, { limit: 500 });
      if (result.outcome === 'accepted') {
        setFlash(ctx, 'ok', 'Duży wyciąg jest importowany w tle. Jego linie pojawią się na tej stronie po zakończeniu.');
        ctx.status = 303;
        return ctx.redirect('/ksiegowosc/uzgodnienia');
      }
      setFlash(ctx, result.outcome === 'existing' ? 'error' : 'ok', result.outcome === 'existing' ? 'Ten plik był już zaimportowany; nic nie zostało zaksięgowane ponownie.' : 'Wyciąg został zaimportowany.');
      ctx.status = 303;
      ctx.redirect(`/ksiegowosc/wyciagi/${encodeURIComponent(result.view.statementId)}`);
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        return showReconciliations(ctx, { error: STATEMENT_ERRORS[err.code] ?? 'Nie udało się zaimportować wyciągu.' }, err.status);
      }
      throw err;
    }
  });

  router.get('/ksiegowosc/wyciagi/:id', async (ctx) => {
    if (!staffOnly(ctx, 'accounting')) return;
    const id = z.string().regex(/^[0-9a-f]{64}$/).safeParse(ctx.params.id);
    if (!id.success) throw new WebError(404, 'Nie znaleziono takiego wyciągu.');
    let view;
    try {
      view = await deps.bankStatements.view(id.data, { limit: 500 });
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw new WebError(404, 'Nie znaleziono takiego wyciągu.');
      throw err;
    }
    render(ctx, 'staff-statement', { title: 'Wyciąg bankowy', view, words: LINE_WORDS });
  });

  router.get('/biuro/wysylka', async (ctx) => {
    if (!staffOnly(ctx, 'admin')) return;
    const failed = await deps.notices.listOutbox('failed', 200, undefined);
    render(ctx, 'staff-outbox', { title: 'Nieudane wysyłki', items: failed.items });
  });

  router.post('/biuro/wysylka/:id', async (ctx) => {
    if (!staffOnly(ctx, 'admin')) return;
    const id = z.string().regex(/^\d{1,18}$/).safeParse(ctx.params.id);
    if (!id.success) throw new WebError(404, 'Nie znaleziono takiej wiadomości.');
    try {
      await deps.notices.retry(id.data);
      setFlash(ctx, 'ok', 'Wiadomość zostanie wysłana ponownie.');
    } catch (err) {
      if (err instanceof AppError && err.status < 500) setFlash(ctx, 'error', 'Tej wiadomości nie można wysłać ponownie.');
      else throw err;
    }
    ctx.status = 303;
    ctx.redirect('/biuro/wysylka');
  });
}
