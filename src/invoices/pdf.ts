import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Decimal } from 'decimal.js';
import type { CustomersService } from '../customers/index.js';
import { commonErrors, defineErrors } from '../errors.js';
import { isPdfAvailable, PDF_AVAILABLE_FROM, type InvoicesService, type InvoiceView } from './service.js';

/**
 * The invoice as a PDF a customer can print: generated on demand from the stored invoice, in
 * Polish, with the DejaVu fonts embedded (pdfkit's built-in fonts cannot write Polish letters).
 */

export const pdfErrors = defineErrors('invoices', {
  pdf_not_available: {
    status: 404,
    description: 'Invoices issued before 2014-06-01 are not available as PDF (kept in the paper archive).',
  },
});

/** The utility as the seller (from MERCHANT_* configuration). */
export interface Seller {
  name: string;
  street: string;
  postCode: string;
  city: string;
  /** NIP (MERCHANT_ID). */
  id: string;
  /** NRB, 26 digits (MERCHANT_ACCOUNT). */
  account: string;
}

type Address = { street: string; postalCode: string; city: string };

export interface InvoicePdfInput {
  invoice: Pick<
    InvoiceView,
    | 'invoiceNumber'
    | 'kind'
    | 'issueDate'
    | 'dueDate'
    | 'amount'
    | 'currency'
    | 'lines'
    | 'ksefNumber'
    | 'correctedInvoiceNumber'
    | 'paid'
    | 'outstanding'
    | 'customerNumber'
    | 'propertyNumber'
  >;
  buyer: { name: string; address: Address };
  property: { number: string; address: Address | undefined };
  seller: Seller;
}

// The fonts are parsed once and shared by every document: parsing DejaVu and building its glyph
// caches per document cost far more than the rest of an invoice. pdfkit embeds only the glyphs a
// document uses.
const require = createRequire(import.meta.url);
const fontDir = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf').replace(/DejaVuSans\.ttf$/, '');
// pdfkit and fontkit (about 0.3 s to load) are loaded with the first PDF, not at start.
type ParsedFont = { layout: (...args: unknown[]) => unknown };
let fonts: Promise<{ regular: ParsedFont; bold: ParsedFont }> | undefined;
function loadFonts() {
  fonts ??= import('fontkit').then((fontkit) => ({
    regular: fontkit.create(fs.readFileSync(`${fontDir}DejaVuSans.ttf`)) as ParsedFont,
    bold: fontkit.create(fs.readFileSync(`${fontDir}DejaVuSans-Bold.ttf`)) as ParsedFont,
  }));
  return fonts;
}

const NBSP = '\u00a0';
const MONTHS = ['stycznia', 'lutego', 'marca', 'kwietnia', 'maja', 'czerwca', 'lipca', 'sierpnia', 'września', 'października', 'listopada', 'grudnia'];

/** `"-1234.5"` → `−1 234,50`: digit by digit from the decimal string, never through a float. */
export function plNumber(value: string, fractionDigits: number): string {
  const fixed = new Decimal(value).toFixed(fractionDigits, Decimal.ROUND_HALF_UP);
  const negative = fixed.startsWith('-') && !/^-0(\.0+)?$/.test(fixed);
  const [int = '0', frac] = fixed.replace('-', '').split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
  return `${negative ? '−' : ''}${grouped}${frac ? `,${frac}` : ''}`;
}

/** `"1234.56"` → `1 234,56 zł`. */
export function plMoney(amount: string, currency = 'PLN'): string {
  return `${plNumber(amount, 2)}${NBSP}${currency === 'PLN' ? 'zł' : currency}`;
}

/** `2026-12-02` → `2 grudnia 2026`. */
export function plDate(date: string): string {
  const [y, m, d] = date.split('-');
  return `${Number(d)} ${MONTHS[Number(m) - 1] ?? m} ${y}`;
}

/** 26 digits in the NRB groups: `61 1090 1014 0000 0712 1981 2874`. */
export function formatAccount(nrb: string): string {
  const digits = nrb.replace(/\s+/g, '');
  return `${digits.slice(0, 2)} ${digits.slice(2).replace(/(\d{4})(?=\d)/g, '$1 ')}`;
}

/** The transfer title the bank-statement import recognises: it holds the invoice number. */
export function transferTitle(invoice: { invoiceNumber: string; customerNumber: string }): string {
  return `Faktura ${invoice.invoiceNumber}, nr klienta ${invoice.customerNumber}`;
}

