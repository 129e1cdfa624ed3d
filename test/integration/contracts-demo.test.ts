import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { seedDemoContracts } from '../../src/contracts/index.js';
import { seedDemoDocuments } from '../../src/documents/index.js';
import { loginAs, uniqueNumber } from '../helpers/factories.js';
import { BILLING_TOKEN, startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

describe('demo contracts and documents', () => {
  it('gives the demo customer a contract with a readable signed scan, a second contract, and documents', async () => {
    const number = uniqueNumber('D');
    const address = { street: 'ul. Zamkowa 12', postalCode: '32-600', city: 'Oświęcim' };
    await svc.request('PUT', `/api/billing/customers/${number}`, {
      token: BILLING_TOKEN,
      body: { name: 'Jan Kowalski', address, properties: [{ id: `${number}-1`, address }, { id: `${number}-2`, address }] },
    });
    const row = await svc.db.knex('customers').where({ customer_number: number }).first('id');
    await svc.deps.auth.ensureCustomerLogin(svc.db.knex, `demo-${number}`, 'correct-horse-battery', String(row.id));
    const token = await loginAs(svc, `demo-${number}`, 'correct-horse-battery');

    await seedDemoDocuments(svc.deps.documents, number);
    await seedDemoContracts(svc.deps.contracts, svc.deps.documents, {
      customerNumber: number,
      customerName: 'Jan Kowalski',
      mainPropertyId: `${number}-1`,
      secondPropertyId: `${number}-2`,
    });

    const contracts = await svc.request('GET', '/api/contracts', { token });
    expect(contracts.body.items.map((c: { number: string; hasScan: boolean }) => [c.number, c.hasScan])).toEqual([
      ['UM/2023/00456', false],
      ['UM/2019/00123', true],
    ]);
    const scan = await fetch(`${svc.url}/api/contracts/${encodeURIComponent('UM/2019/00123')}/scan`, { headers: { authorization: `Bearer ${token}` } });
    expect(scan.status).toBe(200);
    const pdf = await getDocument({ data: new Uint8Array(await scan.arrayBuffer()) }).promise;
    const text = (await (await pdf.getPage(1)).getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join(' ').replace(/\s+/g, ' ');
    expect(text).toContain('Umowa nr UM/2019/00123 o zaopatrzenie w wodę i odprowadzanie ścieków');
    expect(text).toContain('Jan Kowalski');

    const documents = await svc.request('GET', '/api/documents', { token });
    const byId = Object.fromEntries(documents.body.items.map((d: { id: string; category: string; forEveryone: boolean }) => [d.id, [d.category, d.forEveryone]]));
    expect(byId).toMatchObject({
      'CENNIK-2026': ['price_list', true],
      'REGULAMIN-IBOK': ['regulations', true],
      'WNIOSEK-PRZYLACZENIE': ['form', true],
      [`PROTOKOL-${number}-1`]: ['other', false],
      'SKAN-UM-2019-00123': ['contract_scan', false],
    });
  });
});
