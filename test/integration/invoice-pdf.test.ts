import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { createCustomer, loginAs, uniqueNumber, type TestCustomer } from '../helpers/factories.js';
import { BILLING_TOKEN, startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
let buyer: TestCustomer;
let other: TestCustomer;
let adminToken: string;

const BUYER_NAME = 'Zażółć Gęślą Jaźń Spółdzielnia Łąka';

beforeAll(async () => {
  svc = await startTestService();
  const number = uniqueNumber('C');
  const put = await svc.request('PUT', `/api/billing/customers/${number}`, {
    token: BILLING_TOKEN,
    body: {
      name: BUYER_NAME,
      address: { street: 'ul. Żółkiewskiego 5', postalCode: '32-600', city: 'Oświęcim' },
      properties: [{ id: `P-${number}`, address: { street: 'ul. Zamkowa 12', postalCode: '32-600', city: 'Oświęcim' } }],
    },
  });
  expect(put.status).toBe(201);
  const row = await svc.db.knex('customers').where({ customer_number: number }).first('id');
  await svc.deps.auth.ensureCustomerLogin(svc.db.knex, `login-${number}`, 'correct-horse-battery', String(row.id));
  buyer = {
    customerNumber: number,
    propertyId: `P-${number}`,
    login: `login-${number}`,
    password: 'correct-horse-battery',
    token: await loginAs(svc, `login-${number}`, 'correct-horse-battery'),
  };
  other = await createCustomer(svc);
  await svc.deps.auth.ensureStaff('pdf-admin', 'admin-password-123', 'admin');
  adminToken = await loginAs(svc, 'pdf-admin', 'admin-password-123');
});
afterAll(async () => {
  await svc?.close();
});

async function issue(number: string, c: TestCustomer, fields: Record<string, unknown> = {}) {
  const res = await svc.request('PUT', `/api/billing/invoices/${encodeURIComponent(number)}`, {
    token: BILLING_TOKEN,
    body: {
      customerNumber: c.customerNumber,
      propertyId: c.propertyId,
      issueDate: '2026-11-17',
      dueDate: '2026-12-02',
      amount: '1234.56',
      currency: 'PLN',
      issuedBy: 'office',
      lines: [
        { description: 'Dostawa wody', quantity: '120.000', unit: 'm3', unitPrice: '5.94', amount: '712.80' },
        { description: 'Odprowadzanie ścieków', quantity: '120.000', unit: 'm3', unitPrice: '4.35', amount: '521.76' },
      ],
      ...fields,
    },
  });
  expect(res.status, res.text).toBe(201);
}

/** The text of every page, as a PDF viewer would let you copy it. */
async function pdfText(bytes: Uint8Array): Promise<{ pages: number; text: string }> {
  const doc = await getDocument({ data: bytes, useSystemFonts: false, isEvalSupported: false }).promise;
  const parts: string[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    parts.push(content.items.map((item) => ('str' in item ? item.str : '')).join(' '));
  }
  await doc.destroy();
  // Polish typography keeps "1 234,56 zł" together with no-break spaces; compare with plain ones.
  return { pages: doc.numPages, text: parts.join('\n').replace(/\u00a0/g, ' ').replace(/\s+/g, ' ') };
}

async function getPdf(number: string, token: string) {
  const res = await fetch(`${svc.url}/api/invoices/${encodeURIComponent(number)}/pdf`, { headers: { authorization: `Bearer ${token}` } });
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

describe('invoice PDF', () => {
  it('renders the invoice: number, buyer with Polish letters, property, lines, totals, dates, account, title, KSeF, paid and outstanding', async () => {
    const number = `FV/2026/11/${uniqueNumber('')}`;
    const ksef = '5490012345-20261117-8A1B2C3D4E5F-7C';
    await issue(number, buyer, { ksefNumber: ksef });
    const customerId = String((await svc.db.knex('customers').where({ customer_number: buyer.customerNumber }).first('id')).id);
    const [inv] = await svc.db.knex('invoices').where({ invoice_number: number }).select('id');
    await svc.db.knex.transaction((trx) =>
      svc.deps.ledger.recordCredit(
        trx,
        {
          customerId,
          kind: 'payment',
          source: 'test',
          sourceRef: `PDF-${number}`,
          documentNumber: `PDF-${number}`,
          amount: '234.56',
          receivedOn: '2026-11-20',
          hasInvoiceTarget: true,
        },
        [String(inv.id)],
      ),
    );

    const { res, bytes } = await getPdf(number, buyer.token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toContain(`filename="Faktura-FV-2026-11-${number.slice(11)}.pdf"`);
    expect(Buffer.from(bytes.subarray(0, 5)).toString()).toBe('%PDF-');
    const { text } = await pdfText(bytes);
    expect(text).toContain(`Faktura nr ${number}`);
    expect(text).toContain(BUYER_NAME);
    expect(text).toContain('ul. Żółkiewskiego 5');
    expect(text).toContain(`${buyer.propertyId}: ul. Zamkowa 12, 32-600 Oświęcim`);
    expect(text).toContain('PWiK Sp. z o.o. w Oświęcimiu');
    expect(text).toContain('NIP: 5490012345');
    expect(text).toContain('Odprowadzanie ścieków');
    expect(text).toContain('4,35 zł');
    expect(text).toContain('Razem do zapłaty 1 234,56 zł');
    expect(text).toContain('Zapłacono 234,56 zł');
    expect(text).toContain('Pozostało do zapłaty 1 000,00 zł');
    expect(text).toContain('Data wystawienia: 17 listopada 2026');
    expect(text).toContain('Termin płatności: 2 grudnia 2026');
    expect(text).toContain('Numer rachunku: 61 1090 1014 0000 0712 1981 2874');
    expect(text).toContain(`Tytuł przelewu: Faktura ${number}, nr klienta ${buyer.customerNumber}`);
    expect(text).toContain(`Numer KSeF: ${ksef}`);
  });

  it('renders a correction with its negative amount and the corrected number, and a long invoice over several pages', async () => {
    const original = uniqueNumber('FV');
    await issue(original, buyer);
    const correction = uniqueNumber('KOR');
    await issue(correction, buyer, {
      kind: 'correction',
      amount: '-10.00',
      correctedInvoiceNumber: original,
      lines: [{ description: 'Korekta zużycia', quantity: '-1.000', unit: 'm3', unitPrice: '10.00', amount: '-10.00' }],
    });
    const kor = await pdfText((await getPdf(correction, buyer.token)).bytes);
    expect(kor.text).toContain(`Faktura korygująca nr ${correction}`);
    expect(kor.text).toContain(`Korygowana faktura: ${original}`);
    expect(kor.text).toContain('Kwota korekty −10,00 zł');

    const long = uniqueNumber('FV');
    const lines = Array.from({ length: 90 }, (_, i) => ({
      description: `Pozycja ${i + 1}: woda ${i % 2 ? 'zimna' : 'ciepła'}`,
      quantity: '1.000',
      unit: 'm3',
      unitPrice: '1.00',
      amount: '1.00',
    }));
    await issue(long, buyer, { amount: '90.00', lines });
    const many = await pdfText((await getPdf(long, buyer.token)).bytes);
    expect(many.pages).toBeGreaterThan(1);
    expect(many.text).toContain('Pozycja 90: woda zimna');
    expect(many.text).toContain('Razem do zapłaty 90,00 zł');
  });

  it('answers 404 pdf_not_available with the reason for an invoice issued before 2014-06-01', async () => {
    const number = uniqueNumber('FV');
    await issue(number, buyer, { issueDate: '2014-05-31', dueDate: '2014-06-14' });
    const res = await svc.request('GET', `/api/invoices/${number}/pdf`, { token: buyer.token });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('pdf_not_available');
    expect(res.body.error.message).toContain('before 2014-06-01');
    const onTheDay = uniqueNumber('FV');
    await issue(onTheDay, buyer, { issueDate: '2014-06-01', dueDate: '2014-06-15' });
    expect((await svc.request('GET', `/api/invoices/${onTheDay}/pdf`, { token: buyer.token })).status).toBe(200);
  });

  it("answers 404 for another customer's invoice and a missing one, 401 without a token, 403 for staff, 400 for a malformed number", async () => {
    const number = uniqueNumber('FV');
    await issue(number, other, { lines: [] });
    expect((await svc.request('GET', `/api/invoices/${number}/pdf`, { token: other.token })).status).toBe(200);
    const theirs = await svc.request('GET', `/api/invoices/${number}/pdf`, { token: buyer.token });
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('not_found');
    expect((await svc.request('GET', '/api/invoices/NO-SUCH/pdf', { token: buyer.token })).status).toBe(404);
    expect((await svc.request('GET', `/api/invoices/${number}/pdf`)).status).toBe(401);
    expect((await svc.request('GET', `/api/invoices/${number}/pdf`, { token: adminToken })).status).toBe(403);
    const bad = await svc.request('GET', '/api/invoices/%20bad/pdf', { token: buyer.token });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('number');
  });
});
