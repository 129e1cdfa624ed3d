import { describe, expect, it } from 'vitest';
import {
  chooseCharset,
  decodeStatement,
  isValidNrb,
  parseMt940,
  type BankStatement,
} from '../../../src/bankStatements/mt940/index.js';
import { ownFixture } from './fixtures.js';

function load(name: string): BankStatement[] {
  return parseMt940(decodeStatement(ownFixture(name)));
}

describe('PKO BP / ING style: SWIFT envelope, ~ subfields, Windows-1250 (pko-envelope-cp1250.sta)', () => {
  const bytes = ownFixture('pko-envelope-cp1250.sta');
  const statements = load('pko-envelope-cp1250.sta');
  const [day1, day2] = statements;

  it('is detected as Windows-1250 and holds two statements of one account', () => {
    expect(chooseCharset(bytes)).toBe('windows-1250');
    expect(bytes.includes(0x0d)).toBe(true);
    expect(statements.map((s) => [s.reference, s.account, s.number, s.openingBalance, s.closingBalance, s.lines.length])).toEqual([
      [
        '2611200001',
        '59102028920000540200001234',
        '00221/1',
        { date: '2026-11-19', amount: '15230.45', currency: 'PLN' },
        { date: '2026-11-20', amount: '62938.82', currency: 'PLN' },
        5,
      ],
      [
        '2611210001',
        '59102028920000540200001234',
        '00222/1',
        { date: '2026-11-20', amount: '62938.82', currency: 'PLN' },
        { date: '2026-11-21', amount: '64499.02', currency: 'PLN' },
        2,
      ],
    ]);
    expect(isValidNrb(day1?.account ?? '')).toBe(true);
  });

  it('joins a title cut mid-word across ~20/~21 and an :86: wrapped between ~2 and 1', () => {
    expect(day1?.lines[0]).toEqual({
      lineNumber: 6,
      valueDate: '2026-11-20',
      entryDate: '2026-11-20',
      direction: 'credit',
      reversal: false,
      amount: '1250.00',
      currency: 'PLN',
      fundsCode: 'N',
      transactionType: 'NTRF',
      customerReference: 'NONREF',
      bankReference: '26112000000001',
      bankReferenceSource: 'statement',
      supplementary: '',
      transactionCode: '020',
      description: 'PRZELEW PRZYCHODZĄCY ELIXIR',
      title: 'OPŁATA ZA FAKTURĘ NR FV/2026/11/000123 WODA I ŚCIEKI',
      counterpartyName: 'KOWALSKI JAN UL. ŚWIĘTOKRZYSKA 15/3 32-600 OŚWIĘCIM',
      // ~30 sort code + ~31 account: the NRB with its check digits
      counterpartyAccount: '46114020040000310212345678',
      details: {
        '00': 'PRZELEW PRZYCHODZĄCY ELIXIR',
        '20': 'OPŁATA ZA FAKTURĘ NR FV/202',
        '21': '6/11/000123 WODA I ŚCIEKI',
        '27': 'KOWALSKI JAN',
        '28': 'UL. ŚWIĘTOKRZYSKA 15/3',
        '29': '32-600 OŚWIĘCIM',
        '30': '11402004',
        '31': '0000310212345678',
      },
      raw86:
        '020~00PRZELEW PRZYCHODZĄCY ELIXIR~20OPŁATA ZA FAKTURĘ NR FV/202~216/11/000123 WODA I ŚCIEKI' +
        '~27KOWALSKI JAN~28UL. ŚWIĘTOKRZYSKA 15/3~2932-600 OŚWIĘCIM~3011402004~310000310212345678',
    });
  });

  it('reads the gateway payout', () => {
    expect(day1?.lines[1]).toMatchObject({
      direction: 'credit',
      amount: '48211.37',
      bankReference: '26112000000002',
      title: 'PAYBYNET ROZLICZENIE 5490001234 2026-11-20',
      counterpartyName: 'PAYBYNET SP. Z O.O. UL. ZACZĘŚNIAKA 1 WARSZAWA',
      counterpartyAccount: '50105014451000009012345678',
    });
  });

  it('decodes every Polish letter, upper and lower case, from CP1250', () => {
    expect(day1?.lines[2]).toMatchObject({
      amount: '89.50',
      title: 'Zażółć gęślą jaźń: ŚCIEKI ŹRÓDŁO ĄĘ NR KL 00012345',
      counterpartyName: 'NOWAK ANNA UL. ŹRÓDLANA 4 ŚWIĘTOCHŁOWICE',
      counterpartyAccount: '27124010371111000012345678',
    });
    expect(day1?.lines[2]?.details['60']).toBe('Z RACHUNKU OSOBISTEGO');
  });

  it('reads the debits', () => {
    expect(day1?.lines.slice(3).map((l) => [l.direction, l.amount, l.transactionType, l.customerReference, l.transactionCode, l.title])).toEqual([
      ['debit', '1830.00', 'NTRF', 'ZAPL-EN-1120', '073', 'ENERGIA ELEKTRYCZNA PAŹDZIERNIK 2026 FAKTURA E/10/2026/771'],
      ['debit', '12.50', 'NCHG', 'NONREF', '073', 'OPŁATA ZA PRZELEWY ELIXIR 2026-11-20'],
    ]);
    expect(day1?.lines[3]?.counterpartyName).toBe('ZAKŁAD ENERGETYCZNY POŁUDNIE SPÓŁKA AKCYJNA');
  });

  it('keeps the line the bank sent again with the same bank reference (for the importer to see as a duplicate)', () => {
    const again = day2?.lines[0];
    const first = day1?.lines[0];
    expect(again?.bankReference).toBe(first?.bankReference);
    expect({ ...again, lineNumber: 0 }).toEqual({ ...first, lineNumber: 0 });
    expect(day2?.lines[1]).toMatchObject({
      amount: '310.20',
      title: 'FV/2026/11/000124 ZA WODĘ',
      counterpartyName: 'WIŚNIEWSKI PIOTR',
      counterpartyAccount: '89105014451000009087654321',
    });
  });
});

