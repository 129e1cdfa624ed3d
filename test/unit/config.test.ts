import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('configuration', () => {
  it('serves a demo with no configuration at all', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(c.demoData).toBe(true);
    expect(c.billingApiToken).toBeUndefined();
    expect(c.merchant.account).toMatch(/^\d{26}$/);
  });

  it('turns the demo off by default on a PostgreSQL server', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' }).demoData).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/db', DEMO_DATA: 'true' }).demoData).toBe(true);
  });

  it('normalises accounts and URLs', () => {
    const c = loadConfig({
      MERCHANT_ACCOUNT: 'PL61 1090 1014 0000 0712 1981 2874',
      BANK_ACCOUNTS: '41102028920000000000000001, 61109010140000071219812874',
      PUBLIC_URL: 'https://ibok.example.com/',
    });
    expect(c.merchant.account).toBe('61109010140000071219812874');
    expect(c.bankAccounts).toEqual(['41102028920000000000000001', '61109010140000071219812874']);
    expect(c.publicUrl).toBe('https://ibok.example.com');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://localhost/x' }, 'DATABASE_URL'],
    [{ GATEWAY_URL: 'ftp://gw' }, 'GATEWAY_URL'],
    [{ MERCHANT_ID: '12' }, 'MERCHANT_ID'],
    [{ BANK_ACCOUNTS: '123' }, 'BANK_ACCOUNTS'],
    [{ DEMO_DATA: 'maybe' }, 'DEMO_DATA'],
    [{ ADMIN_LOGIN: 'admin' }, 'ADMIN_PASSWORD'],
    [{ ADMIN_LOGIN: 'admin', ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD'],
    [{ BILLING_API_TOKEN: 'short' }, 'BILLING_API_TOKEN'],
    [{ PAYMENT_VALID_MINUTES: '5' }, 'PAYMENT_VALID_MINUTES'],
  ])('refuses %j naming %s', (env, variable) => {
    let caught: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as ConfigError).message.startsWith(`${variable} is invalid`)).toBe(true);
  });
});
