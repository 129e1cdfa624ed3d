import { Readable } from 'node:stream';
import { renderSimplePdf, type DocumentService } from '../documents/index.js';
import type { ContractService } from './service.js';

/**
 * The demo customer's contracts: water and sewage for the main property with its signed scan (a
 * small PDF made now), and water only for the second property when there is one, without a scan.
 */
export async function seedDemoContracts(
  contracts: ContractService,
  documents: DocumentService,
  options: { customerNumber: string; customerName: string; mainPropertyId: string; secondPropertyId?: string },
): Promise<void> {
  const number = 'UM/2019/00123';
  const scanId = `SKAN-${number.replace(/\//g, '-')}`;
  const scan = await renderSimplePdf(
    `Umowa nr ${number} o zaopatrzenie w wodę i odprowadzanie ścieków`,
    [
      'Zawarta w Oświęcimiu dnia 14 marca 2019 r. pomiędzy Przedsiębiorstwem Wodociągów i Kanalizacji Sp. z o.o. w Oświęcimiu (Dostawca) ' +
        `a ${options.customerName}, odbiorcą nr ${options.customerNumber} (Odbiorca).`,
      '§ 1. Dostawca zobowiązuje się do dostarczania wody i odbioru ścieków z nieruchomości przy ul. Zamkowej 12 w Oświęcimiu.',
      '§ 2. Rozliczenia następują według taryfy, grupa G1 (gospodarstwa domowe), na podstawie wskazań wodomierza głównego.',
      '§ 3. Umowa zostaje zawarta na czas nieokreślony, z mocą od 1 kwietnia 2019 r.',
    ],
    { signature: ['Dostawca', 'Odbiorca'] },
  );
  await documents.feed(
    scanId,
    { title: `Umowa ${number} (skan)`, category: 'contract_scan', customerNumber: options.customerNumber },
    Readable.from([scan]),
    'application/pdf',
  );
  await contracts.feed(number, {
    customerNumber: options.customerNumber,
    propertyId: options.mainPropertyId,
    service: 'water_sewage',
    signedOn: '2019-03-14',
    validFrom: '2019-04-01',
    validTo: null,
    status: 'active',
    tariff: { code: 'G1', name: 'Gospodarstwa domowe' },
    scanDocumentId: scanId,
  });
  if (options.secondPropertyId) {
    await contracts.feed('UM/2023/00456', {
      customerNumber: options.customerNumber,
      propertyId: options.secondPropertyId,
      service: 'water',
      signedOn: '2023-05-22',
      validFrom: '2023-06-01',
      validTo: null,
      status: 'active',
      tariff: { code: 'G1', name: 'Gospodarstwa domowe' },
      scanDocumentId: null,
    });
  }
}
