import type { AppError } from '../errors.js';

export interface NdjsonLimits {
  /** Bytes of one line (without its newline); a longer line comes out as `tooLong`, the rest go on. */
  maxLineBytes: number;
  /** Lines in all (blank ones included); one more throws `tooManyLines()`. */
  maxLines: number;
  /** Bytes of the whole body; more throws `tooLarge()`. */
  maxBytes: number;
  tooManyLines: () => AppError;
  tooLarge: () => AppError;
}

export type NdjsonLine = { line: number; text: string } | { line: number; tooLong: true };

/**
 * The lines of a newline-delimited body as they arrive (never the body whole): numbered from 1,
 * a trailing `\r` dropped, a last line without its newline included. At most one line is held.
 */
export async function* ndjsonLines(body: AsyncIterable<Buffer | string>, limits: NdjsonLimits): AsyncGenerator<NdjsonLine> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let tooLong = false;
  let line = 0;
  let bytes = 0;
  const finish = (): NdjsonLine => {
    line += 1;
    if (line > limits.maxLines) throw limits.tooManyLines();
    if (tooLong) {
      tooLong = false;
      return { line, tooLong: true };
    }
    let text = parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts, partBytes).toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    parts = [];
    partBytes = 0;
    return { line, text };
  };
  for await (const piece of body) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    bytes += chunk.length;
    if (bytes > limits.maxBytes) throw limits.tooLarge();
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!tooLong && end > start) {
        if (partBytes + (end - start) > limits.maxLineBytes) {
          tooLong = true;
          parts = [];
          partBytes = 0;
        } else {
          parts.push(chunk.subarray(start, end));
          partBytes += end - start;
        }
      }
      if (newline === -1) break;
      yield finish();
      start = newline + 1;
    }
  }
  if (partBytes > 0 || tooLong) yield finish();
}
