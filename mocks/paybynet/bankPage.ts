/**
 * The bank-choice page the customer's browser is sent to (redirectUrl): Polish like the real one,
 * accessible (labels, headings, lang="pl"), the validity in Warsaw time. A transaction that is
 * final (paid, rejected, expired, cancelled by the merchant) can no longer be paid here.
 */
import { createHash } from 'node:crypto';
import type Koa from 'koa';
import type { Router } from '@koa/router';
import { statusKind, GatewayStatus, isFinalStatus } from '../../src/gateway/status.js';
import { escapeHtml, pathParam, readBody } from './http.js';
import type { MockState } from './state.js';
import type { MockTransaction } from './types.js';

export const BANKS = [
  { code: 'pko', name: 'PKO Bank Polski' },
  { code: 'pekao', name: 'Bank Pekao' },
  { code: 'mbank', name: 'mBank' },
  { code: 'ing', name: 'ING Bank Śląski' },
  { code: 'santander', name: 'Santander Bank Polska' },
  { code: 'millennium', name: 'Bank Millennium' },
] as const;

const STYLE = `
  body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; color: #1b2a3a; }
  h1 { font-size: 1.4rem; } .mock { background: #fff3cd; padding: .5rem .75rem; border-radius: .25rem; font-size: .9rem; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; } dt { font-weight: 600; }
  fieldset { border: 1px solid #c8d3de; border-radius: .25rem; } label { display: block; padding: .2rem 0; }
  button { font-size: 1rem; padding: .5rem 1.25rem; margin: 1rem .5rem 0 0; cursor: pointer; }
  button.pay { background: #0b6e4f; color: #fff; border: 0; border-radius: .25rem; }
  button.reject { background: #fff; border: 1px solid #a33; color: #a33; border-radius: .25rem; }
  :focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
`;

