import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { polishDateTime } from '../../../mocks/paybynet/bankPage.js';
import { ManualClock } from '../../../src/clock.js';
import { expectAccessible, launchBrowser, newContext } from '../../e2e/browser.js';
import { setupGateway, type GatewaySetup } from './helpers.js';

let gw: GatewaySetup;
let browser: Browser;
beforeAll(async () => {
  gw = await setupGateway({ clock: new ManualClock(new Date('2026-12-02T12:00:00Z')) });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

describe('the mock bank page (issue 10 item 4)', () => {
  it('writes moments in Warsaw time the Polish way, in winter and in summer', () => {
    expect(polishDateTime(new Date('2026-12-02T13:05:00Z'))).toBe('2 grudnia 2026, 14:05');
    expect(polishDateTime(new Date('2026-07-15T22:30:00Z'))).toBe('16 lipca 2026, 00:30');
  });

  it('shows the title with its Polish letters and the validity in local time, in Polish, and passes axe (WCAG 2.1 AA)', async () => {
    const registered = await gw.register({ title: 'Zapłata za fakturę FV/2026/ŻÓŁĆ/1', dateValid: new Date('2026-12-02T13:05:00Z') });
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await page.goto(registered.redirectUrl);
      expect(await page.locator('html').getAttribute('lang')).toBe('pl');
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Płatność za pomocą przelewu');
      const text = await page.locator('main').innerText();
      expect(text).toContain('Zapłata za fakturę FV/2026/ŻÓŁĆ/1');
      expect(text).toContain('2 grudnia 2026, 14:05');
      expect(text).toContain('123,45 zł');
      // Every bank choice has its label; the page passes axe.
      await page.getByLabel('mBank').check();
      await expectAccessible(page, 'mock bank page');
      // Paying by keyboard: the Zapłać button takes the payment and sends the browser back.
      await page.getByRole('button', { name: 'Zapłać' }).focus();
      await Promise.all([page.waitForURL(/\/payments\//), page.keyboard.press('Enter')]);
      expect(gw.mock.controls.transaction(registered.paymentId)).toMatchObject({ status: 2203, bank: 'mbank' });
    } finally {
      await context.close();
    }
  });
});
