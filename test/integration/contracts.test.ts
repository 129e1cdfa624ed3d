import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, loginAs, uniqueNumber, type TestCustomer } from '../helpers/factories.js';
import { samplePdf } from '../helpers/files.js';
import { BILLING_TOKEN, startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
let a: TestCustomer;
let b: TestCustomer;
let adminToken: string;
beforeAll(async () => {
  svc = await startTestService();
  a = await createCustomer(svc);
  b = await createCustomer(svc);
  await svc.deps.auth.ensureStaff('contract-admin', 'admin-password-123', 'admin');
  adminToken = await loginAs(svc, 'contract-admin', 'admin-password-123');
});
afterAll(async () => {
  await svc?.close();
});

function body(c: TestCustomer, extra: Record<string, unknown> = {}) {
  return {
    customerNumber: c.customerNumber,
    propertyId: c.propertyId,
    service: 'water_sewage',
    signedOn: '2020-03-02',
    validFrom: '2020-04-01',
    status: 'active',
    tariff: { code: 'G1', name: 'Gospodarstwa domowe' },
    ...extra,
  };
}

function putContract(number: string, payload: unknown, token = BILLING_TOKEN) {
  return svc.request('PUT', `/api/billing/contracts/${encodeURIComponent(number)}`, { token, body: payload });
}

async function putScan(c: TestCustomer, pdf = samplePdf('scan')): Promise<string> {
  const id = uniqueNumber('SCAN');
  const res = await svc.request('PUT', `/api/billing/documents/${id}?title=Skan%20umowy&category=contract_scan&customerNumber=${c.customerNumber}`, {
    token: BILLING_TOKEN,
    rawBody: pdf,
    headers: { 'content-type': 'application/pdf' },
  });
  expect(res.status).toBe(201);
  return id;
}

describe('contracts: the billing feed', () => {
  it('creates (201), takes the same body again without a change (200), and keeps each change in the history', async () => {
    const number = `UM/${uniqueNumber('K')}`;
    const first = await putContract(number, body(a));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ contractNumber: number, customerNumber: a.customerNumber, version: 1, changed: true });
    const again = await putContract(number, body(a));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ version: 1, changed: false });
    const terminated = await putContract(number, body(a, { status: 'terminated', validTo: '2026-10-31' }));
    expect(terminated.status).toBe(200);
    expect(terminated.body).toMatchObject({ version: 2, changed: true, contract: { status: 'terminated', validTo: '2026-10-31' } });
    const history = await svc.deps.contracts.history(number);
    expect(history.map((h) => [h.version, h.body.status])).toEqual([
      [1, 'active'],
      [2, 'terminated'],
    ]);
  });

  it('takes a scan that names a fed document, and refuses one not fed (422 naming scanDocumentId)', async () => {
    const scan = await putScan(a);
    const number = uniqueNumber('K');
    const res = await putContract(number, body(a, { scanDocumentId: scan }));
    expect(res.status).toBe(201);
    expect(res.body.contract.hasScan).toBe(true);
    const unknown = await putContract(uniqueNumber('K'), body(a, { scanDocumentId: 'NO-SUCH-SCAN' }));
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({ code: 'reference_not_found', details: [{ field: 'scanDocumentId' }] });
    expect(unknown.body.error.message).toContain('NO-SUCH-SCAN');
    const othersScan = await putContract(uniqueNumber('K'), body(b, { scanDocumentId: scan }));
    expect(othersScan.status).toBe(422);
    expect(othersScan.body.error.details).toEqual([{ field: 'scanDocumentId', message: "another customer's document" }]);
  });

  it('refuses an unknown customer or property, or a property of another customer (422 naming the field)', async () => {
    const noCustomer = await putContract(uniqueNumber('K'), body(a, { customerNumber: 'NO-SUCH' }));
    expect(noCustomer.status).toBe(422);
    expect(noCustomer.body.error).toMatchObject({ code: 'unknown_customer', details: { field: 'customerNumber' } });
    const noProperty = await putContract(uniqueNumber('K'), body(a, { propertyId: 'P-NO-SUCH' }));
    expect(noProperty.status).toBe(422);
    expect(noProperty.body.error).toMatchObject({ code: 'unknown_property', details: { field: 'propertyId' } });
    const othersProperty = await putContract(uniqueNumber('K'), body(a, { propertyId: b.propertyId }));
    expect(othersProperty.status).toBe(422);
    expect(othersProperty.body.error).toMatchObject({ code: 'unknown_property', details: { field: 'propertyId' } });
  });

  it('names each bad field with 400', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ service: 'gas' }, 'service'],
      [{ status: 'paused' }, 'status'],
      [{ signedOn: '2020-02-30' }, 'signedOn'],
      [{ validFrom: 'tomorrow' }, 'validFrom'],
      [{ validTo: '2019-01-01' }, 'validTo'],
      [{ tariff: { code: 'G1' } }, 'tariff.name'],
      [{ tariff: { code: '', name: 'x' } }, 'tariff.code'],
      [{ scanDocumentId: 'bad id!' }, 'scanDocumentId'],
      [{ colour: 'blue' }, 'colour'],
    ];
    for (const [extra, field] of cases) {
      const res = await putContract(uniqueNumber('K'), body(a, extra));
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.message).toContain(field);
    }
    const { customerNumber: _omit, ...noCustomer } = body(a);
    const missing = await putContract(uniqueNumber('K'), noCustomer);
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('customerNumber');
    const badNumber = await putContract(' spaced', body(a));
    expect(badNumber.status).toBe(400);
    expect(badNumber.body.error.message).toContain('contractNumber');
  });

  it('answers 401 without the billing token or with a customer token', async () => {
    const none = await svc.request('PUT', `/api/billing/contracts/${uniqueNumber('K')}`, { body: body(a) });
    expect(none.status).toBe(401);
    expect((await putContract(uniqueNumber('K'), body(a), a.token)).status).toBe(401);
  });
});

