import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, loginAs, putInvoice, uniqueNumber, type TestCustomer } from '../helpers/factories.js';
import { BILLING_TOKEN, startTestService, type TestService } from '../helpers/service.js';

// Files judged by their bytes: a PDF, a PNG and a JPEG header, and a Windows executable.
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from([0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xde]),
  Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]),
]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00]), Buffer.alloc(64, 0x11), Buffer.from([0xff, 0xd9])]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62, 0), Buffer.from('This program cannot be run in DOS mode.')]);

interface Upload {
  name: string;
  type: string;
  bytes: Buffer;
}

let svc: TestService;
let admin: string;
let a: TestCustomer;
let b: TestCustomer;
let invoiceOfA: string;
let invoiceOfB: string;
let meterOfA: string;

async function post(token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return svc.request('POST', '/api/requests', { token, body, headers });
}

/** A multipart/form-data POST as a browser sends it. */
async function postForm(token: string | undefined, fields: Record<string, string>, files: Upload[], headers: Record<string, string> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) form.append('attachments', new Blob([f.bytes], { type: f.type }), f.name);
  const res = await fetch(`${svc.url}/api/requests`, {
    method: 'POST',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: form,
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of the answer, checked by the test
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, headers: res.headers };
}

const complaint = { kind: 'complaint', subject: 'Za wysoka faktura', message: 'Proszę o sprawdzenie odczytu.' };

async function countRequests(customer: TestCustomer): Promise<number> {
  const res = await svc.request('GET', '/api/requests?limit=500', { token: customer.token });
  return res.body.items.length;
}

beforeAll(async () => {
  svc = await startTestService();
  await svc.deps.auth.ensureStaff('office-admin', 'Office-Admin-Pass-2026!', 'admin');
  admin = await loginAs(svc, 'office-admin', 'Office-Admin-Pass-2026!');
  a = await createCustomer(svc);
  b = await createCustomer(svc);
  invoiceOfA = uniqueNumber('FV/A/');
  invoiceOfB = uniqueNumber('FV/B/');
  await putInvoice(svc, invoiceOfA, { customerNumber: a.customerNumber, propertyId: a.propertyId, amount: '120.50' });
  await putInvoice(svc, invoiceOfB, { customerNumber: b.customerNumber, propertyId: b.propertyId, amount: '80.00' });
  meterOfA = uniqueNumber('WM');
  const meter = await svc.request('PUT', `/api/billing/meters/${meterOfA}`, {
    token: BILLING_TOKEN,
    body: {
      customerNumber: a.customerNumber,
      propertyId: a.propertyId,
      kind: 'main',
      status: 'active',
      owner: 'utility',
      registeredOn: '2020-01-10',
      installedOn: '2020-01-10',
      legalisedOn: '2020-01-01',
      legalisationValidUntil: '2030-01-01',
      tariff: { code: 'W1', name: 'Gospodarstwa domowe' },
    },
  });
  expect(meter.status).toBe(201);
});
afterAll(async () => {
  await svc?.close();
});

