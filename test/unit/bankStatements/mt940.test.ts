import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStatement, parseMt940, StatementFormatError } from '../../../src/bankStatements/mt940/index.js';
import { ownFixture, realFixture } from './fixtures.js';

const ACCOUNT = '61109010140000071219812874';

function statement(lines: string[], { open = 'C261120PLN100,00', close, ref = 'REF1' }: { open?: string; close?: string; ref?: string } = {}): string {
  return [`:20:${ref}`, `:25:/PL${ACCOUNT}`, ':28C:1/1', `:60F:${open}`, ...lines, ...(close ? [`:62F:${close}`] : []), '-'].join('\n');
}

function expectFormatError(text: string, pattern?: RegExp): StatementFormatError {
  let caught: unknown;
  try {
    parseMt940(text);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(StatementFormatError);
  if (pattern) expect((caught as Error).message).toMatch(pattern);
  return caught as StatementFormatError;
}

describe('parseMt940: statement structure', () => {
  it('reads several enveloped messages, also when the next one starts on the "-}" line', () => {
    const text =
      '{1:F01INGBPLPWAXXX0000000000}{2:O940...}{4:\n' +
      statement([':61:2611201120CN10,00NTRFNONREF//A1', ':86:020~20FIRST'], { close: 'C261120PLN110,00', ref: 'M1' }).replace(/-$/, '') +
      '-}{5:{CHK:1}}{1:F01INGBPLPWAXXX0000000000}{2:O940...}{4:\n' +
      statement([':61:2611211121CN5,00NTRFNONREF//A2', ':86:020~20SECOND'], { open: 'C261120PLN110,00', close: 'C261121PLN115,00', ref: 'M2' }).replace(/-$/, '') +
      '-}\n{5:{CHK:2}}\n';
    const statements = parseMt940(text);
    expect(statements.map((s) => [s.reference, s.lines.map((l) => [l.bankReference, l.title])])).toEqual([
      ['M1', [['A1', 'FIRST']]],
      ['M2', [['A2', 'SECOND']]],
    ]);
  });

  it('reads statements without a "-" terminator, an ING ":940:" header and stray SOH/ETX', () => {
    const text = [
      '\x01:940:',
      ':20:A',
      `:25:${ACCOUNT}`,
      ':60F:C261120PLN0,00',
      ':61:261120C1,00NTRFNONREF//X1',
      ':62F:C261120PLN1,00\x03',
      '\x01:20:B',
      `:25:PL${ACCOUNT}`,
      ':60M:C261120PLN1,00',
      ':62M:C261120PLN1,00',
      '\x03',
    ].join('\r\n');
    const statements = parseMt940(text);
    expect(statements.map((s) => [s.reference, s.account, s.number, s.lines.length])).toEqual([
      ['A', ACCOUNT, '', 1],
      ['B', ACCOUNT, '', 0],
    ]);
    expect(statements[0]?.lines[0]?.entryDate).toBeUndefined();
  });

  it('treats RC as a debit and RD as a credit, both marked as reversals', () => {
    const [st] = parseMt940(
      statement([':61:2611201120RC10,00NTRFNONREF//R1', ':61:2611201120RDN4,00NTRFNONREF//R2'], { close: 'C261120PLN94,00' }),
    );
    expect(st?.lines.map((l) => [l.direction, l.reversal, l.amount, l.fundsCode])).toEqual([
      ['debit', true, '10.00', undefined],
      ['credit', true, '4.00', 'N'],
    ]);
  });

  it('puts the entry date in the year nearest the value date', () => {
    const [st] = parseMt940(
      statement([
        ':61:2612310102CN1,00NTRFNONREF//D1', // booked in the new year
        ':61:2701021231CN1,00NTRFNONREF//D2', // value date in the new year, booked before
        ':61:2402290229CN1,00NTRFNONREF//D3', // leap day
        ':61:9912310103CN1,00NTRFNONREF//D4', // 1999 → 2000
      ]),
    );
    expect(st?.lines.map((l) => [l.valueDate, l.entryDate])).toEqual([
      ['2026-12-31', '2027-01-02'],
      ['2027-01-02', '2026-12-31'],
      ['2024-02-29', '2024-02-29'],
      ['1999-12-31', '2000-01-03'],
    ]);
  });

  it('reads amounts with a comma or a dot, padded or short, never as floats', () => {
    const [st] = parseMt940(
      statement([
        ':61:261120CN1234.5NTRFNONREF//M1',
        ':61:261120CN0,07NTRFNONREF//M2',
        ':61:261120CN15,NTRFNONREF//M3',
        ':61:261120CN000123,450NTRFNONREF//M4',
        ':61:261120DN999999999999,99NTRFNONREF//M5',
      ]),
    );
    expect(st?.lines.map((l) => l.amount)).toEqual(['1234.50', '0.07', '15.00', '123.45', '999999999999.99']);
  });

  it('reads the :61: parts: S-type, customer reference without bank reference, supplementary lines', () => {
    const [st] = parseMt940(
      statement([
        ':61:261120CN1,00S103MYREF123//BANKREF 42',
        '   SUPPLEMENTARY   ',
        ':61:261120CN1,00NTRFMYREF',
        ':86:020~20T',
      ]),
    );
    expect(st?.lines[0]).toMatchObject({
      transactionType: 'S103',
      customerReference: 'MYREF123',
      bankReference: 'BANKREF 42',
      bankReferenceSource: 'statement',
      supplementary: 'SUPPLEMENTARY',
      title: '',
      raw86: '',
      transactionCode: '',
    });
    expect(st?.lines[1]).toMatchObject({ customerReference: 'MYREF', bankReferenceSource: 'generated', title: 'T' });
  });

  it('falls back to the mBank TNR, then to a generated reference unique within the statement', () => {
    const same = [':61:261120CN1,00NTRFNONREF', ':86:020~20SAME'];
    const [st] = parseMt940(statement([':61:261120CN1,00NTRFNONREF', ':86:911 X; TYT.: A; TNR: 1549.01', ...same, ...same]));
    expect(st?.lines[0]).toMatchObject({ bankReference: '1549.01', bankReferenceSource: 'transaction-number' });
    const generated = st?.lines.slice(1).map((l) => l.bankReference) ?? [];
    expect(generated).toHaveLength(2);
    expect(generated[0]).not.toBe(generated[1]);
    // stable: the same input gives the same references
    expect(parseMt940(statement([':61:261120CN1,00NTRFNONREF', ':86:911 X; TYT.: A; TNR: 1549.01', ...same, ...same]))[0]?.lines.map((l) => l.bankReference)).toEqual(
      st?.lines.map((l) => l.bankReference),
    );
  });

  it('does not give a statement-level :86: (after the balances) to the last line', () => {
    const [st] = parseMt940(
      [':20:X', `:25:${ACCOUNT}`, ':60F:C261120PLN0,00', ':61:261120CN1,00NTRFNONREF//L1', ':86:020~20LINE', ':62F:C261120PLN1,00', ':86:SALDO KOŃCOWE'].join('\n'),
    );
    expect(st?.lines[0]?.title).toBe('LINE');
  });

  it('ignores other tags (:13D:, :21:, :34F:, :65:, :NS:, :90C:) and keeps :64:', () => {
    const [st] = parseMt940(
      [
        ':20:X',
        ':21:NONREF',
        ':13D:2611201200+0100',
        `:25:${ACCOUNT}`,
        ':28C:5',
        ':34F:PLN0,',
        ':60F:C261120PLN0,00',
        ':61:261120CN1,00NTRFNONREF//L1',
        ':86:020~20A',
        ':NS:22SOMETHING',
        ':90C:1PLN1,00',
        ':62F:C261120PLN1,00',
        ':64:C261120PLN1,00',
        ':65:C261121PLN1,00',
      ].join('\n'),
    );
    expect(st).toMatchObject({ number: '5', availableBalance: { date: '2026-11-20', amount: '1.00' } });
    expect(st?.lines[0]?.title).toBe('A');
  });

  it('checks the balances unless told not to', () => {
    const text = statement([':61:261120CN10,00NTRFNONREF//B1'], { close: 'C261120PLN111,00' });
    const err = expectFormatError(text, /balances do not add up.*110\.00.*111\.00/);
    expect(err.field).toBe(':62F:');
    expect(parseMt940(text, { verifyBalances: false })[0]?.closingBalance?.amount).toBe('111.00');
    // negative balances
    expect(parseMt940(statement([':61:261120DN10,00NTRFNONREF//B1'], { open: 'D261120PLN5,00', close: 'D261120PLN15,00' }))[0]?.closingBalance?.amount).toBe('-15.00');
    expect(parseMt940(statement([], { open: 'D261120PLN0,00' }))[0]?.openingBalance.amount).toBe('0.00');
  });
});

describe('parseMt940: malformed input is a StatementFormatError', () => {
  it.each([
    ['an empty file', '', /no MT940 statement/],
    ['white space', ' \n\n \n', /no MT940 statement/],
    ['plain text', 'hello world', /line 1/],
    ['JSON', '{"statement": 1}', /line 1/],
    ['CSV', 'date,amount,title\n2026-11-20,10.00,FV 1', /line 1/],
    ['a :61: before any :20:', ':61:261120CN1,00NTRFNONREF', /outside a statement/],
    ['text after the "-" terminator', statement([]) + '\nGARBAGE', /line 6/],
  ])('%s', (_name, text, pattern) => {
    expectFormatError(text, pattern);
  });

  it('a statement without :25:', () => {
    const err = expectFormatError(':20:X\n:28C:1\n:60F:C261120PLN0,00\n:62F:C261120PLN0,00\n-', /no :25: account/);
    expect(err.field).toBe(':25:');
    expect(err.line).toBe(1);
  });

  it('a statement without opening balance, or with an empty :20: / :25:', () => {
    expectFormatError(`:20:X\n:25:${ACCOUNT}\n-`, /no opening balance/);
    expectFormatError(`:20:\n:25:${ACCOUNT}\n:60F:C261120PLN0,00`, /reference is empty/);
    expectFormatError(':20:X\n:25:  \n:60F:C261120PLN0,00', /account is empty/);
  });

  it.each([
    ['no date', ':61:CN1,00NTRFNONREF', /value date/],
    ['a short date', ':61:2611CN1,00NTRFNONREF', /value date/],
    ['an invalid date', ':61:261332CN1,00NTRFNONREF', /not a valid date/],
    ['an invalid entry date', ':61:2611201340CN1,00NTRFNONREF', /entry date/],
    ['no mark', ':61:261120XN1,00NTRFNONREF', /mark/],
    ['no amount', ':61:261120CNNTRFNONREF', /no amount/],
    ['a letter in the amount', ':61:261120CN12a,00NTRFNONREF', /amount "12a,00" is not a number/],
    ['two decimal commas', ':61:261120CN1,00,00NTRFNONREF', /not a number/],
    ['three fractional digits', ':61:261120CN1,001NTRFNONREF', /more than two fractional digits/],
    ['no transaction type', ':61:261120CN1,00', /transaction type/],
  ])('a :61: with %s', (_name, line61, pattern) => {
    const err = expectFormatError(statement([line61]), pattern);
    expect(err.line).toBe(5);
    expect(err.field).toBe(':61:');
    expect(err.message).toContain('line 5');
  });

  it.each([
    ['a letter in the amount', 'C261120PLNx,00'],
    ['no currency', 'C261120100,00'],
    ['no mark', '261120PLN100,00'],
    ['a bad date', 'C261131PLN100,00'],
  ])('a balance with %s', (_name, balance) => {
    const err = expectFormatError(statement([], { open: balance }));
    expect(err.field).toBe(':60F:');
  });

  it('a closing balance in another currency, a second :25:', () => {
    expectFormatError(statement([], { close: 'C261120EUR100,00' }), /currency/);
    expectFormatError(`:20:X\n:25:${ACCOUNT}\n:25:${ACCOUNT}\n:60F:C261120PLN0,00`, /second :25:/);
  });
});

describe('parseMt940 / decodeStatement on damaged input throw nothing but StatementFormatError', () => {
  const samples = [
    decodeStatement(realFixture('mbank-iph.sta')),
    decodeStatement(realFixture('mbank-multiple-accounts.sta')),
    decodeStatement(ownFixture('pko-envelope-cp1250.sta')),
    decodeStatement(ownFixture('pekao-iso88592.sta')),
  ];

  function onlyFormatErrors(run: () => unknown): boolean {
    try {
      run();
      return true;
    } catch (e) {
      if (e instanceof StatementFormatError) return true;
      throw e;
    }
  }

  it('truncated around every line break and every few characters of every fixture', () => {
    for (const text of samples) {
      const cuts = new Set<number>([0, text.length]);
      for (let i = 0; i < text.length; i += 1) {
        if (text[i] === '\n') for (const d of [-2, -1, 0, 1, 2, 4, 5]) cuts.add(i + d);
        if (i % 7 === 0) cuts.add(i);
      }
      for (const cut of cuts) onlyFormatErrors(() => parseMt940(text.slice(0, cut)));
    }
  });

  it('with lines dropped, repeated or cut', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: samples.length - 1 }), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), (which, picks) => {
        const lines = (samples[which] ?? '').split('\n');
        for (const p of picks) {
          const i = p % lines.length;
          const l = lines[i] ?? '';
          if (p % 3 === 0) lines.splice(i, 1);
          else if (p % 3 === 1) lines.splice(i, 0, l);
          else lines[i] = l.slice(0, p % (l.length + 1));
        }
        return onlyFormatErrors(() => parseMt940(lines.join('\n')));
      }),
      { numRuns: 500 },
    );
  });

  it('with characters replaced by MT940 punctuation and garbage', () => {
    const alphabet = fc.constantFrom(':', '/', ',', '.', '~', '<', '^', '+', '-', '{', '}', '\n', ' ', '0', '9', 'C', 'D', 'R', 'N', 'Ą', '\x01', '\x03', '\u0000');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: samples.length - 1 }),
        fc.array(fc.tuple(fc.nat(), alphabet), { minLength: 1, maxLength: 10 }),
        (which, edits) => {
          const chars = [...(samples[which] ?? '')];
          for (const [p, ch] of edits) chars[p % chars.length] = ch;
          return onlyFormatErrors(() => parseMt940(chars.join('')));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('random text and random bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => onlyFormatErrors(() => parseMt940(s))),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(':20:', ':25:', ':28C:', ':60F:', ':61:', ':86:', ':62F:', '-', '{4:', '-}', 'C', 'D', 'RC', '261120', '1120', 'PLN', 'N', '1,00', 'NTRF', '//', '~20', '\n', 'PL', '1'.repeat(26)), { maxLength: 60 }),
        (parts) => onlyFormatErrors(() => parseMt940(parts.join(''))),
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(undefined, 'utf-8', 'iso-8859-2', 'cp1250', 'x'), (bytes, charset) =>
        onlyFormatErrors(() => parseMt940(decodeStatement(Buffer.from(bytes), charset))),
      ),
      { numRuns: 500 },
    );
  });
});
