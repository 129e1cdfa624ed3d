import { describe, expect, it } from 'vitest';
import { prepareSms, smsParts, transliterate } from '../../../src/notices/gsm.js';
import { polishDate, polishMoney } from '../../../src/notices/texts.js';

describe('SMS parts (GSM 03.38)', () => {
  it('160 GSM characters make one part, 161 two (153 a part), extension characters count twice', () => {
    expect(smsParts('a'.repeat(160))).toEqual({ encoding: 'gsm', parts: 1 });
    expect(smsParts('a'.repeat(161))).toEqual({ encoding: 'gsm', parts: 2 });
    expect(smsParts('a'.repeat(306))).toEqual({ encoding: 'gsm', parts: 2 });
    expect(smsParts('a'.repeat(307))).toEqual({ encoding: 'gsm', parts: 3 });
    expect(smsParts('€'.repeat(80))).toEqual({ encoding: 'gsm', parts: 1 });
    expect(smsParts('€'.repeat(81))).toEqual({ encoding: 'gsm', parts: 2 });
  });

  it('a Polish letter makes it UCS-2: 70 characters a part, 67 when split', () => {
    expect(smsParts('ą'.repeat(70))).toEqual({ encoding: 'ucs2', parts: 1 });
    expect(smsParts('ą'.repeat(71))).toEqual({ encoding: 'ucs2', parts: 2 });
  });

  it('transliterates only when that keeps the message to one part', () => {
    const short = 'Zażółć gęślą jaźń';
    expect(prepareSms(short)).toEqual({ text: short, encoding: 'ucs2', parts: 1 });
    const medium = `Przypominamy: dziś mija termin płatności faktury FV/2026/12/00001. Do zapłaty 123,45 zł.`;
    expect(prepareSms(medium)).toEqual({ text: transliterate(medium), encoding: 'gsm', parts: 1 });
    expect(transliterate(medium)).toBe('Przypominamy: dzis mija termin platnosci faktury FV/2026/12/00001. Do zaplaty 123,45 zl.');
    const long = 'ł'.repeat(200);
    expect(prepareSms(long)).toEqual({ text: long, encoding: 'ucs2', parts: 3 });
  });
});

describe('Polish formats of the notices', () => {
  it('amounts and dates', () => {
    expect(polishMoney('1234567.8').replace(/\u00a0/g, ' ')).toBe('1 234 567,80 zł');
    expect(polishMoney('-20.50')).toBe('-20,50 zł');
    expect(polishMoney('0.00')).toBe('0,00 zł');
    expect(polishDate('2026-12-02')).toBe('2 grudnia 2026');
    expect(polishDate('2027-01-31')).toBe('31 stycznia 2027');
  });
});
