import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/createDb.js';
import { FileStore, type SaveFileInput } from '../../src/documents/index.js';
import { AppError } from '../../src/errors.js';
import { createTestDb } from '../helpers/db.js';
import { samplePdf, samplePng, windowsExe } from '../helpers/files.js';

let db: Database;
let files: FileStore;
beforeAll(async () => {
  db = await createTestDb();
  files = new FileStore(db.knex);
});
afterAll(async () => {
  await db?.close();
});

const ALL = ['application/pdf', 'image/png', 'image/jpeg', 'text/plain'] as const;

function save(input: Partial<SaveFileInput> & Pick<SaveFileInput, 'source'>) {
  return db.knex.transaction((trx) => files.save(trx, { maxBytes: 1024 * 1024, allowedTypes: ALL, ...input }));
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('file store', () => {
  it('stores a PDF in chunks and streams the same bytes back, with size, digest and type from the bytes', async () => {
    // A PDF of a bit over three chunks: the header decides the type, the rest is padding.
    const pdf = Buffer.concat([samplePdf(), Buffer.alloc(3 * 256 * 1024 + 123, 0x20)]);
    const stored = await save({ source: { stream: Readable.from([pdf.subarray(0, 1000), pdf.subarray(1000)]) }, maxBytes: 2 * 1024 * 1024 });
    expect(stored).toMatchObject({ contentType: 'application/pdf', size: pdf.length });
    const chunks = await db.knex('file_chunks').where({ file_id: stored.fileId }).count<{ n: string }[]>('* as n');
    expect(Number(chunks[0]!.n)).toBe(4);
    const opened = await files.open(stored.fileId);
    expect(opened).toMatchObject({ size: pdf.length, sha256: stored.sha256, contentType: 'application/pdf' });
    expect((await readAll(opened!.stream())).equals(pdf)).toBe(true);
    // Each stream() is a new read from the start.
    expect((await readAll(opened!.stream())).length).toBe(pdf.length);
  });

  it('tells PNG and UTF-8 text from their bytes', async () => {
    expect((await save({ source: { buffer: samplePng() } })).contentType).toBe('image/png');
    expect((await save({ source: { buffer: Buffer.from('Cennik wody: 5,94 zł za m³\n') } })).contentType).toBe('text/plain');
  });

  it('refuses an .exe whatever it is called or declared, and rolls back', async () => {
    const before = await db.knex('files').count<{ n: string }[]>('* as n');
    const err = await refusal(save({ source: { buffer: windowsExe() }, declaredType: 'application/pdf' }));
    expect(err).toMatchObject({ status: 422, code: 'file_type_not_allowed' });
    expect(err.message).toContain('Windows executable');
    const after = await db.knex('files').count<{ n: string }[]>('* as n');
    expect(Number(after[0]!.n)).toBe(Number(before[0]!.n));
  });

  it('refuses binary "text" (a NUL, broken UTF-8), text where it is not allowed, and a declared type the bytes contradict', async () => {
    expect((await refusal(save({ source: { buffer: Buffer.from('abc\0def') } }))).code).toBe('file_type_not_allowed');
    expect((await refusal(save({ source: { buffer: Buffer.from([0x61, 0xc3, 0x28]) } }))).code).toBe('file_type_not_allowed');
    const pdfOnly = await refusal(save({ source: { buffer: Buffer.from('plain words') }, allowedTypes: ['application/pdf'], field: 'attachments' }));
    expect(pdfOnly).toMatchObject({ code: 'file_type_not_allowed', details: [{ field: 'attachments' }] });
    const mismatch = await refusal(save({ source: { buffer: samplePng() }, declaredType: 'application/pdf' }));
    expect(mismatch).toMatchObject({ status: 422, code: 'file_type_mismatch' });
  });

  it('refuses a file over the limit (413) and an empty one', async () => {
    const big = await refusal(save({ source: { buffer: Buffer.concat([samplePdf(), Buffer.alloc(2000)]) }, maxBytes: 1000 }));
    expect(big).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect((await refusal(save({ source: { buffer: Buffer.alloc(0) } }))).code).toBe('file_empty');
  });

  it('spools a stream to a temporary file with its digest, refusing it past the limit', async () => {
    const spooled = await files.spool(Readable.from([Buffer.from('abc'), Buffer.from('def')]), 10);
    expect(spooled.size).toBe(6);
    expect(spooled.sha256).toBe('bef57ec7f53a6d40beb640a780a639c83bc29ac8a9816f1fc6c5c6dcd93c4721');
    const stored = await save({ source: { path: spooled.path } });
    expect(stored.sha256).toBe(spooled.sha256);
    await spooled.dispose();
    expect((await refusal(files.spool(Readable.from([Buffer.alloc(8), Buffer.alloc(8)]), 10))).status).toBe(413);
  });

  it('answers nothing for an unknown or malformed id', async () => {
    expect(await files.open('00000000-0000-4000-8000-000000000000')).toBeUndefined();
    expect(await files.open('not-a-uuid')).toBeUndefined();
  });
});
