import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BILLING_TOKEN, startTestService, type TestService } from '../helpers/service.js';
import { createCustomer, putInvoice, type TestCustomer } from '../helpers/factories.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

function put(number: string, c: TestCustomer, fields: Record<string, unknown> = {}) {
  return svc.request('PUT', `/api/billing/invoices/${encodeURIComponent(number)}`, {
    token: BILLING_TOKEN,
    body: {
      customerNumber: c.customerNumber,
      propertyId: c.propertyId,
      issueDate: '2026-11-01',
      dueDate: '2026-11-15',
      amount: '100.00',
      currency: 'PLN',
      issuedBy: 'office',
      ...fields,
    },
  });
}

const KSEF = (n: number) => `5492345678-20261101-8A1B2C3D4E${String(n).padStart(2, '0')}-7C`;

describe('invoices: KSeF number and corrected invoice (SPEC 4.1)', () => {
  it('stores ksefNumber and correctedInvoiceNumber and shows them in the feed answer and to the customer', async () => {
    const c = await createCustomer(svc);
    const n = c.customerNumber;
    const first = await put(`FV/K/${n}`, c, { ksefNumber: KSEF(1) });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ ksefNumber: KSEF(1), correctedInvoiceNumber: null, pdfAvailable: true });
    const correction = await put(`KOR/K/${n}`, c, {
      kind: 'correction',
      amount: '-10.00',
      ksefNumber: KSEF(2),
      correctedInvoiceNumber: `FV/K/${n}`,
    });
    expect(correction.status).toBe(201);
    expect(correction.body).toMatchObject({ kind: 'correction', correctedInvoiceNumber: `FV/K/${n}` });

    const detail = await svc.request('GET', `/api/invoices/${encodeURIComponent(`KOR/K/${n}`)}`, { token: c.token });
    expect(detail.body).toMatchObject({ ksefNumber: KSEF(2), correctedInvoiceNumber: `FV/K/${n}`, status: 'credit', pendingPaymentId: null });
    const list = await svc.request('GET', '/api/invoices', { token: c.token });
    expect(list.body.items.find((i: { number: string }) => i.number === `FV/K/${n}`)).toMatchObject({
      ksefNumber: KSEF(1),
      outstanding: '90.00',
    });
  });

  it('the same document with its KSeF number again is 200; another KSeF number is a changed document (409)', async () => {
    const c = await createCustomer(svc);
    const number = `FV/KS/${c.customerNumber}`;
    expect((await put(number, c, { ksefNumber: KSEF(3) })).status).toBe(201);
    expect((await put(number, c, { ksefNumber: KSEF(3) })).status).toBe(200);
    const changed = await put(number, c, { ksefNumber: KSEF(4) });
    expect(changed.status).toBe(409);
    expect(changed.body.error.details.changedFields).toEqual(['ksefNumber']);
  });

  it('refuses a KSeF number another invoice carries (409), a malformed one (400), and a correction of an unknown invoice (422)', async () => {
    const c = await createCustomer(svc);
    const other = await createCustomer(svc);
    const n = c.customerNumber;
    expect((await put(`FV/A/${n}`, c, { ksefNumber: KSEF(5) })).status).toBe(201);
    const taken = await put(`FV/B/${n}`, c, { ksefNumber: KSEF(5) });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: 'ksef_number_taken', details: { field: 'ksefNumber' } });

    const malformed = await put(`FV/C/${n}`, c, { ksefNumber: 'KSEF-1' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toContain('ksefNumber');

    const onInvoice = await put(`FV/D/${n}`, c, { correctedInvoiceNumber: `FV/A/${n}` });
    expect(onInvoice.status).toBe(400);
    expect(onInvoice.body.error.message).toContain('correctedInvoiceNumber');

    await putInvoice(svc, `FV/O/${other.customerNumber}`, { ...other, amount: '5.00' });
    for (const target of ['FV/NOPE', `FV/O/${other.customerNumber}`]) {
      const res = await put(`KOR/X/${n}/${target.length}`, c, { kind: 'correction', amount: '-1.00', correctedInvoiceNumber: target });
      expect(res.status, target).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'unknown_invoice', details: { field: 'correctedInvoiceNumber' } });
    }
    expect(await svc.db.knex('invoices').where('invoice_number', 'like', `%/${n}/%`)).toHaveLength(0);
  });
});