describe('contracts: customers', () => {
  it('lists and shows the customer own contracts with property, dates, tariff and hasScan', async () => {
    const c = await createCustomer(svc);
    const scan = await putScan(c);
    const withScan = `UM/${uniqueNumber('K')}`;
    const old = uniqueNumber('K');
    await putContract(withScan, body(c, { scanDocumentId: scan, validFrom: '2021-01-01' }));
    await putContract(old, body(c, { status: 'terminated', validFrom: '2015-01-01', validTo: '2020-12-31', service: 'water' }));
    const list = await svc.request('GET', '/api/contracts', { token: c.token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((k: { number: string }) => k.number)).toEqual([withScan, old]);
    const one = await svc.request('GET', `/api/contracts/${encodeURIComponent(withScan)}`, { token: c.token });
    expect(one.status).toBe(200);
    expect(one.body).toEqual({
      number: withScan,
      service: 'water_sewage',
      property: { id: c.propertyId, address: { street: 'ul. Zamkowa 1', postalCode: '32-600', city: 'Oświęcim' } },
      signedOn: '2020-03-02',
      validFrom: '2021-01-01',
      validTo: null,
      status: 'active',
      tariff: { code: 'G1', name: 'Gospodarstwa domowe' },
      hasScan: true,
      scanUrl: `/api/contracts/${encodeURIComponent(withScan)}/scan`,
    });
    expect(list.body.items[1]).toMatchObject({ hasScan: false, scanUrl: null, status: 'terminated' });
  });

  it('streams the signed scan with its headers; 404 when the contract has none', async () => {
    const c = await createCustomer(svc);
    const pdf = samplePdf('podpisana umowa');
    const scan = await putScan(c, pdf);
    const number = `UM/${uniqueNumber('K')}`;
    const bare = uniqueNumber('K');
    await putContract(number, body(c, { scanDocumentId: scan }));
    await putContract(bare, body(c));
    const res = await fetch(`${svc.url}/api/contracts/${encodeURIComponent(number)}/scan`, { headers: { authorization: `Bearer ${c.token}` } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(pdf)).toBe(true);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-length')).toBe(String(pdf.length));
    expect(res.headers.get('content-disposition')).toContain(`filename="Umowa UM_${number.slice(3)}.pdf"`);
    const etag = res.headers.get('etag')!;
    const cached = await svc.request('GET', `/api/contracts/${encodeURIComponent(number)}/scan`, { token: c.token, headers: { 'if-none-match': etag } });
    expect(cached.status).toBe(304);
    const none = await svc.request('GET', `/api/contracts/${bare}/scan`, { token: c.token });
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('contract_scan_not_found');
    // The scan document fed again for another customer is not shown with this contract any more.
    await svc.request('PUT', `/api/billing/documents/${scan}?title=Skan&category=contract_scan&customerNumber=${b.customerNumber}`, {
      token: BILLING_TOKEN,
      rawBody: pdf,
      headers: { 'content-type': 'application/pdf' },
    });
    const moved = await svc.request('GET', `/api/contracts/${encodeURIComponent(number)}/scan`, { token: c.token });
    expect(moved.status).toBe(404);
    expect(moved.body.error.code).toBe('contract_scan_not_found');
  });

  it("answers 404 for another customer's contract and its scan, 401 without a token, 403 for staff", async () => {
    const scan = await putScan(b);
    const number = uniqueNumber('K');
    await putContract(number, body(b, { scanDocumentId: scan }));
    for (const path of [`/api/contracts/${number}`, `/api/contracts/${number}/scan`]) {
      const theirs = await svc.request('GET', path, { token: a.token });
      expect(theirs.status, path).toBe(404);
      expect(theirs.body.error.code).toBe('contract_not_found');
      expect((await svc.request('GET', path)).status).toBe(401);
      expect((await svc.request('GET', path, { token: adminToken })).status).toBe(403);
    }
    expect((await svc.request('GET', '/api/contracts')).status).toBe(401);
    expect((await svc.request('GET', '/api/contracts', { token: adminToken })).status).toBe(403);
    const missing = await svc.request('GET', '/api/contracts/NO-SUCH', { token: a.token });
    expect(missing.status).toBe(404);
    const bad = await svc.request('GET', '/api/contracts/%20x', { token: a.token });
    expect(bad.status).toBe(400);
  });

  it('is offered to pages and /api/me through the service', async () => {
    const c = await createCustomer(svc);
    await putContract(uniqueNumber('K'), body(c));
    const row = await svc.db.knex('customers').where({ customer_number: c.customerNumber }).first('id');
    const contracts = await svc.deps.contracts.contractsOfCustomer(String(row.id));
    expect(contracts).toHaveLength(1);
    expect(contracts[0]).toMatchObject({ propertyNumber: c.propertyId, status: 'active' });
    const byProperty = await svc.deps.contracts.contractsByProperty(String(row.id));
    expect([...byProperty.keys()]).toEqual([c.propertyId]);
  });
});
