import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BILLING_TOKEN, startTestService, type TestService } from '../helpers/service.js';
import { putCustomer, uniqueNumber } from '../helpers/factories.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const address = { street: 'ul. Zamkowa 12', postalCode: '32-600', city: 'Oświęcim' };

function putInvoiceRaw(number: string, body: unknown, token = BILLING_TOKEN) {
  return svc.request('PUT', `/api/billing/invoices/${encodeURIComponent(number)}`, { token, body });
}

function invoiceBody(customerNumber: string, overrides: Record<string, unknown> = {}) {
  return {
    customerNumber,
    propertyId: `P-${customerNumber}`,
    issueDate: '2026-11-01',
    dueDate: '2026-11-15',
    amount: '123.45',
    currency: 'PLN',
    issuedBy: 'office',
    ...overrides,
  };
}

describe('billing feed: authentication', () => {
  it('refuses a missing or wrong token with 401', async () => {
    const none = await svc.request('PUT', '/api/billing/customers/X1', { body: {} });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const wrong = await svc.request('PUT', '/api/billing/customers/X1', { token: 'not-the-token', body: {} });
    expect(wrong.status).toBe(401);
  });

  it('answers 403 when the feed is disabled (no BILLING_API_TOKEN)', async () => {
    const off = await startTestService({ BILLING_API_TOKEN: '' });
    try {
      const res = await off.request('PUT', '/api/billing/customers/X1', { token: 'anything', body: {} });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('billing_feed_disabled');
    } finally {
      await off.close();
    }
  });
});

describe('billing feed: customers', () => {
  it('creates (201) then updates (200) a customer and its properties', async () => {
    const number = uniqueNumber('C');
    const body = { name: 'Anna Nowak', address, properties: [{ id: `P-${number}`, address }] };
    const first = await svc.request('PUT', `/api/billing/customers/${number}`, { token: BILLING_TOKEN, body });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ customerNumber: number, name: 'Anna Nowak', properties: [{ id: `P-${number}` }] });
    const again = await svc.request('PUT', `/api/billing/customers/${number}`, {
      token: BILLING_TOKEN,
      body: { ...body, name: 'Anna Nowak-Kowalska', email: 'anna@example.com' },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ name: 'Anna Nowak-Kowalska', email: 'anna@example.com' });
    const count = await svc.db.knex('customers').where({ customer_number: number }).count('* as n');
    expect(Number(count[0]!.n)).toBe(1);
  });

  it('refuses unknown fields, wrong types and bad postal codes, naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'A', address, properties: [], extra: 1 }, 'unknown field: extra'],
      [{ name: 12, address, properties: [] }, 'name'],
      [{ name: 'A', address: { ...address, postalCode: '32600' }, properties: [] }, 'address.postalCode'],
      [{ name: 'A', address, properties: [{ id: 'P1' }] }, 'properties.0.address'],
    ];
    for (const [body, expected] of cases) {
      const res = await svc.request('PUT', '/api/billing/customers/C-BAD', { token: BILLING_TOKEN, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.message).toContain(expected);
    }
  });

  it('refuses a property that belongs to another customer with 409', async () => {
    const a = uniqueNumber('C');
    const b = uniqueNumber('C');
    await putCustomer(svc, a, `PX-${a}`);
    const res = await svc.request('PUT', `/api/billing/customers/${b}`, {
      token: BILLING_TOKEN,
      body: { name: 'B', address, properties: [{ id: `PX-${a}`, address }] },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('property_of_another_customer');
    expect(await svc.db.knex('customers').where({ customer_number: b }).first()).toBeUndefined();
  });
});

