import { describe, expect, it } from 'vitest';
import { formatBytes, formatDate, formatDateTime, formatMoney, formatMonth, formatVolume, plural, statusWord } from '../../../src/web/format.js';

const NB = '\u00a0';

describe('Polish formats', () => {
  it('writes amounts with grouped thousands, a decimal comma and zł', () => {
    expect(formatMoney('1234.56')).toBe(`1${NB}234,56${NB}zł`);
    expect(formatMoney('0.00')).toBe(`0,00${NB}zł`);
    expect(formatMoney('53.4')).toBe(`53,40${NB}zł`);
    expect(formatMoney('1234567.00')).toBe(`1${NB}234${NB}567,00${NB}zł`);
    expect(formatMoney('-71.28')).toBe(`−71,28${NB}zł`);
    expect(formatMoney('-0.00')).toBe(`0,00${NB}zł`);
    expect(formatMoney('999999999999.99')).toBe(`999${NB}999${NB}999${NB}999,99${NB}zł`);
  });

  it('writes volumes in m³ with three decimals', () => {
    expect(formatVolume('1234.5')).toBe(`1${NB}234,500${NB}m³`);
  });

  it('writes dates with the month in the genitive', () => {
    expect(formatDate('2026-12-02')).toBe('2 grudnia 2026');
    expect(formatDate('2026-01-31')).toBe('31 stycznia 2026');
    expect(formatDate('2026-09-05')).toBe('5 września 2026');
    expect(formatDate(null)).toBe('—');
    expect(formatMonth('2026-05')).toBe('maj 2026');
  });

  it('writes instants in Warsaw time, summer and winter', () => {
    expect(formatDateTime('2026-12-02T13:05:00Z')).toBe('2 grudnia 2026, 14:05');
    expect(formatDateTime('2026-07-01T22:30:00Z')).toBe('2 lipca 2026, 00:30');
  });

  it('speaks Polish for statuses and counts', () => {
    expect(statusWord.payment('completed')).toBe('zakończona');
    expect(statusWord.payment('rejected')).toBe('odrzucona');
    expect(statusWord.invoice('overdue')).toBe('po terminie');
    expect(statusWord.settlementKind('overpayment')).toBe('nadpłata');
    expect(plural(1, 'faktura', 'faktury', 'faktur')).toBe('faktura');
    expect(plural(3, 'faktura', 'faktury', 'faktur')).toBe('faktury');
    expect(plural(12, 'faktura', 'faktury', 'faktur')).toBe('faktur');
    expect(plural(22, 'faktura', 'faktury', 'faktur')).toBe('faktury');
    expect(formatBytes(2048)).toBe(`2,0${NB}KB`);
  });
});
