import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import { createCustomer, loginAs, putInvoice, type TestCustomer } from '../helpers/factories.js';
import { ownFixture } from '../unit/bankStatements/fixtures.js';

// Issue 12: truncated statements, conflicts, assignment by hand, limits and background import,
// CSV formulas, the payout's counterparty, and inputs that used to answer 500.

const ACCOUNT = '61109010140000071219812874'; // MERCHANT_ACCOUNT's default
const PKO_ACCOUNT = '59102028920000540200001234';
const PAYOUT_ACCOUNT = '11109010140000071219812870';
const MERCHANT_ID = '5490001234';

let svc: TestService;
let accounting: string;
let seq = 0;
let files = 0;

beforeAll(async () => {
  svc = await startTestService({ MERCHANT_ID, BANK_ACCOUNTS: PKO_ACCOUNT, GATEWAY_PAYOUT_ACCOUNTS: PAYOUT_ACCOUNT });
  await svc.deps.auth.ensureStaff('acc-hard', 'accounting-pass-1', 'accounting');
  accounting = await loginAs(svc, 'acc-hard', 'accounting-pass-1');
  svc.gateway.controls.registerMerchant(MERCHANT_ID, `${svc.url}/.well-known/jwks.json`);
});
afterAll(async () => {
  await svc?.close();
});

function post(body: Buffer | string, contentType = 'application/octet-stream') {
  return svc.request('POST', '/api/bank-statements', { token: accounting, rawBody: body, headers: { 'content-type': contentType } });
}

async function count(table: string, where: Record<string, unknown> = {}): Promise<number> {
  const rows = await svc.db.knex(table).where(where).count<{ n: string | number }[]>('* as n');
  return Number(rows[0]!.n);
}

interface Credit {
  reference: string;
  amount: string; // "77,00"
  title: string;
  counterparty?: string; // 26-digit NRB
}

/** A one-statement MT940 file (structured :86: with ~ subfields), closing balance computed. */
function statement(credits: Credit[], options: { ref?: string; closing?: boolean; end?: boolean } = {}): string {
  files += 1;
  let total = 0n;
  const lines = [`:20:${options.ref ?? `HARD/${files}`}`, `:25:/PL${ACCOUNT}`, ':28C:1/1', ':60F:C261120PLN0,00'];
  for (const c of credits) {
    const [whole, frac = '00'] = c.amount.split(',');
    total += BigInt(whole!) * 100n + BigInt(frac.padEnd(2, '0'));
    lines.push(`:61:2611201120C${c.amount}NTRFNONREF//${c.reference}`);
    const title = c.title.match(/.{1,27}/g) ?? [''];
    lines.push(`:86:020~00PRZELEW${title.map((t, i) => `~${20 + i}${t}`).join('')}~27JAN TESTOWY${c.counterparty ? `~38PL${c.counterparty}` : ''}`);
  }
  if (options.closing !== false) lines.push(`:62F:C261120PLN${total / 100n},${String(total % 100n).padStart(2, '0')}`);
  if (options.end !== false) lines.push('-');
  return lines.join('\r\n') + '\r\n';
}

async function customerWith(invoice: string, amount: string): Promise<TestCustomer> {
  const c = await createCustomer(svc);
  await putInvoice(svc, invoice, { ...c, amount });
  return c;
}

async function outstanding(c: TestCustomer): Promise<string> {
  return (await svc.request('GET', '/api/settlements', { token: c.token })).body.totalOutstanding;
}

