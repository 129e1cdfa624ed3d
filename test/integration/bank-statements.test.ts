import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import { createCustomer, loginAs, putInvoice, type TestCustomer } from '../helpers/factories.js';
import { ownFixture, realFixture } from '../unit/bankStatements/fixtures.js';

// The PKO fixture is a statement of a second account of the utility, and its payout names this
// merchant id; the mBank IPH export's account is added so that real file can be imported.
const PKO_ACCOUNT = '59102028920000540200001234';
const MBANK_IPH_ACCOUNT = '45114011370000310211001001';

let svc: TestService;
let accounting: string;
let kowalski: TestCustomer;
let wisniewski: TestCustomer;
let gwarant: TestCustomer;

beforeAll(async () => {
  svc = await startTestService({ MERCHANT_ID: '5490001234', BANK_ACCOUNTS: `${PKO_ACCOUNT}, ${MBANK_IPH_ACCOUNT}` });
  await svc.deps.auth.ensureStaff('acc-bank', 'accounting-pass-1', 'accounting');
  accounting = await loginAs(svc, 'acc-bank', 'accounting-pass-1');
  // No payment is made in this file, so the mock gateway learns the merchant's keys here.
  svc.gateway.controls.registerMerchant('5490001234', `${svc.url}/.well-known/jwks.json`);
  kowalski = await createCustomer(svc);
  await putInvoice(svc, 'FV/2026/11/000123', { ...kowalski, amount: '1250.00', dueDate: '2026-11-15' });
  await putInvoice(svc, 'FV/2026/11/000124', { ...kowalski, amount: '310.20', dueDate: '2026-11-16' });
  wisniewski = await createCustomer(svc);
  await putInvoice(svc, 'FV/2026/12/000456', { ...wisniewski, amount: '200.00', issueDate: '2026-12-01', dueDate: '2026-12-15' });
  gwarant = await createCustomer(svc);
  await putInvoice(svc, '210F1163', { ...gwarant, amount: '6979.18' });
});
afterAll(async () => {
  await svc?.close();
});

function post(body: Buffer | string, contentType = 'application/octet-stream') {
  return svc.request('POST', '/api/bank-statements', { token: accounting, rawBody: body, headers: { 'content-type': contentType } });
}

async function bankCredits(): Promise<number> {
  const rows = await svc.db.knex('ledger_credits').where({ source: 'bank' }).count<{ n: string | number }[]>('* as n');
  return Number(rows[0]!.n);
}

type Line = { reference: string; amount: string; title: string; classification: string; [k: string]: unknown };
const summary = (lines: Line[]) => lines.map((l) => `${l.classification} ${l.amount}`);

