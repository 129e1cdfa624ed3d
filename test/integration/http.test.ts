import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BILLING_TOKEN, startTestService, type TestService } from '../helpers/service.js';
import { createCustomer } from '../helpers/factories.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

describe('HTTP hygiene', () => {
  it('gives every answer a request id, keeping a sane one sent by the caller', async () => {
    const generated = await svc.request('GET', '/healthz');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await svc.request('GET', '/healthz', { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    const replaced = await svc.request('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).not.toBe('bad id with spaces');
  });

  it('answers an unknown route with the JSON error shape', async () => {
    const res = await svc.request('GET', '/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'No route for GET /api/nothing-here.' } });
  });

  it('refuses NUL characters and lone surrogates anywhere in a JSON body, a query or a path parameter with 400', async () => {
    const feed = (rawBody: string) =>
      svc.request('PUT', '/api/billing/customers/C-TEXT', { token: BILLING_TOKEN, rawBody, headers: { 'content-type': 'application/json' } });
    const address = '{"street":"ul. Zamkowa 1","postalCode":"32-600","city":"Oświęcim"}';
    // JSON escapes: the parsed text holds U+0000, a lone high and a lone low surrogate, in a value or a key.
    for (const [raw, field] of [
      [`{"name":"Anna\\u0000","address":${address},"properties":[]}`, 'name'],
      [`{"name":"Anna","address":{"street":"ul. \\ud800","postalCode":"32-600","city":"X"},"properties":[]}`, 'address.street'],
      [`{"name":"Anna","address":${address},"properties":[{"id":"P1","address":{"street":"\\udc00x","postalCode":"32-600","city":"X"}}]}`, 'properties.0.address.street'],
      [`{"name":"Anna","address":${address},"properties":[],"a\\u0000b":1}`, 'a'],
    ] as const) {
      const res = await feed(raw);
      expect(res.status, raw).toBe(400);
      expect(res.body.error.code, raw).toBe('invalid_text');
      expect(res.body.error.details[0].field, raw).toContain(field);
    }
    expect(await svc.db.knex('customers').where({ customer_number: 'C-TEXT' }).first()).toBeUndefined();
    // A surrogate pair (an emoji) is fine Unicode and passes the edge.
    const emoji = await feed(`{"name":"Anna \\ud83d\\ude00","address":${address},"properties":[]}`);
    expect(emoji.status).toBe(201);

    const c = await createCustomer(svc);
    const query = await svc.request('GET', '/api/settlements?kind=invoice%00', { token: c.token });
    expect(query.status).toBe(400);
    expect(query.body.error.code).toBe('invalid_text');
    const path = await svc.request('GET', '/api/invoices/FV%00', { token: c.token });
    expect(path.status).toBe(400);
    expect(path.body.error.code).toBe('invalid_text');
  });

  it('answers a wrong method with 405', async () => {
    const res = await svc.request('DELETE', '/api/auth/login');
    expect(res.status).toBe(405);
  });

  it('exports request counts and durations by route pattern in Prometheus format', async () => {
    await svc.request('GET', '/api/invoices/FV%2F1'); // 401, counted under its route pattern
    const res = await svc.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="\/api\/invoices\/:number",status="401"\} 1/);
    expect(res.text).toContain('http_request_duration_seconds_bucket');
    expect(res.text).not.toContain('FV%2F1');
  });

  it('hides internals behind a generic 500 and reports not ready when the database is gone', async () => {
    const broken = await startTestService();
    const c = await broken.deps.auth.ensureStaff('x-admin', 'x-admin-password', 'admin');
    expect(c).toBe(true);
    await broken.db.knex.destroy();
    const res = await broken.request('POST', '/api/auth/login', { body: { login: 'x-admin', password: 'x-admin-password' } });
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('internal_error');
    expect(res.text).not.toMatch(/knex|pool|stack|destroy/i);
    expect(res.body.error.details.requestId).toBe(res.headers.get('x-request-id'));
    const ready = await broken.request('GET', '/readyz');
    expect(ready.status).toBe(503);
    await broken.close().catch(() => undefined);
  });
});
