import { once } from 'node:events';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../helpers/db.js';
import { BILLING_TOKEN, startTestService, type TestService } from '../helpers/service.js';
import { putCustomer, putInvoice, uniqueNumber } from '../helpers/factories.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const BULK = '/api/billing/invoices:bulk';
const NDJSON = { 'content-type': 'application/x-ndjson' };

interface Answer {
  line: number;
  invoiceNumber: string | null;
  status: 'accepted' | 'unchanged' | 'refused';
  error?: { code: string; message: string; details?: unknown };
}

function bulk(lines: (string | Record<string, unknown>)[], token = BILLING_TOKEN) {
  const body = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
  return svc.request('POST', BULK, { token, rawBody: body, headers: NDJSON });
}

function answersOf(text: string): Answer[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Answer);
}

function invoice(invoiceNumber: string, customerNumber: string, overrides: Record<string, unknown> = {}) {
  return {
    invoiceNumber,
    customerNumber,
    propertyId: `P-${customerNumber}`,
    issueDate: '2026-11-01',
    dueDate: '2026-11-15',
    amount: '100.00',
    currency: 'PLN',
    issuedBy: 'office',
    ...overrides,
  };
}

/** A KSeF number of this test's own (unique per customer number). */
function ksefOf(c: string): string {
  return `5492345678-20261101-${c.replace(/\D/g, '').padStart(12, '0').slice(-12)}-7C`;
}

/**
 * A bulk upload whose body is sent piece by piece. `send` resolves once the server has taken the
 * piece off the connection (the socket's buffers drained); `end` finishes the body and answers
 * the response; `abort` drops the connection mid-body.
 */
function streamingBulk(service: TestService) {
  const req = http.request(`${service.url}${BULK}`, { method: 'POST', headers: { ...NDJSON, authorization: `Bearer ${BILLING_TOKEN}` } });
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return {
    async send(text: string): Promise<void> {
      if (!req.write(text)) await once(req, 'drain');
    },
    async end(text = ''): Promise<{ status: number; text: string }> {
      req.end(text);
      return response;
    },
    abort(): void {
      response.catch(() => undefined);
      req.destroy();
    },
  };
}

/** Blank lines (skipped, but numbered), 32 MB of them: more than a connection's buffers hold, so once sent the server is reading the body. */
const FILLER_LINES = 32;
async function sendFiller(upload: ReturnType<typeof streamingBulk>): Promise<void> {
  const blank = `${' '.repeat(1_000_000)}\n`;
  for (let i = 0; i < FILLER_LINES; i++) await upload.send(blank);
}

async function customerId(customerNumber: string): Promise<string> {
  const row = await svc.db.knex('customers').where({ customer_number: customerNumber }).first('id');
  return String(row.id);
}

