/**
 * MT940 statement parser with the Polish :86: layouts (see narrative.ts).
 *
 * Written here rather than on an npm MT940 parser. Checked on the npm registry on 2026-11-24 (each
 * run against the two real mBank exports in shared/fixtures/mt940/):
 * - mt940js 1.3.5 (last release December 2024): handles the SWIFT envelope and keeps the bank
 *   reference, but gives amounts as JS numbers (floating point; money must stay decimal here) and
 *   dates as UTC Date objects, has no Polish subfields, and rejects the real mBank IPH export
 *   (mbank-iph.sta) with "Mandatory tag 62 is missing": that file has no closing balance.
 * - mt940-js 1.0.0 (December 2024): crashes on import (requires 'tslib' without declaring it),
 *   decodes the bytes itself with the wrong charset (ISO-8859-2 'Ł' comes out as '£'), drops
 *   mBank's bank reference (reads '' for 'NONREF//EL004391-001078'), floating-point amounts.
 * - @centrapay/swift-parser 1.0.1 (September 2026) and its forks swiftmessageparser and
 *   stitch-swiftmessageparser: throw "Cannot read properties of null" on both mBank files.
 * None keeps amounts exact, and each would still need its own layer for the SWIFT envelope,
 * mBank's second :61: line and :86: wrapping; the format is small enough to parse directly.
 *
 * What is accepted:
 * - several statements per file, each opened by :20:, with or without the SWIFT envelope
 *   (`{1:...}{2:...}{3:...}{4:` ... `-}` and `{5:...}`), statements ended by a '-' line or not;
 *   stray SOH / ETX bytes at line ends, a BOM, CRLF;
 * - :61: as `YYMMDD[MMDD](C|D|RC|RD)[funds code]amount(N|F|S)xxx customer-ref[//bank-ref]` plus
 *   supplementary details on the next line (mBank's '911-TRANSAKCJA IPH'); amounts with a comma or
 *   a dot, at most two fractional digits (more only if they are zeros: nothing is ever rounded);
 *   the entry date takes the year that puts it nearest the value date (new-year rollover);
 * - :25: as '/PL61 1090 ...', 'PL61109...', '61109...' or 'BIC/PL61...', normalised to 26 digits;
 * - fields other than :20: :25: :28C: :60F/M: :61: :86: :62F/M: :64: are read and ignored.
 *
 * Checked: each statement has :25: and an opening balance; every :61: and balance parses; when
 * the statement has a closing balance, opening + credits - debits must equal it (a misread amount
 * or a lost line fails there; a statement cut off before its :62F: cannot be told from mBank's
 * IPH export, which has none); anything that is not an MT940 field, continuation line, '-' or
 * envelope is refused. Every problem is a StatementFormatError naming the line and field.
 */
import { createHash } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { formatMoney } from '../../money.js';
import { normaliseAccount } from './account.js';
import { StatementFormatError, StatementTruncatedError } from './formatError.js';
import { parseNarrative, type Narrative } from './narrative.js';
import type { Balance, BankStatement, StatementLine } from './types.js';

export interface ParseOptions {
  /**
   * Check opening + credits - debits = closing for each statement that has a closing balance
   * (default true). Turn off only for exports known to leave lines out (e.g. "credits only").
   */
  verifyBalances?: boolean;
}

interface RawField {
  tag: string;
  /** 1-based line number of the tag */
  line: number;
  /** lines[0] is the text after the tag; the others are continuation lines as they are */
  lines: string[];
}

/** The tags that start a new field. Any other ':xx:' line is a continuation of the field before it. */
const KNOWN_TAGS = new Set([
  '13', '13D', '20', '21', '25', '25P', '28', '28C', '34F', '60F', '60M', '61', '62F', '62M', '64', '65', '86',
  '90C', '90D', 'NS',
]);
const TAG_LINE = /^:(\d{2}[A-Z]?|NS):/;
/** ING and others put a ':940:' header line before the first statement. */
const HEADER_LINE = /^:940:\s*$/;

const AMOUNT = /^(\d+)(?:[.,](\d*))?$/;

function fieldName(tag: string): string {
  return `:${tag}:`;
}