describe('finding 1: a cut statement never blocks a payment', () => {
  it('refuses the first 150 bytes of a statement with 422 and keeps nothing; the whole file then pays the invoice', async () => {
    const c = await customerWith(`FV/CUT/${++seq}`, '77.00');
    const file = statement([{ reference: `CUT-${seq}`, amount: '77,00', title: `Zaplata FV/CUT/${seq} za wode i scieki listopad` }]);
    const imports = await count('bank_statement_imports');
    const lines = await count('bank_statement_lines');
    for (const cut of [150, file.indexOf(':62F:'), file.indexOf('~27')]) {
      const res = await post(file.slice(0, cut));
      expect(res.status, `cut at ${cut}`).toBe(422);
      expect(res.body.error.code).toBe('statement_truncated');
      expect(res.body.error.message).toMatch(/nothing of it was kept/i);
    }
    expect(await count('bank_statement_imports')).toBe(imports);
    expect(await count('bank_statement_lines')).toBe(lines);

    const full = await post(file);
    expect(full.status).toBe(201);
    expect(full.body.lines.map((l: { classification: string }) => l.classification)).toEqual(['invoice_payment']);
    expect(await outstanding(c)).toBe('0.00');
  });

  it('refuses a SWIFT envelope that is opened and not closed', async () => {
    const bytes = ownFixture('pko-envelope-cp1250.sta');
    const cut = bytes.subarray(0, bytes.lastIndexOf('-}'));
    const res = await post(cut, 'text/plain; charset=windows-1250');
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('statement_truncated');
  });

  it('a bank reference that comes back with other content is a conflict, credited to no one', async () => {
    const c = await customerWith(`FV/CONF/${++seq}`, '50.00');
    const ref = `CONF-${seq}`;
    const first = await post(statement([{ reference: ref, amount: '50,00', title: `FV/CONF/${seq}` }]));
    expect(first.body.lines[0].classification).toBe('invoice_payment');
    const again = await post(statement([{ reference: ref, amount: '50,00', title: `FV/CONF/${seq}` }]));
    expect(again.body.lines[0], JSON.stringify(again.body.lines[0])).toMatchObject({ classification: 'duplicate' });
    const other = await post(statement([{ reference: ref, amount: '500,00', title: `FV/CONF/${seq} inna tresc` }]));
    expect(other.status).toBe(201);
    expect(other.body.lines[0]).toMatchObject({ classification: 'conflict', amount: '500.00', firstImportedIn: first.body.statementId });
    expect(other.body.lines[0].note).toContain('amount');
    expect(await count('ledger_credits', { source: 'bank', customer_id: (await svc.db.knex('customers').where({ customer_number: c.customerNumber }).first()).id })).toBe(1);
  });
});

describe('finding 1: accounting assigns a line by hand', () => {
  it('credits an unmatched line once, with who and when; a second assignment is 409', async () => {
    const c = await customerWith(`FV/HAND/${++seq}`, '120.00');
    const res = await post(statement([{ reference: `HAND-${seq}`, amount: '120,00', title: 'woda za listopad, nr klienta nieczytelny' }]));
    const line = res.body.lines[0];
    expect(line.classification).toBe('unmatched');

    const assign = (body: unknown, id = line.id) => svc.request('POST', `/api/bank-statements/lines/${id}/assign`, { token: accounting, body });
    const done = await assign({ customerNumber: c.customerNumber, invoiceNumbers: [`FV/HAND/${seq}`] });
    expect(done.status, done.text).toBe(200);
    expect(done.body).toMatchObject({
      id: line.id,
      classification: 'unmatched',
      assignment: { customerNumber: c.customerNumber, invoiceNumbers: [`FV/HAND/${seq}`], assignedBy: 'acc-hard' },
    });
    expect(new Date(done.body.assignment.assignedAt).getTime()).toBe(svc.clock.now().getTime());
    expect(done.body.assignment.creditId).toMatch(/^\d+$/);
    expect(await outstanding(c)).toBe('0.00');

    const second = await assign({ customerNumber: c.customerNumber });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('line_already_assigned');
    const twice = await Promise.all([1, 2].map(async () => assign({ customerNumber: c.customerNumber })));
    expect(twice.map((r) => r.status)).toEqual([409, 409]);
    expect(await count('ledger_credits', { source: 'bank', document_number: `BANK/HAND-${seq}` })).toBe(1);

    const view = await svc.request('GET', `/api/bank-statements/${res.body.statementId}`, { token: accounting });
    expect(view.body.lines[0].assignment).toMatchObject({ assignedBy: 'acc-hard', customerNumber: c.customerNumber });
  });

  it('two assignments of one line at once: one credits, the other is 409', async () => {
    const c = await customerWith(`FV/RACE/${++seq}`, '10.00');
    const res = await post(statement([{ reference: `RACE-${seq}`, amount: '10,00', title: 'bez numeru' }]));
    const id = res.body.lines[0].id;
    const both = await Promise.all([1, 2].map(() => svc.request('POST', `/api/bank-statements/lines/${id}/assign`, { token: accounting, body: { customerNumber: c.customerNumber } })));
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await outstanding(c)).toBe('0.00');
  });

  it('assigns a conflict line (its own credit), and refuses lines that are not unmatched or conflict', async () => {
    const c = await customerWith(`FV/CA/${++seq}`, '30.00');
    const ref = `CA-${seq}`;
    const first = await post(statement([{ reference: ref, amount: '30,00', title: `FV/CA/${seq}` }]));
    const conflictRes = await post(statement([{ reference: ref, amount: '31,00', title: 'inna' }]));
    expect(conflictRes.body.lines[0].classification).toBe('conflict');
    const ok = await svc.request('POST', `/api/bank-statements/lines/${conflictRes.body.lines[0].id}/assign`, { token: accounting, body: { customerNumber: c.customerNumber } });
    expect(ok.status).toBe(200);
    expect((await svc.request('GET', '/api/settlements', { token: c.token })).body.availableCredit).toBe('31.00');

    const paid = await svc.request('POST', `/api/bank-statements/lines/${first.body.lines[0].id}/assign`, { token: accounting, body: { customerNumber: c.customerNumber } });
    expect(paid.status).toBe(409);
    expect(paid.body.error.code).toBe('line_not_assignable');
  });

  it('answers bad assignments with a clear 4xx', async () => {
    const mine = await customerWith(`FV/BAD/${++seq}`, '10.00');
    const other = await customerWith(`FV/OTHER/${seq}`, '10.00');
    const res = await post(statement([{ reference: `BAD-${seq}`, amount: '10,00', title: 'cos' }]));
    const url = `/api/bank-statements/lines/${res.body.lines[0].id}/assign`;
    const call = (body: unknown, path = url) => svc.request('POST', path, { token: accounting, body });
    expect((await call({ customerNumber: 'NO-SUCH-CUSTOMER' })).body.error.code).toBe('unknown_assignee');
    const foreign = await call({ customerNumber: mine.customerNumber, invoiceNumbers: [`FV/OTHER/${seq}`] });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.code).toBe('unknown_assignee');
    expect(foreign.body.error.message).toContain(`FV/OTHER/${seq}`);
    expect((await call({ customerNumber: mine.customerNumber, extra: 1 })).status).toBe(400);
    expect((await call({})).status).toBe(400);
    expect((await call({ customerNumber: mine.customerNumber }, '/api/bank-statements/lines/99999999/assign')).status).toBe(404);
    expect((await call({ customerNumber: mine.customerNumber }, '/api/bank-statements/lines/abc/assign')).status).toBe(400);
    const customer = await svc.request('POST', url, { token: mine.token, body: { customerNumber: mine.customerNumber } });
    expect(customer.status).toBe(403);
    expect(await outstanding(mine)).toBe('10.00');
    expect(await outstanding(other)).toBe('10.00');
  });
});

