import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/**
 * A new temporary file that only this service's user may read (mode 0600, created exclusively),
 * already gone from the directory: the open handle keeps it until it is closed, so nothing is
 * left behind even when the process dies.
 */
export async function openTempFile(prefix: string): Promise<fs.FileHandle> {
  const name = path.join(os.tmpdir(), `${prefix}-${randomUUID()}`);
  const file = await fs.open(name, 'wx+', 0o600);
  try {
    await fs.unlink(name);
  } catch (err) {
    await file.close();
    throw err;
  }
  return file;
}

/** Text gathered before a write; bytes read at a time. */
const WRITE_CHUNK_CHARS = 256 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;

async function writeAt(file: fs.FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await file.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * Lines of text written once to a temporary file as they come (never held whole in memory), then
 * read back from the start as often as needed: a bulk upload is received whole before the
 * database is touched, and its merge can be run again from here.
 */
export class Spool {
  private constructor(
    private readonly file: fs.FileHandle,
    /** How many lines were written. */
    readonly count: number,
    private readonly size: number,
  ) {}

  /**
   * Writes each text of `lines` (without a newline in it) as a line. Throws whatever reading
   * `lines` throws, with the file closed (and so gone).
   */
  static async write(lines: AsyncIterable<string>): Promise<Spool> {
    const file = await openTempFile('ibok-spool');
    try {
      let chunk = '';
      let count = 0;
      let size = 0;
      const flush = async () => {
        const data = Buffer.from(chunk, 'utf8');
        await writeAt(file, data, size);
        size += data.length;
        chunk = '';
      };
      for await (const line of lines) {
        chunk += `${line}\n`;
        count += 1;
        if (chunk.length >= WRITE_CHUNK_CHARS) await flush();
      }
      if (chunk !== '') await flush();
      return new Spool(file, count, size);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** The file's bytes from the start, a chunk at a time (a chunk may end inside a line). */
  async *chunks(): AsyncGenerator<Buffer> {
    let position = 0;
    while (position < this.size) {
      const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, this.size - position));
      const { bytesRead } = await this.file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) throw new Error(`spool ends at ${position} of ${this.size} bytes`);
      position += bytesRead;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
  }

  /** The lines from the first, without their newlines. */
  async *lines(): AsyncGenerator<string> {
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for await (const chunk of this.chunks()) {
      const parts = (rest + decoder.write(chunk)).split('\n');
      rest = parts.pop()!;
      yield* parts;
    }
    rest += decoder.end();
    if (rest !== '') yield rest;
  }

  /** Closes the file, which removes it. */
  async close(): Promise<void> {
    await this.file.close();
  }
}
