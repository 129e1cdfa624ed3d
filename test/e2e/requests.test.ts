import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { putCustomer, putInvoice, uniqueNumber } from '../helpers/factories.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { checkPage, launchBrowser, logIn, newContext } from './browser.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

let svc: TestService;
let browser: Browser;
let dir: string;

// A real 1×1 PNG: the service checks the bytes, not the name.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

beforeAll(async () => {
  [svc, browser] = await Promise.all([startTestService(), launchBrowser()]);
  await svc.deps.auth.ensureStaff('biuro', 'Biuro-Obslugi-Oswiecim-2026', 'admin');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibok-e2e-'));
});

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function customer(options: { withLogin?: boolean } = { withLogin: true }) {
  const customerNumber = uniqueNumber('R');
  const propertyId = `P-${customerNumber}`;
  await putCustomer(svc, customerNumber, propertyId);
  const invoiceNumber = `FV/2026/${customerNumber}/1`;
  await putInvoice(svc, invoiceNumber, { customerNumber, propertyId, amount: '87.45' });
  const row = await svc.deps.customers.findByNumber(svc.db.knex, customerNumber);
  const login = `r-${customerNumber}`;
  const password = 'Wodociagi-Oswiecim-2026';
  if (options.withLogin) await svc.deps.auth.ensureCustomerLogin(svc.db.knex, login, password, row!.id);
  return { customerNumber, invoiceNumber, login, password };
}

