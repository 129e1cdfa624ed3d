import { describe, expect, it } from 'vitest';
import { joinFreeTextLines, normaliseAccount, nrbFromParts, parseNarrative } from '../../../src/bankStatements/mt940/index.js';

describe('structured :86: subfields', () => {
  it.each([
    ['~', 'PKO BP / ING'],
    ['<', 'Pekao'],
    ['^', 'Santander'],
    ['+', 'others'],
    ['?', 'German layout'],
  ])('detects the %s separator (%s) from the character after the code', (sep) => {
    const n = parseNarrative([
      `152${sep}00PRZELEW${sep}20FV/2026/1${sep}211/000123 ${sep}22Z DNIA 01.11${sep}32KOWALSKI${sep}33 JAN${sep}38PL 46 1140 2004 0000 3102 1234 5678`,
    ]);
    expect(n).toMatchObject({
      transactionCode: '152',
      description: 'PRZELEW',
      title: 'FV/2026/11/000123 Z DNIA 01.11',
      counterpartyName: 'KOWALSKI JAN',
      counterpartyAccount: '46114020040000310212345678',
    });
  });

  it('joins lines wrapped at 65 characters with nothing added, even inside a separator', () => {
    const content = '020~00PRZELEW PRZYCHODZĄCY~20ZAPŁATA ZA FAKTURĘ FV/2026/11~21/000123 KOWALSKI~27KOWALSKI JAN~3011402004~310000310212345678';
    const lines = [content.slice(0, 65), content.slice(65, 130), content.slice(130)];
    const n = parseNarrative(lines);
    expect(n.raw86).toBe(content);
    expect(n.title).toBe('ZAPŁATA ZA FAKTURĘ FV/2026/11/000123 KOWALSKI');
    expect(n.counterpartyAccount).toBe('46114020040000310212345678');

    // a cut between the separator and its digits
    const cut = parseNarrative(['020~00X~2', '0ABC~2', '1DEF']);
    expect(cut.title).toBe('ABCDEF');
  });

  it('joins ~20-~25 exactly as they are (spaces inside kept, nothing added) and trims only the ends', () => {
    const n = parseNarrative(['020~20 OPŁATA  ~21ZA~22 WODĘ~23~24~25 ']);
    expect(n.title).toBe('OPŁATA  ZA WODĘ');
    expect(n.details).toMatchObject({ '20': ' OPŁATA  ', '21': 'ZA', '22': ' WODĘ', '23': '', '25': ' ' });
  });

  it('leaves ~26 and ~60-~63 out of the title but keeps them in details', () => {
    const n = parseNarrative(['020~20TYTUŁ~26DODATEK~60ADRES~6312345']);
    expect(n.title).toBe('TYTUŁ');
    expect(n.details).toMatchObject({ '26': 'DODATEK', '60': 'ADRES', '63': '12345' });
  });

  it('reads the counterparty from ~27-~29 and ~32-~33', () => {
    expect(parseNarrative(['020~27PRZEDSIĘBIORSTWO WODOCIĄGÓW ~28I KANALIZACJI~29OŚWIĘCIM']).counterpartyName).toBe(
      'PRZEDSIĘBIORSTWO WODOCIĄGÓW I KANALIZACJI OŚWIĘCIM',
    );
    expect(parseNarrative(['020~32NOWAK~33ANNA']).counterpartyName).toBe('NOWAK ANNA');
    expect(parseNarrative(['020~20X']).counterpartyName).toBeUndefined();
  });

  it('prefers ~38 over ~30/~31 and builds the NRB from ~30/~31', () => {
    expect(parseNarrative(['020~3011402004~310000310212345678~38PL27124010371111000012345678']).counterpartyAccount).toBe(
      '27124010371111000012345678',
    );
    expect(parseNarrative(['020~3011402004~310000310212345678']).counterpartyAccount).toBe('46114020040000310212345678');
    // a ~31 with the whole NRB
    expect(parseNarrative(['020~3146114020040000310212345678']).counterpartyAccount).toBe('46114020040000310212345678');
    // a foreign IBAN
    expect(parseNarrative(['020~38DE89 3704 0044 0532 0130 00']).counterpartyAccount).toBe('DE89370400440532013000');
  });

  it('accepts subfields without a code', () => {
    expect(parseNarrative(['<00PRZELEW<20TYTUŁ'])).toMatchObject({ transactionCode: '', description: 'PRZELEW', title: 'TYTUŁ' });
  });

  it('appends a repeated subfield', () => {
    expect(parseNarrative(['020~20AB~21CD~20EF']).title).toBe('ABEFCD');
  });
});

