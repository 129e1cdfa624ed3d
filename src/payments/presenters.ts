import { createHash } from 'node:crypto';
import type { HistoryEntry, PaymentOrder, PaymentStatus } from './store.js';
import type { PaymentView, ReturnView } from './service.js';

/** The answer of POST /api/payments and the head of GET /api/payments/{id}: whitelisted fields. */
export function presentPayment(view: PaymentView) {
  return {
    id: view.id,
    idTrans: view.idTrans,
    amount: view.amount,
    currency: view.currency,
    status: view.status,
    redirectUrl: view.redirectUrl,
    invoiceNumbers: view.invoiceNumbers,
    createdAt: view.createdAt,
    dateValid: view.dateValid,
    paidAt: view.paidAt,
    settlementDate: view.settlementDate,
  };
}

export function presentHistory(history: HistoryEntry[]) {
  return history.map((h) => ({
    fromStatus: h.fromStatus,
    toStatus: h.toStatus,
    gatewayStatus: h.gatewayStatus,
    cause: h.cause,
    eventId: h.eventId,
    details: h.details,
    at: h.at.toISOString(),
  }));
}

/** A row of accounting's list of payments to look at. */
export function presentFlagged(o: PaymentOrder) {
  return {
    id: o.id,
    idTrans: o.idTrans,
    status: o.status,
    amount: o.amount,
    notifiedAmount: o.notifiedAmount,
    notifiedCurrency: o.notifiedCurrency,
    paidAt: o.paidAt?.toISOString() ?? null,
    settlementDate: o.settlementDate,
    gatewayPaymentId: o.gatewayPaymentId,
  };
}

/** Status words for customers (pages, e-mails), in Polish. */
export const PAYMENT_STATUS_LABELS: Readonly<Record<PaymentStatus, string>> = {
  pending: 'w toku',
  completed: 'zakończona',
  rejected: 'odrzucona',
  expired: 'wygasła',
  failed: 'nieudana',
  amount_mismatch: 'do wyjaśnienia',
  cancelled: 'anulowana',
};

const RETURN_TEXT: Record<PaymentStatus, { heading: string; body: string }> = {
  completed: { heading: 'Płatność zakończona', body: 'Dziękujemy. Wpłata została zaksięgowana na koncie odbiorcy.' },
  pending: {
    heading: 'Płatność w toku',
    body: 'Bank jeszcze nie potwierdził wpłaty. Strona odświeży się sama; możesz też wrócić tu później.',
  },
  rejected: { heading: 'Płatność odrzucona', body: 'Bank odrzucił płatność. Żadne środki nie zostały pobrane. Możesz spróbować ponownie.' },
  expired: { heading: 'Płatność wygasła', body: 'Czas na dokonanie płatności minął. Możesz zlecić nową płatność.' },
  failed: { heading: 'Płatność nieudana', body: 'Nie udało się połączyć z systemem płatności. Żadne środki nie zostały pobrane.' },
  amount_mismatch: {
    heading: 'Płatność do wyjaśnienia',
    body: 'Kwota wpłaty różni się od kwoty zlecenia. Dział księgowości skontaktuje się z Tobą.',
  },
  cancelled: { heading: 'Płatność anulowana', body: 'Płatność została anulowana. Żadne środki nie zostały pobrane. Faktury możesz opłacić ponownie.' },
};

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** `1 234,56` with a non-breaking thin grouping, as Polish amounts are written. */
function polishAmount(amount: string): string {
  const [whole, fraction] = amount.split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0');
  return `${grouped},${fraction}`;
}

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#123}' +
  '.status{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;background:#e8f0fe}' +
  'dt{font-weight:600;margin-top:.6rem}';

/**
 * Headers of every HTML answer of the module: no script at all, the one inline style by its
 * hash, no framing (clickjacking), nothing sent to other origins.
 */
export const HTML_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  'X-Frame-Options': 'DENY',
};

function page(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="pl"><head><meta charset="utf-8">${head}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} – IBOK</title>
<style>${STYLE}</style></head>
<body><main>
${body}
<p><a href="/">Wróć do Internetowego Biura Obsługi Klienta</a></p>
</main></body></html>`;
}

/**
 * The page the gateway sends the browser back to: the status for anyone with the link; the
 * amount, invoices and transaction number only when the view carries them (the payer's session).
 */
export function renderReturnPage(view: ReturnView): string {
  const t = RETURN_TEXT[view.status];
  const refresh = view.status === 'pending' ? '<meta http-equiv="refresh" content="5">' : '';
  const d = view.details;
  const details = d
    ? `<dl><dt>Kwota</dt><dd>${escape(polishAmount(d.amount))} ${d.currency === 'PLN' ? 'zł' : escape(d.currency)}</dd>
<dt>Faktury</dt><dd>${d.invoiceNumbers.map(escape).join(', ')}</dd>
<dt>Numer transakcji</dt><dd>${escape(d.idTrans)}</dd></dl>`
    : '<p>Szczegóły płatności zobaczysz po zalogowaniu się do IBOK.</p>';
  return page(
    t.heading,
    `<h1>${escape(t.heading)}</h1>
<p>Status: <span class="status" data-status="${escape(view.status)}">${escape(PAYMENT_STATUS_LABELS[view.status])}</span></p>
<p>${escape(t.body)}</p>
${details}`,
    refresh,
  );
}

export function renderNotFoundPage(): string {
  return page('Nie znaleziono', '<h1>Nie znaleziono płatności</h1>\n<p>Sprawdź odnośnik albo zaloguj się do IBOK.</p>');
}
