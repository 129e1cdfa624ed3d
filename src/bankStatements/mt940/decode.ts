import iconv from 'iconv-lite';
import { StatementFormatError } from './formatError.js';

export type StatementCharset = 'utf-8' | 'iso-8859-2' | 'windows-1250';

const CHARSET_ALIASES: Record<string, StatementCharset | 'detect'> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'iso-8859-2': 'iso-8859-2',
  'iso8859-2': 'iso-8859-2',
  'iso_8859-2': 'iso-8859-2',
  'iso-ir-101': 'iso-8859-2',
  latin2: 'iso-8859-2',
  l2: 'iso-8859-2',
  csisolatin2: 'iso-8859-2',
  'windows-1250': 'windows-1250',
  cp1250: 'windows-1250',
  win1250: 'windows-1250',
  'x-cp1250': 'windows-1250',
  // ASCII is a subset of all three: a body labelled so is decoded by detection, which gives the same
  // text for a truly ASCII body and the most plausible one for a mislabelled body.
  'us-ascii': 'detect',
  ascii: 'detect',
};

/** Parses a charset label as found in a Content-Type (case-insensitive, quotes allowed). */
export function resolveCharset(label: string): StatementCharset | 'detect' {
  const key = label.trim().replace(/^"(.*)"$/, '$1').trim().toLowerCase();
  if (key === '') return 'detect';
  const found = CHARSET_ALIASES[key];
  if (found === undefined) {
    throw new StatementFormatError(
      `unsupported charset "${label}": expected iso-8859-2, windows-1250 (cp1250) or utf-8`,
    );
  }
  return found;
}

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

// The Polish letters that ISO-8859-2 and Windows-1250 put at different bytes (Ą ą Ś ś Ź ź); every
// other Polish letter (Ć ć Ę ę Ł ł Ń ń Ó ó Ż ż) has the same byte in both.
const ISO_ONLY = new Set([0xa1, 0xb1, 0xa6, 0xb6, 0xac, 0xbc]); // Ą ą Ś ś Ź ź in ISO-8859-2; ˇ ± ¦ ¶ ¬ Ľ in CP1250
const CP1250_LETTERS = new Set([0xa5, 0xb9]); // Ą ą in CP1250; Ľ š in ISO-8859-2

/**
 * Chooses between ISO-8859-2 and Windows-1250 for a body that is not UTF-8: bytes 0x80-0x9F are
 * control characters in ISO-8859-2 but letters (Ś ś Ź ź Š š ...) and punctuation in CP1250; the
 * bytes above count for the encoding in which they are a Polish letter. A tie (no telling byte:
 * both decode the Polish letters alike) goes to ISO-8859-2, the encoding of most MT940 exports.
 */
export function detectSingleByteCharset(bytes: Uint8Array): 'iso-8859-2' | 'windows-1250' {
  let iso = 0;
  let cp = 0;
  for (const b of bytes) {
    if (b >= 0x80 && b <= 0x9f) cp += 1;
    else if (CP1250_LETTERS.has(b)) cp += 1;
    else if (ISO_ONLY.has(b)) iso += 1;
  }
  return cp > iso ? 'windows-1250' : 'iso-8859-2';
}

/** Which charset decodeStatement would use for these bytes with this (optional) Content-Type charset. */
export function chooseCharset(bytes: Uint8Array, charset?: string): StatementCharset {
  const declared = charset === undefined ? 'detect' : resolveCharset(charset);
  if (declared !== 'detect') return declared;
  if (isValidUtf8(bytes)) return 'utf-8';
  return detectSingleByteCharset(bytes);
}

/**
 * Decodes an MT940 file body to text. `charset` (from the HTTP Content-Type) decides when given
 * (iso-8859-2, windows-1250/cp1250, utf-8; anything else is a StatementFormatError); otherwise
 * valid UTF-8 (with or without BOM) is UTF-8 and anything else is ISO-8859-2 or Windows-1250 by
 * detectSingleByteCharset. Strips a BOM, a leading SOH (0x01) and a trailing ETX (0x03), and
 * turns CRLF / CR line ends into LF.
 */
export function decodeStatement(bytes: Buffer | Uint8Array, charset?: string): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chosen = chooseCharset(buf, charset);
  if (chosen === 'utf-8' && !isValidUtf8(buf)) {
    throw new StatementFormatError('the body is declared as utf-8 but is not valid UTF-8');
  }
  let text = iconv.decode(buf, chosen); // iconv-lite strips a UTF-8 BOM itself
  text = text.replace(/^\uFEFF/, '');
  // eslint-disable-next-line no-control-regex -- SOH and ETX frame bank files: stripped on purpose
  text = text.replace(/^\x01+/, '');
  // eslint-disable-next-line no-control-regex -- SOH and ETX frame bank files: stripped on purpose
  text = text.replace(/\x03[\s\x03]*$/, '');
  text = text.replace(/\r\n?/g, '\n');
  return text;
}