/** A file name made from the invoice number: `FV/2026/11/01000` → `Faktura-FV-2026-11-01000.pdf`. */
export function pdfFileName(invoiceNumber: string): string {
  return `Faktura-${invoiceNumber.replace(/[^A-Za-z0-9._-]+/g, '-')}.pdf`;
}

const addressLine = (a: Address) => `${a.street}, ${a.postalCode} ${a.city}`;

/** Renders the invoice; resolves with the whole PDF (tens of kilobytes). */
export async function renderInvoicePdf(input: InvoicePdfInput, options: { createdAt?: Date } = {}): Promise<Buffer> {
  const { invoice, buyer, property, seller } = input;
  const [{ default: PDFDocument }, { regular, bold }] = await Promise.all([import('pdfkit'), loadFonts()]);
  const correction = invoice.kind === 'correction';
  const title = `${correction ? 'Faktura korygująca' : 'Faktura'} nr ${invoice.invoiceNumber}`;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    lang: 'pl-PL',
    displayTitle: true,
    info: {
      Title: title,
      Author: seller.name,
      Subject: `${title} dla ${buyer.name}`,
      ...(options.createdAt ? { CreationDate: options.createdAt } : {}),
    },
  });
  // pdfkit takes a parsed fontkit font as well as a file (its typings list only the latter).
  doc.registerFont('regular', regular as never);
  doc.registerFont('bold', bold as never);
  const parts: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => parts.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(parts)));
    doc.on('error', reject);
  });

  const left = doc.page.margins.left;
  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  const bottom = () => doc.page.height - doc.page.margins.bottom;

  // Title and dates.
  doc.font('bold').fontSize(16).text(title, left, 50, { width });
  doc.moveDown(0.3);
  doc.font('regular').fontSize(10);
  doc.text(`Data wystawienia: ${plDate(invoice.issueDate)}`);
  doc.text(`Termin płatności: ${plDate(invoice.dueDate)}`);
  if (invoice.ksefNumber) doc.text(`Numer KSeF: ${invoice.ksefNumber}`);
  if (correction && invoice.correctedInvoiceNumber) doc.text(`Korygowana faktura: ${invoice.correctedInvoiceNumber}`);
  doc.moveDown(1);

  // Seller and buyer side by side.
  const top = doc.y;
  const half = width / 2 - 10;
  doc.font('bold').fontSize(11).text('Sprzedawca', left, top, { width: half });
  doc.font('regular').fontSize(10);
  doc.text(seller.name, { width: half });
  doc.text(seller.street, { width: half });
  doc.text(`${seller.postCode} ${seller.city}`, { width: half });
  doc.text(`NIP: ${seller.id}`, { width: half });
  const afterSeller = doc.y;
  const right = left + width / 2 + 10;
  doc.font('bold').fontSize(11).text('Nabywca', right, top, { width: half });
  doc.font('regular').fontSize(10);
  doc.text(buyer.name, right, doc.y, { width: half });
  doc.text(buyer.address.street, right, doc.y, { width: half });
  doc.text(`${buyer.address.postalCode} ${buyer.address.city}`, right, doc.y, { width: half });
  doc.text(`Numer klienta: ${invoice.customerNumber}`, right, doc.y, { width: half });
  doc.y = Math.max(afterSeller, doc.y) + 12;

  doc.font('bold').fontSize(11).text('Miejsce świadczenia usługi (nieruchomość)', left, doc.y, { width });
  doc.font('regular').fontSize(10);
  doc.text(property.address ? `${property.number}: ${addressLine(property.address)}` : property.number, { width });
  doc.moveDown(1);

  // Lines.
  const columns = [
    { title: 'Lp.', width: 28, align: 'left' as const },
    { title: 'Opis', width: width - 28 - 60 - 40 - 80 - 90, align: 'left' as const },
    { title: 'Ilość', width: 60, align: 'right' as const },
    { title: 'J.m.', width: 40, align: 'center' as const },
    { title: 'Cena jedn.', width: 80, align: 'right' as const },
    { title: 'Wartość', width: 90, align: 'right' as const },
  ];
  const drawRow = (cells: string[], font: 'regular' | 'bold') => {
    doc.font(font).fontSize(9);
    const heights = cells.map((c, i) => doc.heightOfString(c, { width: columns[i]!.width - 6 }));
    const height = Math.max(...heights) + 6;
    if (doc.y + height > bottom()) {
      doc.addPage();
      doc.y = doc.page.margins.top;
    }
    const y = doc.y;
    let x = left;
    cells.forEach((cell, i) => {
      doc.text(cell, x + 3, y + 3, { width: columns[i]!.width - 6, align: columns[i]!.align });
      x += columns[i]!.width;
    });
    doc.moveTo(left, y + height).lineTo(left + width, y + height).lineWidth(0.5).strokeColor('#888888').stroke();
    doc.y = y + height;
  };
  drawRow(
    columns.map((c) => c.title),
    'bold',
  );
  if (invoice.lines.length === 0) {
    drawRow(['1', correction ? 'Korekta' : 'Usługi wodno-kanalizacyjne', '', '', '', plMoney(invoice.amount, invoice.currency)], 'regular');
  }
  invoice.lines.forEach((line, i) => {
    drawRow(
      [
        String(i + 1),
        line.description,
        plNumber(line.quantity, Math.min(3, line.quantity.split('.')[1]?.length ?? 0)),
        line.unit,
        plMoney(line.unitPrice, invoice.currency),
        plMoney(line.amount, invoice.currency),
      ],
      'regular',
    );
  });
  doc.moveDown(1);

  // Totals, then how to pay: all on one page, so it starts a new one when there is no room.
  if (doc.y + 210 > bottom()) {
    doc.addPage();
    doc.y = doc.page.margins.top;
  }
  const totals: Array<[string, string, 'regular' | 'bold']> = [
    [correction ? 'Kwota korekty' : 'Razem do zapłaty', plMoney(invoice.amount, invoice.currency), 'bold'],
    ['Zapłacono', plMoney(invoice.paid, invoice.currency), 'regular'],
    ['Pozostało do zapłaty', plMoney(invoice.outstanding, invoice.currency), 'bold'],
  ];
  for (const [label, value, font] of totals) {
    const y = doc.y;
    doc.font(font).fontSize(11);
    doc.text(label, left + width - 330, y, { width: 190, align: 'right' });
    doc.text(value, left + width - 130, y, { width: 130, align: 'right' });
    doc.y = y + 18;
  }
  doc.moveDown(1);

  const outstanding = new Decimal(invoice.outstanding);
  doc.font('bold').fontSize(11).text('Płatność przelewem', left, doc.y, { width });
  doc.font('regular').fontSize(10);
  doc.text(`Odbiorca: ${seller.name}, ${seller.street}, ${seller.postCode} ${seller.city}`, { width });
  doc.text(`Numer rachunku: ${formatAccount(seller.account)}`, { width });
  doc.text(`Tytuł przelewu: ${transferTitle(invoice)}`, { width });
  if (outstanding.gt(0)) doc.text(`Kwota: ${plMoney(invoice.outstanding, invoice.currency)} do ${plDate(invoice.dueDate)}`, { width });
  else doc.text('Faktura jest opłacona.', { width });
  doc.moveDown(1.5);
  doc.fontSize(8).fillColor('#444444');
  doc.text('Dokument wygenerowany w internetowym Biurze Obsługi Klienta (IBOK) na podstawie danych systemu rozliczeń.', { width });
  doc.end();
  return done;
}