describe('finding 9: the gateway payout is recognised from its account, after our invoice numbers', () => {
  it('a private transfer titled like the payout is not the payout; a title naming an invoice is credited', async () => {
    const c = await customerWith(`FV/PAY/${++seq}`, '99.00');
    const payoutTitle = `PAYBYNET ROZLICZENIE ${MERCHANT_ID} 2026-11-19`;
    const res = await post(
      statement([
        { reference: `PO-A-${seq}`, amount: '1000,00', title: payoutTitle, counterparty: PAYOUT_ACCOUNT },
        { reference: `PO-B-${seq}`, amount: '5,00', title: payoutTitle, counterparty: '04105014611000002345271577' },
        { reference: `PO-C-${seq}`, amount: '99,00', title: `FV/PAY/${seq} ${payoutTitle}`, counterparty: '04105014611000002345271577' },
      ]),
    );
    expect(res.status).toBe(201);
    expect(res.body.lines.map((l: { classification: string }) => l.classification)).toEqual(['gateway_payout', 'unmatched', 'invoice_payment']);
    expect(res.body.lines[1].note).toContain('GATEWAY_PAYOUT_ACCOUNTS');
    expect(await outstanding(c)).toBe('0.00');
  });
});

describe('finding 7: oversized amounts and unstorable text answer 4xx, never 500', () => {
  it('refuses MT940 amounts of 13 to 15 digits', async () => {
    for (const amount of ['1234567890123,00', '123456789012345,00']) {
      const file = statement([{ reference: `BIG-${++seq}`, amount, title: 'x' }], { closing: false });
      const res = await post(file);
      expect(res.status, amount).toBe(400);
      expect(res.body.error.code).toBe('invalid_statement');
      expect(res.body.error.message).toContain('too large');
    }
  });

  it('refuses NUL bytes in a title', async () => {
    const res = await post(statement([{ reference: `NUL-${++seq}`, amount: '1,00', title: 'abc\u0000def' }]));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_statement');
  });

  it('refuses NUL bytes and lone surrogates in a resolution note', async () => {
    const date = '2026-11-05';
    expect((await svc.request('POST', `/api/reconciliation/${date}`, { token: accounting })).status).toBe(200);
    svc.gateway.controls.addReportRows(date, [{ paymentId: 'PBN-H-1', id_trans: '0999999955', amount: '5.00' }]);
    const run = await svc.request('POST', `/api/reconciliation/${date}`, { token: accounting });
    const item = run.body.items[0];
    for (const resolution of ['a\u0000b', 'a\ud800b', '\udc00']) {
      const res = await svc.request('PATCH', `/api/reconciliation/${date}/items/${item.id}`, { token: accounting, body: { resolution } });
      expect(res.status, JSON.stringify(resolution)).toBe(400);
    }
  });
});

