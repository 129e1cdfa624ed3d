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

async function pay(customer: TestCustomer, ref: string, amount: string, invoiceNumbers: string[] = [], receivedOn = '2026-11-10') {
  const row = await svc.db.knex('customers').where({ customer_number: customer.customerNumber }).first();
  const ids = invoiceNumbers.length
    ? (await svc.db.knex('invoices').whereIn('invoice_number', invoiceNumbers).select('id')).map((r) => String(r.id))
    : [];
  return svc.db.knex.transaction((trx) =>
    svc.deps.ledger.recordCredit(
      trx,
      {
        customerId: String(row.id),
        kind: 'payment',
        source: 'test',
        sourceRef: ref,
        documentNumber: ref,
        amount,
        receivedOn,
        hasInvoiceTarget: invoiceNumbers.length > 0,
      },
      ids,
    ),
  );
}

describe('customer portal', () => {
  it('GET /api/me shows the customer and their properties', async () => {
    const c = await createCustomer(svc);
    const me = await svc.request('GET', '/api/me', { token: c.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      customerNumber: c.customerNumber,
      login: c.login,
      address: { postalCode: '32-600', city: 'Oświęcim' },
      properties: [{ id: c.propertyId, contracts: [], meters: [] }],
    });
  });

  it('GET /api/me lists each property with its contracts and meters', async () => {
    const c = await createCustomer(svc);
    const tariff = { code: 'G1', name: 'Gospodarstwa domowe' };
    const contract = await svc.request('PUT', `/api/billing/contracts/UM-${c.customerNumber}`, {
      token: BILLING_TOKEN,
      body: { customerNumber: c.customerNumber, propertyId: c.propertyId, service: 'water_sewage', signedOn: '2020-01-10', validFrom: '2020-02-01', status: 'active', tariff },
    });
    expect(contract.status).toBe(201);
    const meter = await svc.request('PUT', `/api/billing/meters/WM-${c.customerNumber}`, {
      token: BILLING_TOKEN,
      body: {
        customerNumber: c.customerNumber,
        propertyId: c.propertyId,
        kind: 'main',
        status: 'active',
        owner: 'utility',
        registeredOn: '2020-01-15',
        installedOn: '2020-01-20',
        legalisedOn: '2020-01-01',
        legalisationValidUntil: '2026-12-31',
        tariff,
      },
    });
    expect(meter.status).toBe(201);
    const me = await svc.request('GET', '/api/me', { token: c.token });
    expect(me.status).toBe(200);
    expect(me.body.properties).toHaveLength(1);
    expect(me.body.properties[0]).toMatchObject({
      id: c.propertyId,
      contracts: [{ number: `UM-${c.customerNumber}`, service: 'water_sewage', status: 'active', hasScan: false }],
      meters: [{ number: `WM-${c.customerNumber}`, kind: 'main', status: 'active', legalisationWarning: true }],
    });
    // Another customer sees none of them.
    const other = await createCustomer(svc);
    const theirs = await svc.request('GET', '/api/me', { token: other.token });
    expect(theirs.body.properties[0]).toMatchObject({ contracts: [], meters: [] });
  });

  it("shows a customer only their own invoices; another's number answers 404", async () => {
    const a = await createCustomer(svc);
    const b = await createCustomer(svc);
    await putInvoice(svc, `FV/A/${a.customerNumber}`, { ...a, amount: '10.00' });
    await putInvoice(svc, `FV/B/${b.customerNumber}`, { ...b, amount: '20.00' });
    const list = await svc.request('GET', '/api/invoices', { token: a.token });
    expect(list.body.items.map((i: { number: string }) => i.number)).toEqual([`FV/A/${a.customerNumber}`]);
    const own = await svc.request('GET', `/api/invoices/${encodeURIComponent(`FV/A/${a.customerNumber}`)}`, { token: a.token });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ amount: '10.00', outstanding: '10.00', status: 'overdue' });
    const theirs = await svc.request('GET', `/api/invoices/${encodeURIComponent(`FV/B/${b.customerNumber}`)}`, { token: a.token });
    expect(theirs.status).toBe(404);
    const missing = await svc.request('GET', '/api/invoices/NO-SUCH', { token: a.token });
    expect(missing.status).toBe(404);
    expect(theirs.body.error.message).toBe(missing.body.error.message.replace('NO-SUCH', `FV/B/${b.customerNumber}`));
  });

  it('settlements: invoices, payments, overpayment, balance, and the status/kind/date filters', async () => {
    const c = await createCustomer(svc);
    const n = c.customerNumber;
    await putInvoice(svc, `FV/1/${n}`, { ...c, amount: '100.00', issueDate: '2026-09-01', dueDate: '2026-09-15' });
    await putInvoice(svc, `FV/2/${n}`, { ...c, amount: '50.00', issueDate: '2026-10-01', dueDate: '2026-10-15' });
    await putInvoice(svc, `FV/3/${n}`, { ...c, amount: '80.00', issueDate: '2026-11-01', dueDate: '2026-11-25' });
    // Pays FV/1 with 130.00: 30.00 over, used at once for the oldest other invoice (FV/2).
    const result = await pay(c, `PAY-${n}-1`, '130.00', [`FV/1/${n}`]);
    expect(result.allocated).toEqual([
      { invoiceNumber: `FV/1/${n}`, amount: '100.00' },
      { invoiceNumber: `FV/2/${n}`, amount: '30.00' },
    ]);

    const all = await svc.request('GET', '/api/settlements', { token: c.token });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ totalOutstanding: '100.00', availableCredit: '0.00', balance: '100.00' });
    const byNumber = Object.fromEntries(all.body.items.map((i: { documentNumber: string; kind: string }) => [`${i.kind}:${i.documentNumber}`, i]));
    expect(byNumber[`invoice:FV/1/${n}`]).toMatchObject({ paid: '100.00', outstanding: '0.00', paymentDate: '2026-11-10', dueDate: '2026-09-15' });
    expect(byNumber[`invoice:FV/2/${n}`]).toMatchObject({ paid: '30.00', outstanding: '20.00' });
    expect(byNumber[`invoice:FV/3/${n}`]).toMatchObject({ paid: '0.00', outstanding: '80.00', paymentDate: null });
    expect(byNumber[`payment:PAY-${n}-1`]).toMatchObject({ amount: '130.00', paymentDate: '2026-11-10' });

    const unpaid = await svc.request('GET', '/api/settlements?status=unpaid', { token: c.token });
    expect(unpaid.body.items.map((i: { documentNumber: string }) => i.documentNumber).sort()).toEqual([`FV/2/${n}`, `FV/3/${n}`]);
    const paidInvoices = await svc.request('GET', '/api/settlements?status=paid&kind=invoice', { token: c.token });
    expect(paidInvoices.body.items.map((i: { documentNumber: string }) => i.documentNumber)).toEqual([`FV/1/${n}`]);
    const october = await svc.request('GET', '/api/settlements?from=2026-10-01&to=2026-10-31', { token: c.token });
    expect(october.body.items.map((i: { documentNumber: string }) => i.documentNumber)).toEqual([`FV/2/${n}`]);

    // Another 150.00 pays the rest (100.00) and leaves 50.00 of overpayment on the account...
    await pay(c, `PAY-${n}-2`, '150.00', [`FV/3/${n}`], '2026-11-12');
    const after = await svc.request('GET', '/api/settlements', { token: c.token });
    expect(after.body).toMatchObject({ totalOutstanding: '0.00', availableCredit: '50.00', balance: '-50.00' });
    const over = after.body.items.filter((i: { kind: string }) => i.kind === 'overpayment');
    expect(over).toEqual([expect.objectContaining({ documentNumber: `PAY-${n}-2`, amount: '50.00', outstanding: '-50.00' })]);

    // ...which pays the next invoice as soon as the billing system issues it.
    await putInvoice(svc, `FV/4/${n}`, { ...c, amount: '70.00', issueDate: '2026-11-20', dueDate: '2026-12-04' });
    const last = await svc.request('GET', `/api/invoices/${encodeURIComponent(`FV/4/${n}`)}`, { token: c.token });
    expect(last.body).toMatchObject({ paid: '50.00', outstanding: '20.00', status: 'partially_paid' });
    const final = await svc.request('GET', '/api/settlements', { token: c.token });
    expect(final.body).toMatchObject({ totalOutstanding: '20.00', availableCredit: '0.00', balance: '20.00' });
  });

  it('a negative correction becomes a credit used for outstanding invoices', async () => {
    const c = await createCustomer(svc);
    const n = c.customerNumber;
    await putInvoice(svc, `FV/1/${n}`, { ...c, amount: '100.00' });
    await putInvoice(svc, `KOR/1/${n}`, { ...c, kind: 'correction', amount: '-30.00' });
    const s = await svc.request('GET', '/api/settlements', { token: c.token });
    expect(s.body).toMatchObject({ totalOutstanding: '70.00', availableCredit: '0.00', balance: '70.00' });
    const correction = s.body.items.find((i: { documentNumber: string }) => i.documentNumber === `KOR/1/${n}`);
    expect(correction).toMatchObject({ kind: 'correction', amount: '-30.00' });
  });

  it('a payment credited twice under the same source reference is credited once', async () => {
    const c = await createCustomer(svc);
    await putInvoice(svc, `FV/1/${c.customerNumber}`, { ...c, amount: '40.00' });
    const results = await Promise.all(Array.from({ length: 10 }, () => pay(c, `DUP-${c.customerNumber}`, '40.00')));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const s = await svc.request('GET', '/api/settlements', { token: c.token });
    expect(s.body).toMatchObject({ totalOutstanding: '0.00', availableCredit: '0.00' });
  });

  it('pages the settlements newest first with a cursor, the balance on every page', async () => {
    const c = await createCustomer(svc);
    const n = c.customerNumber;
    for (const day of ['01', '02', '03', '04']) {
      await putInvoice(svc, `FV/${day}/${n}`, { ...c, amount: '10.00', issueDate: `2026-10-${day}`, dueDate: `2026-11-${day}` });
    }
    // 25.00 on 2026-10-03 pays the two oldest and leaves 5.00 on the next one: a payment line.
    await pay(c, `PAY-${n}`, '25.00', [], '2026-10-03');
    const whole = await svc.request('GET', '/api/settlements', { token: c.token });
    expect(whole.body.nextCursor).toBeNull();
    const order = whole.body.items.map((i: { kind: string; documentNumber: string }) => `${i.kind}:${i.documentNumber}`);
    expect(order).toEqual([`invoice:FV/04/${n}`, `invoice:FV/03/${n}`, `payment:PAY-${n}`, `invoice:FV/02/${n}`, `invoice:FV/01/${n}`]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await svc.request('GET', `/api/settlements?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: c.token });
      expect(page.status).toBe(200);
      expect(page.body).toMatchObject({ totalOutstanding: '15.00', availableCredit: '0.00', balance: '15.00' });
      seen.push(...page.body.items.map((i: { kind: string; documentNumber: string }) => `${i.kind}:${i.documentNumber}`));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(order);
  });

  it('pages the lines of one day (a payment and its overpayment, a correction and its credit) with every filter', async () => {
    const c = await createCustomer(svc);
    const n = c.customerNumber;
    const day = { issueDate: '2026-10-05', dueDate: '2026-10-20' };
    await putInvoice(svc, `FV/A/${n}`, { ...c, ...day, amount: '40.00' });
    await putInvoice(svc, `FV/B/${n}`, { ...c, ...day, amount: '30.00' });
    // 100.00 pays both and leaves 30.00: a payment and an overpayment under one number and day.
    await pay(c, `PAY/A/${n}`, '100.00', [`FV/A/${n}`], '2026-10-05');
    // Nothing is owed any more: the correction's 10.00 and a payment without target stay as credit.
    await putInvoice(svc, `KOR/A/${n}`, { ...c, ...day, kind: 'correction', amount: '-10.00' });
    await pay(c, `PAY/B/${n}`, '5.00', [], '2026-10-05');
    const totals = { totalOutstanding: '0.00', availableCredit: '45.00', balance: '-45.00' };
    const key = (i: { kind: string; documentNumber: string }) => `${i.kind}:${i.documentNumber}`;

    const whole = await svc.request('GET', '/api/settlements', { token: c.token });
    expect(whole.body).toMatchObject({ ...totals, nextCursor: null });
    expect(whole.body.items.map(key)).toEqual([
      `invoice:FV/A/${n}`,
      `invoice:FV/B/${n}`,
      `correction:KOR/A/${n}`,
      `prepayment:KOR/A/${n}`,
      `overpayment:PAY/A/${n}`,
      `payment:PAY/A/${n}`,
      `payment:PAY/B/${n}`,
      `prepayment:PAY/B/${n}`,
    ]);
    expect(whole.body.items.find((i: { kind: string }) => i.kind === 'overpayment')).toMatchObject({
      amount: '30.00', paid: '0.00', outstanding: '-30.00', paymentDate: '2026-10-05', dueDate: null, currency: 'PLN',
    });
    expect(whole.body.items.find((i: { kind: string; documentNumber: string }) => key(i) === `prepayment:KOR/A/${n}`)).toMatchObject({
      amount: '10.00', outstanding: '-10.00', paymentDate: null,
    });

    for (const query of ['', 'status=paid', 'status=unpaid', 'kind=payment', 'kind=prepayment&from=2026-10-05&to=2026-10-05', 'from=2026-10-06']) {
      const all = await svc.request('GET', `/api/settlements?${query}`, { token: c.token });
      expect(all.status, query).toBe(200);
      for (const limit of [1, 3]) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await svc.request('GET', `/api/settlements?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { token: c.token });
          expect(page.status, query).toBe(200);
          expect(page.body, query).toMatchObject(totals);
          expect(page.body.items.length, query).toBeLessThanOrEqual(limit);
          seen.push(...page.body.items.map(key));
          cursor = page.body.nextCursor;
          pages += 1;
        } while (cursor && pages < 20);
        expect(seen, `${query} limit=${limit}`).toEqual(all.body.items.map(key));
      }
    }

    // A cursor that is not one of ours (a date that is no date), or one past the end: an empty last page.
    for (const key of [['not-a-date', 'X', 'invoice'], ['2000-01-01', '', 'invoice']]) {
      const cursor = Buffer.from(JSON.stringify(key)).toString('base64url');
      const page = await svc.request('GET', `/api/settlements?cursor=${cursor}`, { token: c.token });
      expect(page.status).toBe(200);
      expect(page.body).toEqual({ items: [], nextCursor: null, ...totals });
    }
  });

  it('refuses bad settlement filters with 400 naming the parameter', async () => {
    const c = await createCustomer(svc);
    for (const [query, field] of [
      ['status=open', 'status'],
      ['kind=refund', 'kind'],
      ['from=2026-13-01', 'from'],
      ['from=2026-11-10&to=2026-11-01', 'from'],
      ['page=2', 'page'],
      ['limit=0', 'limit'],
      ['cursor=%2F', 'cursor'],
    ]) {
      const res = await svc.request('GET', `/api/settlements?${query}`, { token: c.token });
      expect(res.status, query).toBe(400);
      expect(res.body.error.message, query).toContain(field);
    }
  });
});