/** The PDF of a customer's invoice: scoped to the customer, refused for invoices before 2014-06-01. */
export class InvoicePdf {
  constructor(
    private readonly invoices: InvoicesService,
    private readonly customers: CustomersService,
    private readonly seller: Seller,
  ) {}

  async forCustomer(customerId: string, invoiceNumber: string): Promise<{ fileName: string; pdf: Buffer }> {
    const invoice = await this.invoices.forCustomer(customerId, invoiceNumber);
    // Another customer's invoice answers exactly like a missing one.
    if (!invoice) throw commonErrors.create('not_found', `No invoice ${invoiceNumber} on your account.`);
    if (!isPdfAvailable(invoice)) {
      throw pdfErrors.create(
        'pdf_not_available',
        `Invoice ${invoiceNumber} was issued on ${invoice.issueDate}; invoices issued before ${PDF_AVAILABLE_FROM} exist only in the paper archive, so no PDF can be made. Ask the customer office for a copy.`,
      );
    }
    const customer = await this.customers.customerById(customerId);
    if (!customer) throw commonErrors.create('not_found', `No invoice ${invoiceNumber} on your account.`);
    const property = customer.properties.find((p) => p.propertyNumber === invoice.propertyNumber);
    const pdf = await renderInvoicePdf({
      invoice,
      buyer: { name: customer.name, address: customer.address },
      property: { number: invoice.propertyNumber, address: property?.address },
      seller: this.seller,
    });
    return { fileName: pdfFileName(invoice.invoiceNumber), pdf };
  }
}
