/** The bank-choice page the customer's browser is sent to (redirectUrl). Polish, like the real one. */
import { statusKind } from '../../src/gateway/status.js';
import { escapeHtml } from './http.js';
import type { MockTransaction } from './types.js';

export const BANKS = [
  { code: 'pko', name: 'PKO Bank Polski' },
  { code: 'pekao', name: 'Bank Pekao' },
  { code: 'mbank', name: 'mBank' },
  { code: 'ing', name: 'ING Bank Śląski' },
  { code: 'santander', name: 'Santander Bank Polska' },
  { code: 'millennium', name: 'Bank Millennium' },
] as const;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="pl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; color: #1b2a3a; }
  h1 { font-size: 1.4rem; } .mock { background: #fff3cd; padding: .5rem .75rem; border-radius: .25rem; font-size: .9rem; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; } dt { font-weight: 600; }
  fieldset { border: 1px solid #c8d3de; border-radius: .25rem; } label { display: block; padding: .2rem 0; }
  button { font-size: 1rem; padding: .5rem 1.25rem; margin: 1rem .5rem 0 0; cursor: pointer; }
  button.pay { background: #0b6e4f; color: #fff; border: 0; border-radius: .25rem; }
  button.reject { background: #fff; border: 1px solid #a33; color: #a33; border-radius: .25rem; }
</style>
</head>
<body>
<p class="mock">Symulator bramki płatniczej PayByNet (środowisko testowe): żadne pieniądze nie są przelewane.</p>
${body}
</body>
</html>`;
}

/** The payee's name: the first field of accname (Name^NM^...). */
function payeeName(accname: string): string {
  return accname.split('^')[0] ?? accname;
}

export function renderPaymentPage(tx: MockTransaction, error?: string): string {
  const banks = BANKS.map(
    (b, i) => `<label><input type="radio" name="bank" value="${b.code}"${i === 0 ? ' checked' : ''}> ${escapeHtml(b.name)}</label>`,
  ).join('\n');
  return layout(
    'Płatność PayByNet',
    `<h1>Płatność za pomocą przelewu</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<dl>
  <dt>Odbiorca</dt><dd>${escapeHtml(payeeName(tx.accname))}</dd>
  <dt>Tytuł</dt><dd>${escapeHtml(tx.title)}</dd>
  <dt>Kwota</dt><dd data-amount="${escapeHtml(tx.amount)}">${escapeHtml(tx.amount.replace('.', ','))} ${escapeHtml(tx.currency)}</dd>
  <dt>Ważne do</dt><dd>${escapeHtml(tx.dateValid.toISOString())}</dd>
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
  rejected: 'Ta płatność została odrzucona.',
  expired: 'Termin ważności tej płatności upłynął.',
};

export function renderFinalPage(tx: MockTransaction): string {
  const kind = statusKind(tx.status);
  const text = kind === 'pending' ? 'Płatność oczekuje na potwierdzenie banku.' : FINAL_TEXT[kind];
  const back = kind === 'completed' ? tx.backpage : tx.backpagereject;
  return layout(
    'Płatność PayByNet',
    `<h1>${escapeHtml(text)}</h1>
<p>Status: <span data-status="${tx.status}">${tx.status}</span></p>
<p><a href="${escapeHtml(back)}">Wróć do serwisu odbiorcy</a></p>`,
  );
}

export function renderNotFoundPage(): string {
  return layout('Nie znaleziono', '<h1>Nie znaleziono płatności</h1>');
}