describe('finding 6: CSV exports neutralise formulas', () => {
  it('a note or a gateway field starting with = + - @ comes out as text', async () => {
    const date = '2026-11-04';
    svc.gateway.controls.addReportRows(date, [
      { paymentId: '=HYPERLINK("http://evil.example","x")', id_trans: '0999999961', amount: '5.00' },
      { paymentId: 'PBN-CSV-2', id_trans: '0999999962', amount: '6.00' },
    ]);
    const run = await svc.request('POST', `/api/reconciliation/${date}`, { token: accounting });
    expect(run.status).toBe(200);
    const item = run.body.items.find((i: { idTrans: string }) => i.idTrans === '0999999962');
    const notes = ['=HYPERLINK("http://evil.example","kliknij")', '+1+2', '-3+4', '@SUM(A1)'];
    const rows: Record<string, string>[] = [];
    for (const note of notes) {
      await svc.request('PATCH', `/api/reconciliation/${date}/items/${item.id}`, { token: accounting, body: { resolution: note } });
      const res = await fetch(`${svc.url}/api/reconciliation/${date}.csv`, { headers: { authorization: `Bearer ${accounting}` } });
      const parsed = parse<Record<string, string>>(Buffer.from(await res.arrayBuffer()), { bom: true, columns: true });
      rows.push(...parsed.filter((r) => r.idTrans === '0999999962'));
      for (const row of parsed) {
        for (const cell of Object.values(row)) expect(cell, cell).not.toMatch(/^[=+\-@\t\r]/);
      }
      const evil = parsed.find((r) => r.idTrans === '0999999961')!;
      expect(evil.paymentId).toBe(`'=HYPERLINK("http://evil.example","x")`);
    }
    expect(rows.map((r) => r.resolution)).toEqual(notes.map((n) => `'${n}`));
  });
});

describe('finding 5: limits, background import, paged lines', () => {
  it('refuses more than 100,000 lines with 422, nothing kept', async () => {
    const credits: Credit[] = Array.from({ length: 100_001 }, (_, i) => ({ reference: `L${i}`, amount: '1,00', title: 'x' }));
    const file = statement(credits);
    expect(file.length).toBeLessThan(10 * 1024 * 1024);
    const before = await count('bank_statement_imports');
    const res = await post(file);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('statement_too_large');
    expect(res.body.error.message).toContain('100,000');
    expect(await count('bank_statement_imports')).toBe(before);
  });

  it('imports a large file in the background (202 with its URL), pages its lines, and /healthz answers meanwhile', async () => {
    const n = 30_000;
    const c = await customerWith(`FV/BULK/${++seq}`, '1.00');
    const credits: Credit[] = Array.from({ length: n }, (_, i) => ({ reference: `BULK-${seq}-${i}`, amount: '1,00', title: i === 7 ? `FV/BULK/${seq}` : `wplata ${i}` }));
    const file = statement(credits);

    let importing = true;
    let healthy = 0;
    const probe = (async () => {
      while (importing) {
        const res = await fetch(`${svc.url}/healthz`, { signal: AbortSignal.timeout(3000) });
        expect(res.status).toBe(200);
        healthy += 1;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const res = await post(file);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ statementId: expect.stringMatching(/^[0-9a-f]{64}$/), status: 'importing' });
    expect(res.body.url).toBe(`/api/bank-statements/${res.body.statementId}`);
    expect(res.headers.get('location')).toBe(res.body.url);

    let view;
    for (;;) {
      view = await svc.request('GET', `${res.body.url}?limit=2`, { token: accounting });
      expect(view.status).toBe(200);
      if (view.body.status !== 'importing') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    importing = false;
    await probe;
    expect(healthy).toBeGreaterThan(1);
    expect(view.body).toMatchObject({ status: 'complete', lineCount: n });
    expect(view.body.lines).toHaveLength(2);
    const next = await svc.request('GET', `${res.body.url}?limit=10&cursor=${view.body.nextCursor}`, { token: accounting });
    expect(next.body.lines.map((l: { reference: string }) => l.reference)[0]).toBe(`BULK-${seq}-2`);
    expect(next.body.lines[5]).toMatchObject({ classification: 'invoice_payment', reference: `BULK-${seq}-7` });
    expect(await outstanding(c)).toBe('0.00');

    // The same file again: the finished import, nothing credited twice.
    const again = await post(file);
    expect(again.status).toBe(200);
    expect(again.body.statementId).toBe(res.body.statementId);
    expect(again.body.lines.length).toBeLessThanOrEqual(1000);
    expect((await svc.request('GET', '/api/settlements', { token: c.token })).body.availableCredit).toBe('0.00');

    const bad = await svc.request('GET', `${res.body.url}?cursor=abc`, { token: accounting });
    expect(bad.status).toBe(400);
  }, 240_000);
});
