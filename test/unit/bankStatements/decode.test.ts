import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  chooseCharset,
  decodeStatement,
  parseMt940,
  StatementFormatError,
} from '../../../src/bankStatements/mt940/index.js';
import { realFixture } from './fixtures.js';

const TITLE = 'ZAŻÓŁĆ GĘŚLĄ JAŹŃ zażółć gęślą jaźń FV/2026/11/000123';

const STATEMENT = [
  ':20:CHARSET1',
  ':25:/PL61109010140000071219812874',
  ':28C:1/1',
  ':60F:C261120PLN100,00',
  ':61:2611201120CN10,00NTRFNONREF//CS001',
  `:86:020~00PRZELEW~20${TITLE.slice(0, 27)}~21${TITLE.slice(27)}~32ŚWIĄTEK ŹDZISŁAWA`,
  ':62F:C261120PLN110,00',
  '-',
].join('\r\n');

function titleOf(text: string): string | undefined {
  return parseMt940(text)[0]?.lines[0]?.title;
}

describe('decodeStatement', () => {
  const utf8 = Buffer.from(STATEMENT, 'utf8');
  const utf8Bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]);
  const iso = iconv.encode(STATEMENT, 'iso-8859-2');
  const cp1250 = iconv.encode(STATEMENT, 'windows-1250');

  it('detects UTF-8, UTF-8 with a BOM, ISO-8859-2 and CP1250 and gives the same Unicode title', () => {
    expect(chooseCharset(utf8)).toBe('utf-8');
    expect(chooseCharset(utf8Bom)).toBe('utf-8');
    expect(chooseCharset(iso)).toBe('iso-8859-2');
    expect(chooseCharset(cp1250)).toBe('windows-1250');
    // the single-byte encodings really differ in these letters
    expect(iso.equals(cp1250)).toBe(false);
    for (const bytes of [utf8, utf8Bom, iso, cp1250]) {
      const text = decodeStatement(bytes);
      expect(text.startsWith(':20:')).toBe(true);
      expect(text.includes('\r')).toBe(false);
      expect(titleOf(text)).toBe(TITLE);
      expect(parseMt940(text)[0]?.lines[0]?.counterpartyName).toBe('ŚWIĄTEK ŹDZISŁAWA');
    }
  });

  it('lets an explicit charset win, case-insensitively', () => {
    expect(titleOf(decodeStatement(iso, 'ISO-8859-2'))).toBe(TITLE);
    expect(titleOf(decodeStatement(cp1250, 'CP1250'))).toBe(TITLE);
    expect(titleOf(decodeStatement(cp1250, 'Windows-1250'))).toBe(TITLE);
    expect(titleOf(decodeStatement(utf8, 'UTF-8'))).toBe(TITLE);
    expect(titleOf(decodeStatement(iso, '"iso-8859-2"'))).toBe(TITLE);
    // the wrong label is obeyed: CP1250's Ś (0x8C) is a C1 control character in ISO-8859-2
    const misread = titleOf(decodeStatement(cp1250, 'iso-8859-2'));
    expect(misread).not.toBe(TITLE);
    expect(misread).toContain('\u008c');
    // and ISO-8859-2's Ą (0xA1) is a caron in CP1250
    expect(titleOf(decodeStatement(iso, 'windows-1250'))).toContain('ˇ');
  });

  it('decodes US-ASCII-labelled bodies by detection', () => {
    expect(titleOf(decodeStatement(iso, 'us-ascii'))).toBe(TITLE);
  });

  it('refuses an unknown charset, naming it', () => {
    expect(() => decodeStatement(utf8, 'koi8-r')).toThrow(StatementFormatError);
    expect(() => decodeStatement(utf8, 'koi8-r')).toThrow(/unsupported charset "koi8-r"/);
  });

  it('refuses bytes that are not UTF-8 when the charset says utf-8', () => {
    expect(() => decodeStatement(iso, 'utf-8')).toThrow(StatementFormatError);
  });

  it('strips SOH, ETX and CRLF', () => {
    const wrapped = Buffer.concat([Buffer.from([0x01, 0x0d, 0x0a]), iso, Buffer.from([0x0d, 0x0a, 0x03, 0x0d, 0x0a])]);
    const text = decodeStatement(wrapped);
    expect(text.startsWith('\n:20:CHARSET1\n')).toBe(true);
    expect(text.endsWith('\n-\n')).toBe(true);
    expect(['\x01', '\x03', '\r'].some((c) => text.includes(c))).toBe(false);
  });

  it('decodes the real mBank file (leading SOH, trailing ETX) as ISO-8859-2 with or without the label', () => {
    const bytes = realFixture('mbank-iph.sta');
    expect(bytes[0]).toBe(0x01);
    const detected = decodeStatement(bytes);
    expect(detected).toBe(decodeStatement(bytes, 'iso-8859-2'));
    expect(detected.startsWith('\n:20:ST100604CYC/1\n')).toBe(true);
    expect(detected.endsWith('\n-')).toBe(true);
    expect(detected).toContain('PRZELEW PRZYCHODZĄCY - ELIXIR');
  });

  it('gives ISO-8859-2 when no byte tells the two apart (the Polish letters then decode alike)', () => {
    expect(chooseCharset(iconv.encode('ŁÓDŹ', 'iso-8859-2'))).toBe('iso-8859-2'); // Ź is 0xAC there
    expect(chooseCharset(iconv.encode('ŁÓDŹ', 'windows-1250'))).toBe('windows-1250'); // and 0x8F here
    const same = Buffer.from([0xa3, 0xf3, 0xbf, 0xea]); // Ł ó ż ę: the same bytes in both
    expect(chooseCharset(same)).toBe('iso-8859-2');
    expect(decodeStatement(same)).toBe(iconv.decode(same, 'windows-1250'));
  });
});