describe('invoices: amounts fit numeric(14,2)', () => {
  it('accepts the largest amount the column holds and refuses one digit more', async () => {
    const c = await createCustomer(svc);
    const max = await put(`FV/MAX/${c.customerNumber}`, c, { amount: '999999999999.99' });
    expect(max.status).toBe(201);
    expect(max.body.amount).toBe('999999999999.99');
    for (const amount of ['1000000000000.00', '1e3', '01.00', '1.001', ' 1.00']) {
      const res = await put(`FV/BIG/${c.customerNumber}`, c, { amount });
      expect(res.status, amount).toBe(400);
      expect(res.body.error.message, amount).toContain('amount');
    }
  });
});

describe('invoices: the customer view', () => {
  it('pdfAvailable is false for invoices issued before 2014-06-01', async () => {
    const c = await createCustomer(svc);
    await put(`FV/OLD/${c.customerNumber}`, c, { issueDate: '2014-05-31', dueDate: '2014-06-14' });
    await put(`FV/NEW/${c.customerNumber}`, c, { issueDate: '2014-06-01', dueDate: '2014-06-15' });
    const old = await svc.request('GET', `/api/invoices/${encodeURIComponent(`FV/OLD/${c.customerNumber}`)}`, { token: c.token });
    const fresh = await svc.request('GET', `/api/invoices/${encodeURIComponent(`FV/NEW/${c.customerNumber}`)}`, { token: c.token });
    expect(old.body.pdfAvailable).toBe(false);
    expect(fresh.body.pdfAvailable).toBe(true);
  });

  it('lists newest first, a page at a time, with a cursor to the next page', async () => {
    const c = await createCustomer(svc);
    for (const day of ['01', '03', '02', '05', '04']) {
      await put(`FV/P${day}/${c.customerNumber}`, c, { issueDate: `2026-10-${day}`, dueDate: `2026-11-${day}` });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = await svc.request('GET', `/api/invoices${qs}`, { token: c.token });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((i: { issueDate: string }) => i.issueDate.slice(8)));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['05', '04', '03', '02', '01']);
    for (const bad of ['limit=0', 'limit=501', 'limit=x', 'cursor=%2F%2F']) {
      const res = await svc.request('GET', `/api/invoices?${bad}`, { token: c.token });
      expect(res.status, bad).toBe(400);
    }
  });

  it('a listener registered with onIssued runs once per new document, in its transaction', async () => {
    const c = await createCustomer(svc);
    const seen: string[] = [];
    svc.deps.invoices.onIssued(async (trx, issued) => {
      for (const invoice of issued) {
        if (invoice.customerNumber !== c.customerNumber) continue;
        // Inside the transaction the new row is visible.
        const row = await trx('invoices').where({ invoice_number: invoice.invoiceNumber }).first();
        seen.push(`${invoice.invoiceNumber}:${row ? 'visible' : 'missing'}`);
        if (invoice.invoiceNumber.startsWith('FV/FAIL')) throw new Error('listener failed');
      }
    });
    await put(`FV/L/${c.customerNumber}`, c);
    await put(`FV/L/${c.customerNumber}`, c); // the same again: not new
    const failed = await put(`FV/FAIL/${c.customerNumber}`, c);
    expect(failed.status).toBe(500);
    expect(seen).toEqual([`FV/L/${c.customerNumber}:visible`, `FV/FAIL/${c.customerNumber}:visible`]);
    // The failing listener undid the whole request.
    expect(await svc.db.knex('invoices').where({ invoice_number: `FV/FAIL/${c.customerNumber}` })).toHaveLength(0);
  });
});
