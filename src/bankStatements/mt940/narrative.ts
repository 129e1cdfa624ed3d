/**
 * The :86: field ("information to account owner") of a statement line, in the two shapes Polish
 * banks use:
 *
 * - structured: a 2–3 digit transaction code, then subfields, each a separator character and two
 *   digits (`020~00PRZELEW~20TYTUL...~3010901014~31...`). The separator is whatever character
 *   follows the code: `~` (PKO BP, ING...), `<` and `^` (Pekao, Santander...), `+`, `?` (the German
 *   layout). The field is wrapped every 65 characters wherever that falls, so the lines are joined
 *   with nothing added. ~20–~25 are the title, cut by the bank every 27 characters even mid-word,
 *   so they too are joined with nothing added; ~27–~29 / ~32–~33 the counterparty's name and
 *   address; ~30 its bank's sort code and ~31 its account number; ~38 its IBAN.
 *
 * - keyed free text (mBank): `911 TRANSAKCJA IPH; ID IPH: XX...; Z RACH.: 0410...; OD: NAME;
 *   TYT.: TITLE; DATA STEMPLA: 02.06.2010; TNR: 1549...` wrapped at 65 characters. mBank breaks
 *   its lines after a space and keeps that space at the end of the line (see the fixtures:
 *   `ZAPŁATA ZA F-RĘ NR ⏎110F02574`), so lines are joined with nothing added; a line that does not
 *   end in white space and is shorter than the 65-character width must have lost its trailing
 *   space (an editor or a transfer trimmed it): there a single space is put back. A full-width
 *   line without a trailing space is a hard cut inside a word and is joined with nothing added.
 *
 * Anything else is plain free text: the whole text (less a leading 3-digit code) is the title.
 */
import { normaliseAccount, nrbFromParts } from './account.js';
import type { Narrative } from './types.js';

export type { Narrative };

/** SWIFT's line width for :86: content. */
const WRAP_WIDTH = 65;
/** The first line shares the 65 characters with the ':86:' tag in some exports. */
const FIRST_LINE_MIN_FULL = WRAP_WIDTH - 4;

const STRUCTURED_WITH_CODE = /^(\d{3})([~<^+?])\d{2}/;
const STRUCTURED_WITHOUT_CODE = /^()([~<^])\d{2}/;

const UPPER = 'A-ZĄĆĘŁŃÓŚŹŻ';
const KEY_WORD = `[${UPPER}0-9.]+`;
const KEY = `[${UPPER}][${UPPER}0-9.]*(?: ${KEY_WORD}){0,3}`;
/** '; KEY: ' inside mBank's free text: a key is 1–4 upper-case words and ends with a colon. */
const KEY_BOUNDARY = new RegExp(`;\\s+(${KEY}):(?=\\s|$)`, 'gu');
const LEADING_KEY = new RegExp(`^(${KEY}):(?=\\s|$)`, 'u');

