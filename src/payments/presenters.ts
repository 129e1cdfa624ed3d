import type { PaymentView } from './paymentService.js';

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const TEXT: Record<PaymentView['status'], { heading: string; body: string }> = {
  completed: { heading: 'Płatność zakończona', body: 'Dziękujemy. Wpłata została zaksięgowana na Twoim koncie.' },
  pending: {
    heading: 'Płatność w toku',
    body: 'Bank jeszcze nie potwierdził wpłaty. Status odświeży się sam; możesz też wrócić tu później.',
  },
  rejected: { heading: 'Płatność odrzucona', body: 'Bank odrzucił płatność. Żadne środki nie zostały pobrane. Możesz spróbować ponownie.' },
  expired: { heading: 'Płatność wygasła', body: 'Czas na dokonanie płatności minął. Możesz zlecić nową płatność.' },
  failed: { heading: 'Płatność nieudana', body: 'Nie udało się połączyć z systemem płatności. Żadne środki nie zostały pobrane.' },
  amount_mismatch: {
    heading: 'Płatność do wyjaśnienia',
    body: 'Kwota wpłaty różni się od kwoty zlecenia. Dział księgowości skontaktuje się z Tobą.',
  },
};

/** The page the gateway sends the browser back to: what the service knows, in Polish. */
export function renderReturnPage(view: PaymentView): string {
  const t = TEXT[view.status];
  const refresh = view.status === 'pending' ? '<meta http-equiv="refresh" content="5">' : '';
  const amount = view.amount.replace('.', ',');
  return `<!doctype html>
<html lang="pl"><head><meta charset="utf-8">${refresh}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(t.heading)} – IBOK</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#123}
.status{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;background:#e8f0fe}
dt{font-weight:600;margin-top:.6rem}</style></head>
<body><h1>${escape(t.heading)}</h1>
<p class="status" data-status="${escape(view.status)}">${escape(view.status)}</p>
<p>${escape(t.body)}</p>
<dl><dt>Kwota</dt><dd>${escape(amount)} ${escape(view.currency)}</dd>
<dt>Faktury</dt><dd>${view.invoiceNumbers.map(escape).join(', ')}</dd>
<dt>Numer transakcji</dt><dd>${escape(view.idTrans)}</dd></dl>
<p><a href="/">Wróć do Internetowego Biura Obsługi Klienta</a></p>
</body></html>`;
}

export function renderNotFoundPage(): string {
  return `<!doctype html><html lang="pl"><head><meta charset="utf-8"><title>Nie znaleziono – IBOK</title></head>
<body><h1>Nie znaleziono płatności</h1><p>Sprawdź odnośnik albo zaloguj się do IBOK.</p></body></html>`;
}