describe('a customer files requests', () => {
  it('files a complaint as JSON: numbered, submitted, due in 14 days; an inquiry is due in 30', async () => {
    const res = await post(a.token, { ...complaint, invoiceNumber: invoiceOfA, meterSerial: meterOfA });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      kind: 'complaint',
      status: 'submitted',
      subject: 'Za wysoka faktura',
      message: 'Proszę o sprawdzenie odczytu.',
      invoiceNumber: invoiceOfA,
      meterSerial: meterOfA,
      dueBy: '2026-12-04', // the clock says 2026-11-20 in Warsaw
      overdue: false,
      attachments: [],
      replies: [],
    });
    expect(res.body.number).toMatch(/^ZG\/2026\/\d{6}$/);
    expect(res.headers.get('location')).toBe(`/api/requests/${res.body.id}`);

    const inquiry = await post(a.token, { kind: 'inquiry', subject: 'Pytanie o taryfę', message: 'Jaka jest cena wody?' });
    expect(inquiry.status).toBe(201);
    expect(inquiry.body.dueBy).toBe('2026-12-20');
    const application = await post(a.token, { kind: 'application', subject: 'Wniosek o podlicznik', message: 'Proszę o montaż.' });
    expect(application.body.dueBy).toBe('2026-12-20');

    const got = await svc.request('GET', `/api/requests/${res.body.id}`, { token: a.token });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
  });

  it('lists the customer\'s own requests, newest first, paged', async () => {
    const c = await createCustomer(svc);
    const numbers: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await post(c.token, { kind: 'inquiry', subject: `Pytanie ${i}`, message: 'Treść' });
      numbers.push(r.body.number);
    }
    const first = await svc.request('GET', '/api/requests?limit=2', { token: c.token });
    expect(first.status).toBe(200);
    expect(first.body.items.map((r: { number: string }) => r.number)).toEqual([numbers[2], numbers[1]]);
    expect(first.body.items[0]).toMatchObject({ subject: 'Pytanie 2', attachmentCount: 0, replyCount: 0, status: 'submitted' });
    const second = await svc.request('GET', `/api/requests?limit=2&cursor=${first.body.nextCursor}`, { token: c.token });
    expect(second.body.items.map((r: { number: string }) => r.number)).toEqual([numbers[0]]);
    expect(second.body.nextCursor).toBeNull();
    const none = await svc.request('GET', '/api/requests', { token: b.token });
    expect(none.body.items.every((r: { number: string }) => !numbers.includes(r.number))).toBe(true);
  });

  it('takes attachments as multipart/form-data and streams them back', async () => {
    const res = await postForm(a.token, { ...complaint, invoiceNumber: invoiceOfA }, [
      { name: 'faktura skan.pdf', type: 'application/pdf', bytes: PDF },
      { name: 'zdjęcie licznika.png', type: 'image/png', bytes: PNG },
    ]);
    expect(res.status).toBe(201);
    expect(res.body.attachments).toEqual([
      { n: 1, fileName: 'faktura skan.pdf', contentType: 'application/pdf', size: PDF.length, url: `/api/requests/${res.body.id}/attachments/1` },
      { n: 2, fileName: 'zdjęcie licznika.png', contentType: 'image/png', size: PNG.length, url: `/api/requests/${res.body.id}/attachments/2` },
    ]);
    const file = await fetch(`${svc.url}/api/requests/${res.body.id}/attachments/2`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('content-length')).toBe(String(PNG.length));
    expect(file.headers.get('content-disposition')).toContain(`filename*=UTF-8''zdj%C4%99cie%20licznika.png`);
    expect(Buffer.from(await file.arrayBuffer()).equals(PNG)).toBe(true);

    const office = await fetch(`${svc.url}/api/admin/requests/${res.body.id}/attachments/1`, { headers: { authorization: `Bearer ${admin}` } });
    expect(office.status).toBe(200);
    expect(office.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await office.arrayBuffer()).equals(PDF)).toBe(true);

    // Numbered in the order sent, even when a large first file is written after a small second one.
    const bigPdf = Buffer.concat([PDF, Buffer.alloc(3 * 1024 * 1024, 0x20)]);
    const ordered = await postForm(a.token, complaint, [
      { name: '1-duzy.pdf', type: 'application/pdf', bytes: bigPdf },
      { name: '2-maly.png', type: 'image/png', bytes: PNG },
      { name: '3-maly.png', type: 'image/png', bytes: PNG },
    ]);
    expect(ordered.status).toBe(201);
    expect(ordered.body.attachments.map((x: { n: number; fileName: string; size: number }) => [x.n, x.fileName, x.size])).toEqual([
      [1, '1-duzy.pdf', bigPdf.length],
      [2, '2-maly.png', PNG.length],
      [3, '3-maly.png', PNG.length],
    ]);

    // A PDF named .png (as a browser labels it by its name) is kept as what its bytes are.
    const renamed = await postForm(a.token, complaint, [
      { name: 'skan.png', type: 'image/png', bytes: PDF },
      { name: 'foto.jpg', type: 'image/jpeg', bytes: JPEG },
    ]);
    expect(renamed.status).toBe(201);
    expect(renamed.body.attachments[0]).toMatchObject({ fileName: 'skan.png', contentType: 'application/pdf' });
    expect(renamed.body.attachments[1]).toMatchObject({ fileName: 'foto.jpg', contentType: 'image/jpeg', size: JPEG.length });
    const renamedFile = await fetch(`${svc.url}${renamed.body.attachments[0].url}`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(renamedFile.headers.get('content-type')).toBe('application/pdf');
    expect(renamedFile.headers.get('content-disposition')).toContain('.pdf');
    await renamedFile.arrayBuffer();

    const missing = await svc.request('GET', `/api/requests/${res.body.id}/attachments/3`, { token: a.token });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('attachment_not_found');
    const badN = await svc.request('GET', `/api/requests/${res.body.id}/attachments/0`, { token: a.token });
    expect(badN.status).toBe(400);
    expect(badN.body.error.details[0].field).toBe('n');
  });

  it('refuses an .exe renamed .pdf, a 6th file and an 11 MiB file, keeping nothing', async () => {
    const before = await countRequests(a);
    const exe = await postForm(a.token, complaint, [{ name: 'faktura.pdf', type: 'application/pdf', bytes: EXE }]);
    expect(exe.status).toBe(422);
    expect(exe.body.error.code).toBe('file_type_not_allowed');
    expect(exe.body.error.details[0].field).toBe('attachments[0]');
    // The second of two files is bad: the first is not kept either.
    const second = await postForm(a.token, complaint, [
      { name: 'a.pdf', type: 'application/pdf', bytes: PDF },
      { name: 'b.jpg', type: 'image/jpeg', bytes: Buffer.from('just text pretending to be a photo') },
    ]);
    expect(second.status).toBe(422);
    expect(second.body.error.details[0].field).toBe('attachments[1]');

    const six = await postForm(
      a.token,
      complaint,
      Array.from({ length: 6 }, (_, i) => ({ name: `s${i}.pdf`, type: 'application/pdf', bytes: PDF })),
    );
    expect(six.status).toBe(413);
    expect(six.body.error.code).toBe('payload_too_large');

    const big = Buffer.concat([PDF, Buffer.alloc(11 * 1024 * 1024, 0x20)]);
    const large = await postForm(a.token, complaint, [{ name: 'duzy.pdf', type: 'application/pdf', bytes: big }]);
    expect(large.status).toBe(413);
    expect(large.body.error.code).toBe('payload_too_large');

    expect(await countRequests(a)).toBe(before);
    const orphans = await svc.db.knex('files').whereNotIn('id', svc.db.knex('request_attachments').select('file_id'));
    expect(orphans).toHaveLength(0);
  });

  it('names the field of each bad input', async () => {
    const cases: Array<[Record<string, unknown>, number, string, string?]> = [
      [{ subject: 's', message: 'm' }, 400, 'kind'],
      [{ ...complaint, kind: 'praise' }, 400, 'kind'],
      [{ ...complaint, subject: '' }, 400, 'subject'],
      [{ ...complaint, subject: '   ' }, 400, 'subject'],
      [{ ...complaint, subject: 'x'.repeat(201) }, 400, 'subject'],
      [{ ...complaint, message: 'x'.repeat(10_001) }, 400, 'message'],
      [{ kind: 'inquiry', subject: 's' }, 400, 'message'],
      [{ ...complaint, invoiceNumber: 'FV 1 ?' }, 400, 'invoiceNumber'],
      [{ ...complaint, colour: 'blue' }, 400, '(body)'],
      [{ ...complaint, invoiceNumber: invoiceOfB }, 422, 'invoiceNumber', 'request_invoice_unknown'],
      [{ ...complaint, invoiceNumber: 'FV/NONE/1' }, 422, 'invoiceNumber', 'request_invoice_unknown'],
      [{ ...complaint, meterSerial: 'WM-NOT-MINE' }, 422, 'meterSerial', 'request_meter_unknown'],
    ];
    for (const [body, status, field, code] of cases) {
      const res = await post(a.token, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(res.body.error.details[0].field).toBe(field);
      if (code) expect(res.body.error.code).toBe(code);
    }
    // The limits are inclusive: 200 and 10,000 characters are fine.
    const edge = await post(a.token, { ...complaint, subject: 'ś'.repeat(200), message: 'ż'.repeat(10_000) });
    expect(edge.status).toBe(201);
    // A form field left empty means "not given".
    const form = await postForm(a.token, { ...complaint, invoiceNumber: '', meterSerial: '' }, []);
    expect(form.status).toBe(201);
    expect(form.body.invoiceNumber).toBeNull();
    const formBad = await postForm(a.token, { ...complaint, meterSerial: 'WM-NOT-MINE' }, []);
    expect(formBad.status).toBe(422);
    expect(formBad.body.error.details[0].field).toBe('meterSerial');
    const wrongField = await (async () => {
      const f = new FormData();
      for (const [k, v] of Object.entries(complaint)) f.append(k, v);
      f.append('files', new Blob([PDF], { type: 'application/pdf' }), 'a.pdf');
      const res = await fetch(`${svc.url}/api/requests`, { method: 'POST', headers: { authorization: `Bearer ${a.token}` }, body: f });
      return { status: res.status, body: (await res.json()) as { error: { details: Array<{ field: string }> } } };
    })();
    expect(wrongField.status).toBe(400);
    expect(wrongField.body.error.details[0]!.field).toBe('files');
    const text = await svc.request('POST', '/api/requests', { token: a.token, rawBody: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBeGreaterThanOrEqual(400);
    expect(text.status).toBeLessThan(500);
  });

  it('answers the same Idempotency-Key and body with the same request, and refuses another body with it', async () => {
    const key = `key-${uniqueNumber('')}`;
    const first = await post(a.token, complaint, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const again = await post(a.token, complaint, { 'idempotency-key': key });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const other = await post(a.token, { ...complaint, message: 'Inna treść' }, { 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    // Another customer's key is their own.
    const theirs = await post(b.token, complaint, { 'idempotency-key': key });
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(first.body.id);

    // With files: the same files again are the same request; another file is another body.
    const formKey = `form-${uniqueNumber('')}`;
    const f1 = await postForm(a.token, complaint, [{ name: 'a.pdf', type: 'application/pdf', bytes: PDF }], { 'idempotency-key': formKey });
    const f2 = await postForm(a.token, complaint, [{ name: 'a.pdf', type: 'application/pdf', bytes: PDF }], { 'idempotency-key': formKey });
    expect(f2.status).toBe(201);
    expect(f2.body.id).toBe(f1.body.id);
    const f3 = await postForm(a.token, complaint, [{ name: 'a.png', type: 'image/png', bytes: PNG }], { 'idempotency-key': formKey });
    expect(f3.status).toBe(422);

    // Sent several times at once: one request.
    const raceKey = `race-${uniqueNumber('')}`;
    const race = await Promise.all(Array.from({ length: 4 }, () => post(a.token, complaint, { 'idempotency-key': raceKey })));
    expect(race.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(new Set(race.map((r) => r.body.id)).size).toBe(1);

    const tooLong = await post(a.token, complaint, { 'idempotency-key': 'k'.repeat(256) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.details[0].field).toBe('idempotency-key');
  });

  it('numbers requests uniquely and without gaps when many arrive at once', async () => {
    const customers = [a, b, await createCustomer(svc)];
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => post(customers[i % 3]!.token, { kind: 'inquiry', subject: `Równolegle ${i}`, message: 'Treść' })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(24).fill(201));
    const seqs = results.map((r) => Number(r.body.number.split('/')[2])).sort((x, y) => x - y);
    expect(new Set(seqs).size).toBe(24);
    expect(seqs.at(-1)! - seqs[0]!).toBe(23);
  });
});

describe('who may see what', () => {
  it('answers another customer\'s request and its attachment with 404', async () => {
    const mine = await postForm(a.token, complaint, [{ name: 'a.pdf', type: 'application/pdf', bytes: PDF }]);
    expect(mine.status).toBe(201);
    for (const path of [`/api/requests/${mine.body.id}`, `/api/requests/${mine.body.id}/attachments/1`]) {
      const res = await svc.request('GET', path, { token: b.token });
      expect(res.status, path).toBe(404);
    }
    const unknown = await svc.request('GET', '/api/requests/00000000-0000-4000-8000-000000000000', { token: a.token });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('request_not_found');
    const notUuid = await svc.request('GET', '/api/requests/123', { token: a.token });
    expect(notUuid.status).toBe(400);
    expect(notUuid.body.error.details[0].field).toBe('id');
    for (const path of ['/api/admin/requests/00000000-0000-4000-8000-000000000000', '/api/admin/requests/00000000-0000-4000-8000-000000000000/attachments/1']) {
      const res = await svc.request('GET', path, { token: admin });
      expect(res.status, path).toBe(404);
    }
    const reply = await svc.request('POST', '/api/admin/requests/00000000-0000-4000-8000-000000000000/replies', { token: admin, body: { message: 'x' } });
    expect(reply.status).toBe(404);
    const patch = await svc.request('PATCH', '/api/admin/requests/00000000-0000-4000-8000-000000000000', { token: admin, body: { status: 'closed' } });
    expect(patch.status).toBe(404);
  });

  it('asks for a login (401) and the right role (403) on every route', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const customerRoutes: Array<[string, string, unknown?]> = [
      ['GET', '/api/requests'],
      ['POST', '/api/requests', complaint],
      ['GET', `/api/requests/${id}`],
      ['GET', `/api/requests/${id}/attachments/1`],
    ];
    const officeRoutes: Array<[string, string, unknown?]> = [
      ['GET', '/api/admin/requests'],
      ['GET', `/api/admin/requests/${id}`],
      ['GET', `/api/admin/requests/${id}/attachments/1`],
      ['POST', `/api/admin/requests/${id}/replies`, { message: 'x' }],
      ['PATCH', `/api/admin/requests/${id}`, { status: 'closed' }],
    ];
    for (const [method, path, body] of [...customerRoutes, ...officeRoutes]) {
      const res = await svc.request(method, path, body === undefined ? {} : { body });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    for (const [method, path, body] of customerRoutes) {
      const res = await svc.request(method, path, { token: admin, ...(body === undefined ? {} : { body }) });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    for (const [method, path, body] of officeRoutes) {
      const res = await svc.request(method, path, { token: a.token, ...(body === undefined ? {} : { body }) });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    const form = await postForm(undefined, complaint, [{ name: 'a.pdf', type: 'application/pdf', bytes: PDF }]);
    expect(form.status).toBe(401);
  });
});

describe('the office', () => {
  it('filters the queue by status, kind and overdue', async () => {
    const c = await createCustomer(svc);
    const comp = await post(c.token, { ...complaint, subject: 'Reklamacja kolejki' });
    const inq = await post(c.token, { kind: 'inquiry', subject: 'Zapytanie kolejki', message: 'Treść' });
    const list = await svc.request('GET', '/api/admin/requests?kind=complaint&status=submitted&limit=500', { token: admin });
    expect(list.status).toBe(200);
    const ids = list.body.items.map((r: { id: string }) => r.id);
    expect(ids).toContain(comp.body.id);
    expect(ids).not.toContain(inq.body.id);
    expect(list.body.items.find((r: { id: string }) => r.id === comp.body.id)).toMatchObject({
      customerNumber: c.customerNumber,
      customerName: `Klient ${c.customerNumber}`,
      kind: 'complaint',
    });
    const bad = await svc.request('GET', '/api/admin/requests?status=lost', { token: admin });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('status');
    const badOverdue = await svc.request('GET', '/api/admin/requests?overdue=yes', { token: admin });
    expect(badOverdue.status).toBe(400);
    expect(badOverdue.body.error.details[0].field).toBe('overdue');
  });

  it('replies (the customer is e-mailed and sees the reply), and moves statuses only as allowed', async () => {
    const c = await createCustomer(svc);
    const filed = await post(c.token, { ...complaint, subject: 'Brak wody od rana' });
    const id = filed.body.id as string;
    const number = filed.body.number as string;

    const empty = await svc.request('POST', `/api/admin/requests/${id}/replies`, { token: admin, body: { message: '  ' } });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details[0].field).toBe('message');

    const progress = await svc.request('PATCH', `/api/admin/requests/${id}`, { token: admin, body: { status: 'in_progress' } });
    expect(progress.status).toBe(200);
    expect(progress.body.status).toBe('in_progress');

    const reply = await svc.request('POST', `/api/admin/requests/${id}/replies`, {
      token: admin,
      body: { message: 'Awaria została usunięta o 14:00. Przepraszamy.' },
    });
    expect(reply.status).toBe(201);
    expect(reply.body.status).toBe('answered');
    expect(reply.body.replies).toEqual([{ message: 'Awaria została usunięta o 14:00. Przepraszamy.', author: 'office-admin', createdAt: expect.any(String) }]);
    expect(reply.body.history.map((h: { from: string | null; to: string }) => [h.from, h.to])).toEqual([
      [null, 'submitted'],
      ['submitted', 'in_progress'],
      ['in_progress', 'answered'],
    ]);

    await svc.deps.notices.deliverDue({ budgetMs: 5_000 });
    const address = `k${c.customerNumber}@example.com`.toLowerCase();
    const mail = svc.smtp.messages.find((m) => m.to.some((t) => t.toLowerCase() === address));
    expect(mail).toBeDefined();
    expect(mail!.subject).toBe(`Odpowiedź na zgłoszenie ${number}`);
    expect(mail!.text).toContain(`zgłoszenie nr ${number}`);
    expect(mail!.text).toContain('20 listopada 2026');
    expect(mail!.text).toContain(`${svc.url}/zgloszenia`);
    expect(mail!.text).not.toContain('Awaria została usunięta');

    const seen = await svc.request('GET', `/api/requests/${id}`, { token: c.token });
    expect(seen.body.status).toBe('answered');
    expect(seen.body.replies).toEqual([{ message: 'Awaria została usunięta o 14:00. Przepraszamy.', createdAt: expect.any(String) }]);
    expect(seen.body.replies[0].author).toBeUndefined();

    for (const status of ['answered', 'submitted']) {
      const refused = await svc.request('PATCH', `/api/admin/requests/${id}`, { token: admin, body: { status } });
      expect(refused.status, status).toBe(409);
      expect(refused.body.error.code).toBe('request_status_transition');
    }
    const invalid = await svc.request('PATCH', `/api/admin/requests/${id}`, { token: admin, body: { status: 'done' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details[0].field).toBe('status');

    const closed = await svc.request('PATCH', `/api/admin/requests/${id}`, { token: admin, body: { status: 'closed' } });
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');
    const late = await svc.request('POST', `/api/admin/requests/${id}/replies`, { token: admin, body: { message: 'Jeszcze jedno' } });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('request_closed');
    const twice = await svc.request('PATCH', `/api/admin/requests/${id}`, { token: admin, body: { status: 'closed' } });
    expect(twice.status).toBe(409);
    const reopened = await svc.request('PATCH', `/api/admin/requests/${id}`, { token: admin, body: { status: 'in_progress' } });
    expect(reopened.status).toBe(200);

    const office = await svc.request('GET', `/api/admin/requests/${id}`, { token: admin });
    expect(office.status).toBe(200);
    expect(office.body.history.at(-1)).toMatchObject({ from: 'closed', to: 'in_progress', by: 'office-admin' });
  });

  it('lists overdue requests once their due date has passed', async () => {
    const c = await createCustomer(svc);
    const comp = await post(c.token, { ...complaint, subject: 'Przeterminowana' });
    const inq = await post(c.token, { kind: 'inquiry', subject: 'Jeszcze w terminie', message: 'Treść' });
    const overdueIds = async () => {
      const res = await svc.request('GET', '/api/admin/requests?overdue=true&limit=500', { token: admin });
      expect(res.status).toBe(200);
      return res.body.items.map((r: { id: string }) => r.id) as string[];
    };
    expect(await overdueIds()).not.toContain(comp.body.id);
    const saved = svc.clock.now();
    svc.clock.advance(15 * 86_400_000);
    try {
      admin = await loginAs(svc, 'office-admin', 'Office-Admin-Pass-2026!');
      const ids = await overdueIds();
      expect(ids).toContain(comp.body.id);
      expect(ids).not.toContain(inq.body.id);
      const seen = await svc.request('GET', `/api/admin/requests/${comp.body.id}`, { token: admin });
      expect(seen.body.overdue).toBe(true);
    } finally {
      svc.clock.set(saved);
      admin = await loginAs(svc, 'office-admin', 'Office-Admin-Pass-2026!');
    }
  });
});
