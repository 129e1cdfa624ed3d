import { describe, expect, it } from 'vitest';
import { decodeStatement, parseMt940, parseMt940Async, StatementFormatError, StatementTruncatedError } from '../../../src/bankStatements/mt940/index.js';
import { ownFixture, realFixture } from './fixtures.js';

const SIMPLE = [
  ':20:T/1',
  ':25:/PL61109010140000071219812874',
  ':28C:1/1',
  ':60F:C261120PLN0,00',
  ':61:2611201120C77,00NTRFNONREF//REF-1',
  ':86:020~00PRZELEW~20Zaplata FV/1/2026~27JAN TESTOWY',
  ':62F:C261120PLN77,00',
  '-',
].join('\n');

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('a statement cut short is told apart from a whole one (issue 12, finding 1)', () => {
  it('no prefix of a statement is taken with a cut line: it is refused, or (cut after a closing balance that adds up) whole', () => {
    const whole = parseMt940(SIMPLE)[0]!.lines;
    for (let cut = 1; cut < SIMPLE.length - 1; cut += 1) {
      let lines;
      try {
        lines = parseMt940(SIMPLE.slice(0, cut))[0]!.lines;
      } catch (err) {
        expect(err, `cut at ${cut}`).toBeInstanceOf(StatementFormatError);
        continue;
      }
      expect(cut, 'only a cut inside the closing balance line').toBeGreaterThan(SIMPLE.indexOf(':62F:'));
      expect(lines).toEqual(whole);
    }
  });

  it('a file cut inside a :86: title is a StatementTruncatedError', () => {
    const cut = SIMPLE.slice(0, SIMPLE.indexOf('~27'));
    expect(caught(() => parseMt940(cut))).toBeInstanceOf(StatementTruncatedError);
  });

  it('a SWIFT envelope begun and not ended is cut', () => {
    const text = decodeStatement(ownFixture('pko-envelope-cp1250.sta'), 'windows-1250');
    const err = caught(() => parseMt940(text.slice(0, text.lastIndexOf('-}'))));
    expect(err).toBeInstanceOf(StatementTruncatedError);
    expect((err as Error).message).toContain('-}');
  });

  it("the real mBank export without a closing balance is whole: its statement ends with '-'", () => {
    expect(parseMt940(decodeStatement(realFixture('mbank-iph.sta')))[0]!.closingBalance).toBeUndefined();
  });
});

describe('amounts and text that the database could not store (issue 12, finding 7)', () => {
  it('refuses amounts of 13 to 15 digits before the decimal separator; 12 digits are taken', () => {
    for (const amount of ['1234567890123,00', '123456789012345,00']) {
      const text = SIMPLE.replace(':61:2611201120C77,00', `:61:2611201120C${amount}`).replace(':62F:C261120PLN77,00', `:62F:C261120PLN${amount}`);
      expect((caught(() => parseMt940(text)) as Error).message).toContain('too large');
    }
    const twelve = SIMPLE.replace(':61:2611201120C77,00', ':61:2611201120C999999999999,99').replace(':62F:C261120PLN77,00', ':62F:C261120PLN999999999999,99');
    expect(parseMt940(twelve)[0]!.lines[0]!.amount).toBe('999999999999.99');
  });

  it('refuses a NUL byte', () => {
    const err = caught(() => parseMt940(SIMPLE.replace('Zaplata', 'Zap\u0000lata')));
    expect(err).toBeInstanceOf(StatementFormatError);
    expect((err as Error).message).toContain('NUL');
  });
});

describe('parseMt940Async', () => {
  it('gives the same statements as parseMt940', async () => {
    const text = decodeStatement(realFixture('mbank-multiple-accounts.sta'));
    expect(await parseMt940Async(text)).toEqual(parseMt940(text));
  });
});
