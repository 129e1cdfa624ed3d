import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import type { Queryable } from '../db/createDb.js';
import { commonErrors } from '../errors.js';
import { documentErrors } from './errors.js';

/** Files are cut into chunks of this size: one row each, one at a time in memory. */
export const CHUNK_SIZE = 256 * 1024;

/** The types the service ever stores; each caller narrows them (attachments take no text). */
export const FILE_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'text/plain'] as const;
export type FileType = (typeof FILE_TYPES)[number];

export interface StoredFile {
  fileId: string;
  contentType: FileType;
  size: number;
  sha256: string;
}

export interface OpenedFile extends StoredFile {
  createdAt: Date;
  /** A new stream of the file's bytes, read from the database one chunk at a time. */
  stream(): Readable;
}

export interface SaveFileInput {
  /** Where the bytes come from. Prefer a path (see `spool`): a slow client then never holds a transaction open. */
  source: { path: string } | { stream: AsyncIterable<Uint8Array> } | { buffer: Buffer };
  maxBytes: number;
  allowedTypes: readonly FileType[];
  /** What the client claimed (Content-Type); when specific, it must agree with the bytes. */
  declaredType?: string;
  /** The field or part named in error details (`body`, `attachments[2]`). */
  field?: string;
}

/** A body copied to a temporary file, with its size and digest; `dispose` removes it. */
export interface SpooledFile {
  path: string;
  size: number;
  sha256: string;
  dispose(): Promise<void>;
}

