import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { DocumentService } from './service.js';

const require = createRequire(import.meta.url);
const FONT = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const FONT_BOLD = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');

/**
 * A short PDF with a title and paragraphs, in Polish (DejaVu embedded): the demo's documents and
 * contract scan are made at seed time rather than shipped as files. `signature` adds signature lines.
 */
export async function renderSimplePdf(title: string, paragraphs: string[], options: { signature?: [string, string] } = {}): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit'); // loaded when first needed (the demo seed), not at start
  const doc = new PDFDocument({ size: 'A4', margin: 60, lang: 'pl-PL', info: { Title: title } });
  doc.registerFont('regular', FONT);
  doc.registerFont('bold', FONT_BOLD);
  const parts: Buffer[] = [];
  doc.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(parts)));
    doc.on('error', reject);
  });
  doc.font('bold').fontSize(15).text(title);
  doc.moveDown(1);
  doc.font('regular').fontSize(10.5);
  for (const p of paragraphs) {
    doc.text(p, { align: 'justify' });
    doc.moveDown(0.6);
  }
  if (options.signature) {
    doc.moveDown(3);
    const y = doc.y;
    const x = doc.page.margins.left;
    doc.moveTo(x, y).lineTo(x + 180, y).stroke();
    doc.moveTo(x + 290, y).lineTo(x + 470, y).stroke();
    // A hand-drawn-looking stroke over each line stands for the signatures of the scan.
    doc.moveTo(x + 20, y - 4).bezierCurveTo(x + 60, y - 30, x + 90, y + 10, x + 150, y - 14).stroke();
    doc.moveTo(x + 310, y - 6).bezierCurveTo(x + 350, y - 26, x + 400, y + 8, x + 450, y - 10).stroke();
    doc.fontSize(9).text(options.signature[0], x, y + 6, { width: 180, align: 'center' });
    doc.text(options.signature[1], x + 290, y + 6, { width: 180, align: 'center' });
  }
  doc.end();
  return done;
}

async function feedPdf(
  documents: DocumentService,
  id: string,
  meta: { title: string; category: 'price_list' | 'regulations' | 'form' | 'other' | 'contract_scan'; customerNumber?: string },
  pdf: Buffer,
): Promise<void> {
  await documents.feed(id, meta, Readable.from([pdf]), 'application/pdf');
}

/** The demo's documents: a price list, the regulations and a form for everyone, and one of the customer's own. */
export async function seedDemoDocuments(documents: DocumentService, customerNumber: string): Promise<void> {
  await feedPdf(
    documents,
    'CENNIK-2026',
    { title: 'Cennik wody i ścieków 2026', category: 'price_list' },
    await renderSimplePdf('Taryfa dla zbiorowego zaopatrzenia w wodę i zbiorowego odprowadzania ścieków', [
      'Obowiązuje od 1 stycznia 2026 r. na terenie Gminy Miasto Oświęcim.',
      'Grupa G1 (gospodarstwa domowe): woda 5,94 zł/m³ brutto, ścieki 8,12 zł/m³ brutto.',
      'Opłata abonamentowa za wodomierz główny: 4,86 zł miesięcznie brutto.',
      'Grupa G2 (pozostali odbiorcy): woda 6,21 zł/m³ brutto, ścieki 8,54 zł/m³ brutto.',
    ]),
  );
  await feedPdf(
    documents,
    'REGULAMIN-IBOK',
    { title: 'Regulamin Internetowego Biura Obsługi Klienta', category: 'regulations' },
    await renderSimplePdf('Regulamin Internetowego Biura Obsługi Klienta (IBOK)', [
      '§ 1. IBOK umożliwia odbiorcom usług wgląd w rozrachunki, faktury, umowy i odczyty wodomierzy oraz opłacanie należności przez internet.',
      '§ 2. Dostęp do IBOK otrzymuje odbiorca po złożeniu wniosku i akceptacji niniejszego regulaminu; hasło jednorazowe należy zmienić przy pierwszym logowaniu.',
      '§ 3. Zgłoszenia, reklamacje i wnioski złożone przez IBOK są rozpatrywane w terminach określonych w przepisach: reklamacje w ciągu 14 dni.',
    ]),
  );
  await feedPdf(
    documents,
    'WNIOSEK-PRZYLACZENIE',
    { title: 'Wniosek o wydanie warunków przyłączenia', category: 'form' },
    await renderSimplePdf('Wniosek o wydanie warunków przyłączenia do sieci wodociągowej i kanalizacyjnej', [
      'Imię i nazwisko / nazwa wnioskodawcy: ..............................................................',
      'Adres nieruchomości: .............................................................................................',
      'Zapotrzebowanie na wodę (m³/d): ......................   Ilość odprowadzanych ścieków (m³/d): ......................',
      'Do wniosku należy dołączyć plan zabudowy lub szkic sytuacyjny nieruchomości.',
    ]),
  );
  await feedPdf(
    documents,
    `PROTOKOL-${customerNumber}-1`,
    { title: 'Protokół wymiany wodomierza', category: 'other', customerNumber },
    await renderSimplePdf('Protokół wymiany wodomierza', [
      `Odbiorca nr ${customerNumber}, nieruchomość przy ul. Zamkowej 12 w Oświęcimiu.`,
      'Wodomierz zdemontowany: WM-2015-0042, stan 1 204,317 m³. Wodomierz zamontowany: nowy, z ważną legalizacją, stan 0,000 m³.',
      'Plomby założone i sprawdzone. Odbiorca nie wniósł zastrzeżeń.',
    ], { signature: ['Monter PWiK', 'Odbiorca'] }),
  );
}