describe('POST /api/billing/invoices:bulk', () => {
  it('refuses a missing or wrong billing token with 401, and a body that is not NDJSON with 415', async () => {
    const none = await svc.request('POST', BULK, { rawBody: '{}', headers: NDJSON });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const wrong = await bulk(['{}'], 'not-the-token');
    expect(wrong.status).toBe(401);
    const json = await svc.request('POST', BULK, { token: BILLING_TOKEN, body: [invoice('FV/X', 'X')] });
    expect(json.status).toBe(415);
    expect(json.body.error.code).toBe('unsupported_media_type');
  });

  // (No credit on this account and no negative correction: its lines are merged as a set.)
  it('answers each line in order: accepted, unchanged, refused with the single feed\'s code and message', async () => {
    const c = uniqueNumber('BK');
    await putCustomer(svc, c);
    const other = uniqueNumber('BK');
    await putCustomer(svc, other);
    const n = (s: string) => `FV/${c}/${s}`;
    const ksef = ksefOf(c);
    const res = await bulk([
      invoice(n('1'), c, { lines: [{ description: 'Woda\tzimna', quantity: '12.500', unit: 'm3', unitPrice: '8.00', amount: '100.00' }] }), // 1 accepted
      invoice(n('1'), c, { lines: [{ description: 'Woda\tzimna', quantity: '12.500', unit: 'm3', unitPrice: '8.00', amount: '100.00' }] }), // 2 unchanged
      invoice(n('1'), c, { amount: '101.00' }), // 3 immutable
      '{"invoiceNumber": "FV/broken", ', // 4 malformed
      '', // 5 blank: skipped
      invoice(n('2'), 'NO-SUCH-CUSTOMER'), // 6 unknown customer
      invoice(n('3'), c, { propertyId: `P-${other}` }), // 7 another customer's property
      invoice(n('4'), c, { amount: 100 }), // 8 validation
      invoice(n('5'), c, { kind: 'correction', amount: '20.00', correctedInvoiceNumber: n('1') }), // 9 accepted (corrects line 1)
      invoice(n('6'), c, { kind: 'correction', amount: '-5.00', correctedInvoiceNumber: n('99') }), // 10 unknown invoice
      invoice(n('7'), c, { ksefNumber: ksef }), // 11 accepted
      invoice(n('8'), c, { ksefNumber: ksef }), // 12 KSeF taken
      { customerNumber: c }, // 13 no number
      `{"invoiceNumber": "${n('9')}", "customerNumber": "A\\u0000B"}`, // 14 NUL
      '[1, 2]', // 15 not an object
    ]);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const answers = answersOf(res.text);
    expect(answers.map((a) => [a.line, a.status, a.error?.code ?? null])).toEqual([
      [1, 'accepted', null],
      [2, 'unchanged', null],
      [3, 'refused', 'document_immutable'],
      [4, 'refused', 'malformed_json'],
      [6, 'refused', 'unknown_customer'],
      [7, 'refused', 'unknown_property'],
      [8, 'refused', 'validation_failed'],
      [9, 'accepted', null],
      [10, 'refused', 'unknown_invoice'],
      [11, 'accepted', null],
      [12, 'refused', 'ksef_number_taken'],
      [13, 'refused', 'validation_failed'],
      [14, 'refused', 'invalid_text'],
      [15, 'refused', 'validation_failed'],
    ]);
    expect(res.headers.get('x-bulk-accepted')).toBe('3');
    expect(res.headers.get('x-bulk-unchanged')).toBe('1');
    expect(res.headers.get('x-bulk-refused')).toBe('10');
    expect(answers[0]!.invoiceNumber).toBe(n('1'));
    expect(answers[2]!.error).toMatchObject({ details: { changedFields: ['amount', 'lines'] } });
    expect(answers[6]!.error!.message).toMatch(/^Invalid line 8: amount /);
    expect(answers[8]!.error!.message).toContain(`FV/${c}/99`);

    // The same refusals as the single PUT, word for word.
    const single = async (body: Record<string, unknown>) => {
      const { invoiceNumber, ...rest } = body;
      return svc.request('PUT', `/api/billing/invoices/${encodeURIComponent(String(invoiceNumber))}`, { token: BILLING_TOKEN, body: rest });
    };
    for (const [i, body] of [
      [2, invoice(n('1'), c, { amount: '101.00' })],
      [4, invoice(n('2'), 'NO-SUCH-CUSTOMER')],
      [5, invoice(n('3'), c, { propertyId: `P-${other}` })],
      [8, invoice(n('6'), c, { kind: 'correction', amount: '-5.00', correctedInvoiceNumber: n('99') })],
      [10, invoice(n('8'), c, { ksefNumber: ksef })],
    ] as const) {
      const one = await single(body);
      expect(one.body.error.code).toBe(answers[i]!.error!.code);
      expect(one.body.error.message).toBe(answers[i]!.error!.message);
    }

    const stored = await svc.db.knex('invoices').where('invoice_number', 'like', `FV/${c}/%`).orderBy('id').select('invoice_number', 'amount', 'ksef_number', 'lines');
    expect(stored.map((r) => r.invoice_number)).toEqual([n('1'), n('5'), n('7')]);
    expect(stored[0].lines[0].description).toBe('Woda\tzimna');
    const single1 = await svc.request('PUT', `/api/billing/invoices/${encodeURIComponent(n('1'))}`, {
      token: BILLING_TOKEN,
      body: { ...invoice(n('1'), c, { lines: [{ description: 'Woda\tzimna', quantity: '12.500', unit: 'm3', unitPrice: '8.00', amount: '100.00' }] }), invoiceNumber: undefined },
    });
    expect(single1.status).toBe(200);

    // The whole file again: nothing new.
    const again = await bulk([invoice(n('1'), c, { lines: [{ description: 'Woda\tzimna', quantity: '12.500', unit: 'm3', unitPrice: '8.00', amount: '100.00' }] }), invoice(n('5'), c, { kind: 'correction', amount: '20.00', correctedInvoiceNumber: n('1') })]);
    expect(answersOf(again.text).map((a) => a.status)).toEqual(['unchanged', 'unchanged']);
  });

  it('ends in the same invoices and the same ledger as the same lines sent one by one', async () => {
    const setUp = async () => {
      const c = uniqueNumber('EQ');
      await putCustomer(svc, c);
      const id = await customerId(c);
      // Money already on the account: the new invoices take it as they come.
      await svc.db.knex.transaction((trx) =>
        svc.deps.ledger.recordCredit(trx, { customerId: id, kind: 'payment', source: 'test', sourceRef: `pre-${c}`, documentNumber: `WPL/${c}`, amount: '150.00', receivedOn: '2026-10-20', hasInvoiceTarget: false }),
      );
      return { c, id };
    };
    const linesFor = (c: string) => [
      invoice(`FV/${c}/A`, c, { dueDate: '2026-11-30', amount: '100.00' }),
      invoice(`FV/${c}/B`, c, { dueDate: '2026-11-10', amount: '80.00' }),
      invoice(`FV/${c}/K1`, c, { kind: 'correction', amount: '-30.00', correctedInvoiceNumber: `FV/${c}/A` }),
      invoice(`FV/${c}/C`, c, { dueDate: '2026-11-05', amount: '40.00', issuedBy: 'reader' }),
      invoice(`FV/${c}/B`, c, { dueDate: '2026-11-10', amount: '80.00' }),
      invoice(`FV/${c}/K2`, c, { kind: 'correction', amount: '-15.00', correctedInvoiceNumber: `FV/${c}/ZZ` }),
      invoice(`FV/${c}/D`, c, { ksefNumber: ksefOf(c) }),
      invoice(`FV/${c}/E`, c, { ksefNumber: ksefOf(c) }),
      invoice(`FV/${c}/F`, c, { dueDate: '2026-11-01', amount: '10.00' }),
    ];
    const one = await setUp();
    const statusesOne: string[] = [];
    for (const l of linesFor(one.c)) {
      const { invoiceNumber, ...body } = l;
      const res = await svc.request('PUT', `/api/billing/invoices/${encodeURIComponent(invoiceNumber)}`, { token: BILLING_TOKEN, body });
      statusesOne.push(res.status === 201 ? 'accepted' : res.status === 200 ? 'unchanged' : `refused:${res.body.error.code}`);
    }
    const two = await setUp();
    const res = await bulk(linesFor(two.c));
    expect(res.status).toBe(200);
    const statusesTwo = answersOf(res.text).map((a) => (a.status === 'refused' ? `refused:${a.error!.code}` : a.status));
    expect(statusesTwo).toEqual(statusesOne);

    const ledgerOf = async (c: string, id: string) => {
      const invoices = await svc.db.knex('invoices').where({ customer_id: id }).orderBy('invoice_number').select('invoice_number', 'kind', 'amount', 'due_date');
      const allocations = await svc.db
        .knex('ledger_allocations as a')
        .join('invoices as i', 'i.id', 'a.invoice_id')
        .join('ledger_credits as cr', 'cr.id', 'a.credit_id')
        .where('i.customer_id', id)
        .orderBy('a.id')
        .select('i.invoice_number', 'cr.document_number', 'a.amount');
      const credits = await svc.db.knex('ledger_credits').where({ customer_id: id }).orderBy('id').select('kind', 'source', 'document_number', 'amount');
      const strip = (s: string) => s.replaceAll(c, 'C');
      return {
        invoices: invoices.map((r) => ({ ...r, invoice_number: strip(r.invoice_number) })),
        allocations: allocations.map((r) => ({ ...r, invoice_number: strip(r.invoice_number), document_number: strip(r.document_number) })),
        credits: credits.map((r) => ({ ...r, document_number: strip(r.document_number) })),
        balance: await svc.deps.ledger.balance(id),
      };
    };
    const a = await ledgerOf(one.c, one.id);
    const b = await ledgerOf(two.c, two.id);
    expect(b).toEqual(a);
    expect(a.allocations.length).toBeGreaterThan(0);
    // Notices: an invoice-issued e-mail for each office invoice, none for the reader's, as one by one.
    const notices = async (c: string) =>
      (await svc.db.knex('notice_log').where('document', 'like', `FV/${c}/%`).orderBy('document').select('document', 'channel')).map((r) => ({ ...r, document: r.document.replaceAll(c, 'C') }));
    expect(await notices(two.c)).toEqual(await notices(one.c));
  });

  it('runs the invoice-issued listeners once per new document, in line order, in the transaction', async () => {
    const c = uniqueNumber('LS');
    await putCustomer(svc, c);
    const seen: string[] = [];
    svc.deps.invoices.onIssued(async (trx, issued) => {
      for (const i of issued) {
        if (i.customerNumber !== c) continue;
        const row = await trx('invoices').where({ invoice_number: i.invoiceNumber }).first('id');
        seen.push(`${i.invoiceNumber}:${String(row.id) === i.id ? 'visible' : 'missing'}`);
      }
    });
    await bulk([invoice(`FV/${c}/2`, c), invoice(`FV/${c}/1`, c), invoice(`FV/${c}/2`, c)]);
    expect(seen).toEqual([`FV/${c}/2:visible`, `FV/${c}/1:visible`]);
  });

  it('refuses a line longer than 1 MiB alone, and an upload of more than 1,000,000 lines whole (413, nothing stored)', async () => {
    const c = uniqueNumber('LM');
    await putCustomer(svc, c);
    const long = JSON.stringify(invoice(`FV/${c}/L`, c, { lines: [{ description: 'x'.repeat(400), quantity: '1', unit: 'szt', unitPrice: '1.00', amount: '1.00' }] }));
    const res = await bulk([invoice(`FV/${c}/1`, c), `${long.slice(0, -1)}, "pad": "${'y'.repeat(1024 * 1024)}"}`, invoice(`FV/${c}/2`, c)]);
    expect(res.status).toBe(200);
    expect(answersOf(res.text).map((a) => [a.line, a.status, a.error?.code ?? null])).toEqual([
      [1, 'accepted', null],
      [2, 'refused', 'line_too_long'],
      [3, 'accepted', null],
    ]);

    const tooMany = await svc.request('POST', BULK, {
      token: BILLING_TOKEN,
      headers: NDJSON,
      rawBody: `${JSON.stringify(invoice(`FV/${c}/3`, c))}\n${'\n'.repeat(1_000_000)}`,
    });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error.code).toBe('too_many_lines');
    expect(await svc.db.knex('invoices').where({ invoice_number: `FV/${c}/3` })).toHaveLength(0);
  });

  it('stores each invoice once when two uploads with the same invoices run at once', async () => {
    const customers = [uniqueNumber('CC'), uniqueNumber('CC'), uniqueNumber('CC')];
    for (const c of customers) await putCustomer(svc, c);
    const lines = Array.from({ length: 300 }, (_, i) => invoice(`FV/${customers[i % 3]}/${i}`, customers[i % 3]!));
    const [a, b] = await Promise.all([bulk(lines.slice(0, 200)), bulk(lines.slice(100).reverse())]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const statusOf = new Map<string, string[]>();
    for (const ans of [...answersOf(a.text), ...answersOf(b.text)]) statusOf.set(ans.invoiceNumber!, [...(statusOf.get(ans.invoiceNumber!) ?? []), ans.status]);
    expect(statusOf.size).toBe(300);
    for (const [number, statuses] of statusOf) {
      const i = Number(number.split('/').pop());
      if (i >= 100 && i < 200) expect(statuses.sort(), number).toEqual(['accepted', 'unchanged']);
      else expect(statuses, number).toEqual(['accepted']);
    }
    const stored = await svc.db.knex('invoices').whereIn('customer_id', svc.db.knex('customers').whereIn('customer_number', customers).select('id')).count('* as n');
    expect(Number(stored[0]!.n)).toBe(300);
  });

  it('holds no database connection while the body is still arriving: other requests answer meanwhile', async () => {
    // One connection in the pool, on PostgreSQL as on PGlite: an upload holding it would stall everything.
    const db = await createTestDb({ poolMax: 1 });
    const one = await startTestService({}, { db });
    try {
      const c = uniqueNumber('SL');
      await putCustomer(one, c);
      const upload = streamingBulk(one);
      await upload.send(`${JSON.stringify(invoice(`FV/${c}/1`, c))}\n${JSON.stringify(invoice(`FV/${c}/2`, c))}\n`);
      await sendFiller(upload);
      // The upload's body is still open: a feed request that needs the database answers now.
      await putInvoice(one, `FV/${c}/S`, { customerNumber: c, propertyId: `P-${c}`, amount: '100.00' });
      expect(await one.db.knex('invoices').where('invoice_number', 'like', `FV/${c}/%`).pluck('invoice_number')).toEqual([`FV/${c}/S`]);
      const res = await upload.end(`${JSON.stringify(invoice(`FV/${c}/S`, c))}\n${JSON.stringify(invoice(`FV/${c}/3`, c))}\n`);
      expect(res.status).toBe(200);
      const last = 2 + FILLER_LINES;
      expect(answersOf(res.text).map((a) => [a.line, a.invoiceNumber, a.status])).toEqual([
        [1, `FV/${c}/1`, 'accepted'],
        [2, `FV/${c}/2`, 'accepted'],
        [last + 1, `FV/${c}/S`, 'unchanged'],
        [last + 2, `FV/${c}/3`, 'accepted'],
      ]);
      const stored = await one.db.knex('invoices').where('invoice_number', 'like', `FV/${c}/%`).orderBy('invoice_number').pluck('invoice_number');
      expect(stored).toEqual([`FV/${c}/1`, `FV/${c}/2`, `FV/${c}/3`, `FV/${c}/S`]);
    } finally {
      await one.close();
      await db.close();
    }
  });

  it('stores nothing of an upload whose client goes away mid-body, and goes on serving', async () => {
    const c = uniqueNumber('AB');
    await putCustomer(svc, c);
    const upload = streamingBulk(svc);
    await upload.send(`${JSON.stringify(invoice(`FV/${c}/1`, c))}\n`);
    await sendFiller(upload);
    upload.abort();
    await putInvoice(svc, `FV/${c}/2`, { customerNumber: c, propertyId: `P-${c}`, amount: '100.00' });
    const again = await bulk([invoice(`FV/${c}/3`, c)]);
    expect(again.status).toBe(200);
    expect(await svc.db.knex('invoices').where('invoice_number', 'like', `FV/${c}/%`).orderBy('invoice_number').pluck('invoice_number')).toEqual([
      `FV/${c}/2`,
      `FV/${c}/3`,
    ]);
  });

  it('answers both of two uploads that claim the same numbers for different customers, each number stored once', async () => {
    // Different customers, so their locks do not order the two; the numbers come in opposite orders.
    for (let round = 0; round < 4; round++) {
      const c1 = uniqueNumber('DL');
      const c2 = uniqueNumber('DL');
      await putCustomer(svc, c1);
      await putCustomer(svc, c2);
      const numbers = Array.from({ length: 1000 }, (_, i) => `FV/DL/${c1}/${i}`);
      const [a, b] = await Promise.all([
        bulk(numbers.map((n) => invoice(n, c1))),
        bulk(numbers.map((n) => invoice(n, c2)).reverse()),
      ]);
      expect([a.status, b.status], b.text).toEqual([200, 200]);
      const owner = new Map<string, string>();
      for (const [answers, c] of [[answersOf(a.text), c1], [answersOf(b.text), c2]] as const) {
        expect(answers).toHaveLength(1000);
        for (const ans of answers) {
          if (ans.status === 'accepted') {
            expect(owner.has(ans.invoiceNumber!), ans.invoiceNumber!).toBe(false);
            owner.set(ans.invoiceNumber!, c);
          } else {
            expect([ans.status, ans.error?.code]).toEqual(['refused', 'document_immutable']);
          }
        }
      }
      expect(owner.size).toBe(1000);
      const stored = await svc.db
        .knex('invoices as i')
        .join('customers as c', 'c.id', 'i.customer_id')
        .whereIn('i.invoice_number', numbers)
        .select('i.invoice_number', 'c.customer_number');
      expect(new Map(stored.map((r) => [r.invoice_number, r.customer_number]))).toEqual(owner);
    }
  });

  it('tries the merge again when the database rolls it back as a deadlock, and answers 503 bulk_conflict when it keeps failing', async () => {
    const c = uniqueNumber('RT');
    await putCustomer(svc, c);
    let deadlocks = 0;
    let calls = 0;
    // What the database answers a transaction it picked to break a lock cycle.
    svc.deps.invoices.onIssued((_trx, issued) => {
      if (!issued.some((i) => i.customerNumber === c)) return Promise.resolve();
      calls += 1;
      if (deadlocks === 0) return Promise.resolve();
      deadlocks -= 1;
      return Promise.reject(Object.assign(new Error('deadlock detected'), { code: '40P01' }));
    });
    deadlocks = 2;
    const ok = await bulk([invoice(`FV/${c}/1`, c), invoice(`FV/${c}/2`, c)]);
    expect(ok.status).toBe(200);
    expect(answersOf(ok.text).map((a) => a.status)).toEqual(['accepted', 'accepted']);
    expect(calls).toBe(3);
    expect((await svc.db.knex('invoices').where('invoice_number', 'like', `FV/${c}/%`)).length).toBe(2);

    deadlocks = 3;
    calls = 0;
    const busy = await bulk([invoice(`FV/${c}/3`, c)]);
    expect(busy.status).toBe(503);
    expect(busy.body.error.code).toBe('bulk_conflict');
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(calls).toBe(3);
    expect(await svc.db.knex('invoices').where({ invoice_number: `FV/${c}/3` })).toHaveLength(0);
  });
});