describe('Pekao / Santander style: < subfields, ISO-8859-2, CRLF, over the new year (pekao-iso88592.sta)', () => {
  const bytes = ownFixture('pekao-iso88592.sta');
  const statements = load('pekao-iso88592.sta');
  const st = statements[0];

  it('is detected as ISO-8859-2 and holds one statement of the merchant account', () => {
    expect(chooseCharset(bytes)).toBe('iso-8859-2');
    expect(statements).toHaveLength(1);
    expect(st).toMatchObject({
      reference: 'MT940/270102',
      account: '61109010140000071219812874',
      number: '1/1',
      openingBalance: { date: '2026-12-31', amount: '7400.00' },
      closingBalance: { date: '2027-01-02', amount: '7684.50' },
      availableBalance: { date: '2027-01-02', amount: '7684.50' },
    });
  });

  it('reads dates over the new year, amounts without a funds code, "150," and the RD reversal', () => {
    expect(
      st?.lines.map((l) => [l.valueDate, l.entryDate, l.direction, l.reversal, l.amount, l.fundsCode, l.bankReference]),
    ).toEqual([
      ['2026-12-31', '2026-12-31', 'debit', false, '1000.00', undefined, '27001231000099'],
      ['2026-12-31', '2027-01-02', 'credit', false, '89.50', undefined, '27010200000101'],
      ['2027-01-02', '2027-01-02', 'credit', false, '150.00', undefined, '27010200000102'],
      ['2027-01-02', '2027-01-02', 'credit', true, '1000.00', undefined, '27010200000103'],
      ['2027-01-02', '2027-01-02', 'credit', false, '45.00', undefined, st?.lines[4]?.bankReference],
    ]);
  });

  it('joins < subfields written one per line, the title cut mid-word', () => {
    expect(st?.lines[1]).toMatchObject({
      transactionCode: '020',
      description: 'PRZELEW KRAJOWY',
      title: 'OPŁATA ZA WODĘ I ŚCIEKI LISTOPAD 2026 NR KLIENTA 00012345',
      counterpartyName: 'KOWALSKA MARIA UL. ŹRÓDLANA 7 OŚWIĘCIM',
      counterpartyAccount: '10160014620000123456780001',
    });
    expect(st?.lines[1]?.raw86).toBe(
      '020<00PRZELEW KRAJOWY<20OPŁATA ZA WODĘ I ŚCIEKI LIS<21TOPAD 2026 NR KLIENTA 00012<22345' +
        '<32KOWALSKA MARIA<33UL. ŹRÓDLANA 7 OŚWIĘCIM<38PL10160014620000123456780001',
    );
    expect(st?.lines[0]?.title).toBe('ZALICZKA NA MATERIAŁY BIUROWE');
    expect(st?.lines[2]).toMatchObject({ title: 'FV/2026/12/000456 DOPŁATA', counterpartyAccount: '89105014451000009087654321' });
    expect(st?.lines[3]).toMatchObject({
      transactionCode: '078',
      customerReference: 'ZAL/2026/88',
      title: 'ZWROT: RACHUNEK ODBIORCY NIEISTNIEJĄCY ZALICZKA NA MATERIAŁY BIUROWE',
    });
    // a subfield's own trailing space is data: '<20WPŁATA NA KONTO NR KLIENTA ' + '<2100054321'
    expect(st?.lines[4]).toMatchObject({ title: 'WPŁATA NA KONTO NR KLIENTA 00054321', counterpartyName: 'ŚLĄSKI ZDZISŁAW' });
  });

  it('gives a line without a bank reference a stable generated one', () => {
    const l = st?.lines[4];
    expect(l?.bankReferenceSource).toBe('generated');
    expect(l?.bankReference).toMatch(/^GEN-[0-9A-F]{16}$/);
    const again = parseMt940(decodeStatement(ownFixture('pekao-iso88592.sta')))[0]?.lines[4];
    expect(again?.bankReference).toBe(l?.bankReference);
  });
});