// ---------------------------------------------------------------------------------------------
// dates and amounts

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function isoDate(y: number, m: number, d: number): string {
  return `${y}-${pad2(m)}-${pad2(d)}`;
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

/** YYMMDD → {y, m, d}; years 80–99 are 19xx, 00–79 are 20xx. */
function parseYymmdd(s: string, line: number, tag: string, what: string): { y: number; m: number; d: number } {
  if (!/^\d{6}$/.test(s)) throw new StatementFormatError(`${what} "${s}" is not a YYMMDD date`, line, fieldName(tag));
  const yy = Number(s.slice(0, 2));
  const y = yy >= 80 ? 1900 + yy : 2000 + yy;
  const m = Number(s.slice(2, 4));
  const d = Number(s.slice(4, 6));
  if (!validDate(y, m, d)) throw new StatementFormatError(`${what} "${s}" is not a valid date`, line, fieldName(tag));
  return { y, m, d };
}

/** The entry date's year: the one of (value year - 1, value year, value year + 1) nearest the value date. */
function entryDateFrom(mmdd: string, value: { y: number; m: number; d: number }, line: number): string {
  const m = Number(mmdd.slice(0, 2));
  const d = Number(mmdd.slice(2, 4));
  const valueMs = Date.UTC(value.y, value.m - 1, value.d);
  let best: { y: number; distance: number } | undefined;
  for (const y of [value.y - 1, value.y, value.y + 1]) {
    if (!validDate(y, m, d)) continue;
    const distance = Math.abs(Date.UTC(y, m - 1, d) - valueMs);
    if (best === undefined || distance < best.distance) best = { y, distance };
  }
  if (best === undefined) throw new StatementFormatError(`entry date "${mmdd}" is not a valid MMDD date`, line, ':61:');
  return isoDate(best.y, m, d);
}

/** '1234,56' / '1234.5' / '15,' → '1234.56' / '1234.50' / '15.00'. */
function parseAmount(s: string, line: number, tag: string): string {
  const m = AMOUNT.exec(s);
  if (!m) throw new StatementFormatError(`amount "${s}" is not a number`, line, fieldName(tag));
  const whole = m[1] ?? '0';
  let frac = m[2] ?? '';
  if (frac.length > 2) {
    if (/[^0]/.test(frac.slice(2))) {
      throw new StatementFormatError(`amount "${s}" has more than two fractional digits`, line, fieldName(tag));
    }
    frac = frac.slice(0, 2);
  }
  // numeric(14,2): at most 12 digits before the decimal point (SPEC 4.6: every accepted amount fits).
  if (whole.replace(/^0+/, '').length > 12) {
    throw new StatementFormatError(`amount "${s}" is too large (at most 12 digits before the decimal separator)`, line, fieldName(tag));
  }
  return formatMoney(new Decimal(`${whole}.${frac.padEnd(2, '0')}`));
}

function parseBalance(field: RawField): Balance {
  const text = field.lines.join('').trim();
  const m = /^([CD])(\d{6})([A-Z]{3})(.*)$/.exec(text);
  if (!m) {
    throw new StatementFormatError(
      `balance "${text}" is not (C|D)YYMMDD, a currency code and an amount`,
      field.line,
      fieldName(field.tag),
    );
  }
  const date = parseYymmdd(m[2] ?? '', field.line, field.tag, 'balance date');
  const amount = parseAmount(m[4] ?? '', field.line, field.tag);
  const signed = m[1] === 'D' && !new Decimal(amount).isZero() ? `-${amount}` : amount;
  return { date: isoDate(date.y, date.m, date.d), amount: signed, currency: m[3] ?? '' };
}

// ---------------------------------------------------------------------------------------------
// :61:

interface ParsedLine61 {
  valueDate: string;
  entryDate?: string;
  mark: 'C' | 'D' | 'RC' | 'RD';
  fundsCode?: string;
  amount: string;
  transactionType: string;
  customerReference: string;
  bankReference: string;
  supplementary: string;
}

function parse61(field: RawField): ParsedLine61 {
  const fail = (why: string): never => {
    throw new StatementFormatError(`statement line does not parse: ${why}`, field.line, ':61:');
  };
  const first = (field.lines[0] ?? '').trim();
  let rest = first;

  const dates = /^(\d{6})(\d{4})?/.exec(rest);
  if (!dates) return fail(`"${first}" does not start with a YYMMDD value date`);
  const value = parseYymmdd(dates[1] ?? '', field.line, '61', 'value date');
  const entryDate = dates[2] === undefined ? undefined : entryDateFrom(dates[2], value, field.line);
  rest = rest.slice(dates[0].length);

  const mark = /^(RC|RD|C|D)/.exec(rest)?.[1] as ParsedLine61['mark'] | undefined;
  if (mark === undefined) return fail(`"${first}": no C, D, RC or RD mark after the date`);
  rest = rest.slice(mark.length);

  let fundsCode: string | undefined;
  if (/^[A-Z]\d/.test(rest)) {
    fundsCode = rest[0];
    rest = rest.slice(1);
  }

  const amountText = /^[^A-Z]*/.exec(rest)?.[0] ?? '';
  if (amountText === '') return fail(`"${first}": no amount after the ${mark} mark`);
  const amount = parseAmount(amountText, field.line, '61');
  rest = rest.slice(amountText.length);

  const type = /^[NSF][A-Z0-9]{3}/.exec(rest)?.[0];
  if (type === undefined) return fail(`"${first}": no transaction type (N/F/S and three characters) after the amount`);
  rest = rest.slice(type.length);

  const slashes = rest.indexOf('//');
  const customerReference = (slashes >= 0 ? rest.slice(0, slashes) : rest).trim();
  const bankReference = slashes >= 0 ? rest.slice(slashes + 2).trim() : '';
  const supplementary = field.lines
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');

  const parsed: ParsedLine61 = {
    valueDate: isoDate(value.y, value.m, value.d),
    mark,
    amount,
    transactionType: type,
    customerReference,
    bankReference,
    supplementary,
  };
  if (entryDate !== undefined) parsed.entryDate = entryDate;
  if (fundsCode !== undefined) parsed.fundsCode = fundsCode;
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// tokenising

/** Lines handled between two yields of the parser (so a big file never holds the event loop long). */
const STEP_LINES = 2000;

interface Tokens {
  statements: RawField[][];
  /** The last statement ended with a '-' line or the end of its SWIFT block 4. */
  lastEnded: boolean;
  /** A SWIFT block 4 was begun and its '-}' never came. */
  envelopeOpen: boolean;
  lineCount: number;
}

/** Splits the text into statements, each a list of fields; refuses text that is not MT940. */
function* tokenise(text: string): Generator<void, Tokens> {
  const statements: RawField[][] = [];
  let current: RawField[] | undefined;
  let lastField: RawField | undefined;
  let lastEnded = false;
  let envelopeOpen = false;

  const close = (): void => {
    if (current !== undefined) lastEnded = true;
    current = undefined;
    lastField = undefined;
  };

  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    if (i % STEP_LINES === STEP_LINES - 1) yield;
    const lineNo = i + 1;
    // eslint-disable-next-line no-control-regex -- SOH and ETX frame bank files: stripped on purpose
    let line = (lines[i] ?? '').replace(/^[\x01\x03]+/, '').replace(/[\x01\x03]+(\s*)$/, '$1');
    // PostgreSQL cannot store a NUL, and no bank writes one into a statement.
    if (line.includes('\u0000')) throw new StatementFormatError('the file holds a NUL byte', lineNo);

    // the end of a statement ('-'), of a SWIFT block 4 ('-}'), possibly with the next message on the same line
    if (line.trim() === '-' || line.startsWith('-}')) {
      close();
      if (line.startsWith('-}')) envelopeOpen = false;
      const next = line.indexOf('{4:');
      if (next < 0) continue;
      envelopeOpen = true;
      line = line.slice(next + 3);
      if (line.trim() === '') continue;
    } else if (line.startsWith('{')) {
      const block4 = line.indexOf('{4:');
      if (block4 >= 0) {
        close();
        envelopeOpen = true;
        line = line.slice(block4 + 3);
        if (line.trim() === '') continue;
      } else if (/^\{[1-5]:/.test(line)) {
        continue; // header / trailer blocks on their own line
      }
    }

    if (line.trim() === '') continue;

    const tag = TAG_LINE.exec(line)?.[1];
    if (tag !== undefined && KNOWN_TAGS.has(tag)) {
      const field: RawField = { tag, line: lineNo, lines: [line.slice(tag.length + 2)] };
      if (tag === '20') {
        current = [];
        lastEnded = false;
        statements.push(current);
      } else if (current === undefined) {
        throw new StatementFormatError(
          `field ${fieldName(tag)} is outside a statement (a statement starts with :20:)`,
          lineNo,
          fieldName(tag),
        );
      }
      current.push(field);
      lastField = field;
      continue;
    }

    if (lastField !== undefined) {
      lastField.lines.push(line);
      continue;
    }
    if (current === undefined && statements.length === 0 && HEADER_LINE.test(line)) continue;

    const shown = line.length > 40 ? `${line.slice(0, 40)}...` : line;
    throw new StatementFormatError(`not an MT940 field or continuation line: "${shown}"`, lineNo);
  }
  return { statements, lastEnded, envelopeOpen, lineCount: lines.length };
}

// ---------------------------------------------------------------------------------------------
// statements

interface PendingLine {
  field: RawField;
  parsed: ParsedLine61;
  narrativeLines?: string[];
}

function generatedReference(parts: readonly string[]): string {
  return `GEN-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16).toUpperCase()}`;
}

function* buildStatement(fields: RawField[], options: Required<ParseOptions>): Generator<void, BankStatement> {
  const head = fields[0];
  if (head === undefined || head.tag !== '20') throw new StatementFormatError('a statement must start with :20:');
  const reference = head.lines.join('').trim();
  if (reference === '') throw new StatementFormatError('the statement reference is empty', head.line, ':20:');

  let account: string | undefined;
  let number = '';
  let opening: Balance | undefined;
  let closing: { balance: Balance; field: RawField } | undefined;
  let available: Balance | undefined;
  const pending: PendingLine[] = [];
  let lastLine: PendingLine | undefined;

  for (const field of fields.slice(1)) {
    const name = fieldName(field.tag);
    switch (field.tag) {
      case '20':
        break;
      case '25': {
        if (account !== undefined) throw new StatementFormatError('a second :25: in one statement', field.line, name);
        const normalised = normaliseAccount(field.lines.join(''));
        if (normalised === '') throw new StatementFormatError('the account is empty', field.line, name);
        account = normalised;
        break;
      }
      case '28C':
      case '28':
        number = field.lines.join('').trim();
        break;
      case '60F':
      case '60M':
        if (opening !== undefined) throw new StatementFormatError('a second opening balance', field.line, name);
        opening = parseBalance(field);
        break;
      case '61':
        lastLine = { field, parsed: parse61(field) };
        pending.push(lastLine);
        break;
      case '86':
        if (lastLine !== undefined) {
          lastLine.narrativeLines = [...(lastLine.narrativeLines ?? []), ...field.lines];
        }
        break; // an :86: after the balances is about the whole statement: not needed here
      case '62F':
      case '62M':
        if (closing !== undefined) throw new StatementFormatError('a second closing balance', field.line, name);
        closing = { balance: parseBalance(field), field };
        break;
      case '64':
        available = parseBalance(field);
        break;
      default:
        break;
    }
    if (field.tag !== '61' && field.tag !== '86') lastLine = undefined;
  }

  if (account === undefined) {
    throw new StatementFormatError(`statement "${reference}" has no :25: account`, head.line, ':25:');
  }
  if (opening === undefined) {
    throw new StatementFormatError(`statement "${reference}" has no opening balance :60F:`, head.line, ':60F:');
  }
  const openingBalance = opening;
  const currency = openingBalance.currency;
  if (closing !== undefined && closing.balance.currency !== currency) {
    throw new StatementFormatError(
      `closing balance currency ${closing.balance.currency} differs from the opening balance's ${currency}`,
      closing.field.line,
      fieldName(closing.field.tag),
    );
  }

  const seen = new Map<string, number>();
  const lines: StatementLine[] = [];
  for (const [k, { field, parsed, narrativeLines }] of pending.entries()) {
    if (k % STEP_LINES === STEP_LINES - 1) yield;
    const narrative: Narrative =
      narrativeLines === undefined
        ? { raw86: '', transactionCode: '', title: '', details: {} }
        : parseNarrative(narrativeLines);
    const direction = parsed.mark === 'C' || parsed.mark === 'RD' ? 'credit' : 'debit';

    let bankReference = parsed.bankReference;
    let bankReferenceSource: StatementLine['bankReferenceSource'] = 'statement';
    if (bankReference === '' && narrative.transactionNumber !== undefined) {
      bankReference = narrative.transactionNumber;
      bankReferenceSource = 'transaction-number';
    } else if (bankReference === '') {
      const key = [
        account ?? '',
        parsed.valueDate,
        parsed.entryDate ?? '',
        parsed.mark,
        parsed.amount,
        parsed.customerReference,
        parsed.supplementary,
        narrative.raw86,
      ].join('\u0000');
      const occurrence = (seen.get(key) ?? 0) + 1;
      seen.set(key, occurrence);
      bankReference = generatedReference([key, String(occurrence)]);
      bankReferenceSource = 'generated';
    }

    const line: StatementLine = {
      lineNumber: field.line,
      valueDate: parsed.valueDate,
      direction,
      reversal: parsed.mark === 'RC' || parsed.mark === 'RD',
      amount: parsed.amount,
      currency,
      transactionType: parsed.transactionType,
      customerReference: parsed.customerReference,
      bankReference,
      bankReferenceSource,
      supplementary: parsed.supplementary,
      transactionCode: narrative.transactionCode,
      title: narrative.title,
      details: narrative.details,
      raw86: narrative.raw86,
    };
    if (parsed.entryDate !== undefined) line.entryDate = parsed.entryDate;
    if (parsed.fundsCode !== undefined) line.fundsCode = parsed.fundsCode;
    if (narrative.description !== undefined) line.description = narrative.description;
    if (narrative.counterpartyName !== undefined) line.counterpartyName = narrative.counterpartyName;
    if (narrative.counterpartyAccount !== undefined) line.counterpartyAccount = narrative.counterpartyAccount;
    if (narrative.transactionNumber !== undefined) line.transactionNumber = narrative.transactionNumber;
    lines.push(line);
  }

  if (closing !== undefined && options.verifyBalances) {
    let expected = new Decimal(openingBalance.amount);
    for (const l of lines) expected = l.direction === 'credit' ? expected.plus(l.amount) : expected.minus(l.amount);
    if (!expected.equals(closing.balance.amount)) {
      throw new StatementFormatError(
        `balances do not add up in statement "${reference}": opening ${openingBalance.amount} and the ` +
          `${lines.length} lines give ${formatMoney(expected)}, the closing balance says ${closing.balance.amount}`,
        closing.field.line,
        fieldName(closing.field.tag),
      );
    }
  }

  const statement: BankStatement = {
    reference,
    account,
    number,
    currency,
    lineNumber: head.line,
    openingBalance,
    lines,
  };
  if (closing !== undefined) statement.closingBalance = closing.balance;
  if (available !== undefined) statement.availableBalance = available;
  return statement;
}

function hasClosingBalance(fields: RawField[]): boolean {
  return fields.some((f) => f.tag === '62F' || f.tag === '62M');
}

function* parseSteps(text: string, options: ParseOptions): Generator<void, BankStatement[]> {
  if (typeof text !== 'string') throw new StatementFormatError('the statement is not text');
  const opts: Required<ParseOptions> = { verifyBalances: options.verifyBalances ?? true };
  const tokens = yield* tokenise(text);
  const groups = tokens.statements;
  if (groups.length === 0) throw new StatementFormatError('no MT940 statement found (no :20: field)');
  const statements: BankStatement[] = [];
  for (const [i, fields] of groups.entries()) {
    try {
      statements.push(yield* buildStatement(fields, opts));
    } catch (err) {
      // A closing balance that does not parse or add up, at the very end of a file without its
      // end line, is a cut file rather than a bad one.
      if (err instanceof StatementFormatError && i === groups.length - 1 && (!tokens.lastEnded || tokens.envelopeOpen)) {
        throw new StatementTruncatedError(`the file ends without the end line "-" of its last statement, and ${err.message}`);
      }
      throw err;
    }
  }
  if (tokens.envelopeOpen) {
    throw new StatementTruncatedError('the file ends inside a SWIFT envelope: its end "-}" is missing, so the file was cut short');
  }
  // A statement ends with a '-' line, and where the bank writes one, a closing balance; the last
  // statement of a cut file has neither.
  if (!tokens.lastEnded && !hasClosingBalance(groups[groups.length - 1]!)) {
    throw new StatementTruncatedError(
      'the last statement ends without a closing balance (:62F:) and without its end line "-", so the file was cut short',
      tokens.lineCount,
    );
  }
  return statements;
}

/**
 * Parses the (decoded, see decodeStatement) text of an MT940 file into its statements, in file
 * order. Throws StatementFormatError for anything malformed (StatementTruncatedError for a file
 * cut short); never returns an empty list.
 */
export function parseMt940(text: string, options: ParseOptions = {}): BankStatement[] {
  const steps = parseSteps(text, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** parseMt940, giving the event loop a turn every few thousand lines (for files of megabytes). */
export async function parseMt940Async(text: string, options: ParseOptions = {}): Promise<BankStatement[]> {
  const steps = parseSteps(text, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