describe('free-text :86:', () => {
  it('reads mBank keys', () => {
    const n = parseNarrative([
      '770 PRZELEW KRAJOWY; Z RACH.: 34103012890000000008440201; OD: ',
      'WHIRLPOOL POLSKA SPÓŁKA AKCYJNA 51-210 WROCŁAW; TYT.: ZAPŁATA ZA ',
      'FV/2026/11/000123; DATA STEMPLA: 02.06.2010; TNR: ',
      '154961063737657.320001',
    ]);
    expect(n).toEqual({
      raw86:
        '770 PRZELEW KRAJOWY; Z RACH.: 34103012890000000008440201; OD: WHIRLPOOL POLSKA SPÓŁKA AKCYJNA 51-210 WROCŁAW; ' +
        'TYT.: ZAPŁATA ZA FV/2026/11/000123; DATA STEMPLA: 02.06.2010; TNR: 154961063737657.320001',
      transactionCode: '770',
      description: 'PRZELEW KRAJOWY',
      title: 'ZAPŁATA ZA FV/2026/11/000123',
      counterpartyName: 'WHIRLPOOL POLSKA SPÓŁKA AKCYJNA 51-210 WROCŁAW',
      counterpartyAccount: '34103012890000000008440201',
      transactionNumber: '154961063737657.320001',
      details: {
        'Z RACH.': '34103012890000000008440201',
        OD: 'WHIRLPOOL POLSKA SPÓŁKA AKCYJNA 51-210 WROCŁAW',
        'TYT.': 'ZAPŁATA ZA FV/2026/11/000123',
        'DATA STEMPLA': '02.06.2010',
        TNR: '154961063737657.320001',
      },
    });
  });

  it('joins wrapped lines: trailing space kept; a lost trailing space put back; a full 65-character line cut mid-word', () => {
    expect(joinFreeTextLines(['TYT.: ZAPŁATA ZA F-RĘ NR ', '110F02574'])).toBe('TYT.: ZAPŁATA ZA F-RĘ NR 110F02574');
    expect(joinFreeTextLines(['TYT.: ZAPŁATA ZA F-RĘ NR', '110F02574'])).toBe('TYT.: ZAPŁATA ZA F-RĘ NR 110F02574');
    const full = `${'A'.repeat(60)}FAKTU`;
    expect(full).toHaveLength(65);
    expect(joinFreeTextLines([full, 'RA', 'X'])).toBe(`${'A'.repeat(60)}FAKTURA X`);
  });

  it('takes text without keys as the title', () => {
    expect(parseNarrative(['ZAPLATA FV/2026/11/000123 ', 'KOWALSKI'])).toMatchObject({
      transactionCode: '',
      title: 'ZAPLATA FV/2026/11/000123 KOWALSKI',
      details: {},
    });
    expect(parseNarrative(['020 ZAPLATA FV 1'])).toMatchObject({ transactionCode: '020', title: 'ZAPLATA FV 1' });
  });

  it('keeps text after "; " that is not a key with the value before it', () => {
    expect(parseNarrative(['911 X; TYT.: FV 1/2026; FV 2/2026; TNR: 1']).title).toBe('FV 1/2026; FV 2/2026');
  });
});

describe('accounts', () => {
  it('normalises the ways banks write an account', () => {
    for (const raw of [
      '/PL61109010140000071219812874',
      'PL61109010140000071219812874',
      '61109010140000071219812874',
      'PL61 1090 1014 0000 0712 1981 2874',
      ' /PL61 1090 1014 0000 0712 1981 2874 ',
      'WBKPPLPP/PL61109010140000071219812874',
      '61109010140000071219812874/PLN',
      'pl61109010140000071219812874',
    ]) {
      expect(normaliseAccount(raw)).toBe('61109010140000071219812874');
    }
    expect(normaliseAccount('/DE89 3704 0044 0532 0130 00')).toBe('DE89370400440532013000');
  });

  it('computes NRB check digits from sort code and account number', () => {
    expect(nrbFromParts('10901014', '0000071219812874')).toBe('61109010140000071219812874');
    expect(nrbFromParts('1090101', '0000071219812874')).toBeUndefined();
  });
});
