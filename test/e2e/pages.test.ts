import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { putCustomer, putInvoice, uniqueNumber } from '../helpers/factories.js';
import { BILLING_TOKEN, startTestService, type TestService } from '../helpers/service.js';
import { checkPage, launchBrowser, logIn, newContext } from './browser.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

let svc: TestService;
let browser: Browser;

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

async function feed(method: string, url: string, body: unknown, contentType?: string) {
  const res = await svc.request(method, url, {
    token: BILLING_TOKEN,
    ...(contentType ? { rawBody: body as Buffer, headers: { 'content-type': contentType } } : { body }),
  });
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${res.text}`);
  return res;
}

/** A customer with a meter (legalisation ending soon) and its readings, a contract with a scan, documents. */
async function customerWithEverything() {
  const customerNumber = uniqueNumber('M');
  const propertyId = `P-${customerNumber}`;
  await putCustomer(svc, customerNumber, propertyId);
  await putInvoice(svc, `FV/2026/${customerNumber}/1`, { customerNumber, propertyId, amount: '48.60', issueDate: '2026-11-02', dueDate: '2026-11-30' });
  const serial = `WM-${customerNumber}`;
  await feed('PUT', `/api/billing/meters/${serial}`, {
    customerNumber,
    propertyId,
    kind: 'main',
    status: 'active',
    owner: 'utility',
    registeredOn: '2020-03-01',
    installedOn: '2020-03-02',
    legalisedOn: '2020-02-15',
    legalisationValidUntil: '2026-12-31',
    diameterMm: 15,
    tariff: { code: 'G1', name: 'Gospodarstwa domowe' },
  });
  await feed('POST', '/api/billing/readings', {
    readings: [
      { meterSerial: serial, readOn: '2026-07-01', type: 'actual', value: '100.000' },
      { meterSerial: serial, readOn: '2026-08-01', type: 'actual', value: '108.500' },
      { meterSerial: serial, readOn: '2026-09-01', type: 'remote', value: '115.200' },
      { meterSerial: serial, readOn: '2026-10-01', type: 'estimated', value: '121.000' },
      { meterSerial: serial, readOn: '2026-11-01', type: 'actual', value: '127.300' },
    ],
  });
  const scanId = `SKAN-${customerNumber}`;
  await feed('PUT', `/api/billing/documents/${scanId}?title=${encodeURIComponent('Umowa – skan')}&category=contract_scan&customerNumber=${customerNumber}`, PDF, 'application/pdf');
  await feed('PUT', `/api/billing/documents/CENNIK-${customerNumber}?title=${encodeURIComponent('Cennik wody i ścieków 2026')}&category=price_list`, PDF, 'application/pdf');
  await feed('PUT', `/api/billing/contracts/U-${customerNumber}`, {
    customerNumber,
    propertyId,
    service: 'water_sewage',
    signedOn: '2020-02-20',
    validFrom: '2020-03-01',
    status: 'active',
    tariff: { code: 'G1', name: 'Gospodarstwa domowe' },
    scanDocumentId: scanId,
  });
  const customer = await svc.deps.customers.findByNumber(svc.db.knex, customerNumber);
  const login = `m-${customerNumber}`;
  const password = 'Wodociagi-Oswiecim-2026';
  await svc.deps.auth.ensureCustomerLogin(svc.db.knex, login, password, customer!.id);
  return { customerNumber, serial, login, password, contract: `U-${customerNumber}` };
}

beforeAll(async () => {
  [svc, browser] = await Promise.all([startTestService(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

describe('meters, contracts and documents in the browser', () => {
  it('shows the meter with its readings and an SVG chart, takes a reported reading and shows it', async () => {
    const c = await customerWithEverything();
    const context = await newContext(browser);
    const page = await context.newPage();
    await logIn(page, svc.url, c.login, c.password);
    // The dashboard warns that the legalisation ends soon.
    const dashboard = await page.locator('main').innerText();
    expect(dashboard).toContain(`Wodomierz ${c.serial}`);
    expect(dashboard).toContain('31 grudnia 2026');
    await checkPage(page, '20-pulpit-wodomierz');

    await page.getByRole('link', { name: 'Wodomierze' }).click();
    expect(await page.locator('tbody').innerText()).toContain(c.serial);
    await checkPage(page, '21-wodomierze');

    await page.getByRole('link', { name: c.serial }).click();
    expect(await page.locator('svg.chart rect.bar').count()).toBe(4);
    const readings = await page.locator('main').innerText();
    expect(readings).toContain('127,300\u00a0m³');
    expect(readings).toContain('odczyt inkasenta');
    await checkPage(page, '22-wodomierz');

    // A value below the last reading is refused next to the field.
    await page.getByLabel('Stan licznika w m³').fill('120,5');
    await page.getByRole('button', { name: 'Wyślij odczyt' }).click();
    expect(await page.locator('#r-value-err').innerText()).toContain('niższy niż ostatni');
    await checkPage(page, '23-wodomierz-blad');

    await page.getByLabel('Stan licznika w m³').fill('131,25');
    await page.getByRole('button', { name: 'Wyślij odczyt' }).click();
    await page.waitForSelector('.notice-ok');
    const after = await page.locator('main').innerText();
    expect(after).toContain('odczyt został przyjęty');
    expect(after).toContain('131,250\u00a0m³');
    expect(after).toContain('podany przez klienta');

    // One a day.
    await page.getByLabel('Stan licznika w m³').fill('131,5');
    await page.getByRole('button', { name: 'Wyślij odczyt' }).click();
    expect(await page.locator('#r-value-err').innerText()).toContain('już dziś');
    await context.close();
  });

  it('lists contracts and documents and downloads the scan and a document', async () => {
    const c = await customerWithEverything();
    const context = await newContext(browser);
    const page = await context.newPage();
    await logIn(page, svc.url, c.login, c.password);
    await page.goto(`${svc.url}/umowy`);
    const contracts = await page.locator('main').innerText();
    expect(contracts).toContain(`Umowa ${c.contract}`);
    expect(contracts).toContain('dostawa wody i odprowadzanie ścieków');
    await checkPage(page, '24-umowy');
    const scan = await page.request.get(`${svc.url}/umowy/${c.contract}/skan`);
    expect(scan.status()).toBe(200);
    expect(scan.headers()['content-type']).toBe('application/pdf');
    expect((await scan.body()).subarray(0, 5).toString()).toBe('%PDF-');

    await page.goto(`${svc.url}/dokumenty`);
    const docs = await page.locator('main').innerText();
    expect(docs).toContain('Cennik wody i ścieków 2026');
    await checkPage(page, '25-dokumenty');
    const doc = await page.request.get(`${svc.url}/dokumenty/CENNIK-${c.customerNumber}/pobierz`);
    expect(doc.status()).toBe(200);
    expect(doc.headers()['content-disposition']).toContain('Cennik');

    // Another customer's meter and contract scan are simply not found.
    const other = await customerWithEverything();
    const foreignMeter = await page.request.get(`${svc.url}/wodomierze/${other.serial}`);
    expect(foreignMeter.status()).toBe(404);
    const foreignScan = await page.request.get(`${svc.url}/umowy/${other.contract}/skan`);
    expect(foreignScan.status()).toBe(404);
    await context.close();
  });

  it('subscribes to e-mail notices and confirms the code that was sent', async () => {
    const c = await customerWithEverything();
    const context = await newContext(browser);
    const page = await context.newPage();
    await logIn(page, svc.url, c.login, c.password);
    await page.getByRole('link', { name: 'Powiadomienia' }).click();
    await checkPage(page, '26-powiadomienia');
    await page.getByLabel('Wysyłaj powiadomienia e-mailem').check();
    await page.getByLabel('Adres e-mail').fill(`${c.customerNumber}@example.com`);
    await page.getByRole('button', { name: 'Zapisz' }).click();
    // Without the terms nothing is saved.
    expect(await page.locator('#acceptTerms-err').innerText()).toContain('regulamin');
    await page.getByLabel('Akceptuję regulamin usługi informacyjnej SMS/e-mail').check();
    await page.getByRole('button', { name: 'Zapisz' }).click();
    await page.waitForSelector('.notice-ok');
    expect(await page.locator('.notice-ok').innerText()).toContain('kod potwierdzający');
    await checkPage(page, '27-powiadomienia-kod');

    await page.getByLabel('Kod potwierdzający').fill('000000');
    await page.getByRole('button', { name: 'Potwierdź' }).click();
    expect(await page.locator('#code-email-err').innerText()).toContain('nie zgadza');
    // The code as the e-mail in the outbox carries it.
    const mail = await svc.db.knex('outbox_messages').where({ recipient: `${c.customerNumber.toLowerCase()}@example.com`, template: 'subscription_code' }).first();
    const code = /(\d{6})/.exec(String(mail.body))![1]!;
    await page.getByLabel('Kod potwierdzający').fill(code);
    await page.getByRole('button', { name: 'Potwierdź' }).click();
    await page.waitForSelector('.notice-ok');
    expect(await page.locator('.notice-ok').innerText()).toContain('potwierdzony');
    expect(await page.locator('legend').first().innerText()).toContain('potwierdzony');
    await context.close();
  });
});
