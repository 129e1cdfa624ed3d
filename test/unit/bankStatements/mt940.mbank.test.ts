import { describe, expect, it } from 'vitest';
import { decodeStatement, parseMt940, type BankStatement, type StatementLine } from '../../../src/bankStatements/mt940/index.js';
import { formatMoney, sum } from '../../../src/money.js';
import { realFixture } from './fixtures.js';

function load(name: string): BankStatement[] {
  return parseMt940(decodeStatement(realFixture(name)));
}

function line(statement: BankStatement | undefined, bankReference: string): StatementLine {
  const found = statement?.lines.find((l) => l.bankReference === bankReference);
  if (!found) throw new Error(`no line ${bankReference}`);
  return found;
}

describe('mBank IPH export (test/fixtures/mt940/mbank/mbank-iph.sta)', () => {
  const statements = load('mbank-iph.sta');
  const st = statements[0];

  it('holds one statement of 24 lines, without a closing balance', () => {
    expect(statements).toHaveLength(1);
    expect(st).toMatchObject({
      reference: 'ST100604CYC/1',
      account: '45114011370000310211001001',
      number: '107/1',
      currency: 'PLN',
      openingBalance: { date: '2010-06-04', amount: '0.00', currency: 'PLN' },
    });
    expect(st?.closingBalance).toBeUndefined();
    expect(st?.lines).toHaveLength(24);
    expect(st?.lines.filter((l) => l.direction === 'credit')).toHaveLength(23);
  });

  it('reads the first credit completely', () => {
    expect(st?.lines[0]).toEqual({
      lineNumber: 6,
      valueDate: '2010-06-04',
      entryDate: '2010-06-04',
      direction: 'credit',
      reversal: false,
      amount: '6979.18',
      currency: 'PLN',
      fundsCode: 'N',
      transactionType: 'NTRF',
      customerReference: 'NONREF',
      bankReference: 'EL004391-000970',
      bankReferenceSource: 'statement',
      supplementary: '911-TRANSAKCJA IPH',
      transactionCode: '911',
      description: 'TRANSAKCJA IPH',
      title: '210F1163',
      counterpartyName: 'GWARANT-CYNKOWANIE SPÓŁKA Z O.O. UL.CIEPŁOWNICZA 27 98-300 WIELUŃ',
      counterpartyAccount: '04105014611000002345271577',
      transactionNumber: '154961063737599.110001',
      details: {
        'ID IPH': 'XX000000000014',
        'Z RACH.': '04105014611000002345271577',
        OD: 'GWARANT-CYNKOWANIE SPÓŁKA Z O.O. UL.CIEPŁOWNICZA 27 98-300 WIELUŃ',
        'TYT.': '210F1163',
        'DATA STEMPLA': '02.06.2010',
        TNR: '154961063737599.110001',
      },
      raw86:
        '911 TRANSAKCJA IPH; ID IPH: XX000000000014; Z RACH.: 04105014611000002345271577; OD: ' +
        'GWARANT-CYNKOWANIE SPÓŁKA Z O.O. UL.CIEPŁOWNICZA 27 98-300 WIELUŃ; TYT.: 210F1163; ' +
        'DATA STEMPLA: 02.06.2010; TNR: 154961063737599.110001',
    });
  });

  it('joins wrapped :86: lines as mBank wrote them (the space stays at the end of the line)', () => {
    // 'TYT.: ZAPŁATA ZA F-RĘ NR ' ⏎ '110F02574 Z DN. 20.05.2010; DATA STEMPLA: ' ⏎ ...
    const l = line(st, 'EL004391-001078');
    expect(l.title).toBe('ZAPŁATA ZA F-RĘ NR 110F02574 Z DN. 20.05.2010');
    expect(l.amount).toBe('2516.25');
    expect(l.counterpartyName).toBe('ZAKŁAD USŁUG KOMUNALNYCH W LUB 97-217 LUBOCHNIA TOMASZOWSKA 9');
    expect(l.counterpartyAccount).toBe('28898500040010014331310001');
    expect(l.transactionNumber).toBe('154961063737600.670001');

    // a key cut after its value's start, a title over three lines
    expect(line(st, 'EL004391-036859').title).toBe(
      'FRA 2492/10.05.14 - 6855.00*1508.10 SIARCZAN ŻELAZOWY - PMID 2010-06-04 WN:200-211-039',
    );
    expect(line(st, 'EL004392-002683').title).toBe(
      '110F02470 2010-05-13 REJESTR VAT: 1 10F02470. ŚRODEK DO CZYSZCZENIA ŚCI EKÓW ZAPŁATA ZA: 110F02470',
    );
    // the title's trailing padding goes, the inner spaces stay
    expect(line(st, 'EL004391-024864').title).toBe('BPSCP43(3475)1.11.7684. ZAPL ZA FV  210F1102 Z DN 28.04.10 RM 1136');
  });

  it('decodes ISO-8859-2 names', () => {
    expect(line(st, 'EL004391-005746').counterpartyName).toBe(
      'ZAKŁAD WODOCIĄGÓW I KANALIZACJI SP. Z O.O. UL. WIERZBOWA 5290-133 ŁÓDŹ  (B-22)',
    );
    expect(line(st, 'EL004392-012118')).toMatchObject({
      amount: '22655.40',
      supplementary: '770-PRZELEW PRZYCHODZĄCY - ELIXIR',
      transactionCode: '770',
      description: 'PRZELEW KRAJOWY',
      title: '210/F0997',
      counterpartyName: 'SYNTHOS DWORY SP. Z O.O.  UL. CHEMIKÓW 1 32-600 OŚWIĘCIM',
    });
  });

  it('reads the group fee debit at the end', () => {
    const fee = st?.lines[23];
    expect(fee).toMatchObject({
      direction: 'debit',
      amount: '15.00',
      transactionType: 'NCHG',
      bankReference: 'GR20100604001068',
      supplementary: '794-OPŁATY GRUPOWE',
      transactionCode: '794',
      title: '',
      transactionNumber: '154960005384269.330001',
    });
    expect(fee?.counterpartyName).toBeUndefined();
  });

  it('adds up the credits exactly', () => {
    const credits = (st?.lines ?? []).filter((l) => l.direction === 'credit').map((l) => l.amount);
    expect(formatMoney(sum(credits))).toBe('340109.70');
  });
});