/** A row of `files` as the driver returns it. */
interface FileRow {
  id: string;
  size: string | number;
  sha256: string;
  content_type: FileType;
  chunk_count: number;
  created_at: Date | string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const TYPE_NAMES: Record<string, string> = {
  'application/x-msdownload': 'a Windows executable',
  'application/x-elf': 'a Linux executable',
  'application/zip': 'a ZIP archive',
  'application/gzip': 'a gzip archive',
  'text/html': 'an HTML page',
  'image/gif': 'a GIF image',
  'image/webp': 'a WebP image',
};

const ALIASES: Record<string, string> = { 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg', 'application/x-pdf': 'application/pdf' };

function normaliseType(declared: string | undefined): string | undefined {
  const bare = declared?.split(';')[0]?.trim().toLowerCase();
  if (!bare || bare === 'application/octet-stream') return undefined;
  return ALIASES[bare] ?? bare;
}

function toBuffer(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new Error('file chunk is not binary');
}

/** Walks a source piece by piece without ever holding it whole. */
function sourceStream(source: SaveFileInput['source']): AsyncIterable<Uint8Array> {
  if ('path' in source) return fs.createReadStream(source.path, { highWaterMark: 64 * 1024 });
  if ('buffer' in source) return Readable.from([source.buffer]);
  return source.stream;
}

/** Reads a stored file chunk after chunk; the next query runs only when the consumer wants more. */
class ChunkReader extends Readable {
  private seq = 0;
  constructor(
    private readonly db: Knex,
    private readonly fileId: string,
    private readonly chunkCount: number,
  ) {
    super({ highWaterMark: CHUNK_SIZE });
  }

  override _read(): void {
    if (this.seq >= this.chunkCount) {
      this.push(null);
      return;
    }
    const seq = this.seq;
    this.db('file_chunks')
      .where({ file_id: this.fileId, seq })
      .first('data')
      .then(
        (row: { data: unknown } | undefined) => {
          if (!row) {
            this.destroy(new Error(`file ${this.fileId}: chunk ${seq} is missing`));
            return;
          }
          this.seq = seq + 1;
          this.push(toBuffer(row.data));
        },
        (err: Error) => this.destroy(err),
      );
  }
}

/**
 * The file store: files in PostgreSQL (both modes), written in the caller's transaction and read
 * back as streams. The type is decided from the bytes (file-type), never from a name or a header.
 */
export class FileStore {
  constructor(private readonly db: Knex) {}

  /**
   * Copies a stream (an HTTP body) to a temporary file, refusing it past `maxBytes` with 413, so
   * that the database transaction storing it later does not wait on the network.
   */
  async spool(stream: Readable, maxBytes: number): Promise<SpooledFile> {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'ibok-upload-'));
    const file = path.join(dir, 'body');
    const dispose = () => fs.promises.rm(dir, { recursive: true, force: true });
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        stream,
        async function* (pieces: AsyncIterable<Buffer>) {
          for await (const piece of pieces) {
            size += piece.length;
            if (size > maxBytes) {
              throw commonErrors.create('payload_too_large', `The file is larger than ${formatLimit(maxBytes)}.`, {
                limitBytes: maxBytes,
              });
            }
            hash.update(piece);
            yield piece;
          }
        },
        fs.createWriteStream(file),
      );
    } catch (err) {
      await dispose();
      throw err;
    }
    return { path: file, size, sha256: hash.digest('hex'), dispose };
  }

  /** Stores a file in `trx`: checks size and type while writing it chunk by chunk; a refusal rolls back with the transaction. */
  async save(trx: Knex.Transaction, input: SaveFileInput): Promise<StoredFile> {
    const fileId = randomUUID();
    const field = input.field ?? 'body';
    const hash = createHash('sha256');
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    let textOk = true;
    let size = 0;
    let seq = 0;
    let detected: string | undefined;
    let decided = false;
    let pending: Buffer[] = [];
    let pendingLength = 0;

    // The row goes first so that the chunks' foreign key holds; its totals are filled in at the end.
    await trx('files').insert({ id: fileId, size: 0, sha256: '', content_type: 'application/octet-stream', chunk_count: 0 });

    const flush = async (chunk: Buffer) => {
      if (!decided) {
        detected = (await (await import('file-type')).fileTypeFromBuffer(chunk))?.mime; // loaded with the first upload, not at start
        decided = true;
        if (detected !== undefined) this.checkType(detected, input, field);
      }
      await trx('file_chunks').insert({ file_id: fileId, seq, data: chunk });
      seq += 1;
    };

    for await (const raw of sourceStream(input.source)) {
      const piece = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      size += piece.length;
      if (size > input.maxBytes) {
        throw commonErrors.create('payload_too_large', `The file is larger than ${formatLimit(input.maxBytes)}.`, {
          field,
          limitBytes: input.maxBytes,
        });
      }
      hash.update(piece);
      if (textOk) textOk = isCleanText(utf8, piece, true);
      pending.push(piece);
      pendingLength += piece.length;
      while (pendingLength >= CHUNK_SIZE) {
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLength);
        await flush(all.subarray(0, CHUNK_SIZE));
        const rest = all.subarray(CHUNK_SIZE);
        pending = rest.length ? [Buffer.from(rest)] : [];
        pendingLength = rest.length;
      }
    }
    if (size === 0) throw documentErrors.create('file_empty', `The file in ${field} is empty.`, [{ field, message: 'is empty' }]);
    if (pendingLength > 0) await flush(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLength));
    if (textOk) textOk = isCleanText(utf8, Buffer.alloc(0), false);

    if (detected === undefined) {
      // file-type knows binary formats only: text is what is left when the bytes are clean UTF-8.
      detected = textOk ? 'text/plain' : 'application/octet-stream';
      this.checkType(detected, input, field);
    }
    const sha256 = hash.digest('hex');
    await trx('files').where({ id: fileId }).update({ size, sha256, content_type: detected, chunk_count: seq });
    return { fileId, contentType: detected as FileType, size, sha256 };
  }

  private checkType(detected: string, input: SaveFileInput, field: string): void {
    if (!(input.allowedTypes as readonly string[]).includes(detected)) {
      const what = TYPE_NAMES[detected] ?? (detected === 'application/octet-stream' ? 'of an unknown binary type' : detected);
      throw documentErrors.create(
        'file_type_not_allowed',
        `The file in ${field} is ${what}, judging by its bytes; accepted are ${input.allowedTypes.join(', ')}.`,
        [{ field, message: `content is ${detected}` }],
      );
    }
    const declared = normaliseType(input.declaredType);
    if (declared !== undefined && declared !== detected) {
      throw documentErrors.create(
        'file_type_mismatch',
        `The file in ${field} is declared as ${declared} but its bytes are ${detected}.`,
        [{ field, message: `declared ${declared}, content is ${detected}` }],
      );
    }
  }

  /** A stored file's facts and a way to stream it; undefined when there is no such file. */
  async open(fileId: string): Promise<OpenedFile | undefined> {
    if (!UUID.test(fileId)) return undefined;
    const row = (await this.db('files').where({ id: fileId }).first()) as FileRow | undefined;
    if (!row) return undefined;
    const chunkCount = Number(row.chunk_count);
    return {
      fileId: row.id,
      contentType: row.content_type,
      size: Number(row.size),
      sha256: row.sha256,
      createdAt: new Date(row.created_at),
      stream: () => new ChunkReader(this.db, row.id, chunkCount),
    };
  }

  /** The facts of several files at once (for lists), without their bytes. */
  async describe(db: Queryable, fileIds: string[]): Promise<Map<string, StoredFile>> {
    const ids = fileIds.filter((id) => UUID.test(id));
    if (ids.length === 0) return new Map();
    const rows = await db('files').whereIn('id', ids).select('id', 'content_type', 'size', 'sha256');
    return new Map(
      rows.map((r: { id: string; content_type: FileType; size: string | number; sha256: string }) => [
        r.id,
        { fileId: r.id, contentType: r.content_type, size: Number(r.size), sha256: r.sha256 },
      ]),
    );
  }
}

/** Valid UTF-8 so far and no NUL: a NUL makes "text" a binary in disguise. */
function isCleanText(decoder: InstanceType<typeof TextDecoder>, piece: Buffer, more: boolean): boolean {
  if (piece.includes(0)) return false;
  try {
    decoder.decode(piece, { stream: more });
    return true;
  } catch {
    return false;
  }
}

export function formatLimit(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / 1024 / 1024} MiB` : `${bytes} bytes`;
}