function escapeRegExp(ch: string): string {
  return ch.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

function nonEmpty(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  return t === '' ? undefined : t;
}

/** Joins free-text lines: see the module comment. */
export function joinFreeTextLines(lines: readonly string[]): string {
  let out = '';
  lines.forEach((line, i) => {
    if (i === 0) {
      out = line;
      return;
    }
    const prev = lines[i - 1] ?? '';
    const full = prev.length >= (i === 1 ? FIRST_LINE_MIN_FULL : WRAP_WIDTH);
    out += prev === '' || full || /\s$/.test(prev) ? line : ` ${line}`;
  });
  return out;
}

function parseStructured(joined: string, code: string, sep: string): Narrative {
  const details: Record<string, string> = {};
  const order: string[] = [];
  const re = new RegExp(`${escapeRegExp(sep)}(\\d{2})`, 'g');
  const body = joined.slice(code.length);
  const marks = [...body.matchAll(re)];
  marks.forEach((m, i) => {
    const key = m[1] ?? '';
    const start = (m.index ?? 0) + m[0].length;
    const end = marks[i + 1]?.index ?? body.length;
    const value = body.slice(start, end);
    details[key] = (details[key] ?? '') + value;
    order.push(key);
  });

  // a repeated key was appended to its first value in details: take each key once, in file order
  const title = [...new Set(order)]
    .filter((k) => k >= '20' && k <= '25')
    .map((k) => details[k] ?? '')
    .join('')
    .trim();

  const nameParts = ['27', '28', '29', '32', '33']
    .map((k) => nonEmpty(details[k]))
    .filter((s): s is string => s !== undefined);

  let counterpartyAccount: string | undefined;
  const iban = nonEmpty(details['38']);
  const sortCode = nonEmpty(details['30'])?.replace(/\s+/g, '');
  const accountNo = nonEmpty(details['31'])?.replace(/\s+/g, '');
  if (iban !== undefined) counterpartyAccount = normaliseAccount(iban);
  else if (sortCode !== undefined && accountNo !== undefined) {
    counterpartyAccount = nrbFromParts(sortCode, accountNo) ?? normaliseAccount(accountNo);
  } else if (accountNo !== undefined) counterpartyAccount = normaliseAccount(accountNo);

  const result: Narrative = { raw86: joined, transactionCode: code, title, details };
  const description = nonEmpty(details['00']);
  if (description !== undefined) result.description = description;
  if (nameParts.length > 0) result.counterpartyName = nameParts.join(' ');
  if (counterpartyAccount !== undefined && counterpartyAccount !== '') result.counterpartyAccount = counterpartyAccount;
  return result;
}

function parseFreeText(joined: string): Narrative {
  const codeMatch = /^(\d{2,3}) /.exec(joined);
  const code = codeMatch?.[1] ?? '';
  const rest = codeMatch ? joined.slice(codeMatch[0].length) : joined;

  // split at '; KEY:' boundaries; text between keys stays with the key before it ('; ' included)
  const segments: { key: string | undefined; value: string }[] = [];
  // after a code the first segment is the operation's description, even with a colon in it
  // ('843 OPŁATA POCZTOWA: NORM; TNR: ...'); without a code the text may open with a key
  const leading = code === '' ? LEADING_KEY.exec(rest) : null;
  let cursor = 0;
  let currentKey: string | undefined;
  if (leading) {
    currentKey = leading[1];
    cursor = leading[0].length;
  }
  for (const m of rest.matchAll(KEY_BOUNDARY)) {
    const at = m.index ?? 0;
    if (at < cursor) continue;
    segments.push({ key: currentKey, value: rest.slice(cursor, at) });
    currentKey = m[1];
    cursor = at + m[0].length;
  }
  segments.push({ key: currentKey, value: rest.slice(cursor) });

  const keyed = segments.some((s) => s.key !== undefined);
  if (!keyed) {
    return { raw86: joined, transactionCode: code, title: joined.slice(code === '' ? 0 : code.length + 1).trim(), details: {} };
  }

  const details: Record<string, string> = {};
  let description: string | undefined;
  for (const seg of segments) {
    if (seg.key === undefined) {
      description = nonEmpty(seg.value);
      continue;
    }
    const value = seg.value.trim();
    details[seg.key] = details[seg.key] === undefined ? value : `${details[seg.key]}; ${value}`;
  }

  const result: Narrative = { raw86: joined, transactionCode: code, title: details['TYT.'] ?? '', details };
  if (description !== undefined) result.description = description;
  const name = nonEmpty(details['OD'] ?? details['DLA']);
  if (name !== undefined) result.counterpartyName = name;
  const account = nonEmpty(details['Z RACH.'] ?? details['NA RACH.']);
  if (account !== undefined) result.counterpartyAccount = normaliseAccount(account);
  const tnr = nonEmpty(details['TNR']);
  if (tnr !== undefined) result.transactionNumber = tnr;
  return result;
}

/**
 * Parses the lines of one :86: field (the first is the text after the ':86:' tag, the others the
 * continuation lines as they are in the file, without their line ends).
 */
export function parseNarrative(lines: readonly string[]): Narrative {
  const raw = lines.join('');
  const start = raw.trimStart();
  const structured = STRUCTURED_WITH_CODE.exec(start) ?? STRUCTURED_WITHOUT_CODE.exec(start);
  if (structured) {
    return parseStructured(start, structured[1] ?? '', structured[2] ?? '~');
  }
  return parseFreeText(joinFreeTextLines(lines).trim());
}
