import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { putCustomer, putInvoice, uniqueNumber } from '../helpers/factories.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { checkPage, launchBrowser, logIn, newContext, screenshot } from './browser.js';

// A real browser on a shared machine: generous limits (each step is awaited, nothing sleeps).
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

let svc: TestService;
let browser: Browser;

beforeAll(async () => {
  [svc, browser] = await Promise.all([startTestService(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

/** A customer with unpaid invoices and a login whose password is already set. */
async function customerWithInvoices(amounts: string[], options: { oneTimePassword?: boolean } = {}) {
  const customerNumber = uniqueNumber('W');
  const propertyId = `P-${customerNumber}`;
  await putCustomer(svc, customerNumber, propertyId);
  const numbers: string[] = [];
  for (const [i, amount] of amounts.entries()) {
    const number = `FV/2026/${customerNumber}/${i + 1}`;
    await putInvoice(svc, number, {
      customerNumber,
      propertyId,
      amount,
      issueDate: `2026-1${i % 2}-0${i + 1}`,
      dueDate: i === 0 ? '2026-11-10' : `2026-12-0${i + 1}`,
    });
    numbers.push(number);
  }
  const customer = await svc.deps.customers.findByNumber(svc.db.knex, customerNumber);
  if (options.oneTimePassword) {
    const created = await svc.deps.auth.createCustomerLogin(undefined, { customerNumber, email: `${customerNumber}@example.com` });
    return { customerNumber, numbers, login: created.login, password: created.oneTimePassword };
  }
  const login = `w-${customerNumber}`;
  const password = 'Wodociagi-Oswiecim-2026';
  await svc.deps.auth.ensureCustomerLogin(svc.db.knex, login, password, customer!.id);
  return { customerNumber, numbers, login, password };
}

async function chooseAndPay(page: Page, numbers: string[]) {
  await page.goto(`${svc.url}/rozrachunki`);
  for (const n of numbers) await page.getByLabel(`Zapłać ${n}`, { exact: true }).check();
  await Promise.all([page.waitForURL((u) => u.origin !== svc.url), page.getByRole('button', { name: 'Zapłać', exact: true }).click()]);
}

describe('the customer office in a browser', () => {
  it('a new customer logs in with the one-time password, must change it first, then sees the dashboard', async () => {
    const c = await customerWithInvoices(['71.28', '65.34'], { oneTimePassword: true });
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${svc.url}/`);
    await checkPage(page, '01-logowanie');

    await logIn(page, svc.url, c.login, c.password);
    expect(new URL(page.url()).pathname).toBe('/haslo');
    expect(await page.locator('h1').innerText()).toBe('Zmiana hasła');
    await checkPage(page, '02-haslo-jednorazowe');

    // Nothing else opens before the password is changed.
    await page.goto(`${svc.url}/rozrachunki`);
    expect(new URL(page.url()).pathname).toBe('/haslo');
    const oldCookies = await context.cookies();

    // A wrong repeat is refused with the reason next to the field.
    await page.getByLabel('Hasło jednorazowe').fill(c.password);
    await page.getByLabel('Nowe hasło', { exact: true }).fill('Kranowka-Zdrowa-Woda-7');
    await page.getByLabel('Powtórz nowe hasło').fill('Kranowka-Zdrowa-Woda-8');
    await page.getByRole('button', { name: 'Zmień hasło' }).click();
    expect(await page.locator('#newPasswordRepeat-err').innerText()).toContain('różni się');
    await checkPage(page, '03-haslo-blad');

    await page.getByLabel('Hasło jednorazowe').fill(c.password);
    await page.getByLabel('Nowe hasło', { exact: true }).fill('Kranowka-Zdrowa-Woda-7');
    await page.getByLabel('Powtórz nowe hasło').fill('Kranowka-Zdrowa-Woda-7');
    await Promise.all([page.waitForURL(`${svc.url}/`), page.getByRole('button', { name: 'Zmień hasło' }).click()]);
    expect(await page.getByRole('status').first().innerText()).toContain('Hasło zostało zmienione');
    expect(await page.locator('h1').innerText()).toContain('Dzień dobry');
    await checkPage(page, '04-pulpit');

    // The session of the one-time password ended with the change.
    const stale = await newContext(browser);
    await stale.addCookies(oldCookies);
    const stalePage = await stale.newPage();
    await stalePage.goto(`${svc.url}/rozrachunki`);
    expect(new URL(stalePage.url()).pathname).toBe('/');
    expect(await stalePage.getByRole('button', { name: 'Zaloguj się' }).count()).toBe(1);
    await stale.close();

    // The new password works; logout ends the session.
    await page.getByRole('button', { name: 'Wyloguj' }).click();
    await page.waitForURL(/wylogowano=1/);
    await page.goto(`${svc.url}/rozrachunki`);
    expect(new URL(page.url()).pathname).toBe('/');
    // Back where the customer wanted to go after logging in.
    expect(new URL(page.url()).search).toBe('?wroc=%2Frozrachunki');
    await page.getByLabel('Login').fill(c.login);
    await page.getByLabel('Hasło', { exact: true }).fill('Kranowka-Zdrowa-Woda-7');
    await Promise.all([page.waitForURL(`${svc.url}/rozrachunki`), page.getByRole('button', { name: 'Zaloguj się' }).click()]);
    await context.close();
  });

  it('the login form can be filled and sent with the keyboard alone, the skip link first', async () => {
    const c = await customerWithInvoices(['10.00']);
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${svc.url}/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Przejdź do treści');
    for (let i = 0; i < 10 && (await page.evaluate('document.activeElement?.id')) !== 'login'; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('login');
    await page.keyboard.type(c.login);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('password');
    await page.keyboard.type(c.password);
    await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
    await page.waitForSelector('h1:has-text("Dzień dobry")');
    await context.close();
  });

  it('wrong passwords are refused in Polish, and the login is throttled like the API', async () => {
    const c = await customerWithInvoices(['10.00']);
    const context = await newContext(browser);
    const page = await context.newPage();
    await logIn(page, svc.url, c.login, 'nie-to-haslo');
    expect(await page.getByRole('alert').innerText()).toBe('Nieprawidłowy login lub hasło.');
    await checkPage(page, '05-logowanie-blad');
    let last = '';
    for (let i = 0; i < 12 && !last.includes('Zbyt wiele'); i++) {
      await logIn(page, svc.url, c.login, `zle-haslo-${i}`);
      last = await page.getByRole('alert').innerText();
    }
    expect(last).toContain('Zbyt wiele nieudanych prób');
    await context.close();
  });

  it('pays two chosen invoices through the bank page and sees them paid on the settlements page', async () => {
    const c = await customerWithInvoices(['71.28', '65.34', '1234.56']);
    const context = await newContext(browser);
    const page = await context.newPage();
    await logIn(page, svc.url, c.login, c.password);
    await page.goto(`${svc.url}/rozrachunki`);
    expect(await page.locator('body').innerText()).toContain('1\u00a0234,56\u00a0zł');
    await checkPage(page, '06-rozrachunki');

    await chooseAndPay(page, [c.numbers[0]!, c.numbers[1]!]);
    const bank = await page.locator('body').innerText();
    expect(bank).toMatch(/136,62\s(zł|PLN)/);
    expect(bank).toMatch(/Zapłata za faktury/);
    await screenshot(page, '07-bank');
    await Promise.all([page.waitForURL((u) => u.origin === svc.url), page.getByRole('button', { name: 'Zapłać' }).click()]);
    expect(new URL(page.url()).pathname).toMatch(/^\/payments\/[0-9a-f-]+\/return$/);
    expect(await page.locator('h1').innerText()).toBe('Płatność zakończona');
    const result = await page.locator('main').innerText();
    expect(result).toContain('zakończona');
    expect(result).toContain('136,62\u00a0zł');
    expect(result).not.toContain('completed');
    await checkPage(page, '08-powrot-zakonczona');

    await page.getByRole('link', { name: 'Wróć do pulpitu' }).click();
    expect(new URL(page.url()).pathname).toBe('/');
    await page.goto(`${svc.url}/rozrachunki?status=paid`);
    const paidRows = page.locator('tbody tr');
    const paidText = await paidRows.allInnerTexts();
    expect(paidText.filter((t) => t.includes(c.numbers[0]!) || t.includes(c.numbers[1]!)).every((t) => t.includes('zapłacona'))).toBe(true);
    expect(paidText.some((t) => t.includes(c.numbers[0]!))).toBe(true);
    expect(paidText.some((t) => t.includes(c.numbers[1]!))).toBe(true);
    await page.goto(`${svc.url}/rozrachunki?status=unpaid`);
    const unpaid = await page.locator('tbody tr').allInnerTexts();
    expect(unpaid).toHaveLength(1);
    expect(unpaid[0]).toContain(c.numbers[2]!);

    // The invoice page shows it paid; the return page without the session shows the status only.
    await page.goto(`${svc.url}/faktury/${encodeURIComponent(c.numbers[0]!)}`);
    expect(await page.locator('main').innerText()).toContain('zapłacona');
    const pdfLink = page.getByRole('link', { name: `Pobierz fakturę ${c.numbers[0]} w formacie PDF` });
    const pdf = await page.request.get(new URL((await pdfLink.getAttribute('href'))!, svc.url).toString());
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
    await checkPage(page, '09-faktura');
    const returnUrl = context.pages()[0]!.url();
    const anonymous = await newContext(browser);
    const anonPage = await anonymous.newPage();
    const paymentId = /payments\/([0-9a-f-]+)\/return/.exec(returnUrl)?.[1];
    if (paymentId) {
      await anonPage.goto(`${svc.url}/payments/${paymentId}/return`);
      const text = await anonPage.locator('main').innerText();
      expect(text).toContain('Płatność zakończona');
      expect(text).not.toContain('136,62');
    }
    await anonymous.close();
    await context.close();
  });

  it('a rejected payment says so in Polish and the invoice can be paid again', async () => {
    const c = await customerWithInvoices(['12.34']);
    const context = await newContext(browser);
    const page = await context.newPage();
    await logIn(page, svc.url, c.login, c.password);
    await chooseAndPay(page, [c.numbers[0]!]);
    await Promise.all([page.waitForURL((u) => u.origin === svc.url), page.getByRole('button', { name: 'Odrzuć' }).click()]);
    expect(await page.locator('h1').innerText()).toBe('Płatność odrzucona');
    expect(await page.locator('main').innerText()).toContain('odrzucona');
    await checkPage(page, '10-powrot-odrzucona');

    await chooseAndPay(page, [c.numbers[0]!]);
    await Promise.all([page.waitForURL((u) => u.origin === svc.url), page.getByRole('button', { name: 'Zapłać' }).click()]);
    expect(await page.locator('h1').innerText()).toBe('Płatność zakończona');
    await page.goto(`${svc.url}/rozrachunki?status=unpaid`);
    expect(await page.locator('main').innerText()).toContain('Brak dokumentów');
    await context.close();
  });

  it('refuses a form posted without its CSRF token (403) and with a wrong one', async () => {
    const c = await customerWithInvoices(['20.00']);
    const context = await newContext(browser);
    const page = await context.newPage();
    await logIn(page, svc.url, c.login, c.password);
    const form = { idempotencyKey: 'k-1', invoiceNumbers: c.numbers[0]! };
    const missing = await page.request.post(`${svc.url}/rozrachunki`, { form, maxRedirects: 0 });
    expect(missing.status()).toBe(403);
    expect(await missing.text()).toContain('Formularz wygasł');
    const wrong = await page.request.post(`${svc.url}/rozrachunki`, { form: { ...form, _csrf: 'x'.repeat(43) }, maxRedirects: 0 });
    expect(wrong.status()).toBe(403);
    const logout = await page.request.post(`${svc.url}/wyloguj`, { form: {}, maxRedirects: 0 });
    expect(logout.status()).toBe(403);
    // Still logged in, and nothing was ordered.
    await page.goto(`${svc.url}/rozrachunki?status=unpaid`);
    expect(await page.locator('main').innerText()).toContain('do zapłaty');
    expect(await svc.deps.payments.pendingByInvoice((await svc.deps.customers.findByNumber(svc.db.knex, c.customerNumber))!.id)).toEqual(new Map());
    // A login form from another site carries no token either.
    const anonymous = await newContext(browser);
    const res = await anonymous.request.post(`${svc.url}/`, { form: { login: c.login, password: c.password }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    await anonymous.close();
    await context.close();
  });

  it('sends every page with a CSP without inline code, no framing, and a strict session cookie', async () => {
    const res = await fetch(`${svc.url}/`);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/ibok_sesja=/);
    expect(cookie.toLowerCase()).toContain('httponly');
    expect(cookie.toLowerCase()).toContain('samesite=lax');
    expect(cookie.toLowerCase()).not.toContain('secure');
    const docs = await fetch(`${svc.url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const missing = await fetch(`${svc.url}/payments/00000000-0000-4000-8000-000000000000/return`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await missing.text()).toContain('Nie znaleziono płatności');
  });

  it('the other customer pages pass axe in both contrast versions, and the contrast choice stays', async () => {
    const c = await customerWithInvoices(['33.00']);
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${svc.url}/wniosek`);
    await checkPage(page, '11-wniosek');
    await page.getByRole('button', { name: 'Wyślij wniosek' }).click();
    expect(await page.locator('.field-error').count()).toBeGreaterThan(0);
    await checkPage(page, '12-wniosek-bledy');
    await logIn(page, svc.url, c.login, c.password);
    await page.goto(`${svc.url}/ustawienia`);
    await checkPage(page, '13-ustawienia');
    await page.goto(`${svc.url}/haslo`);
    await checkPage(page, '14-haslo');
    await page.goto(`${svc.url}/rozrachunki?from=2026-13-01`);
    expect(await page.locator('#f-from-err').innerText()).toContain('nie istnieje');
    await checkPage(page, '15-rozrachunki-filtr-blad');
    await page.goto(`${svc.url}/faktury/NIE-MA-TAKIEJ`);
    expect(await page.locator('h1').innerText()).toBe('Nie znaleziono');
    await checkPage(page, '16-nie-znaleziono');

    // The high-contrast version stays chosen from page to page.
    await page.getByRole('link', { name: 'Wersja z powiększonym kontrastem' }).click();
    await page.goto(`${svc.url}/rozrachunki`);
    expect(await page.locator('html').getAttribute('class')).toBe('kontrast');
    await page.getByRole('link', { name: 'Wersja standardowa' }).click();
    expect(await page.locator('html').getAttribute('class')).toBeNull();
    await context.close();
  });
});
