import type { Context } from 'koa';
import type { OpenedFile } from './fileStore.js';

const EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'text/plain': 'txt',
};

/**
 * A file name safe in a header and on any disk: letters (Polish ones too), digits, space, dot,
 * dash and underscore; everything else becomes `_`. The extension follows the real type.
 */
export function safeFileName(base: string, contentType: string): string {
  const ext = EXTENSIONS[contentType] ?? 'bin';
  let name = base
    .normalize('NFC')
    .replace(/[^\p{L}\p{N} ._-]+/gu, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[ .]+|[ .]+$/g, '')
    .slice(0, 100);
  if (name.toLowerCase().endsWith(`.${ext}`)) name = name.slice(0, -ext.length - 1);
  return `${name || 'dokument'}.${ext}`;
}

/** The ASCII fallback for old clients: Polish letters without their marks, the rest `_`. */
function asciiFileName(name: string): string {
  return name
    .replace(/ł/g, 'l')
    .replace(/Ł/g, 'L')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9 ._-]/g, '_');
}

/** RFC 6266 with RFC 8187's `filename*` for the UTF-8 name. */
export function contentDisposition(fileName: string, disposition: 'attachment' | 'inline' = 'attachment'): string {
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${asciiFileName(fileName)}"; filename*=UTF-8''${encoded}`;
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  // Weak comparison (RFC 9110 13.1.2): W/ prefixes do not matter for If-None-Match.
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/**
 * Streams a stored file as the answer: type, length, name, and an ETag from its digest (files never
 * change, so the digest names the bytes); a matching If-None-Match answers 304 without reading it.
 */
export function sendStoredFile(ctx: Context, file: OpenedFile, fileName: string, ifNoneMatch: string | undefined): void {
  const etag = `"${file.sha256}"`;
  ctx.set('ETag', etag);
  // Private, and revalidated each time: documents are personal, and the ETag makes it cheap.
  ctx.set('Cache-Control', 'private, no-cache');
  if (etagMatches(ifNoneMatch, etag)) {
    ctx.status = 304;
    return;
  }
  ctx.body = file.stream();
  ctx.type = file.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : file.contentType;
  ctx.length = file.size;
  ctx.set('Content-Disposition', contentDisposition(safeFileName(fileName, file.contentType)));
}