describe('mBank export of several accounts (test/fixtures/mt940/mbank/mbank-multiple-accounts.sta)', () => {
  const statements = load('mbank-multiple-accounts.sta');

  it('holds 8 statements with their accounts, currencies, balances and line counts', () => {
    expect(statements.map((s) => [s.account, s.currency, s.lines.length, s.openingBalance.amount, s.closingBalance?.amount])).toEqual([
      ['46114010100000579009004001', 'PLN', 38, '8985995772.25', '8987999030.37'],
      ['19114010100000579009004002', 'PLN', 2, '100000026.49', '100000074.77'],
      ['89114010100000579009004003', 'EUR', 7, '995274499.72', '995273634.59'],
      ['62114010100000579009004004', 'EUR', 0, '12.94', '12.94'],
      ['35114010100000579009004005', 'USD', 1, '56.48', '12.61'],
      ['12114010100000579009005001', 'PLN', 1, '277.87', '283.86'],
      ['82114010100000579009005002', 'EUR', 7, '-959.45', '-492.89'],
      ['55114010100000579009005003', 'USD', 0, '144.46', '144.46'],
    ]);
    // mBank gives every statement of the file the same :20: and :28C:
    expect(new Set(statements.map((s) => `${s.reference} ${s.number}`))).toEqual(new Set(['ST071023CYC/1 11/1']));
    expect(statements[0]?.availableBalance).toEqual({ date: '2007-10-23', amount: '8987999030.37', currency: 'PLN' });
  });

  it('reads the funds code letter of other currencies (CR = credit in EUR, DD = debit in USD)', () => {
    const eur = statements[2];
    expect(eur?.lines.map((l) => [l.direction, l.fundsCode, l.amount, l.reversal])).toEqual([
      ['debit', 'R', '216.45', false],
      ['credit', 'R', '15.21', false],
      ['credit', 'R', '1.84', false],
      ['debit', 'R', '210.01', false],
      ['debit', 'R', '216.45', false],
      ['debit', 'R', '216.45', false],
      ['debit', 'R', '22.82', false],
    ]);
    expect(statements[4]?.lines[0]).toMatchObject({ direction: 'debit', fundsCode: 'D', amount: '43.87', currency: 'USD' });
  });

  it('reads the incoming ELIXIR and SORBNET credits', () => {
    const credits = statements[0]?.lines.filter((l) => l.direction === 'credit') ?? [];
    expect(credits.map((l) => [l.bankReference, l.amount, l.title])).toEqual([
      ['EL002363-000001', '24.14', 'ZAPŁATA ZA FAKTURĘ NR  1/2007'],
      ['EL002363-000002', '24.14', 'ZAPŁATA ZA FAKTURĘ NR  2/2007'],
      ['EL002363-000003', '24.14', 'ZAPŁATA ZA FAKTURĘ NR  3/2007'],
      ['EL002363-000004', '24.14', 'ZAPŁATA ZA FAKTURĘ NR  4/2007'],
      ['EL002363-000005', '24.14', 'ZAPŁATA ZA FAKTURĘ NR  5/2007'],
      ['EL002363-000006', '24.14', 'ZAPŁATA ZA FAKTURĘ NR  6/2007'],
      ['EL002363-000007', '24.14', 'ZAPŁATA ZA FAKTURĘ NR  7/2007'],
      ['EL002363-000008', '24.14', 'ZAPŁATA ZA FAKTURĘ NR  8/2007'],
      ['SO059910-000001', '1002444.00', 'ZAPŁATA ZA FAKTURĘ NR  1/2007'],
      ['SO059910-000002', '1002444.00', 'ZAPŁATA ZA FAKTURĘ NR  2/2007'],
    ]);
    expect(credits[0]).toMatchObject({
      counterpartyName: 'FIRMA 1 SP. Z O.O.',
      counterpartyAccount: '35109010560000000006093440',
      transactionNumber: '145411006445851.000001',
    });
  });

  it('reads outgoing transfers: customer reference, NA RACH. / DLA, keys after the title', () => {
    const refund = statements[0]?.lines.find((l) => l.transactionNumber === '145411008036753.010001');
    expect(refund).toMatchObject({
      direction: 'debit',
      amount: '12.03',
      customerReference: 'ZWROT NADPŁATY',
      bankReference: 'BR07296102000020',
      title: 'ZWROT NADPŁATY ZA F-RĘ 30/2006',
      counterpartyName: 'DRUGI KLIENT TESTOWY S.A. WARSZAWA, KRÓLEWSKA 14',
      counterpartyAccount: '82114010100000579009005002',
    });
    // 'REF. ' ⏎ 'KLIENTA: ZWROT ' ⏎ 'NADPŁATY; TNR:' : a key cut by the line wrap
    expect(refund?.details).toMatchObject({ WALUTA: 'EUR', KWOTA: '2,21', KURS: '5,4429', 'REF. KLIENTA': 'ZWROT NADPŁATY' });

    // a foreign IBAN stays as written
    expect(statements[2]?.lines[0]?.counterpartyAccount).toBe('NO9386011117947');
    // a description with a colon is not a key
    expect(statements[0]?.lines[0]).toMatchObject({ description: 'OPŁATA POCZTOWA: NORM', title: '', supplementary: '843-OPŁ. POCZTOWA. NORM' });
    // text after '; ' that is not a key stays with the key before it
    expect(statements[0]?.lines[2]?.title).toBe('WYGRANA W KONKURSIE TENISOWYM; 72132000190099001120000005 PPUP POCZTA POLSKA');
  });

  it('reads two-digit codes and the negative (debit) balance of the last EUR account', () => {
    const st = statements[6];
    expect(st?.lines.map((l) => [l.transactionCode, l.direction, l.amount, l.bankReference])).toEqual([
      ['973', 'credit', '2.21', 'BR07296102000020'],
      ['973', 'credit', '1.14', 'BR07296102000024'],
      ['944', 'debit', '16.36', 'FT07296102000004'],
      ['30', 'debit', '2.80', 'TT0729600001'],
      ['65', 'credit', '500.00', 'TT0729600001'],
      ['928', 'debit', '16.36', 'FT07296102000005'],
      ['794', 'debit', '1.27', 'GR20071023000005'],
    ]);
    expect(st?.lines[4]).toMatchObject({ description: 'WPŁATA GOTÓWKI', counterpartyName: 'JAN KOWALSKI', title: 'ZWROT ZALICZKI NA POCZET DELEGACJI' });
  });

  it('shows that mBank bank references are not unique per line, while TNR is', () => {
    const all = statements.flatMap((s) => s.lines);
    expect(all).toHaveLength(56);
    expect(new Set(all.map((l) => l.bankReference)).size).toBeLessThan(all.length);
    expect(new Set(all.map((l) => l.transactionNumber)).size).toBe(all.length);
  });
});
