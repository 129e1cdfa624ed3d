import { Decimal } from 'decimal.js';

/** Polish texts of the notices: `1 234,56 zł`, `2 grudnia 2026`. */

const MONTHS = ['stycznia', 'lutego', 'marca', 'kwietnia', 'maja', 'czerwca', 'lipca', 'sierpnia', 'września', 'października', 'listopada', 'grudnia'];

export function polishDate(ymd: string): string {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  return `${d} ${MONTHS[m - 1]} ${y}`;
}

export function polishMoney(amount: string | Decimal): string {
  const fixed = new Decimal(amount).abs().toFixed(2);
  const [whole, fraction] = fixed.split('.') as [string, string];
  // A (non-breaking) space groups thousands, as Polish writes them; SMS turns it into a plain one.
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0');
  return `${new Decimal(amount).isNegative() ? '-' : ''}${grouped},${fraction} zł`;
}

/** The NRB account written in groups: `61 1090 1014 0000 0712 1981 2874`. */
export function formatAccount(nrb: string): string {
  return `${nrb.slice(0, 2)} ${nrb.slice(2).replace(/(\d{4})(?=\d)/g, '$1 ')}`;
}

export interface SenderInfo {
  name: string;
  account: string;
  publicUrl: string;
}

export interface InvoiceFacts {
  invoiceNumber: string;
  kind: 'invoice' | 'correction';
  amount: string;
  dueDate: string;
}

export interface Text {
  subject: string;
  body: string;
}

const signature = (s: SenderInfo) => `\n\nZ poważaniem\n${s.name}\nInternetowe Biuro Obsługi Klienta: ${s.publicUrl}\n\nTa wiadomość została wysłana automatycznie; zmiana powiadomień: ${s.publicUrl}/powiadomienia`;

function howToPay(s: SenderInfo, number: string): string {
  return (
    'Jak zapłacić:\n' +
    `- online w Internetowym Biurze Obsługi Klienta: ${s.publicUrl}/rozrachunki (przycisk „Zapłać”),\n` +
    `- przelewem na rachunek ${formatAccount(s.account)} (${s.name}), w tytule: ${number}.`
  );
}

export function invoiceIssuedEmail(s: SenderInfo, i: InvoiceFacts): Text {
  const amount = new Decimal(i.amount);
  if (i.kind === 'correction') {
    const subject = `Faktura korygująca ${i.invoiceNumber}`;
    if (amount.lte(0)) {
      return {
        subject,
        body:
          `Dzień dobry,\n\nwystawiliśmy fakturę korygującą nr ${i.invoiceNumber}, która zmniejsza należność o ${polishMoney(amount.abs())}.\n` +
          'Kwota korekty zostanie zaliczona na poczet należności lub nadpłaty na koncie; nie trzeba nic płacić.' +
          signature(s),
      };
    }
    return {
      subject,
      body:
        `Dzień dobry,\n\nwystawiliśmy fakturę korygującą nr ${i.invoiceNumber} na kwotę ${polishMoney(amount)} do zapłaty.\n` +
        `Termin płatności: ${polishDate(i.dueDate)}.\n\n${howToPay(s, i.invoiceNumber)}` +
        signature(s),
    };
  }
  return {
    subject: `Nowa faktura ${i.invoiceNumber}`,
    body:
      `Dzień dobry,\n\nwystawiliśmy fakturę nr ${i.invoiceNumber} na kwotę ${polishMoney(amount)}.\n` +
      `Termin płatności: ${polishDate(i.dueDate)}.\n\n${howToPay(s, i.invoiceNumber)}` +
      signature(s),
  };
}

/** In an SMS a plain space: the non-breaking one is outside the GSM alphabet. */
const smsMoney = (amount: string | Decimal) => polishMoney(amount).replace(/\u00a0/g, ' ');

export function invoiceIssuedSms(s: SenderInfo, i: InvoiceFacts): string {
  const amount = new Decimal(i.amount);
  if (i.kind === 'correction' && amount.lte(0)) {
    return `${shortName(s)}: korekta ${i.invoiceNumber} zmniejsza należność o ${smsMoney(amount.abs())}. Nie trzeba nic płacić.`;
  }
  const what = i.kind === 'correction' ? 'korekta' : 'faktura';
  return `${shortName(s)}: ${what} ${i.invoiceNumber} na ${smsMoney(amount)}, termin płatności ${polishDate(i.dueDate)}. Zapłać w IBOK ${s.publicUrl} lub przelewem na ${s.account}, tytuł ${i.invoiceNumber}.`;
}

