import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, loginAs, uniqueNumber, type TestCustomer } from '../helpers/factories.js';
import { samplePdf, samplePng, windowsExe } from '../helpers/files.js';
import { BILLING_TOKEN, startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
let a: TestCustomer;
let b: TestCustomer;
let adminToken: string;
beforeAll(async () => {
  svc = await startTestService();
  a = await createCustomer(svc);
  b = await createCustomer(svc);
  await svc.deps.auth.ensureStaff('doc-admin', 'admin-password-123', 'admin');
  adminToken = await loginAs(svc, 'doc-admin', 'admin-password-123');
});
afterAll(async () => {
  await svc?.close();
});

function feed(id: string, file: Buffer | string, query: Record<string, string>, contentType = 'application/pdf', token = BILLING_TOKEN) {
  const qs = new URLSearchParams(query).toString();
  return svc.request('PUT', `/api/billing/documents/${encodeURIComponent(id)}?${qs}`, {
    token,
    rawBody: file,
    headers: { 'content-type': contentType },
  });
}

describe('documents: the billing feed', () => {
  it('stores a document for every customer (201), the same again changes nothing (200), a new file is version 2 and the old is kept', async () => {
    const id = uniqueNumber('DOC');
    const first = await feed(id, samplePdf('v1'), { title: 'Cennik wody 2026', category: 'price_list' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ documentId: id, version: 1, customerNumber: null, contentType: 'application/pdf', changed: true });
    const again = await feed(id, samplePdf('v1'), { title: 'Cennik wody 2026', category: 'price_list' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ version: 1, changed: false });
    const replaced = await feed(id, samplePdf('v2'), { title: 'Cennik wody 2026', category: 'price_list' });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ version: 2, changed: true });
    expect(replaced.body.sha256).not.toBe(first.body.sha256);
    expect(await svc.deps.documents.versionCount(id)).toBe(2);
    // The first version's bytes are still stored.
    const v1 = await svc.db.knex('document_versions as v').join('documents as d', 'd.id', 'v.document_id').where({ 'd.document_number': id, 'v.version': 1 }).first('v.file_id');
    const old = await svc.deps.documents.files.open(v1.file_id);
    expect(old?.sha256).toBe(first.body.sha256);
  });

  it('a new title alone is a new version that keeps the same stored file', async () => {
    const id = uniqueNumber('DOC');
    const first = await feed(id, samplePdf('same'), { title: 'Formularz', category: 'form' });
    const renamed = await feed(id, samplePdf('same'), { title: 'Formularz (nowy)', category: 'form' });
    expect(renamed.body).toMatchObject({ version: 2, changed: true, title: 'Formularz (nowy)', sha256: first.body.sha256 });
    const files = await svc.db.knex('document_versions as v').join('documents as d', 'd.id', 'v.document_id').where('d.document_number', id).distinct('v.file_id');
    expect(files).toHaveLength(1);
  });

  it('takes PNG and UTF-8 text, checked against the bytes', async () => {
    const png = await feed(uniqueNumber('DOC'), samplePng(), { title: 'Mapa', category: 'other' }, 'image/png');
    expect(png.status).toBe(201);
    expect(png.body.contentType).toBe('image/png');
    const text = await feed(uniqueNumber('DOC'), 'Regulamin świadczenia usług\n', { title: 'Regulamin', category: 'regulations' }, 'text/plain; charset=utf-8');
    expect(text.body.contentType).toBe('text/plain');
  });

  it('refuses an .exe sent as a PDF (422 naming the body) and keeps nothing', async () => {
    const id = uniqueNumber('DOC');
    const res = await feed(id, windowsExe(), { title: 'faktura.pdf', category: 'other' });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'file_type_not_allowed', details: [{ field: 'body' }] });
    expect(res.body.error.message).toContain('Windows executable');
    const mismatch = await feed(id, samplePng(), { title: 'x', category: 'other' }, 'application/pdf');
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.error.code).toBe('file_type_mismatch');
    expect(await svc.db.knex('documents').where({ document_number: id }).first()).toBeUndefined();
  });

  it('refuses a Content-Type it does not take (415), an empty body (422) and a file over 20 MiB (413)', async () => {
    const zip = await feed(uniqueNumber('DOC'), samplePdf(), { title: 'x', category: 'other' }, 'application/zip');
    expect(zip.status).toBe(415);
    expect(zip.body.error.code).toBe('unsupported_media_type');
    const empty = await feed(uniqueNumber('DOC'), Buffer.alloc(0), { title: 'x', category: 'other' });
    expect(empty.status).toBe(422);
    expect(empty.body.error.code).toBe('file_empty');
    const big = Buffer.concat([samplePdf(), Buffer.alloc(20 * 1024 * 1024 + 1 - samplePdf().length, 0x20)]);
    const tooBig = await feed(uniqueNumber('DOC'), big, { title: 'x', category: 'other' });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('payload_too_large');
  });

  it('names each bad query field with 400, and an unknown customer with 422', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ category: 'other' }, 'title'],
      [{ title: 'x', category: 'menu' }, 'category'],
      [{ title: 'x' }, 'category'],
      [{ title: 'x', category: 'other', customerNumber: 'bad number!' }, 'customerNumber'],
      [{ title: 'x', category: 'other', colour: 'red' }, '(body)'],
    ];
    for (const [query, field] of cases) {
      const res = await feed(uniqueNumber('DOC'), samplePdf(), query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      if (field !== '(body)') expect(res.body.error.message).toContain(field);
      else expect(res.body.error.message).toContain('colour');
    }
    const badId = await svc.request('PUT', '/api/billing/documents/%20bad?title=x&category=other', {
      token: BILLING_TOKEN,
      rawBody: samplePdf(),
      headers: { 'content-type': 'application/pdf' },
    });
    expect(badId.status).toBe(400);
    expect(badId.body.error.message).toContain('documentId');
    const unknown = await feed(uniqueNumber('DOC'), samplePdf(), { title: 'x', category: 'other', customerNumber: 'NO-SUCH-CUSTOMER' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({ code: 'unknown_customer', details: { field: 'customerNumber' } });
  });

  it('answers 401 without the billing token, or with a customer token', async () => {
    const none = await svc.request('PUT', `/api/billing/documents/${uniqueNumber('DOC')}?title=x&category=other`, {
      rawBody: samplePdf(),
      headers: { 'content-type': 'application/pdf' },
    });
    expect(none.status).toBe(401);
    const customer = await feed(uniqueNumber('DOC'), samplePdf(), { title: 'x', category: 'other' }, 'application/pdf', a.token);
    expect(customer.status).toBe(401);
  });
});