describe('billing feed: invoices and corrections', () => {
  it('issues an invoice (201), accepts the same body again (200), refuses a changed one (409)', async () => {
    const c = uniqueNumber('C');
    await putCustomer(svc, c);
    const number = `FV/2026/11/${c}`;
    const first = await putInvoiceRaw(number, invoiceBody(c, { lines: [{ description: 'Woda', quantity: '10.000', unit: 'm3', unitPrice: '12.35', amount: '123.45' }] }));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ number, amount: '123.45', currency: 'PLN', kind: 'invoice' });
    // Same content, keys in another order: still the same document.
    const same = await putInvoiceRaw(number, {
      lines: [{ amount: '123.45', unit: 'm3', unitPrice: '12.35', quantity: '10.000', description: 'Woda' }],
      ...invoiceBody(c),
    });
    expect(same.status).toBe(200);
    const changed = await putInvoiceRaw(number, invoiceBody(c, { amount: '123.46' }));
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe('document_immutable');
    expect(changed.body.error.details.changedFields).toContain('amount');
    const stored = await svc.db.knex('invoices').where({ invoice_number: number });
    expect(stored).toHaveLength(1);
    expect(stored[0].amount).toBe('123.45');
  });

  it('stores one invoice when the same new invoice is sent 10 times at once', async () => {
    const c = uniqueNumber('C');
    await putCustomer(svc, c);
    const number = `FV/PAR/${c}`;
    const results = await Promise.all(Array.from({ length: 10 }, () => putInvoiceRaw(number, invoiceBody(c))));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(await svc.db.knex('invoices').where({ invoice_number: number })).toHaveLength(1);
  });

  it('refuses bad invoices with a 4xx naming the field', async () => {
    const c = uniqueNumber('C');
    await putCustomer(svc, c);
    const cases: [Record<string, unknown>, number, string][] = [
      [{ amount: 123.45 }, 400, 'amount'],
      [{ amount: '123.4' }, 400, 'amount'],
      [{ amount: '-5.00' }, 400, 'amount'],
      [{ issueDate: '2026-02-30' }, 400, 'issueDate'],
      [{ issueDate: '01.11.2026' }, 400, 'issueDate'],
      [{ dueDate: '2026-10-01' }, 400, 'dueDate'],
      [{ currency: 'EUR' }, 400, 'currency'],
      [{ issuedBy: 'robot' }, 400, 'issuedBy'],
      [{ kind: 'receipt' }, 400, 'kind'],
      [{ surprise: true }, 400, 'surprise'],
      [{ customerNumber: 'NO-SUCH-CUSTOMER' }, 422, 'customerNumber'],
      [{ propertyId: 'NO-SUCH-PROPERTY' }, 422, 'propertyId'],
    ];
    for (const [overrides, status, field] of cases) {
      const res = await putInvoiceRaw(`FV/BAD/${c}`, invoiceBody(c, overrides));
      expect(res.status, JSON.stringify(overrides)).toBe(status);
      const text = JSON.stringify(res.body.error);
      expect(text, JSON.stringify(overrides)).toContain(field);
    }
    expect(await svc.db.knex('invoices').where({ invoice_number: `FV/BAD/${c}` })).toHaveLength(0);
  });

  it("refuses an invoice for another customer's property", async () => {
    const a = uniqueNumber('C');
    const b = uniqueNumber('C');
    await putCustomer(svc, a);
    await putCustomer(svc, b);
    const res = await putInvoiceRaw(`FV/X/${a}`, invoiceBody(a, { propertyId: `P-${b}` }));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('unknown_property');
  });

  it('accepts a negative correction', async () => {
    const c = uniqueNumber('C');
    await putCustomer(svc, c);
    const res = await putInvoiceRaw(`KOR/${c}`, invoiceBody(c, { kind: 'correction', amount: '-20.00' }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'correction', amount: '-20.00' });
  });

  it('refuses a body that is not JSON, malformed JSON, and oversize bodies', async () => {
    const notJson = await svc.request('PUT', '/api/billing/invoices/FV1', {
      token: BILLING_TOKEN,
      rawBody: 'amount=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(notJson.status).toBe(415);
    const malformed = await svc.request('PUT', '/api/billing/invoices/FV1', {
      token: BILLING_TOKEN,
      rawBody: '{"amount": "1.00",',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    const huge = await svc.request('PUT', '/api/billing/invoices/FV1', {
      token: BILLING_TOKEN,
      rawBody: JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
  });
});
