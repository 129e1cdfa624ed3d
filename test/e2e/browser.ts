import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's Chromium, quiet on the network (without these flags it floods the closed network). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export async function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ locale: 'pl-PL', timezoneId: 'Europe/Warsaw', viewport: { width: 1280, height: 900 } });
}

/** Where screenshots go: SCREENSHOT_DIR, or a temporary folder (never committed). */
export const screenshotDir = (() => {
  const dir = process.env.SCREENSHOT_DIR ?? path.join(os.tmpdir(), 'ibok-screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
})();

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

/** axe with the WCAG 2.1 A and AA rules: no violation allowed. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const summary = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join('\n  ')}`);
  expect(summary, `axe violations on ${label}`).toEqual([]);
}

/** Logs in through the form at / (the browser keeps the session cookie). */
export async function logIn(page: Page, baseUrl: string, login: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Login').fill(login);
  await page.getByLabel('Hasło', { exact: true }).fill(password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/' || u.search === ''), page.getByRole('button', { name: 'Zaloguj się' }).click()]);
}

/** Checks a page in both contrast versions (axe) and keeps a screenshot of each. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await expectAccessible(page, `${name} (standard)`);
  await screenshot(page, name);
  const here = new URL(page.url());
  await page.goto(`${here.origin}/kontrast?tryb=wysoki&wroc=${encodeURIComponent(here.pathname + here.search)}`);
  expect(await page.locator('html').getAttribute('class')).toContain('kontrast');
  await expectAccessible(page, `${name} (high contrast)`);
  await screenshot(page, `${name}-kontrast`);
  await page.goto(`${here.origin}/kontrast?tryb=standardowy&wroc=${encodeURIComponent(here.pathname + here.search)}`);
}