export type ReminderNotice = 'reminder_before' | 'reminder_due' | 'reminder_after';

export function reminderEmail(s: SenderInfo, notice: ReminderNotice, i: InvoiceFacts & { outstanding: string }): Text {
  const due = polishDate(i.dueDate);
  const owed = polishMoney(i.outstanding);
  const lead: Record<ReminderNotice, string> = {
    reminder_before: `przypominamy, że za 3 dni, ${due}, mija termin płatności faktury nr ${i.invoiceNumber}.`,
    reminder_due: `przypominamy, że dziś, ${due}, mija termin płatności faktury nr ${i.invoiceNumber}.`,
    reminder_after: `termin płatności faktury nr ${i.invoiceNumber} minął ${due}, a faktura nie została jeszcze opłacona.`,
  };
  const subject: Record<ReminderNotice, string> = {
    reminder_before: `Przypomnienie: termin płatności faktury ${i.invoiceNumber} za 3 dni`,
    reminder_due: `Przypomnienie: dziś mija termin płatności faktury ${i.invoiceNumber}`,
    reminder_after: `Faktura ${i.invoiceNumber} po terminie płatności`,
  };
  return {
    subject: subject[notice],
    body:
      `Dzień dobry,\n\n${lead[notice]}\nDo zapłaty: ${owed} (kwota faktury: ${polishMoney(i.amount)}).\n\n${howToPay(s, i.invoiceNumber)}\n\n` +
      'Jeśli należność została już zapłacona, prosimy uznać tę wiadomość za nieaktualną.' +
      signature(s),
  };
}

export function reminderSms(s: SenderInfo, notice: ReminderNotice, i: InvoiceFacts & { outstanding: string }): string {
  const due = polishDate(i.dueDate);
  const owed = smsMoney(i.outstanding);
  const what: Record<ReminderNotice, string> = {
    reminder_before: `za 3 dni (${due}) mija termin płatności faktury ${i.invoiceNumber}`,
    reminder_due: `dziś (${due}) mija termin płatności faktury ${i.invoiceNumber}`,
    reminder_after: `faktura ${i.invoiceNumber} jest po terminie (${due})`,
  };
  return `${shortName(s)}: ${what[notice]}. Do zapłaty ${owed}. Zapłać w IBOK: ${s.publicUrl}`;
}

export function confirmationCodeEmail(s: SenderInfo, code: string): Text {
  return {
    subject: 'Kod potwierdzający adres e-mail do powiadomień',
    body:
      `Dzień dobry,\n\nkod potwierdzający ten adres do powiadomień z IBOK: ${code}\n` +
      'Kod jest ważny 15 minut. Jeśli to nie Ty zmieniałeś ustawienia powiadomień, zignoruj tę wiadomość.' +
      signature(s),
  };
}

export function confirmationCodeSms(s: SenderInfo, code: string): string {
  return `${shortName(s)}: kod potwierdzający numer do powiadomień IBOK: ${code}. Ważny 15 minut.`;
}

export function meterLegalisationEmail(s: SenderInfo, m: { serialNumber: string; validUntil: string }): Text {
  return {
    subject: `Kończy się legalizacja wodomierza ${m.serialNumber}`,
    body:
      `Dzień dobry,\n\nlegalizacja wodomierza nr ${m.serialNumber} jest ważna do ${polishDate(m.validUntil)} (za 30 dni).\n` +
      'Wodomierz należący do przedsiębiorstwa wymienimy i skontaktujemy się w sprawie terminu; wodomierz własny należy zalegalizować lub wymienić przed tą datą.' +
      signature(s),
  };
}

export function meterLegalisationSms(s: SenderInfo, m: { serialNumber: string; validUntil: string }): string {
  return `${shortName(s)}: legalizacja wodomierza ${m.serialNumber} kończy się ${polishDate(m.validUntil)}. Szczegóły w IBOK: ${s.publicUrl}`;
}

/** The sender as an SMS names it: "PWiK Oświęcim" rather than the company's full name. */
function shortName(s: SenderInfo): string {
  const m = /^(\S+)/.exec(s.name);
  const city = /w\s+(\S+)$/.exec(s.name)?.[1];
  const first = m?.[1] ?? s.name;
  return city ? `${first} ${city.replace(/iu$/, '')}` : first;
}