describe('documents: customers', () => {
  it("lists the documents for everyone and the customer's own, never another customer's", async () => {
    const common = uniqueNumber('DOC');
    const ownA = uniqueNumber('DOC');
    const ownB = uniqueNumber('DOC');
    await feed(common, samplePdf(), { title: 'Wniosek o przyłączenie', category: 'form' });
    await feed(ownA, samplePdf('a'), { title: 'Umowa A', category: 'contract_scan', customerNumber: a.customerNumber });
    await feed(ownB, samplePdf('b'), { title: 'Umowa B', category: 'contract_scan', customerNumber: b.customerNumber });
    const list = await svc.request('GET', '/api/documents?limit=200', { token: a.token });
    expect(list.status).toBe(200);
    const ids = list.body.items.map((d: { id: string }) => d.id);
    expect(ids).toContain(common);
    expect(ids).toContain(ownA);
    expect(ids).not.toContain(ownB);
    expect(ids.indexOf(ownA)).toBeLessThan(ids.indexOf(common)); // newest first
    expect(list.body.items.find((d: { id: string }) => d.id === ownA)).toMatchObject({
      title: 'Umowa A',
      category: 'contract_scan',
      contentType: 'application/pdf',
      size: samplePdf('a').length,
      date: '2026-11-20',
      forEveryone: false,
      downloadUrl: `/api/documents/${ownA}/download`,
    });
  });

  it('pages the list with limit and cursor', async () => {
    for (let i = 0; i < 3; i++) await feed(uniqueNumber('DOC'), samplePdf(`p${i}`), { title: `Strona ${i}`, category: 'other' });
    const all = await svc.request('GET', '/api/documents?limit=200', { token: a.token });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await svc.request(
        'GET',
        `/api/documents?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: a.token },
      );
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((d) => d.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.items.map((d: { id: string }) => d.id));
    const bad = await svc.request('GET', '/api/documents?cursor=nonsense', { token: a.token });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('cursor');
    // A forged cursor of the right shape, dated outside the database's range: 400, not 500.
    for (const at of ['-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z']) {
      const forged = Buffer.from(`${at}|1`).toString('base64url');
      const res = await svc.request('GET', `/api/documents?cursor=${forged}`, { token: a.token });
      expect(res.status, at).toBe(400);
    }
    const badLimit = await svc.request('GET', '/api/documents?limit=0', { token: a.token });
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.error.message).toContain('limit');
  });

  it('downloads with type, length, a safe file name, an ETag, and 304 on If-None-Match', async () => {
    const id = uniqueNumber('DOC');
    const pdf = samplePdf('download');
    await feed(id, pdf, { title: 'Umowa "ważna"/kopia: łódź', category: 'contract_scan', customerNumber: a.customerNumber });
    const res = await fetch(`${svc.url}/api/documents/${id}/download`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.equals(pdf)).toBe(true);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-length')).toBe(String(pdf.length));
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="Umowa _wazna_kopia_ lodz.pdf"; filename*=UTF-8''Umowa%20_wa%C5%BCna_kopia_%20%C5%82%C3%B3d%C5%BA.pdf`,
    );
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const cached = await svc.request('GET', `/api/documents/${id}/download`, { token: a.token, headers: { 'if-none-match': etag } });
    expect(cached.status).toBe(304);
    expect(cached.text).toBe('');
    const stale = await svc.request('GET', `/api/documents/${id}/download`, { token: a.token, headers: { 'if-none-match': '"abc"' } });
    expect(stale.status).toBe(200);
  });

  it("answers 404 for another customer's document and a missing one alike, 401 without a token, 403 for staff", async () => {
    const id = uniqueNumber('DOC');
    await feed(id, samplePdf(), { title: 'Umowa B', category: 'contract_scan', customerNumber: b.customerNumber });
    const theirs = await svc.request('GET', `/api/documents/${id}/download`, { token: a.token });
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('document_not_found');
    const missing = await svc.request('GET', '/api/documents/NO-SUCH/download', { token: a.token });
    expect(missing.status).toBe(404);
    expect((await svc.request('GET', '/api/documents')).status).toBe(401);
    expect((await svc.request('GET', `/api/documents/${id}/download`)).status).toBe(401);
    const staff = await svc.request('GET', '/api/documents', { token: adminToken });
    expect(staff.status).toBe(403);
    expect((await svc.request('GET', `/api/documents/${id}/download`, { token: adminToken })).status).toBe(403);
    const badId = await svc.request('GET', '/api/documents/%20x/download', { token: a.token });
    expect(badId.status).toBe(400);
  });
});