/** No scripts, the one inline style by its hash, no framing. */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; form-action *; base-uri 'none'; frame-ancestors 'none'`,
  'X-Frame-Options': 'DENY',
};

const MONTHS = ['stycznia', 'lutego', 'marca', 'kwietnia', 'maja', 'czerwca', 'lipca', 'sierpnia', 'września', 'października', 'listopada', 'grudnia'];

const warsawParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Warsaw',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** `2 grudnia 2026, 14:05`: a moment in Warsaw time, written the Polish way. */
export function polishDateTime(at: Date): string {
  const p = Object.fromEntries(warsawParts.formatToParts(at).map((x) => [x.type, x.value]));
  return `${Number(p.day)} ${MONTHS[Number(p.month) - 1]} ${p.year}, ${p.hour}:${p.minute}`;
}

/** `1 234,56 zł` */
function polishAmount(amount: string, currency: string): string {
  const [whole, fraction] = amount.split('.');
  return `${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0')},${fraction} ${currency === 'PLN' ? 'zł' : currency}`;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="pl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><p class="mock">Symulator bramki płatniczej PayByNet (środowisko testowe): żadne pieniądze nie są przelewane.</p></header>
<main>
${body}
</main>
</body>
</html>`;
}

/** The payee's name: the first field of accname (Name^NM^...). */
function payeeName(accname: string): string {
  return accname.split('^')[0] ?? accname;
}

export function renderPaymentPage(tx: MockTransaction, error?: string): string {
  const banks = BANKS.map(
    (b, i) =>
      `<label for="bank-${b.code}"><input type="radio" id="bank-${b.code}" name="bank" value="${b.code}"${i === 0 ? ' checked' : ''}> ${escapeHtml(b.name)}</label>`,
  ).join('\n');
  return layout(
    'Płatność PayByNet',
    `<h1>Płatność za pomocą przelewu</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<h2>Dane płatności</h2>
<dl>
  <dt>Odbiorca</dt><dd>${escapeHtml(payeeName(tx.accname))}</dd>
  <dt>Tytuł</dt><dd>${escapeHtml(tx.title)}</dd>
  <dt>Kwota</dt><dd data-amount="${escapeHtml(tx.amount)}">${escapeHtml(polishAmount(tx.amount, tx.currency))}</dd>
  <dt>Ważne do</dt><dd><time datetime="${escapeHtml(tx.dateValid.toISOString())}">${escapeHtml(polishDateTime(tx.dateValid))}</time></dd>
</dl>
<form method="post" action="/pay/${encodeURIComponent(tx.paymentId)}">
  <fieldset>
    <legend>Wybierz swój bank</legend>
    ${banks}
  </fieldset>
  <button class="pay" type="submit" name="action" value="pay">Zapłać</button>
  <button class="reject" type="submit" name="action" value="reject">Odrzuć</button>
</form>`,
  );
}

const FINAL_TEXT: Record<'expired' | 'rejected' | 'completed', string> = {
  completed: 'Ta płatność została już zrealizowana.',
  rejected: 'Ta płatność została odrzucona lub anulowana przez odbiorcę.',
  expired: 'Termin ważności tej płatności upłynął.',
};

const STATUS_WORDS: Record<number, string> = {
  [GatewayStatus.WAITING_FOR_CUSTOMER]: 'oczekuje na wpłatę',
  [GatewayStatus.WAITING_FOR_BANK]: 'oczekuje na potwierdzenie banku',
  [GatewayStatus.EXPIRED]: 'wygasła',
  [GatewayStatus.EXPIRED_BY_BANK]: 'wygasła',
  [GatewayStatus.REJECTED]: 'odrzucona',
  [GatewayStatus.REJECTED_BY_BANK]: 'odrzucona przez bank',
  [GatewayStatus.COMPLETED]: 'zrealizowana',
  [GatewayStatus.COMPLETED_BY_BANK]: 'zrealizowana',
};

export function renderFinalPage(tx: MockTransaction): string {
  const kind = statusKind(tx.status);
  const text = kind === 'pending' ? 'Płatność oczekuje na potwierdzenie banku.' : FINAL_TEXT[kind];
  const back = kind === 'completed' ? tx.backpage : tx.backpagereject;
  return layout(
    'Płatność PayByNet',
    `<h1>${escapeHtml(text)}</h1>
<p>Status: <span data-status="${tx.status}">${escapeHtml(STATUS_WORDS[tx.status] ?? String(tx.status))} (${tx.status})</span></p>
<p><a href="${escapeHtml(back)}">Wróć do serwisu odbiorcy</a></p>`,
  );
}

export function renderNotFoundPage(): string {
  return layout('Nie znaleziono', '<h1>Nie znaleziono płatności</h1>');
}

/** GET/POST /pay/{paymentId}: the customer pays or rejects; the browser goes back to the merchant. */
export function mountBankPage(router: Router, state: MockState): void {
  /** The transaction a bank page is for, or a 404 page (answered here) when there is none. */
  function bankPageTransaction(ctx: Koa.Context): MockTransaction | undefined {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) ctx.set(name, value);
    ctx.type = 'text/html; charset=utf-8';
    const tx = state.get(pathParam(ctx, 'paymentId'));
    if (!tx) {
      ctx.status = 404;
      ctx.body = renderNotFoundPage();
    }
    return tx;
  }

  router.get('/pay/:paymentId', (ctx) => {
    const tx = bankPageTransaction(ctx);
    if (!tx) return;
    state.refreshExpiry(tx);
    ctx.body = isFinalStatus(tx.status) ? renderFinalPage(tx) : renderPaymentPage(tx);
  });

  router.post('/pay/:paymentId', async (ctx) => {
    const tx = bankPageTransaction(ctx);
    if (!tx) return;
    const form = new URLSearchParams(await readBody(ctx.req, 16 * 1024));
    state.refreshExpiry(tx);
    if (isFinalStatus(tx.status)) {
      ctx.status = 409;
      ctx.body = renderFinalPage(tx);
      return;
    }
    const action = form.get('action');
    if (action === 'pay') {
      const bank = form.get('bank') ?? BANKS[0].code;
      if (!BANKS.some((b) => b.code === bank)) {
        ctx.status = 400;
        ctx.body = renderPaymentPage(tx, 'Wybierz bank z listy.');
        return;
      }
      tx.bank = bank;
      state.complete(tx);
      ctx.status = 303;
      ctx.redirect(tx.backpage);
      return;
    }
    if (action === 'reject') {
      state.changeStatus(tx, GatewayStatus.REJECTED);
      ctx.status = 303;
      ctx.redirect(tx.backpagereject);
      return;
    }
    ctx.status = 400;
    ctx.body = renderPaymentPage(tx, 'Wybierz „Zapłać” albo „Odrzuć”.');
  });
}
