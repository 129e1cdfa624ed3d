import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { Context } from 'koa';
import * as format from './format.js';
import { csrfToken, takeFlash } from './session.js';
import type { WebUser } from './state.js';

/** The folder of a source asset, also when running the compiled copy in dist/. */
export function sourceDir(name: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, name);
  if (fs.existsSync(beside)) return beside;
  return path.resolve(here, '../../../src/web', name);
}

const eta = new Eta({ views: sourceDir('views'), autoEscape: true, cache: process.env.NODE_ENV !== 'development', autoTrim: false });

export const CONTRAST_COOKIE = 'ibok_kontrast';

export interface NavItem {
  href: string;
  label: string;
}

const CUSTOMER_NAV: NavItem[] = [
  { href: '/', label: 'Pulpit' },
  { href: '/rozrachunki', label: 'Rozrachunki' },
  { href: '/umowy', label: 'Umowy' },
  { href: '/wodomierze', label: 'Wodomierze' },
  { href: '/dokumenty', label: 'Dokumenty' },
  { href: '/zgloszenia', label: 'Zgłoszenia' },
  { href: '/powiadomienia', label: 'Powiadomienia' },
  { href: '/ustawienia', label: 'Ustawienia' },
];

const ADMIN_NAV: NavItem[] = [
  { href: '/', label: 'Pulpit' },
  { href: '/biuro/zgloszenia', label: 'Zgłoszenia' },
  { href: '/biuro/wnioski', label: 'Wnioski' },
  { href: '/biuro/wysylka', label: 'Nieudane wysyłki' },
];

const ACCOUNTING_NAV: NavItem[] = [
  { href: '/', label: 'Pulpit' },
  { href: '/ksiegowosc/uzgodnienia', label: 'Uzgodnienia' },
];

/** Navigation of the logged-in user by role. */
export const navigation = { customer: CUSTOMER_NAV, admin: ADMIN_NAV, accounting: ACCOUNTING_NAV };

function navFor(user: WebUser | undefined): NavItem[] {
  if (!user || user.mustChangePassword) return [];
  return navigation[user.role];
}

function isCurrent(item: NavItem, current: string): boolean {
  return item.href === '/' ? current === '/' : current === item.href || current.startsWith(`${item.href}/`);
}

/** Renders a page inside the layout with what every page needs: the user, CSRF token, contrast, menu. */
export function render(ctx: Context, view: string, data: Record<string, unknown> & { title: string }, status = 200): void {
  const user = ctx.state.webUser as WebUser | undefined;
  const nav = navFor(user).map((item) => ({ ...item, current: isCurrent(item, ctx.path) }));
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = eta.render(`pages/${view}`, {
    ...data,
    user,
    csrf: ctx.session ? csrfToken(ctx) : '',
    contrast: ctx.cookies.get(CONTRAST_COOKIE) === 'wysoki',
    path: ctx.path,
    here: ctx.path + (ctx.querystring ? `?${ctx.querystring}` : ''),
    flash: takeFlash(ctx),
    nav,
    f: format,
  });
}