describe('requests and the account application in the browser', () => {
  it('files a complaint with an attachment and sees the office reply', async () => {
    const c = await customer();
    const context = await newContext(browser);
    const page = await context.newPage();
    await logIn(page, svc.url, c.login, c.password);
    await page.getByRole('link', { name: 'Zgłoszenia' }).click();
    await checkPage(page, '40-zgloszenia');
    await page.getByRole('link', { name: 'Nowe zgłoszenie' }).click();
    await checkPage(page, '41-nowe-zgloszenie');

    // Without a subject the form comes back with the reason.
    await page.getByLabel('Treść').fill('Faktura jest za wysoka.');
    await page.getByRole('button', { name: 'Wyślij zgłoszenie' }).click();
    expect(await page.locator('#subject-err').innerText()).toBe('Podaj temat.');

    // A file that is not what it says is refused, and nothing is filed.
    const fake = path.join(dir, 'skan.png');
    fs.writeFileSync(fake, 'to nie jest obraz');
    await page.getByLabel('Temat').fill('Reklamacja faktury – zawyżone zużycie');
    await page.getByLabel('Treść').fill('Faktura jest za wysoka: zużycie nie zgadza się ze stanem licznika.');
    await page.getByLabel('Załączniki (nieobowiązkowo)').setInputFiles(fake);
    await page.getByRole('button', { name: 'Wyślij zgłoszenie' }).click();
    expect(await page.locator('#attachments-err').innerText()).toContain('PDF, PNG albo JPEG');

    const photo = path.join(dir, 'licznik.png');
    fs.writeFileSync(photo, PNG);
    await page.getByLabel('Rodzaj zgłoszenia').selectOption('complaint');
    await page.getByLabel('Temat').fill('Reklamacja faktury – zawyżone zużycie');
    await page.getByLabel('Treść').fill('Faktura jest za wysoka: zużycie nie zgadza się ze stanem licznika.');
    await page.getByLabel('Dotyczy faktury (nieobowiązkowo)').selectOption(c.invoiceNumber);
    await page.getByLabel('Załączniki (nieobowiązkowo)').setInputFiles(photo);
    await page.getByRole('button', { name: 'Wyślij zgłoszenie' }).click();
    await page.waitForSelector('.notice-ok');
    const filed = await page.locator('main').innerText();
    expect(filed).toMatch(/Zgłoszenie ZG\/2026\/\d+ zostało wysłane/);
    expect(filed).toContain('reklamacja');
    expect(filed).toContain('licznik.png');
    await checkPage(page, '42-zgloszenie');
    const id = /zgloszenia\/([0-9a-f-]+)/.exec(page.url())![1]!;
    const attachment = await page.request.get(`${svc.url}/zgloszenia/${id}/zalaczniki/1`);
    expect(attachment.status()).toBe(200);
    expect(attachment.headers()['content-type']).toBe('image/png');

    // The office finds it in its queue and answers through its own page.
    const office = await newContext(browser);
    const officePage = await office.newPage();
    await logIn(officePage, svc.url, 'biuro', 'Biuro-Obslugi-Oswiecim-2026');
    await officePage.getByRole('link', { name: 'Zgłoszenia', exact: true }).click();
    await checkPage(officePage, '45-biuro-zgloszenia');
    await officePage.locator(`a[href="/biuro/zgloszenia/${id}"]`).click();
    await checkPage(officePage, '46-biuro-zgloszenie');
    await officePage.getByLabel('Treść odpowiedzi').fill('Dzień dobry,\nsprawdziliśmy odczyt i wystawimy korektę faktury.');
    await officePage.getByRole('button', { name: 'Wyślij odpowiedź' }).click();
    await officePage.waitForSelector('.notice-ok');
    await office.close();
    await page.reload();
    const answered = await page.locator('main').innerText();
    expect(answered).toContain('wystawimy korektę faktury');
    expect(answered).toContain('odpowiedziano');
    await checkPage(page, '43-zgloszenie-odpowiedz');
    await page.goto(`${svc.url}/zgloszenia`);
    expect(await page.locator('tbody').innerText()).toContain('odpowiedziano');
    await context.close();
  });

  it('sends the account application with the terms; the office approves it and the one-time password arrives by e-mail', async () => {
    const c = await customer({ withLogin: false });
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${svc.url}/wniosek`);
    await page.getByLabel('Numer klienta').fill(c.customerNumber);
    await page.getByLabel('Imię i nazwisko albo nazwa firmy').fill('Anna Nowak');
    await page.getByLabel('Adres e-mail').fill('anna.nowak@example.com');
    await page.getByLabel('Numer jednej z Twoich faktur').fill(c.invoiceNumber);
    await page.getByLabel('Kwota tej faktury w złotych').fill('87,45');
    await page.getByRole('button', { name: 'Wyślij wniosek' }).click();
    expect(await page.locator('#acceptTerms-err').innerText()).toContain('regulamin');
    await page.getByLabel('Akceptuję regulamin Internetowego Biura Obsługi Klienta').check();
    await page.getByRole('button', { name: 'Wyślij wniosek' }).click();
    await page.waitForSelector('h1:has-text("Dziękujemy")');
    await checkPage(page, '44-wniosek-wyslany');
    await context.close();

    // The office approves it; the one-time password arrives by e-mail and works once.
    const office = await newContext(browser);
    const officePage = await office.newPage();
    await logIn(officePage, svc.url, 'biuro', 'Biuro-Obslugi-Oswiecim-2026');
    await officePage.getByRole('link', { name: 'Wnioski', exact: true }).click();
    expect(await officePage.locator('main').innerText()).toContain(`Anna Nowak – klient ${c.customerNumber}`);
    await checkPage(officePage, '47-biuro-wnioski');
    await Promise.all([officePage.waitForNavigation(), officePage.getByRole('button', { name: 'Zatwierdź wniosek: Anna Nowak' }).click()]);
    await officePage.waitForSelector('.notice-ok');
    expect(await officePage.locator('.notice-ok').innerText()).toContain('anna.nowak@example.com');
    await office.close();
    await svc.deps.notices.deliverDue({ budgetMs: 5_000 });
    const mail = svc.smtp.messages.find((m) => m.to.includes('anna.nowak@example.com') && /Hasło jednorazowe/.test(m.text));
    expect(mail).toBeDefined();
    const login = /Login: (\S+)/.exec(mail!.text)![1]!;
    const oneTimePassword = /Hasło jednorazowe: (\S+)/.exec(mail!.text)![1]!;
    const fresh = await newContext(browser);
    const freshPage = await fresh.newPage();
    await logIn(freshPage, svc.url, login, oneTimePassword);
    expect(new URL(freshPage.url()).pathname).toBe('/haslo');
    await fresh.close();
  });
});
