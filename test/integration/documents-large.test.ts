import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, uniqueNumber, type TestCustomer } from '../helpers/factories.js';
import { samplePdf } from '../helpers/files.js';
import { BILLING_TOKEN, startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
let a: TestCustomer;
beforeAll(async () => {
  svc = await startTestService();
  a = await createCustomer(svc);
});
afterAll(async () => {
  await svc?.close();
});

const MiB = 1024 * 1024;

describe('documents: a 20 MiB file', () => {
  it('is fed whole at the limit and downloads through the HTTP stack with flat memory', async () => {
    const id = uniqueNumber('BIG');
    const head = samplePdf('big');
    // Exactly 20 MiB, with varying bytes so nothing along the way can shortcut repeated content.
    const body = Buffer.alloc(20 * MiB);
    head.copy(body);
    for (let i = head.length; i < body.length; i++) body[i] = 32 + (i % 90);
    const put = await svc.request('PUT', `/api/billing/documents/${id}?title=Du%C5%BCy%20plik&category=other&customerNumber=${a.customerNumber}`, {
      token: BILLING_TOKEN,
      rawBody: body,
      headers: { 'content-type': 'application/pdf' },
    });
    expect(put.status).toBe(201);
    expect(put.body.size).toBe(20 * MiB);
    const expectedSha = put.body.sha256 as string;

    globalThis.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const res = await fetch(`${svc.url}/api/documents/${id}/download`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(20 * MiB));
    // Read and hash as it comes, keeping nothing.
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256');
    let received = 0;
    for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
      received += piece.length;
      hash.update(piece);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    clearInterval(sampler);
    expect(received).toBe(20 * MiB);
    expect(hash.digest('hex')).toBe(expectedSha);
    const growthMb = (peak - baseline) / MiB;
    console.log(`20 MiB download: peak RSS growth ${growthMb.toFixed(1)} MB (baseline ${(baseline / MiB).toFixed(0)} MB)`);
    // Generous: the file is 20 MiB; holding it once in memory (or twice) would pass 20 to 40 MB.
    expect(growthMb).toBeLessThan(60);
  });
});
