import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCustomer, putInvoice } from '../helpers/factories.js';
import { createPayment } from '../helpers/payments.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { checkPage, launchBrowser, logIn, newContext } from './browser.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

let svc: TestService;
let browser: Browser;

beforeAll(async () => {
  [svc, browser] = await Promise.all([startTestService(), launchBrowser()]);
  await svc.deps.auth.ensureStaff('ksiegowa', 'Rozliczenia-Oswiecim-2026', 'accounting');
  await svc.deps.auth.ensureStaff('biuro', 'Biuro-Obslugi-Oswiecim-2026', 'admin');
});

afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

describe('staff pages', () => {
  it('accounting reconciles a day, downloads the CSV and imports a bank statement', async () => {
    // The mock gateway learns the merchant's keys from a first transaction.
    const customer = await createCustomer(svc);
    await putInvoice(svc, `FV/2026/${customer.customerNumber}/1`, { customerNumber: customer.customerNumber, propertyId: customer.propertyId, amount: '10.00' });
    expect((await createPayment(svc, customer)).status).toBe(201);
    const context = await newContext(browser);
    const page = await context.newPage();
    await logIn(page, svc.url, 'ksiegowa', 'Rozliczenia-Oswiecim-2026');
    expect(await page.locator('h1').innerText()).toBe('Panel pracownika');
    await page.getByRole('link', { name: 'Uzgodnienia', exact: true }).click();
    await checkPage(page, '30-uzgodnienia');
    await page.getByLabel('Data rozliczenia').fill('2026-11-19');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Uzgodnij' }).click()]);
    expect(new URL(page.url()).pathname).toBe('/ksiegowosc/uzgodnienia/2026-11-19');
    expect(await page.locator('h1').innerText()).toBe('Uzgodnienie z 19 listopada 2026');
    await checkPage(page, '31-uzgodnienie');
    const csv = await page.request.get(`${svc.url}/ksiegowosc/uzgodnienia/2026-11-19.csv`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toContain('text/csv');

    await page.goto(`${svc.url}/ksiegowosc/uzgodnienia`);
    await page.getByLabel('Plik wyciągu').setInputFiles(path.join('test/fixtures/mt940/pekao-iso88592.sta'));
    await page.getByRole('button', { name: 'Importuj' }).click();
    await page.waitForSelector('h1');
    expect(await page.locator('h1').innerText()).toBe('Wyciąg bankowy');
    expect(await page.locator('.notice-ok').innerText()).toContain('zaimportowany');
    expect(await page.locator('tbody tr').count()).toBeGreaterThan(0);
    await checkPage(page, '32-wyciag');

    // A customer page is not for staff; a staff page is not for a visitor.
    const refused = await page.request.get(`${svc.url}/rozrachunki`);
    expect(refused.status()).toBe(403);
    const visitor = await newContext(browser);
    const res = await visitor.request.get(`${svc.url}/ksiegowosc/uzgodnienia`, { maxRedirects: 0 });
    expect(res.status()).toBe(303);
    // A multipart post to a form without files is refused, and a file without the token too.
    const noToken = await page.request.post(`${svc.url}/ksiegowosc/wyciagi`, {
      multipart: { statement: { name: 'a.sta', mimeType: 'text/plain', buffer: fs.readFileSync('test/fixtures/mt940/pekao-iso88592.sta') } },
      maxRedirects: 0,
    });
    expect(noToken.status()).toBe(403);
    await visitor.close();
    await context.close();
  });

  it('the office sees the failed e-mails and SMS', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await logIn(page, svc.url, 'biuro', 'Biuro-Obslugi-Oswiecim-2026');
    await page.getByRole('link', { name: 'Nieudane wysyłki', exact: true }).click();
    expect(await page.locator('h1').innerText()).toBe('Nieudane wysyłki');
    await checkPage(page, '33-nieudane-wysylki');
    await context.close();
  });
});