describe('bank statement import', () => {
  let pkoId: string;

  it('PKO BP style (SWIFT envelope, Windows-1250): payout, invoice payments, an unmatched line and a duplicate', async () => {
    const res = await post(ownFixture('pko-envelope-cp1250.sta'), 'text/plain; charset=windows-1250');
    expect(res.status).toBe(201);
    pkoId = res.body.statementId;
    expect(pkoId).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body).toMatchObject({ importedBy: 'acc-bank', charset: 'windows-1250' });
    expect(res.body.statements.map((s: { account: string; reference: string }) => `${s.account} ${s.reference}`)).toEqual([
      `${PKO_ACCOUNT} 2611200001`,
      `${PKO_ACCOUNT} 2611210001`,
    ]);
    const lines = res.body.lines as Line[];
    // Debits (the supplier's invoice, the bank's fee) are not listed.
    expect(summary(lines)).toEqual([
      'invoice_payment 1250.00',
      'gateway_payout 48211.37',
      'unmatched 89.50',
      'duplicate 1250.00',
      'invoice_payment 310.20',
    ]);
    expect(lines[0]).toMatchObject({
      reference: '26112000000001',
      account: PKO_ACCOUNT,
      title: 'OPŁATA ZA FAKTURĘ NR FV/2026/11/000123 WODA I ŚCIEKI',
      invoiceNumbers: ['FV/2026/11/000123'],
      customerNumber: kowalski.customerNumber,
      counterpartyName: 'KOWALSKI JAN UL. ŚWIĘTOKRZYSKA 15/3 32-600 OŚWIĘCIM',
      valueDate: '2026-11-20',
    });
    // Not reconciled yet: nothing to compare the payout with.
    expect(lines[1]).toMatchObject({ settlementDate: '2026-11-20', gatewayTotal: null, matchesGatewayTotal: null });
    expect(lines[2]).toMatchObject({ title: 'Zażółć gęślą jaźń: ŚCIEKI ŹRÓDŁO ĄĘ NR KL 00012345', counterpartyName: 'NOWAK ANNA UL. ŹRÓDLANA 4 ŚWIĘTOCHŁOWICE' });
    expect(lines[3]).toMatchObject({ reference: '26112000000001', firstImportedIn: pkoId });
    expect(lines[4]).toMatchObject({ invoiceNumbers: ['FV/2026/11/000124'] });

    // Both invoices are paid, once: the repeated line credited nothing.
    const s = await svc.request('GET', '/api/settlements', { token: kowalski.token });
    expect(s.body).toMatchObject({ totalOutstanding: '0.00', availableCredit: '0.00' });
    expect(s.body.items.filter((i: { kind: string }) => i.kind === 'payment').map((i: { amount: string }) => i.amount).sort()).toEqual(['1250.00', '310.20']);
    expect(await bankCredits()).toBe(2);
  });

  it('the identical file again: 200 with the same statement, nothing credited twice', async () => {
    const before = await bankCredits();
    const again = await post(ownFixture('pko-envelope-cp1250.sta'), 'text/plain; charset=windows-1250');
    expect(again.status).toBe(200);
    expect(again.body.statementId).toBe(pkoId);
    expect(summary(again.body.lines)).toEqual(['invoice_payment 1250.00', 'gateway_payout 48211.37', 'unmatched 89.50', 'duplicate 1250.00', 'invoice_payment 310.20']);
    expect(await bankCredits()).toBe(before);
    const list = await svc.request('GET', '/api/bank-statements', { token: accounting });
    expect(list.body.items.filter((i: { statementId: string }) => i.statementId === pkoId)).toHaveLength(1);
  });

  it('lines already imported from another file are duplicates and credit nothing', async () => {
    const bytes = ownFixture('pko-envelope-cp1250.sta');
    const second = bytes.subarray(bytes.indexOf('{1:', 10)); // the 21 Nov statement alone: a new file
    const before = await bankCredits();
    const res = await post(second);
    expect(res.status).toBe(201);
    expect(res.body.statementId).not.toBe(pkoId);
    expect(res.body.lines.map((l: Line) => [l.classification, l.reference, l.firstImportedIn])).toEqual([
      ['duplicate', '26112000000001', pkoId],
      ['duplicate', '26112100000001', pkoId],
    ]);
    expect(await bankCredits()).toBe(before);
  });

  it("compares the gateway's payout with that date's reconciliation, as it is now", async () => {
    const date = '2026-11-20';
    svc.gateway.controls.addReportRows(date, [
      { paymentId: 'PBN-P-1', id_trans: '0900000001', amount: '48000.00' },
      { paymentId: 'PBN-P-2', id_trans: '0900000002', amount: '211.37' },
    ]);
    const rec = await svc.request('POST', `/api/reconciliation/${date}`, { token: accounting });
    expect(rec.status).toBe(200);
    expect(rec.body.gatewayTotal).toBe('48211.37');
    expect(rec.body.bankPayouts).toEqual([
      { statementId: pkoId, reference: '26112000000002', account: PKO_ACCOUNT, amount: '48211.37', valueDate: '2026-11-20', matchesGatewayTotal: true },
    ]);
    const view = await svc.request('GET', `/api/bank-statements/${pkoId}`, { token: accounting });
    expect(view.status).toBe(200);
    expect(view.body.lines[1]).toMatchObject({ classification: 'gateway_payout', gatewayTotal: '48211.37', matchesGatewayTotal: true });

    svc.gateway.controls.addReportRows(date, [{ paymentId: 'PBN-P-3', id_trans: '0900000003', amount: '1.00' }]);
    expect((await svc.request('POST', `/api/reconciliation/${date}`, { token: accounting })).body.gatewayTotal).toBe('48212.37');
    const after = await svc.request('GET', `/api/bank-statements/${pkoId}`, { token: accounting });
    expect(after.body.lines[1]).toMatchObject({ gatewayTotal: '48212.37', matchesGatewayTotal: false });
  });

  it('Pekao style (ISO-8859-2 detected, `<` subfields): an invoice payment, a reversal and lines without a reference', async () => {
    const res = await post(ownFixture('pekao-iso88592.sta'), 'text/plain');
    expect(res.status).toBe(201);
    expect(res.body.charset).toBe('iso-8859-2');
    const lines = res.body.lines as Line[];
    expect(summary(lines)).toEqual(['unmatched 89.50', 'invoice_payment 150.00', 'unmatched 1000.00', 'unmatched 45.00']);
    expect(lines[0]!.title).toBe('OPŁATA ZA WODĘ I ŚCIEKI LISTOPAD 2026 NR KLIENTA 00012345');
    expect(lines[1]).toMatchObject({ invoiceNumbers: ['FV/2026/12/000456'], customerNumber: wisniewski.customerNumber, valueDate: '2027-01-02' });
    expect(lines[2]!.note).toContain('reverses an earlier debit');
    expect(lines[3]!.reference).toMatch(/^GEN-[0-9A-F]{16}$/);
    const s = await svc.request('GET', '/api/settlements', { token: wisniewski.token });
    expect(s.body.totalOutstanding).toBe('50.00');

    const unmatched = await svc.request('GET', '/api/bank-statements/lines?classification=unmatched', { token: accounting });
    expect(unmatched.status).toBe(200);
    expect(unmatched.body.items.map((l: Line) => l.amount)).toEqual(expect.arrayContaining(['89.50', '1000.00', '45.00']));
    expect(unmatched.body.items.every((l: Line) => l.classification === 'unmatched')).toBe(true);
  });

  it("a real mBank export (keyed :86: text, TNR): credited by the invoice number in the title, keyed by the bank's transaction number", async () => {
    const res = await post(realFixture('mbank-iph.sta'));
    expect(res.status).toBe(201);
    const lines = res.body.lines as Line[];
    expect(lines).toHaveLength(23); // the 24th line is the bank's fee, a debit
    expect(lines[0]).toMatchObject({
      classification: 'invoice_payment',
      amount: '6979.18',
      title: '210F1163',
      reference: 'EL004391-000970/154961063737599.110001',
      counterpartyName: 'GWARANT-CYNKOWANIE SPÓŁKA Z O.O. UL.CIEPŁOWNICZA 27 98-300 WIELUŃ',
      counterpartyAccount: '04105014611000002345271577',
      customerNumber: gwarant.customerNumber,
    });
    expect(lines.slice(1).every((l) => l.classification === 'unmatched')).toBe(true);
    expect(new Set(lines.map((l) => l.reference)).size).toBe(23);
    const s = await svc.request('GET', '/api/settlements', { token: gwarant.token });
    expect(s.body.totalOutstanding).toBe('0.00');
  });

  it("refuses a file with a statement of an account that is not the utility's: 422 naming it, nothing imported", async () => {
    const imports = await svc.db.knex('bank_statement_imports').count<{ n: string | number }[]>('* as n');
    const res = await post(realFixture('mbank-multiple-accounts.sta'));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('foreign_account');
    expect(res.body.error.message).toContain('46114010100000579009004001');
    expect(res.body.error.message).toContain('nothing from the file was imported');
    expect(res.body.error.details.accounts).toHaveLength(8);
    const after = await svc.db.knex('bank_statement_imports').count<{ n: string | number }[]>('* as n');
    expect(Number(after[0]!.n)).toBe(Number(imports[0]!.n));
  });

  it('two imports of one new file at once: one 201, one 200, credited once', async () => {
    const c = await createCustomer(svc);
    const number = `FV/T/${c.customerNumber}`;
    await putInvoice(svc, number, { ...c, amount: '77.00' });
    const file = [
      ':20:TEST/1',
      ':25:/PL61109010140000071219812874',
      ':28C:1/1',
      ':60F:C261120PLN0,00',
      `:61:2611201120C77,00NTRFNONREF//TEST-${c.customerNumber}`,
      `:86:020~00PRZELEW~20Zaplata ${number}~27JAN TESTOWY`,
      ':62F:C261120PLN77,00',
      '-',
    ].join('\r\n');
    const before = await bankCredits();
    const results = await Promise.all([post(file), post(file)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 201]);
    expect(results[0].body.statementId).toBe(results[1].body.statementId);
    expect(results[0].body.lines).toEqual(results[1].body.lines);
    expect(summary(results[0].body.lines)).toEqual(['invoice_payment 77.00']);
    expect(await bankCredits()).toBe(before + 1);
  });

  it('answers bad input with a clear 4xx', async () => {
    const json = await svc.request('POST', '/api/bank-statements', { token: accounting, body: { file: 'x' } });
    expect(json.status).toBe(415);
    expect(json.body.error.code).toBe('unsupported_media_type');
    const empty = await post('');
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain('empty');
    const garbage = await post('Dear accounting,\nplease find attached...\n', 'text/plain');
    expect(garbage.status).toBe(400);
    expect(garbage.body.error.code).toBe('invalid_statement');
    expect(garbage.body.error.message).toContain('line 1');
    const charset = await post(ownFixture('pekao-iso88592.sta'), 'text/plain; charset=koi8-r');
    expect(charset.status).toBe(415);
    expect(charset.body.error.code).toBe('unsupported_charset');
    const mislabelled = await post(ownFixture('pekao-iso88592.sta'), 'text/plain; charset=utf-8');
    expect(mislabelled.status).toBe(400);
    expect(mislabelled.body.error.message).toContain('not valid UTF-8');
    const unbalanced = ownFixture('pekao-iso88592.sta').toString('latin1').replace(':62F:C270102PLN7684,50', ':62F:C270102PLN7684,51');
    const bad = await post(Buffer.from(unbalanced, 'latin1'));
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('balances do not add up');
    const huge = await post(Buffer.alloc(10 * 1024 * 1024 + 1, 0x41), 'text/plain');
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    const unknown = await svc.request('GET', `/api/bank-statements/${'0'.repeat(64)}`, { token: accounting });
    expect(unknown.status).toBe(404);
    const badId = await svc.request('GET', '/api/bank-statements/xyz', { token: accounting });
    expect(badId.status).toBe(400);
    const badFilter = await svc.request('GET', '/api/bank-statements/lines?classification=odd', { token: accounting });
    expect(badFilter.status).toBe(400);
  });
});
