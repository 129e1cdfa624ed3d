/**
 * Polish formats for pages: amounts `1 234,56 zł`, dates `2 grudnia 2026`, instants in
 * Europe/Warsaw, and the status words customers read. Amounts are formatted from their decimal
 * strings digit by digit, never through a JS number.
 */

const NBSP = '\u00a0';

const MONTHS_GENITIVE = [
  'stycznia',
  'lutego',
  'marca',
  'kwietnia',
  'maja',
  'czerwca',
  'lipca',
  'sierpnia',
  'września',
  'października',
  'listopada',
  'grudnia',
] as const;

const MONTHS_NOMINATIVE = [
  'styczeń',
  'luty',
  'marzec',
  'kwiecień',
  'maj',
  'czerwiec',
  'lipiec',
  'sierpień',
  'wrzesień',
  'październik',
  'listopad',
  'grudzień',
] as const;

/** `"1234.5"` → `1 234,50` (groups of three split by a non-breaking space, comma decimal). */
export function formatNumber(amount: string, fractionDigits = 2): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!m) return amount;
  const [, sign, int, frac = ''] = m;
  const grouped = int!.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
  const fraction = fractionDigits > 0 ? ',' + frac.padEnd(fractionDigits, '0').slice(0, fractionDigits) : '';
  const isZero = /^0*$/.test(int!) && /^0*$/.test(frac);
  return `${sign && !isZero ? '−' : ''}${grouped}${fraction}`;
}

/** `"1234.56"` → `1 234,56 zł`; a negative amount gets a minus sign. */
export function formatMoney(amount: string, currency = 'PLN'): string {
  const unit = currency === 'PLN' ? 'zł' : currency;
  return `${formatNumber(amount, 2)}${NBSP}${unit}`;
}

/** A register or consumption in m³: `"1234.5"` → `1 234,500 m³`. */
export function formatVolume(value: string, fractionDigits = 3): string {
  return `${formatNumber(value, fractionDigits)}${NBSP}m³`;
}

/** `2026-12-02` → `2 grudnia 2026`; anything else is shown as it is. */
export function formatDate(date: string | null | undefined): string {
  if (!date) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return date;
  const month = MONTHS_GENITIVE[Number(m[2]) - 1];
  if (!month) return date;
  return `${Number(m[3])} ${month} ${m[1]}`;
}

/** `2026-12` → `grudzień 2026` (chart labels). */
export function formatMonth(yearMonth: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(yearMonth);
  const month = m ? MONTHS_NOMINATIVE[Number(m[2]) - 1] : undefined;
  return m && month ? `${month} ${m[1]}` : yearMonth;
}

const warsawParts = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Warsaw',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** An instant in local time: `2 grudnia 2026, 14:05` (Europe/Warsaw, whatever the server's zone). */
export function formatDateTime(at: Date | string | null | undefined): string {
  if (!at) return '—';
  const d = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) return String(at);
  const parts = warsawParts.formatToParts(d);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${formatDate(`${get('year')}-${get('month')}-${get('day')}`)}, ${get('hour')}:${get('minute')}`;
}

/** File sizes the way people read them: `12,3 KB`. */
export function formatBytes(size: number): string {
  if (size < 1024) return `${size}${NBSP}B`;
  const units = ['KB', 'MB', 'GB'];
  let value = size / 1024;
  let unit = units[0]!;
  for (let i = 1; value >= 1024 && i < units.length; i++) {
    value /= 1024;
    unit = units[i]!;
  }
  return `${value.toFixed(1).replace('.', ',')}${NBSP}${unit}`;
}

const PAYMENT_STATUS: Record<string, string> = {
  pending: 'w toku',
  completed: 'zakończona',
  rejected: 'odrzucona',
  expired: 'wygasła',
  failed: 'nieudana',
  amount_mismatch: 'do wyjaśnienia',
  cancelled: 'anulowana',
};

const INVOICE_STATUS: Record<string, string> = {
  paid: 'zapłacona',
  unpaid: 'do zapłaty',
  overdue: 'po terminie',
  partially_paid: 'częściowo zapłacona',
  credit: 'uznanie',
  pending: 'płatność w toku',
};

const SETTLEMENT_KIND: Record<string, string> = {
  invoice: 'faktura',
  correction: 'korekta',
  payment: 'wpłata',
  prepayment: 'przedpłata',
  overpayment: 'nadpłata',
};

const REQUEST_STATUS: Record<string, string> = {
  submitted: 'złożone',
  in_progress: 'w realizacji',
  answered: 'odpowiedziano',
  closed: 'zamknięte',
};

const REQUEST_KIND: Record<string, string> = {
  complaint: 'reklamacja',
  inquiry: 'zapytanie',
  application: 'wniosek',
};

const READING_TYPE: Record<string, string> = {
  actual: 'odczyt inkasenta',
  estimated: 'szacunkowy',
  customer: 'podany przez klienta',
  remote: 'zdalny (radiowy)',
};

const GENERAL: Record<string, string> = {
  active: 'aktywna',
  terminated: 'rozwiązana',
  removed: 'zdjęty',
  main: 'główny',
  sub: 'podlicznik',
  utility: 'PWiK',
  customer: 'klient',
  water: 'dostawa wody',
  sewage: 'odprowadzanie ścieków',
  water_sewage: 'dostawa wody i odprowadzanie ścieków',
};

function lookup(table: Record<string, string>, key: string | null | undefined): string {
  if (!key) return '—';
  return table[key] ?? key.replace(/_/g, ' ');
}

export const statusWord = {
  payment: (s: string | null | undefined) => lookup(PAYMENT_STATUS, s),
  invoice: (s: string | null | undefined) => lookup(INVOICE_STATUS, s),
  settlementKind: (s: string | null | undefined) => lookup(SETTLEMENT_KIND, s),
  request: (s: string | null | undefined) => lookup(REQUEST_STATUS, s),
  requestKind: (s: string | null | undefined) => lookup(REQUEST_KIND, s),
  readingType: (s: string | null | undefined) => lookup(READING_TYPE, s),
  general: (s: string | null | undefined) => lookup(GENERAL, s),
};

/** Polish plural of a count: 1 faktura, 2 faktury, 5 faktur. */
export function plural(n: number, one: string, few: string, many: string): string {
  if (n === 1) return one;
  const last = n % 10;
  const lastTwo = n % 100;
  if (last >= 2 && last <= 4 && (lastTwo < 12 || lastTwo > 14)) return few;
  return many;
}
